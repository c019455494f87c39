"""Stage 2 — panels: state-years, dyad-years and alliance panels with peacesciencer-style ``add_*`` steps."""
