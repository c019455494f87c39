"""Bennett (1997): does the hazard of alliance termination rise or fall with an alliance's age once covariates are in?

Bennett, "Testing Alternative Models of Alliance Duration, 1816-1984" (AJPS 41(3): 846-878), found that alliances
become *more* likely to end the longer they last once the covariates are controlled for (no institutionalization
effect) - against the falling hazard a covariate-free look suggests. This replication asks the same question of ATOP 5.1.

Sample and unit of analysis
    **Alliance-years**: one row per (atopid, year) with at least one member (the alliance-survival table,
    :func:`pactwatch.panels.survival.survival_table`), for every ATOP
    5.1 alliance formed 1816-1984, followed to 31 Dec 1984 (Bennett's window; alliances in effect then are censored).
    Analysis time is the alliance's age in years, rows (age, age + 1] with age = year - begin year; the event
    (``event`` = 1: the alliance ended - any way, ATOP end date) sits in the end year. A variant follows the same
    alliances' successors - every alliance formed 1816-2007 - to 31 Dec 2007 (the end of the COW war data).

Marginal answer (no covariates)
    - Occurrence/exposure hazard by age band: alliance ends / alliance-years at risk in the band (each row is one year
      of exposure), with exact Poisson (Garwood) 95% intervals; and the Kaplan-Meier average hazard over the band,
      -log(S(b) / S(a)) / (b - a), from the counting-process KM (delayed entry handled).
    - A covariate-free Weibull fitted to the same rows: shape p (p < 1 falling hazard, p > 1 rising), 95% interval
      exp(log p +- 1.96 se) with se clustered by alliance.
Conditional answer
    - Weibull AFT with time-varying covariates on the same rows: p and its interval as above. Covariates (alliance-year):
      ``cap_change`` (max over members of |log CINC / CINC at entry|), ``regime_change`` (some member's Polity2 moved 3+
      points since entry), ``asymmetric`` (major and minor powers; security-autonomy, Morrow 1991), ``log_members``
      (log number of members), ``at_war`` (a member at inter-state war), ``shared_rival`` (members share a strategic
      rival - external threat), ``wartime`` (formed in wartime, time-constant).
    Both Weibull fits use only the rows with every covariate known (the complete-case sample: the marginal and
    conditional p are compared on identical data); the count of rows and events dropped is reported, and the marginal p
    on all rows is shown too. Published figures: Bennett's estimates were not found in stored public material
    ("published: not available"); his conclusion (rising hazard once covariates are in) is stated beside ours.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from pactwatch.panels.survival import REGIME_THRESHOLD  # noqa: F401 - the threshold of regime_change

NAME = "bennett-1997"
CITATION = ("Bennett, D. Scott. 1997. \"Testing Alternative Models of Alliance Duration, 1816-1984.\" American Journal "
            "of Political Science 41(3): 846-878.")
WINDOWS = {"bennett": (1816, 1984), "extended": (1816, 2007)}
BANDS = [(0, 5), (5, 10), (10, 20), (20, 40), (40, 80), (80, 200)]
TERMS = ["cap_change", "regime_change", "asymmetric", "log_members", "at_war", "shared_rival", "wartime"]
PUBLISHED_CONCLUSION = "rising hazard with age once covariates are controlled for (p > 1)"


def build(p: dict[str, Any], first: int, last: int) -> pd.DataFrame:
    """Alliance-years of alliances formed ``first``..``last`` up to ``last`` with the model columns."""
    a, ay = p["alliances"], p["alliance_years"]
    ids = a.loc[a["begyr"].between(first, last), "atopid"]
    d = ay[ay["atopid"].isin(ids) & (ay["year"] <= last)].copy()
    # cap_change and regime_change come with the survival table (pactwatch.panels.survival)
    d["asymmetric"] = d["asymmetric"].astype(float)
    d["log_members"] = np.log(d["n_members"].astype(float))
    d["at_war"] = d["any_at_war"].astype(float)
    d["shared_rival"] = d["any_shared_rival"].astype(float)
    d["wartime"] = d["atopid"].map(a.set_index("atopid")["wartime"]).astype(float)
    d["start"] = (d["year"] - d["begyr"]).astype(float)
    d["stop"] = d["start"] + 1
    d["event"] = d["event"].astype(int)
    return d.reset_index(drop=True)


def band_hazards(d: pd.DataFrame, bands=BANDS, alpha: float = 0.05) -> list[dict]:
    """Occurrence/exposure hazard per age band (ends per alliance-year, exact Poisson interval) and the KM average
    hazard over the band, from counting-process rows (start, stop] of one year each."""
    from pactwatch.models.km import km_table

    tab = km_table(d["start"].to_numpy(float), d["stop"].to_numpy(float), d["event"].to_numpy(int) == 1)
    t, s = tab["time"].to_numpy(), tab["survival"].to_numpy()

    def S(x):
        i = np.searchsorted(t, x, side="right") - 1
        return 1.0 if i < 0 else float(s[i])

    out = []
    width = d["stop"] - d["start"]
    for lo, hi in bands:
        inb = (d["stop"] > lo) & (d["stop"] <= hi)
        ev = int(d.loc[inb, "event"].sum())
        expo = float(width[inb].sum())
        if expo == 0:
            continue
        lo_ci = stats.chi2.ppf(alpha / 2, 2 * ev) / 2 / expo if ev > 0 else 0.0
        hi_ci = stats.chi2.ppf(1 - alpha / 2, 2 * ev + 2) / 2 / expo
        top = min(hi, float(d.loc[inb, "stop"].max()))
        s_lo, s_hi = S(lo), S(top)
        km_h = max(0.0, -math.log(s_hi / s_lo) / (top - lo)) if s_hi > 0 and top > lo else float("nan")
        out.append({"band": f"{lo}-{hi}", "age_from": lo, "age_to": hi, "events": ev, "exposure_years": expo,
                    "hazard": ev / expo, "lower": lo_ci, "upper": hi_ci, "km_average_hazard": km_h})
    return out


def _weibull(d: pd.DataFrame, covariates: list[str]) -> dict:
    from pactwatch.models import WeibullAFT

    m = WeibullAFT().fit(d, event_col="event", covariates=covariates, id_col="atopid", start_col="start",
                         stop_col="stop")
    key = ("rho_", "Intercept")
    c = float(m.params_[key])
    se = float(np.sqrt(m.variance_.loc[key, key]))
    z = stats.norm.ppf(0.975)
    out = {"p": math.exp(c), "lower": math.exp(c - z * se), "upper": math.exp(c + z * se), "log_p": c, "se_log_p": se,
           "z_p_eq_1": c / se, "p_value_p_eq_1": float(2 * stats.norm.sf(abs(c / se))),
           "direction": "rising" if c > 0 else "falling", "significant": bool(abs(c / se) > z),
           "n": int(m.n_rows_), "n_alliances": int(m.n_subjects_), "events": int(m.n_events_),
           "log_likelihood": float(m.log_likelihood_), "se_type": m.se_type_}
    if covariates:
        s = m.summary
        out["coefficients"] = [{"term": t, "coef": float(s.loc[("lambda_", t), "coef"]),
                                "se": float(s.loc[("lambda_", t), "se"]), "p": float(s.loc[("lambda_", t), "p"]),
                                "time_ratio": float(np.exp(s.loc[("lambda_", t), "coef"]))} for t in covariates]
    return out


def analyze_window(p: dict[str, Any], first: int, last: int) -> dict:
    d = build(p, first, last)
    na = d[TERMS].isna().any(axis=1)
    cc = d.loc[~na]
    return {
        "window": f"alliances formed {first}-{last}, followed to 31 Dec {last}",
        "alliance_years": int(len(d)), "alliances": int(d["atopid"].nunique()), "events": int(d["event"].sum()),
        "n_dropped_missing": int(na.sum()), "events_dropped_missing": int(d.loc[na, "event"].sum()),
        "na_by_covariate": {c: int(d[c].isna().sum()) for c in TERMS if d[c].isna().any()},
        "marginal": {"band_hazards": band_hazards(d), "weibull_all_rows": _weibull(d, []),
                     "weibull_complete_cases": _weibull(cc, [])},
        "conditional": _weibull(cc, TERMS),
    }


def analyze(p: dict[str, Any], windows: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """All windows (default :data:`WINDOWS`; the first one is the headline answer)."""
    res = {k: analyze_window(p, *w) for k, w in (windows or WINDOWS).items()}
    main = next(iter(res.values()))
    return {
        "name": NAME, "citation": CITATION,
        "unit": "alliance-year (ATOP 5.1), age in years, rows (age, age+1]; event = the alliance ended (any way)",
        "question": "Weibull shape p: p < 1 falling hazard with age, p > 1 rising",
        "marginal_p": main["marginal"]["weibull_complete_cases"]["p"],
        "conditional_p": main["conditional"]["p"],
        "published_conclusion": PUBLISHED_CONCLUSION, "published_available": False,
        "windows": res,
        "notes": ["published: not available - Bennett's estimates were not found in stored public material; his "
                  "conclusion is: " + PUBLISHED_CONCLUSION + ".",
                  "Marginal and conditional p are fitted on the same complete-case rows; SEs clustered by alliance."],
    }


def run(src=None) -> dict[str, Any]:
    """Build the panels from ``src`` and run the replication (JSON-ready: NaN -> None)."""
    from pactwatch.models.base import jsonable
    from pactwatch.panels.survival import survival_table

    t = survival_table(src)
    return jsonable(analyze({"alliances": t.panel, "alliance_years": t.years, "table": t}))


def _f(x, nd=3):
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"


def render(result: dict[str, Any]):
    from rich.console import Group
    from rich.table import Table

    parts = []
    for key, w in result["windows"].items():
        t = Table(title=f"{result['name']} [{key}]: {w['window']} - {w['alliance_years']} alliance-years, "
                        f"{w['alliances']} alliances, {w['events']} ends", title_justify="left")
        for c in ["answer", "Weibull shape p", "95% interval", "hazard", "N rows", "events"]:
            t.add_column(c, justify="left" if c == "answer" else "right")
        for label, r in [("marginal (no covariates, all rows)", w["marginal"]["weibull_all_rows"]),
                         ("marginal (no covariates, complete cases)", w["marginal"]["weibull_complete_cases"]),
                         ("conditional (covariates, complete cases)", w["conditional"])]:
            t.add_row(label, _f(r["p"]), f"[{_f(r['lower'])}, {_f(r['upper'])}]",
                      r["direction"] + ("" if r["significant"] else " (n.s.)"), str(r["n"]), str(r["events"]))
        parts.append(t)
        b = Table(title=f"[{key}] hazard by age band (ends per alliance-year)", title_justify="left")
        for c in ["age", "ends", "alliance-years", "hazard", "95% interval", "KM average hazard"]:
            b.add_column(c, justify="right")
        for r in w["marginal"]["band_hazards"]:
            b.add_row(r["band"], str(r["events"]), f"{r['exposure_years']:.0f}", _f(r["hazard"], 4),
                      f"[{_f(r['lower'], 4)}, {_f(r['upper'], 4)}]", _f(r["km_average_hazard"], 4))
        parts.append(b)
        parts.append(f"[{key}] rows dropped for a missing covariate: {w['n_dropped_missing']} "
                     f"({w['events_dropped_missing']} ends); by covariate {w['na_by_covariate']}")
    parts.append("\n".join([result["citation"], "Unit: " + result["unit"], result["question"], *result["notes"]]))
    return Group(*parts)


REPLICATION = {
    "name": NAME,
    "run": run,
    "render": render,
    "summary": "Bennett 1997: does alliance hazard rise or fall with age? KM / covariate-free Weibull vs Weibull AFT "
               "with covariates (shape p with intervals).",
}
