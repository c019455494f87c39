"""Event study of alliance termination around the end of a war: hazard by year relative to the war's end.

Pure functions over frames (the builder that reads ATOP and COW is in :mod:`pactwatch.scenarios.landmark`).

Input
-----
- ``years``: alliance-years [atopid, year, ended] (``ended`` = 1 in the calendar year the alliance ended under the
  event definition, else 0); one row per calendar year the alliance was in force on at least one day.
- ``alliances``: [atopid, begyr, members] (``members``: a frozenset of COW codes that were ever members).
- ``wars``: participant spells [war, ccode, start, end] (calendar years), plus ``world_war`` (bool) per war.

Design
------
For each war w with end year E (the last year any participant fought) and each alliance-year in years E - 3 ... E + 5
of an alliance in force then, relative year k = year - E, the alliance-year is put in one group:

- ``formed_in_war``: a member fought in w and the alliance was formed between w's first year and E;
- ``member_in_war``: a member fought in w, the alliance was formed outside that span;
- ``rest``: no member fought in w (the calendar-matched comparison).

The hazard in a cell is terminations / alliance-years (each alliance-year counts 1), with an exact Poisson (Garwood)
interval. An alliance-year near several war ends enters once per war (so cells of different wars overlap; counts are
per war-window, not distinct alliance-years). World wars (``world_war``) are tabulated apart from the other wars.
The post/pre rate ratio (k = 0..+1 against k = -3..-1) has an exact conditional (Clopper–Pearson) interval.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .base import ModelError

GROUPS = ("formed_in_war", "member_in_war", "rest")


def poisson_rate_ci(events, exposure, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rate events/exposure with the exact (Garwood) Poisson interval at ``level``."""
    e = np.asarray(events, float)
    x = np.asarray(exposure, float)
    a = 1 - level
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(e > 0, stats.chi2.ppf(a / 2, 2 * e) / 2, 0.0) / x
        hi = stats.chi2.ppf(1 - a / 2, 2 * (e + 1)) / 2 / x
        rate = e / x
    return rate, lo, hi


def rate_ratio_ci(e1, x1, e0, x0, level: float = 0.9) -> tuple[float, float, float]:
    """(e1/x1) / (e0/x0) with the exact conditional interval (Clopper–Pearson on e1 / (e1 + e0))."""
    n = e1 + e0
    if x1 <= 0 or x0 <= 0 or n == 0:
        return float("nan"), float("nan"), float("nan")
    a = 1 - level
    plo = stats.beta.ppf(a / 2, e1, e0 + 1) if e1 > 0 else 0.0
    phi = stats.beta.ppf(1 - a / 2, e1 + 1, e0) if e0 > 0 else 1.0
    k = x0 / x1

    def r(p):
        return p / (1 - p) * k if p < 1 else float("inf")

    rr = (e1 / x1) / (e0 / x0) if e0 > 0 else float("inf")
    return float(rr), float(r(plo)), float(r(phi))


def war_windows(years: pd.DataFrame, alliances: pd.DataFrame, wars: pd.DataFrame, window=(-3, 5)) -> pd.DataFrame:
    """One row per (war, alliance-year within the window around the war's end): war, world_war, atopid, year, k,
    group, ended."""
    need = {"years": (years, ["atopid", "year", "ended"]), "alliances": (alliances, ["atopid", "begyr", "members"]),
            "wars": (wars, ["war", "ccode", "start", "end", "world_war"])}
    for name, (df, cols) in need.items():
        miss = [c for c in cols if c not in df.columns]
        if miss:
            raise ModelError(f"event study: frame {name!r} lacks column(s) {miss}")
    lo, hi = window
    if lo > 0 or hi < 0:
        raise ModelError(f"event study: the window {window} must contain year 0 (the war's end)")
    al = alliances.set_index("atopid")
    out = []
    for w, g in wars.groupby("war", sort=True):
        E, S = int(g["end"].max()), int(g["start"].min())
        parts = set(int(c) for c in g["ccode"])
        ww = bool(g["world_war"].iloc[0])
        y = years[(years["year"] >= E + lo) & (years["year"] <= E + hi)]
        if y.empty:
            continue
        ids = y["atopid"].unique()
        mem = al.loc[ids, "members"]
        inwar = pd.Series([bool(parts & set(m)) for m in mem], index=ids)
        formed = pd.Series(((al.loc[ids, "begyr"] >= S) & (al.loc[ids, "begyr"] <= E)).to_numpy(), index=ids)
        grp = np.where(inwar & formed, "formed_in_war", np.where(inwar, "member_in_war", "rest"))
        gmap = pd.Series(grp, index=ids)
        out.append(pd.DataFrame({"war": w, "world_war": ww, "atopid": y["atopid"].to_numpy(), "year": y["year"].to_numpy(),
                                 "k": (y["year"] - E).to_numpy(), "group": gmap.reindex(y["atopid"]).to_numpy(),
                                 "ended": y["ended"].to_numpy()}))
    if not out:
        return pd.DataFrame(columns=["war", "world_war", "atopid", "year", "k", "group", "ended"])
    return pd.concat(out, ignore_index=True)


def hazard_table(win: pd.DataFrame, level: float = 0.9) -> pd.DataFrame:
    """Terminations, alliance-years and hazard with exact intervals by (world_war, group, k)."""
    g = win.groupby(["world_war", "group", "k"], as_index=False).agg(alliance_years=("ended", "size"),
                                                                     events=("ended", "sum"),
                                                                     alliances=("atopid", "nunique"))
    r, lo, hi = poisson_rate_ci(g["events"], g["alliance_years"], level)
    return g.assign(hazard=r, lower=lo, upper=hi)


def pre_post(win: pd.DataFrame, level: float = 0.9, pre=(-3, -1), post=(0, 1)) -> pd.DataFrame:
    """Rate ratio post/pre per (world_war, group) with exact conditional intervals."""
    rows = []
    for (ww, grp), g in win.groupby(["world_war", "group"]):
        a = g[(g["k"] >= post[0]) & (g["k"] <= post[1])]
        b = g[(g["k"] >= pre[0]) & (g["k"] <= pre[1])]
        rr, lo, hi = rate_ratio_ci(int(a["ended"].sum()), len(a), int(b["ended"].sum()), len(b), level)
        rows.append({"world_war": bool(ww), "group": grp, "post_events": int(a["ended"].sum()), "post_years": len(a),
                     "pre_events": int(b["ended"].sum()), "pre_years": len(b), "rate_ratio": rr, "lower": lo, "upper": hi})
    return pd.DataFrame(rows)
