"""`pactwatch panel ...`: state-year, dyad-year and alliance panels."""
import typer

app = typer.Typer(no_args_is_help=True)

# Alliance-panel commands live in their own module and register on `app`.
from pactwatch.cli import panel_alliances  # noqa: E402,F401
