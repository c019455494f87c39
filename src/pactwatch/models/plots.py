"""Figures for alliance durability evaluation (matplotlib, Agg backend; each saved as PNG and SVG).

- :func:`plot_survival_by_group` — Kaplan–Meier curves (with log-log Greenwood 95% bands) of all ATOP 5.1 alliances by
  obligation type and by bilateral/multilateral at formation, under one event definition.
- :func:`plot_calibration` — predicted vs observed probability of ending within 5 years by decile, per model, for one
  evaluation split (observed: KM within the bin, 95% interval).
- :func:`plot_time_auc` — cumulative/dynamic AUC(t) per model for one split (0.5 = no discrimination).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError

from .specs import obligation_type  # noqa: F401  (re-exported: plots use it by this name)


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save(fig, out_dir: str | Path, stem: str) -> list[str]:
    """Write ``stem.png`` (150 dpi) and ``stem.svg`` into ``out_dir`` (created if needed); returns the paths."""
    d = Path(out_dir)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PactwatchError(f"plots directory {d}: cannot create it ({exc})") from None
    paths = []
    for ext in ("png", "svg"):
        p = d / f"{stem}.{ext}"
        fig.savefig(p, dpi=150, bbox_inches="tight")
        paths.append(str(p))
    _plt().close(fig)
    return paths


def plot_survival_by_group(alliances: pd.DataFrame, event_col: str, out_dir, *, event_label: str = "",
                           max_years: float = 60.0, stem: str = "survival_by_group") -> list[str]:
    """KM survival by obligation type and by bilateral/multilateral. ``alliances`` needs ``duration_years``, the 0/1
    ``event_col`` and the formation columns ``defense offense neutral nonagg bilateral``."""
    from .km import KaplanMeier

    plt = _plt()
    df = alliances.assign(obligation=obligation_type(alliances),
                          size=np.where(alliances["bilateral"] == 1, "bilateral", "multilateral"))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.8), sharey=True)
    grid = np.linspace(0, max_years, 241)
    for ax, col, title in ((axes[0], "obligation", "by obligation type (phase 1)"),
                           (axes[1], "size", "bilateral vs multilateral (at formation)")):
        for g, sub in df.groupby(col):
            km = KaplanMeier().fit(sub, "duration_years", event_col)
            ci = km.predict_survival_interval(None, grid, method="delta")
            est = ci["estimate"].iloc[:, 0].to_numpy()
            line = ax.step(grid, est, where="post", label=f"{g} (n={len(sub)}, events={int(sub[event_col].sum())})")[0]
            ax.fill_between(grid, ci["lower"].iloc[:, 0], ci["upper"].iloc[:, 0], step="post", alpha=0.15,
                            color=line.get_color())
        ax.set_title(title)
        ax.set_xlabel("years since formation")
        ax.set_xlim(0, max_years)
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper right")
    axes[0].set_ylabel("share of alliances still in effect (KM)")
    fig.suptitle(f"ATOP 5.1 alliances, Kaplan–Meier with 95% bands — event: {event_label or event_col}", fontsize=11)
    return save(fig, out_dir, stem)


def plot_calibration(result: dict, out_dir, *, stem: str | None = None) -> list[str]:
    """Calibration at ``t_calibration`` years for each model of an :func:`~pactwatch.models.evaluation.evaluate_split`
    result."""
    from .evaluation import MODEL_LABELS

    plt = _plt()
    t = result["t_calibration"]
    cal = result["calibration"]
    fig, ax = plt.subplots(figsize=(6.4, 6))
    hi = 0.05
    for k, rows in cal.items():
        d = pd.DataFrame(rows)
        obs = d["observed"].astype(float)
        yerr = np.vstack([obs - d["observed_lower"].astype(float), d["observed_upper"].astype(float) - obs])
        marker = "s" if k == "km" else "o"
        ax.errorbar(d["predicted"], obs, yerr=yerr, fmt=marker + "-", ms=5, capsize=2, alpha=0.8,
                    label=MODEL_LABELS.get(k, k))
        hi = max(hi, np.nanmax(d["predicted"]), np.nanmax(d["observed_upper"].astype(float)))
    hi = min(1.0, hi * 1.05)
    ax.plot([0, hi], [0, hi], color="grey", ls="--", lw=1, label="perfect calibration")
    ax.set_xlim(0, hi)
    ax.set_ylim(0, hi)
    ax.set_xlabel(f"predicted probability of ending within {t:g} years")
    ax.set_ylabel(f"observed (Kaplan–Meier) within {t:g} years, 95% CI")
    ev = result["event"]["name"]
    i = result["info"]
    ax.set_title(f"Calibration by decile — trained on alliances formed ≤ {result['cutoff']} "
                 f"(n={i['train_alliances']}),\nscored on {i['test_formed']} (n={i['test_alliances']}); event: {ev}",
                 fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_dir, stem or f"calibration_{result['cutoff']}")


def plot_time_auc(result: dict, out_dir, *, stem: str | None = None) -> list[str]:
    """Time-dependent AUC per model of one split."""
    from .evaluation import MODEL_LABELS

    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for k, a in result["auc"].items():
        ax.plot(a["times"], a["auc"], marker="o" if k != "km" else "s", ms=3, label=MODEL_LABELS.get(k, k))
    ax.axhline(0.5, color="grey", ls="--", lw=1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("years since formation (t)")
    ax.set_ylabel("cumulative/dynamic AUC(t)")
    i = result["info"]
    ax.set_title(f"Time-dependent AUC — train ≤ {result['cutoff']}, test {i['test_formed']} "
                 f"({i['test_events']} events); event: {result['event']['name']}", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, out_dir, stem or f"time_auc_{result['cutoff']}")
