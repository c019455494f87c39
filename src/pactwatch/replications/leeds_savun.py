"""Leeds & Savun (2007): why do states abrogate alliances? Opportunistic abrogation among bilateral ATOP alliances.

Replicates the design of Leeds & Savun's cause-specific (competing risks) duration analysis on ATOP 5.1 and pactwatch's
alliance panels, and prints each coefficient with its clustered standard error and whether its sign matches the
direction the article reports. The authors' own data set is not distributed with pactwatch; the published coefficients
were not found in stored public material (only the working-paper opening and the abstract), so ``published_coef`` is
``None`` ("published: not available") and the comparison is on the *direction* of each effect, which the abstract
states: capability change +, regime change +, new outside alliance +, democracy -, issue linkage -.

Sample and unit of analysis
    **Alliance-years of bilateral alliances** (equivalently dyad-years of the two-member alliances): one row per
    (atopid, year) of the alliance-survival table (:func:`pactwatch.panels.survival.survival_table`, which also
    supplies ``cap_change`` and ``regime_change``) from the alliance's begin year until its end year or 2003, for ATOP 5.1
    alliances formed 1816-1989
    that never had more than two members at once (``max_concurrent_members`` <= 2; ATOP's ``bilat`` is a maximum over
    phases, see :mod:`pactwatch.panels.alliances`). Observation ends 31 Dec 2003, the last year of ATOP 3.0, the edition
    the article used; alliances still in effect then are censored (the Leeds-Savun threat measure runs to 2008, so it
    is not what limits the window). Analysis time is the alliance's age in years: row (age, age + 1], age = year -
    begin year; the end falls in the end year's row.

Event definition (cause-specific)
    ``abrogation`` (cause 1): the alliance ended and at least one member's exit at the end is coded ATOP ``termmode`` 3,
    "broken before its scheduled termination date" (member level). ``other end`` (cause 2): every other end (not
    renewed, replaced by a new agreement - renegotiation -, loss of independence, casus foederis ceased, war lost).
    In the abrogation model other ends are censored at their time (and vice versa), the usual cause-specific analysis.
    A sensitivity uses ATOP's alliance-level ``term`` = 2 ("violation of provisions") instead.

Covariates (alliance-year; time-varying unless marked)
    - ``cap_change``: the largest absolute log change of a member's CINC since it entered the alliance,
      max |log(cinc / cinc_entry)| over the members (COW NMC 6.0; 0 at formation). Continuous; expected +.
    - ``regime_change``: 1 if some member's Polity2 score differs from its value at entry by 3 points or more (Polity's
      own threshold for a regime transition), 0 otherwise; over members with a value. Expected +.
    - ``new_outside_alliance``: 1 if a member entered another ATOP alliance with a state outside this one that year.
      Expected +.
    - ``democracy``: 1 if at least one member is a democracy (Polity2 >= 6) that year. Expected -.
    - ``issue_linkage`` (time-constant): economic provisions in the treaty (ATOP ``ecaid`` > 0, ``compag`` = 2 or
      ``agprois`` = 2; pactwatch's ``econ_linkage``). Expected -.
    - controls: ``threat`` (the Leeds-Savun external-threat measure ``lsthreat``, the higher of the two members'
      values that year), ``asymmetric`` (one major and one minor power; Morrow 1991), ``wartime`` (formed in wartime,
      time-constant).
    Alliance-years with a missing covariate are dropped and counted (``n_dropped_missing``, ``events_dropped``) - never
    filled. Standard errors: robust, clustered by alliance (Lin-Wei, as R's ``coxph(..., cluster = atopid)``);
    ties: Efron.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from pactwatch.errors import DataError
from pactwatch.panels.survival import REGIME_THRESHOLD  # noqa: F401 - the threshold of regime_change

NAME = "leeds-savun-2007"
CITATION = (
    "Leeds, Brett Ashley and Burcu Savun. 2007. \"Terminating Alliances: Why Do States Abrogate Agreements?\" "
    "Journal of Politics 69(4): 1118-1132."
)
THREAT_TABLE = "rep_leeds_savun_threat"
FORMED = (1816, 1989)
OBS_END = 2003
DEMOCRACY_THRESHOLD = 6
ABROGATION, OTHER_END = 1, 2
CAUSE_LABELS = {ABROGATION: "abrogation (termmode 3: broken before scheduled end)", OTHER_END: "other end"}

TERMS = ["cap_change", "regime_change", "new_outside_alliance", "democracy", "issue_linkage", "threat", "asymmetric",
         "wartime"]
#: Direction the article reports (+1 raises the hazard of abrogation, -1 lowers it); None = control, no claim checked.
EXPECTED = {"cap_change": +1, "regime_change": +1, "new_outside_alliance": +1, "democracy": -1, "issue_linkage": -1,
            "threat": None, "asymmetric": None, "wartime": None}
#: Published coefficients (term -> (coef, se)); empty: not found in stored public material.
PUBLISHED: dict[str, tuple[float, float]] = {}
LABELS = {
    "cap_change": "Capability change since formation (max |log CINC ratio|)",
    "regime_change": "Regime change since formation (|dPolity2| >= 3)",
    "new_outside_alliance": "New outside alliance",
    "democracy": "Democracy (a member Polity2 >= 6)",
    "issue_linkage": "Issue linkage (economic provisions)",
    "threat": "External threat (lsthreat, max of members)",
    "asymmetric": "Major-minor asymmetry",
    "wartime": "Formed in wartime",
}


# ----------------------------------------------------------------------------------------------------- data
def panels(src=None) -> dict[str, Any]:
    """The alliance-survival table (:func:`pactwatch.panels.survival.survival_table`) this replication and bennett-1997
    use, built once: ``alliances`` (the ATOP alliance-level panel), ``member_years``, ``alliance_years`` (the table's
    alliance-years, with ``cap_change`` and ``regime_change``), ``table`` and ``src``."""
    from pactwatch.panels.survival import survival_table

    if src is None:
        from pactwatch.data.source import default_source

        src = default_source()
    t = survival_table(src)
    return {"alliances": t.panel, "member_years": t.member_years, "alliance_years": t.years, "table": t, "src": src}


def load_threat(src) -> tuple[pd.DataFrame, int]:
    """The Leeds-Savun threat table (ccode, year, lsthreat), rows without a ccode removed (their count is returned)."""
    th = src.table(THREAT_TABLE)
    miss = [c for c in ("ccode", "year", "lsthreat") if c not in th.columns]
    if miss:
        raise DataError(f"table {THREAT_TABLE!r}: missing column(s) {miss}")
    th = th[["ccode", "year", "lsthreat"]].copy()
    for c in th.columns:
        th[c] = pd.to_numeric(th[c], errors="coerce")
    no_cc = int(th["ccode"].isna().sum())
    th = th.dropna(subset=["ccode", "year"])
    th[["ccode", "year"]] = th[["ccode", "year"]].astype("int64")
    if th.duplicated(["ccode", "year"]).any():
        raise DataError(f"table {THREAT_TABLE!r}: duplicated (ccode, year) rows")
    return th, no_cc


def build(p: dict[str, Any], *, obs_end: int = OBS_END) -> tuple[pd.DataFrame, dict]:
    """Alliance-years of bilateral alliances formed 1816-1989 up to ``obs_end`` with the model columns and the
    cause code (``cause`` 0 censored / 1 abrogation / 2 other end; ``cause_term2`` the same with ATOP term = 2).
    Returns (frame, counts)."""
    a, my, ay = p["alliances"], p["member_years"], p["alliance_years"]
    counts: dict[str, Any] = {"alliances_atop": int(len(a))}
    formed = a[a["begyr"].between(*FORMED)]
    counts["alliances_formed_1816_1989"] = int(len(formed))
    bil = formed[formed["max_concurrent_members"] <= 2]
    counts["excluded_multilateral"] = int(len(formed) - len(bil))
    counts["bilateral_alliances"] = int(len(bil))
    ids = set(bil["atopid"].tolist())

    ay = ay[ay["atopid"].isin(ids) & (ay["year"] <= obs_end)].copy()
    # member-level aggregates the alliance-year panel does not carry: democracy and threat
    th, no_cc = load_threat(p["src"])
    counts["threat_rows_without_ccode"] = no_cc
    m = my[my["atopid"].isin(ids) & (my["year"] <= obs_end)][["atopid", "ccode", "year", "polity2"]]
    m = m.merge(th, on=["ccode", "year"], how="left")
    m["_dem"] = (m["polity2"] >= DEMOCRACY_THRESHOLD).astype(float).where(m["polity2"].notna())
    nop = m[m["polity2"].isna()]
    counts["polity2_missing_member_years"] = int(len(nop))
    top = nop.groupby("ccode")["year"].agg(["size", "min", "max"]).sort_values("size", ascending=False).head(3)
    counts["polity2_missing_top"] = {int(c): f"{int(r['size'])} member-years, {int(r['min'])}-{int(r['max'])}"
                                     for c, r in top.iterrows()}
    g = m.groupby(["atopid", "year"])
    size = g.size()
    dem_max, dem_known = g["_dem"].max(), g["_dem"].count()
    agg = pd.DataFrame({
        # any member democratic: 1 if some member is, NA if none is but one is unknown, else 0
        "democracy": dem_max.where((dem_max == 1) | (dem_known == size)),
        # threat: the higher of the members' values, NA unless every member has one
        "threat": g["lsthreat"].max().where(g["lsthreat"].count() == size),
    }).reset_index()
    ay = ay.merge(agg, on=["atopid", "year"], how="left")

    # cap_change (max |log CINC ratio| over members) and regime_change (|dPolity2| >= 3) come with the survival table
    ay["new_outside_alliance"] = ay["any_new_outside_alliance"].astype(float)
    ay["asymmetric"] = ay["asymmetric"].astype(float)
    al = bil.set_index("atopid")
    ay["issue_linkage"] = ay["atopid"].map(al["econ_linkage"]).astype(float)
    ay["wartime"] = ay["atopid"].map(al["wartime"]).astype(float)

    broken = al["termmode_members"].fillna("").str.split(";").map(lambda xs: any(x.endswith(":3") for x in xs))
    ended = ay["event"] == 1
    ay["cause"] = np.where(ended, np.where(ay["atopid"].map(broken), ABROGATION, OTHER_END), 0).astype(int)
    ay["cause_term2"] = np.where(ended, np.where(ay["atopid"].map(al["term"]) == 2, ABROGATION, OTHER_END), 0).astype(int)
    ay["start"] = (ay["year"] - ay["begyr"]).astype(float)
    ay["stop"] = ay["start"] + 1
    counts["alliance_years"] = int(len(ay))
    # years in which no member was in the alliance have no row (ATOP keeps such an alliance in effect: e.g. 2340
    # Saudi Arabia-Yemen, both members out 1962-1995 with termmode 3, then back): reported, no event is made up
    last = np.where(al["endyr"].notna() & (al["endyr"].astype(float) <= obs_end), al["endyr"].astype(float), obs_end)
    span = pd.Series(last - al["begyr"].to_numpy() + 1, index=al.index)
    gap = span - ay.groupby("atopid").size().reindex(al.index, fill_value=0)
    counts["member_gap_years"] = {int(k): int(v) for k, v in gap[gap > 0].items()}
    counts["ended_by_obs_end"] = int(ended.sum())
    counts["abrogations"] = int((ay["cause"] == ABROGATION).sum())
    counts["other_ends"] = int((ay["cause"] == OTHER_END).sum())
    counts["abrogations_term2"] = int((ay["cause_term2"] == ABROGATION).sum())
    counts["censored_in_effect"] = int(len(ids) - ended.sum())
    return ay.reset_index(drop=True), counts


# ---------------------------------------------------------------------------------------------------- model
def fit(df: pd.DataFrame, cause_col: str = "cause"):
    """Cause-specific Cox (abrogation vs other ends) on the alliance-years; rows with a missing covariate dropped."""
    from pactwatch.models import CauseSpecificCox

    return CauseSpecificCox(causes=[ABROGATION, OTHER_END], cause_labels=CAUSE_LABELS, missing="drop").fit(
        df, event_col=cause_col, covariates=TERMS, id_col="atopid", start_col="start", stop_col="stop")


def _rows(model, cause: int) -> list[dict]:
    s = model.models_[cause].summary
    out = []
    for term in TERMS:
        r = s.loc[term]
        exp = EXPECTED[term] if cause == ABROGATION else None
        coef = float(r["coef"])
        pub = PUBLISHED.get(term) if cause == ABROGATION else None
        out.append({
            "term": term, "label": LABELS[term], "coef": coef, "se": float(r["se"]), "se_naive": float(r["se_naive"]),
            "hazard_ratio": float(r["exp(coef)"]), "p": float(r["p"]),
            "expected_sign": None if exp is None else ("+" if exp > 0 else "-"),
            "sign_matches": None if exp is None else bool(np.sign(coef) == exp),
            "published_coef": None if pub is None else pub[0], "published_se": None if pub is None else pub[1],
        })
    return out


def analyze(p: dict[str, Any]) -> dict[str, Any]:
    """Build the sample, fit both cause definitions, return the JSON-ready result."""
    df, counts = build(p)
    need = ["atopid", "start", "stop", "cause", *TERMS]
    na = df[need].isna().any(axis=1)
    counts["n_dropped_missing"] = int(na.sum())
    counts["events_dropped_missing"] = {
        "abrogation": int((na & (df["cause"] == ABROGATION)).sum()),
        "other_end": int((na & (df["cause"] == OTHER_END)).sum())}
    counts["na_by_covariate"] = {c: int(df[c].isna().sum()) for c in TERMS if df[c].isna().any()}
    main = fit(df, "cause")
    sens = fit(df, "cause_term2")
    ab = _rows(main, ABROGATION)
    checked = [r for r in ab if r["sign_matches"] is not None]
    return {
        "name": NAME, "citation": CITATION,
        "unit": "alliance-year of a bilateral ATOP 5.1 alliance (dyad-year), age in years, rows (age, age+1]",
        "sample": f"bilateral alliances (never > 2 members at once) formed {FORMED[0]}-{FORMED[1]}, observed to "
                  f"31 Dec {OBS_END}",
        "event": "abrogation = an end with member termmode 3 (broken before its scheduled termination); other ends "
                 "censored (cause-specific Cox)",
        "se_type": main.models_[ABROGATION].se_type_, "ties": "efron",
        "n": int(main.n_rows_), "n_alliances": int(main.n_subjects_), "events": main.events_by_cause_,
        "counts": counts, "published_available": bool(PUBLISHED),
        "coefficients": ab,
        "signs_matching": f"{sum(r['sign_matches'] for r in checked)}/{len(checked)}",
        "other_end": _rows(main, OTHER_END),
        "sensitivity_term2": {"event": "ATOP alliance-level term = 2 (violation)", "events": sens.events_by_cause_,
                              "coefficients": _rows(sens, ABROGATION)},
        "notes": [
            "published: not available - the article's coefficient table was not found in stored public material; "
            "directions are the ones its abstract reports.",
            f"{counts['n_dropped_missing']} alliance-years dropped for a missing covariate "
            f"({counts['events_dropped_missing']['abrogation']} abrogations, "
            f"{counts['events_dropped_missing']['other_end']} other ends among them); by covariate: "
            f"{counts['na_by_covariate']}.",
            f"Polity2 missing for {counts['polity2_missing_member_years']} member-years in the source "
            f"(cw_democracy); most: {counts['polity2_missing_top']} (ccode: count, years) - these make democracy / "
            "regime change NA, never 0.",
            f"{counts['excluded_multilateral']} alliances formed 1816-1989 excluded as multilateral; "
            f"{counts['threat_rows_without_ccode']} threat rows without a ccode ignored.",
            "Years without any member have no row (ATOP keeps those alliances in effect; a break then is no event "
            f"here): {counts['member_gap_years']} (atopid: missing years).",
        ],
    }


def run(src=None) -> dict[str, Any]:
    """Build the panels from ``src`` and run the replication (JSON-ready: NaN -> None)."""
    from pactwatch.models.base import jsonable

    return jsonable(analyze(panels(src)))


def _fmt(x, nd=3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{nd}f}"


def render(result: dict[str, Any]):
    from rich.table import Table

    t = Table(title=f"{result['name']}: cause-specific Cox, hazard of abrogation (N = {result['n']} alliance-years, "
                    f"{result['n_alliances']} alliances, {result['events'].get(ABROGATION, result['events'].get(str(ABROGATION)))} abrogations)",
              title_justify="left")
    for col, just in [("term", "left"), ("coef", "right"), ("se (cl.)", "right"), ("HR", "right"), ("p", "right"),
                      ("expected", "center"), ("sign ok", "center"), ("published coef", "right"),
                      ("coef, term=2", "right")]:
        t.add_column(col, justify=just)
    sens = {r["term"]: r for r in result["sensitivity_term2"]["coefficients"]}
    for r in result["coefficients"]:
        ok = "n/a" if r["sign_matches"] is None else ("yes" if r["sign_matches"] else "NO")
        t.add_row(r["label"], _fmt(r["coef"]), _fmt(r["se"]), _fmt(r["hazard_ratio"]), _fmt(r["p"]),
                  r["expected_sign"] or "", ok, _fmt(r["published_coef"]), _fmt(sens[r["term"]]["coef"]))
    t.caption = "\n".join([result["citation"], "Unit: " + result["unit"], "Sample: " + result["sample"],
                           "Event: " + result["event"], f"SEs: {result['se_type']}; ties: {result['ties']}",
                           f"Signs matching the published directions: {result['signs_matching']}", *result["notes"]])
    t.caption_justify = "left"
    return t


REPLICATION = {
    "name": NAME,
    "run": run,
    "render": render,
    "summary": "Leeds & Savun 2007: cause-specific Cox of abrogation among bilateral ATOP alliances formed 1816-1989; "
               "signs vs the published directions.",
}
