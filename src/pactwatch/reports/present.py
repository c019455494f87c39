"""How forecast numbers are written, in one place: the CLI (:mod:`pactwatch.cli.forecast`), the HTML report
(:mod:`.report`) and the web pages (:mod:`pactwatch.web`) all format through these functions, so the same number reads
the same everywhere.

Rules:

- probabilities as whole percents: 0.789 -> ``79%``; intervals ``74%–83%`` (en dash); with the point
  ``79% [74%–83%]``;
- differences of probabilities as signed percentage points: 0.088 -> ``+9``, −0.031 -> ``−3`` (a true minus sign);
  a change smaller than 0.95 points but not zero keeps one decimal (``−0.1``) so it never reads as no change; a
  rounded zero is ``0`` (no sign). Intervals of differences: ``−3 to −0.1``;
- years with one decimal (``2.3``); a median beyond the horizon as ``> 10``;
- a missing value (None) is ``–``.
"""
from __future__ import annotations

DASH = "–"
MINUS = "−"


def pct(v, digits: int = 0) -> str:
    """A probability as a percent: 0.789 -> '79%'; None -> '–'."""
    return DASH if v is None else f"{100 * v:.{digits}f}%"


def pct_interval(lower, upper) -> str:
    """'74%–83%'."""
    return f"{pct(lower)}{DASH}{pct(upper)}"


def pct_ci(point, lower, upper) -> str:
    """'79% [74%–83%]'; '–' without a point."""
    if point is None:
        return DASH
    return f"{pct(point)} [{pct_interval(lower, upper)}]"


def pts(v, digits: int = 0) -> str:
    """A difference in probability as signed percentage points: 0.088 -> '+9', -0.0007 -> '−0.1'; None -> '–'."""
    if v is None:
        return DASH
    x = 100 * v
    if digits == 0 and 0 < abs(x) < 0.95:
        digits = 1  # a small non-zero change shows as −0.1, not as 0
    s = f"{x:+.{digits}f}"
    return "0" if s.lstrip("+-").strip("0.") == "" else s.replace("-", MINUS)


def pts_abs(v) -> str:
    """The size of a difference in points, without sign: -0.031 -> '3', 0.0007 -> '0.1'."""
    return pts(abs(v)).lstrip("+") if v is not None else DASH


def pts_interval(lower, upper) -> str:
    """'−3 to −0.1'."""
    return f"{pts(lower)} to {pts(upper)}"


def diff_ci(d: dict | None) -> str:
    """A difference to the status quo with its interval: '−2 pts (−3 to −0.1)'; '–' for none."""
    if d is None:
        return DASH
    return f"{pts(d['point'])} pts ({pts_interval(d['lower'], d['upper'])})"


def years(v, digits: int = 1) -> str:
    return DASH if v is None else f"{v:.{digits}f}"


def median_text(m: dict | None) -> str:
    """'> 10 y' (beyond the horizon, interval too), '> 10 y [8.2, > 10]', '6.3 y [4.1, 9.0]'."""
    if m is None:
        return DASH
    h = f"{m['horizon']:g}"

    def fmt(v):
        return f"> {h}" if v is None else years(v)

    if m["point"] is None and m["lower"] is None and m["upper"] is None:
        return f"> {h} y"
    return f"{fmt(m['point'])} y [{fmt(m['lower'])}, {fmt(m['upper'])}]"


def level_text(level: float) -> str:
    """0.9 -> '90%'."""
    return f"{100 * level:.0f}%"


def interval_excludes_zero(d: dict) -> bool:
    return d["lower"] > 0 or d["upper"] < 0


def lc(s: str) -> str:
    """Lower-case the first letter of a label for use inside a sentence ('US …' and other acronyms stay)."""
    return s if len(s) > 1 and s[0].isupper() and s[1].isupper() else s[:1].lower() + s[1:]


def join(xs) -> str:
    """'a', 'a and b', 'a, b and c'."""
    xs = list(xs)
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def index_of(times: list, t: float) -> int:
    """The position in ``times`` nearest to ``t``."""
    return min(range(len(times)), key=lambda i: abs(times[i] - t))


def scenario_table(result: dict) -> dict:
    """The scenario table every view shows, as text cells: {"t_diff", "columns", "rows": [{name, label, survival[],
    median, diff}], "base_rate": [..]}; ``diff`` is the difference to the status quo at 5 years (or the horizon)."""
    times = result["times"]
    t5 = min(5.0, result["horizon"])
    i5 = index_of(times, t5)
    rows = []
    for s in result["scenarios"]:
        d = s["vs_status_quo"][i5] if s.get("vs_status_quo") and s["name"] != "status-quo" else None
        rows.append({"name": s["name"], "label": s["label"],
                     "survival": [pct_ci(x["point"], x["lower"], x["upper"]) for x in s["survival"]],
                     "median": median_text(s["median_remaining"]), "diff": diff_ci(d)})
    br = result["base_rate"]
    return {"t_diff": t5, "columns": [f"{t:g} y" for t in times], "rows": rows,
            "base_rate": [pct_ci(x["estimate"], x["lower"], x["upper"]) for x in br["survival"]]}
