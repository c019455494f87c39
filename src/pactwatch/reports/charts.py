"""Charts for the forecast report, drawn with matplotlib (Agg) and returned as ``data:image/png;base64,...`` URIs so the
report is one self-contained file (nothing is fetched when it is opened).

- :func:`survival_chart` — S(a0 + t | a0) per scenario over the horizon: the point curve (coefficients at their
  estimates, averaged over shock timings) and the Monte Carlo band (the result's ``level`` interval, parameter and
  timing uncertainty), with the Kaplan–Meier base rate of similar alliances at 1/3/5/10 years as points with intervals.
- :func:`driver_chart` — per covariate whose value now differs from the typical alliance-year (the training median):
  its contribution to the log hazard of ending, coef × (value − reference), with the Wald interval
  (coef ± z·se) × (value − reference) from the robust standard error; the label carries the change in 5-year survival
  the covariate makes (point estimate, from the result's ``drivers``).
- :func:`sensitivity_chart` — on one axis (percentage points of survival at the result's swing horizon, 5 years):
  each uncertain coding's swing (the status quo with one alternative reading minus the status quo as coded, with the
  interval from the paired draws) next to each scenario's effect (scenario minus status quo, with its interval).

- :func:`competing_chart` — for the status quo (and the war-ends scenario when forecast): each cause's cumulative
  incidence stacked (point estimates; the top of the stack is "ends for any reason but replacement", with its Monte
  Carlo band as dashed lines) and 1 − the any-end survival for comparison.

Colours: Okabe–Ito (distinguishable under the common colour-vision deficiencies); lines also differ by dash.
"""
from __future__ import annotations

import base64
import io

import numpy as np

from pactwatch.errors import PactwatchError

PALETTE = ["#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#777777"]
DASHES = ["-", "--", "-.", ":", (0, (5, 1, 1, 1)), (0, (3, 1)), (0, (8, 2)), (0, (1, 1)), (0, (6, 2, 2, 2))]


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def png_data_uri(fig, dpi: int = 110) -> str:
    """The figure as a base64 PNG data URI (the figure is closed)."""
    plt = _plt()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def survival_chart(result: dict, ncols: int = 4) -> str:
    """Survival curves with bands, one panel per scenario (shared axes) so the bands stay readable; every panel
    repeats the status-quo curve (thin black) for comparison, and the status-quo panel carries the base rate.
    Returns a PNG data URI."""
    import textwrap

    scen = [s for s in result.get("scenarios", []) if s.get("curve") and s["curve"].get("t")]
    if not scen:
        raise PactwatchError("report: the forecast result has no survival curves (scenarios[].curve)")
    plt = _plt()
    n = len(scen)
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.0 * ncols + 0.6, 2.75 * nrows + 0.9), sharex=True, sharey=True,
                             squeeze=False)
    lvl = f"{100 * result['level']:.0f}%"
    sq = next((s for s in scen if s["name"] == "status-quo"), scen[0])
    i5 = min(range(len(result["times"])), key=lambda i: abs(result["times"][i] - min(5.0, result["horizon"])))
    br = result.get("base_rate") or {}
    pts = [x for x in br.get("survival", []) if x.get("estimate") is not None]
    ymin = min(min(s["curve"]["lower"]) for s in scen)
    if pts:
        ymin = min(ymin, min(x["lower"] for x in pts))
    for k, s in enumerate(scen):
        ax = axes[k // ncols][k % ncols]
        c = s["curve"]
        t = np.asarray(c["t"], float)
        col = PALETTE[k % len(PALETTE)]
        ax.fill_between(t, np.asarray(c["lower"], float), np.asarray(c["upper"], float), color=col, alpha=0.22,
                        linewidth=0, label=f"{lvl} interval")
        ax.plot(t, np.asarray(c["point"], float), color=col, linewidth=2.0, label="point estimate")
        if s is not sq:
            ax.plot(np.asarray(sq["curve"]["t"], float), np.asarray(sq["curve"]["point"], float), color="#000000",
                    linewidth=0.9, linestyle="--", label="status quo")
        elif pts:
            bt = np.array([x["t"] for x in pts], float)
            est = np.array([x["estimate"] for x in pts], float)
            lo = np.array([x["lower"] for x in pts], float)
            hi = np.array([x["upper"] for x in pts], float)
            ax.errorbar(bt, est, yerr=[est - lo, hi - est], fmt="s", color="#555555", mfc="white", ms=4.5, capsize=2.5,
                        lw=1, label=f"base rate (KM, {br['n_alliances']} similar)")
        x5 = s["survival"][i5]
        title = textwrap.fill(s["label"], 34)
        ax.set_title(f"{title}\n{x5['t']:g} y: {100 * x5['point']:.0f}% [{100 * x5['lower']:.0f}–{100 * x5['upper']:.0f}]",
                     fontsize=8.5, loc="left")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6.5, loc="lower left", frameon=False)
    for k in range(n, nrows * ncols):
        axes[k // ncols][k % ncols].set_visible(False)
    ax0 = axes[0][0]
    ax0.set_xlim(0, float(result["horizon"]) + 0.35)
    ax0.set_ylim(max(0.0, np.floor(ymin * 10) / 10 - 0.02), 1.01)
    ax0.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    for r in range(nrows):
        axes[r][0].set_ylabel("still in effect")
    for cidx in range(ncols):
        bottom = max(r for r in range(nrows) if r * ncols + cidx < n)
        axes[bottom][cidx].set_xlabel(f"years after {result['as_of']}")
        axes[bottom][cidx].tick_params(labelbottom=True)
    fig.suptitle(f"{result['case']['name']}: probability still in effect, by scenario ({lvl} bands from "
                 f"{result['n_sims']} draws)", fontsize=11, x=0.01, ha="left")
    fig.tight_layout()
    return png_data_uri(fig)


def driver_rows(result: dict, scenario: int = 0, max_rows: int = 14) -> list[dict]:
    """The drivers of ``scenarios[scenario]`` whose value now differs from the reference, with Wald intervals of their
    log-hazard contribution (z from the result's level, se from the model's robust coefficient table)."""
    from scipy import stats

    z = float(stats.norm.ppf(1 - (1 - result["level"]) / 2))
    se = {c["covariate"]: c["se"] for c in result["model"]["coefficients"]}
    p = {c["covariate"]: c["p"] for c in result["model"]["coefficients"]}
    rows = []
    for d in result["scenarios"][scenario]["drivers"]:
        dx = d["value_now"] - d["reference"]
        if abs(dx) < 1e-12:
            continue
        s = se.get(d["covariate"])
        half = None if s is None else z * s * abs(dx)
        rows.append({**d, "diff": dx, "lower": None if half is None else d["log_hazard"] - half,
                     "upper": None if half is None else d["log_hazard"] + half, "p": p.get(d["covariate"])})
    return rows[:max_rows]


def driver_chart(result: dict, rows: list[dict] | None = None) -> str:
    """Horizontal bars of log-hazard contributions with intervals; returns a PNG data URI."""
    rows = driver_rows(result) if rows is None else rows
    if not rows:
        raise PactwatchError("report: no driver differs from the typical alliance-year; nothing to chart")
    plt = _plt()
    n = len(rows)
    fig, ax = plt.subplots(figsize=(10, 0.42 * n + 1.6))
    y = np.arange(n)[::-1]
    lh = np.array([r["log_hazard"] for r in rows])
    cols = ["#D55E00" if v > 0 else "#0072B2" for v in lh]
    ax.barh(y, lh, color=cols, alpha=0.8, height=0.6)
    lo = np.array([np.nan if r["lower"] is None else r["lower"] for r in rows])
    hi = np.array([np.nan if r["upper"] is None else r["upper"] for r in rows])
    ok = np.isfinite(lo)
    ax.errorbar(lh[ok], y[ok], xerr=[lh[ok] - lo[ok], hi[ok] - lh[ok]], fmt="none", ecolor="#222222", capsize=3, lw=1)
    labels = [f"{r['label']} ({r['value_now']:.3g} vs {r['reference']:.3g})   Δ5y {100 * r['delta_s5']:+.1f} pts"
              for r in rows]
    ax.set_yticks(y, labels, fontsize=9)
    ax.axvline(0, color="#222222", lw=0.8)
    ax.set_xlabel("contribution to the log hazard of ending: coef × (value now − typical)    "
                  "← holds it together · pulls it apart →", fontsize=9)
    sc = result["scenarios"][0]
    ax.set_title(f"Drivers now ({sc['label']}), {100 * result['level']:.0f}% Wald intervals from robust SEs; "
                 "Δ5y = 5-year survival vs the covariate at its typical value", fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    return png_data_uri(fig)


def news_chart(summary, ncols: int = 2) -> str | None:
    """Small multiples of the news indicators (:class:`pactwatch.monitor.summary.NewsSummary`) over the months shown:
    bars of events per month (the cooperation–conflict index as a line on −1..1), change points dashed. None when no
    indicator has an event in those months (no empty chart). Returns a PNG data URI."""
    inds = summary.indicators
    if not inds or not any(i.shown for i in inds):
        return None
    plt = _plt()
    months = summary.months
    ncols = min(ncols, len(inds))
    nrows = -(-len(inds) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 1.9 * nrows + 0.3), sharex=True, squeeze=False)
    x = np.arange(len(months))
    for ax, ind in zip(axes.flat, inds):
        if ind.measure == "index":
            y = np.array([np.nan if p.value is None else p.value for p in ind.months], float)
            ax.axhline(0, color="#777777", linewidth=0.5)
            ax.plot(x, y, color=PALETTE[0], marker=".", linewidth=1.2)
            ax.set_ylim(-1.1, 1.1)
        else:
            n = [p.n for p in ind.months]
            ax.bar(x, n, color=PALETTE[1], width=0.85)
            ax.set_ylim(0, max(1, max(n)) * 1.08)
            ax.yaxis.get_major_locator().set_params(integer=True)
        for k, p in enumerate(ind.months):
            if p.change_point:
                ax.axvline(k - 0.5, color=PALETTE[2], linestyle="--", linewidth=1)
        ax.set_title(f"{ind.label} ({ind.shown})", fontsize=8.5, loc="left")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(inds):]:
        ax.set_visible(False)
    step = max(1, len(months) // 6)
    for ax in list(axes.flat)[len(inds) - ncols:len(inds)]:  # the lowest visible panel of each column
        ax.set_xticks(x[::step])
        ax.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=7)
        ax.tick_params(labelbottom=True)
    fig.tight_layout()
    return png_data_uri(fig)


def competing_chart(result: dict, names=("status-quo", "war-ends")) -> str | None:
    """Stacked cumulative incidence by cause, one panel per scenario in ``names`` that the result's ``competing``
    block holds (None without one). Returns a PNG data URI."""
    import textwrap

    comp = result.get("competing")
    if not comp:
        return None
    scen = [s for s in comp["scenarios"] if s["name"] in names]
    if not scen:
        return None
    surv = {s["name"]: s for s in result["scenarios"]}
    labels = {c["name"]: c["label"] for c in comp["causes"]}
    plt = _plt()
    n = len(scen)
    fig, axes = plt.subplots(1, n, figsize=(4.2 * n + 0.6, 3.4), sharey=True, squeeze=False)
    lvl = f"{100 * result['level']:.0f}%"
    top = 0.0
    for k, s in enumerate(scen):
        ax = axes[0][k]
        c = s["curve"]
        t = np.asarray(c["t"], float)
        causes = list(c["cumulative"])
        ys = [np.asarray(c["cumulative"][n_], float) for n_ in causes]
        ax.stackplot(t, *ys, colors=[PALETTE[(i + 1) % len(PALETTE)] for i in range(len(ys))], alpha=0.75,
                     labels=[labels.get(n_, n_) for n_ in causes], linewidth=0)
        lo, hi = np.asarray(c["not_replaced_lower"], float), np.asarray(c["not_replaced_upper"], float)
        ax.plot(t, lo, color="#000000", linewidth=0.8, linestyle=":", label=f"any reason but replacement, {lvl}")
        ax.plot(t, hi, color="#000000", linewidth=0.8, linestyle=":")
        top = max(top, float(hi.max()))
        sv = surv.get(s["name"])
        if sv and sv.get("curve"):
            st = np.asarray(sv["curve"]["t"], float)
            ax.plot(st, 1 - np.asarray(sv["curve"]["point"], float), color="#000000", linewidth=1.4, linestyle="--",
                    label=f"1 − survival ({result['event']['name']} model)")
            top = max(top, float(1 - min(sv["curve"]["point"])))
        ax.set_title(textwrap.fill(s["label"], 40), fontsize=9, loc="left")
        ax.set_xlabel(f"years after {result['as_of']}")
        ax.grid(alpha=0.3)
        ax.set_xlim(0, float(result["horizon"]))
    axes[0][0].set_ylabel("ended by (cumulative)")
    axes[0][0].set_ylim(0, min(1.0, np.ceil(top * 10) / 10 + 0.02))
    axes[0][0].yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
    axes[0][-1].legend(fontsize=7, loc="upper left", frameon=False)
    fig.suptitle(f"{result['case']['name']}: how it would end — cumulative incidence by cause (point estimates, "
                 f"stacked)", fontsize=10.5, x=0.01, ha="left")
    fig.tight_layout()
    return png_data_uri(fig)


def sensitivity_rows(result: dict) -> list[dict]:
    """The rows of :func:`sensitivity_chart`: {"group": "coding" | "scenario", "label", "point", "lower", "upper"}
    (probability differences), codings first, each group by decreasing size. Empty without swings."""
    cd = result.get("codings") or {}
    sw = cd.get("swings") or []
    if not sw:
        return []
    t = cd["t"]
    i = min(range(len(result["times"])), key=lambda k: abs(result["times"][k] - t))

    def val(v):
        return ("true" if v else "false") if isinstance(v, bool) else str(v)

    rows = [{"group": "coding", "label": f"{s['path']}: {val(s['coded'])} → {val(s['alternative'])} (weight "
                                         f"{s['weight']:.2f})", "point": s["swing"], "lower": s["lower"],
             "upper": s["upper"]} for s in sorted(sw, key=lambda s: -abs(s["swing"]))]
    sc = [s for s in result["scenarios"] if s.get("vs_status_quo") and s["name"] != cd.get("scenario")]
    rows += [{"group": "scenario", "label": s["label"], **{k: s["vs_status_quo"][i][k] for k in ("point", "lower", "upper")}}
             for s in sorted(sc, key=lambda s: -abs(s["vs_status_quo"][i]["point"]))]
    return rows


def sensitivity_chart(result: dict, rows: list[dict] | None = None) -> str:
    """Coding swings next to scenario effects, in percentage points, with intervals; returns a PNG data URI."""
    import textwrap

    rows = sensitivity_rows(result) if rows is None else rows
    if not rows:
        raise PactwatchError("report: the forecast result has no coding swings (codings.swings); nothing to chart")
    plt = _plt()
    n = len(rows)
    fig, ax = plt.subplots(figsize=(10, 0.42 * n + 1.7))
    y = np.arange(n)[::-1].astype(float)
    pt = 100 * np.array([r["point"] for r in rows])
    lo = 100 * np.array([r["lower"] for r in rows])
    hi = 100 * np.array([r["upper"] for r in rows])
    groups = {"coding": (PALETTE[2], "o", "coding: one alternative reading (status quo)"),
              "scenario": (PALETTE[1], "s", "scenario vs status quo")}
    for g, (col, mk, lab) in groups.items():
        m = np.array([r["group"] == g for r in rows])
        if m.any():
            ax.errorbar(pt[m], y[m], xerr=np.clip([pt[m] - lo[m], hi[m] - pt[m]], 0, None), fmt=mk, color=col, ecolor=col, capsize=3,
                        lw=1.2, ms=6, label=lab)
    k = sum(r["group"] == "coding" for r in rows)
    if 0 < k < n:
        ax.axhline(y[k - 1] - 0.5, color="#999999", lw=0.8, ls=":")
    ax.set_yticks(y, [textwrap.shorten(r["label"], 70) for r in rows], fontsize=9)
    ax.axvline(0, color="#222222", lw=0.8)
    cd = result["codings"]
    lvl = f"{100 * result['level']:.0f}%"
    ax.set_xlabel(f"change in {cd['t']:g}-year survival, percentage points ({lvl} intervals from the paired draws)",
                  fontsize=9)
    ax.set_title(f"How far each uncertain coding moves the answer, next to the scenarios (status quo as coded: "
                 f"{100 * cd['survival_at_coded']:.0f}%)", fontsize=10, loc="left")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right", frameon=False)
    return png_data_uri(fig)
