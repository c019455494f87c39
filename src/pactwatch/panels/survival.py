"""The alliance-survival table: ATOP 5.1 alliances and alliance-years with outcome, age clock and covariates, built once.

Model evaluation (:mod:`pactwatch.models.evaluation`), the forecasts (:mod:`pactwatch.scenarios.training`) and the
replications (:mod:`pactwatch.replications.leeds_savun`, :mod:`pactwatch.replications.bennett`) all take their rows from
:func:`survival_table`; the counting-process rows of the time-varying models come from :func:`follow_up` and
:func:`counting_process`. The rules (unit, clock, entry, censoring, events, covariates and their timing) are stated once,
in :func:`survival_table`'s docstring.

Event definitions (:data:`EVENT_DEFINITIONS`; every result states which one it uses)
--------------------------------------------------------------------------------------
``any-end``      the alliance ended by any means before 31 Dec 2018 (ATOP ``ineffect`` = 0). 417 events.
``atop``         ATOP's own rule: ended with ``term`` 1–3; endings by a member's loss of independence for reasons
                 unrelated to the alliance (``term`` = 0 while ended, 49 alliances) are censored at their end. 368 events.
``death``        ended *and not replaced* by a new agreement among the members: an ending whose members' termination
                 mode is "replaced by a new agreement among the members" (``termmode`` = 2) or whose termination cause is
                 "replaced by a new agreement" (``termcaus`` = 1) is censored at its end date — the relationship
                 continues under another treaty (codebook 5.1, TERMMODE/TERMCAUS and section 1.52; for multi-phase
                 alliances ATOP codes a renegotiated phase the same way). Loss of independence and lost wars count as
                 deaths here (the relationship did end), unlike ``atop``. 295 events.
``violation``, ``fulfilment``, ``replacement``, ``other``
                 cause-specific: the event is an ending by that cause (:data:`CAUSES`); endings by any other cause are
                 censored at the time they happen (cause-specific hazard).

``breach``, ``lapse``, ``state-death``, ``not-replaced``
                 issue 13's competing risks: (a) abrogation, violation or breach (cause 1), (b) lapse, moot or purpose
                 fulfilled (cause 2), (c) state death or war lost (cause 4), and "ends for any reason but replacement"
                 (causes 1, 2, 4; the same indicator as ``death`` on alliances). On replacement-merged spells
                 (:func:`replacement_spells`) a linked replacement is no ending: the relationship continues in the
                 successor's spell; only unlinked replacements (cause 3) are censored at their end.

Replacement links (:func:`replacement_links`). ATOP has no successor identifier. A predecessor ending by replacement
(cause 3) is linked to the ATOP alliance whose founding members are exactly the members still in the predecessor when
it ended and which begins within 366 days of the predecessor's end (before or after it); the closest in time wins.
ATOP 5.1: 122 replacements, 80 linked, 42 unlinked; 709 spells, 65 with successors, chains up to 3 treaties.

Causes (:func:`termination_cause`), from the member-level codes of the members still in the alliance when it ended
(``termmode_final`` / ``termcaus_final`` of :func:`~pactwatch.panels.alliances.alliances`: modal code, ties to the
smallest code):

1. violation / abrogation: ``termmode`` 3 (broken before its scheduled termination date)
2. fulfilment / expiry: ``termmode`` 1 (not renewed at its scheduled date) or 5 (casus foederis ceased: moot)
3. replacement: ``termmode`` 2 or ``termcaus`` 1 (replaced by / renegotiated into a new agreement) — takes precedence
4. other: ``termmode`` 4 (a member lost independence) or 6 (terminated by the loss of a war)
0. censored (in effect on 31 Dec 2018)

In ATOP 5.1 this gives 161 / 69 / 122 / 65 endings; cause 3 coincides with ATOP's alliance-level ``term`` = 3.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE, LAST_YEAR, OBLIGATIONS
from pactwatch.data.source import DataSource
from pactwatch.errors import PactwatchError
from pactwatch.panels import alliances as AL
from pactwatch.panels import conflict
from pactwatch.panels.base import get_source

#: Days per year of the age clock (time since the begin date in days / 365.25).
DAYS_PER_YEAR = 365.25
#: A member's Polity2 moved this many points or more since its entry: a regime change (Polity's own threshold for a
#: regime transition; Leeds & Savun 2007, Bennett 1997).
REGIME_THRESHOLD = 3

# --------------------------------------------------------------------------------------------------------- events
#: Cause codes for the competing ways an alliance ends (0 = censored).
CAUSES = {1: "violation/abrogation", 2: "fulfilment/expiry", 3: "replacement by a new agreement",
          4: "other (loss of independence, war lost)"}


@dataclass(frozen=True)
class EventDefinition:
    name: str
    description: str
    kind: str  # "all" | "cause"
    causes: tuple[int, ...] = ()  # for kind="cause": the cause codes counted as the event


EVENT_DEFINITIONS: dict[str, EventDefinition] = {
    "any-end": EventDefinition("any-end", "alliance ended by any means (ATOP ineffect = 0); censored 31 Dec 2018", "all"),
    "atop": EventDefinition("atop", "ATOP's rule: ended with term 1-3; loss of independence unrelated to the alliance "
                            "(term 0) censored at its end", "all"),
    "death": EventDefinition("death", "ended and not replaced by a new agreement among the members (termmode 2 / "
                             "termcaus 1 endings censored at their end)", "cause", (1, 2, 4)),
    "violation": EventDefinition("violation", "cause-specific: violation/abrogation (termmode 3); other endings censored",
                                 "cause", (1,)),
    "fulfilment": EventDefinition("fulfilment", "cause-specific: fulfilment/expiry (termmode 1 or 5, not replaced); other "
                                  "endings censored", "cause", (2,)),
    "replacement": EventDefinition("replacement", "cause-specific: replaced by a new agreement (termmode 2 or termcaus 1); "
                                   "other endings censored", "cause", (3,)),
    "other": EventDefinition("other", "cause-specific: loss of independence or war lost (termmode 4 or 6); other endings "
                             "censored", "cause", (4,)),
}
# issue 13's competing risks, named as the forecast reports them: the same cause codes as the definitions above (one
# home for which codes count), under these names; on replacement-merged spells (:func:`replacement_spells`) a linked
# replacement is no ending at all, only unlinked ones are censored
for _name, _same, _what in (
        ("breach", "violation", "cause-specific (a): abrogation, violation or breach (termmode 3); other endings censored"),
        ("lapse", "fulfilment", "cause-specific (b): lapse, moot or purpose fulfilled (termmode 1 or 5, not replaced); "
                                "other endings censored"),
        ("state-death", "other", "cause-specific (c): state death or war lost (termmode 4 or 6); other endings censored"),
        ("not-replaced", "death", "ends for any reason but replacement (causes a, b, c; replacement by a new agreement "
                                  "among the members censored)")):
    EVENT_DEFINITIONS[_name] = replace(EVENT_DEFINITIONS[_same], name=_name, description=_what)
del _name, _same, _what

#: The competing causes of issue 13 (cause code -> event definition), in report order; 3 (replacement) is no event.
COMPETING_CAUSES = {1: "breach", 2: "lapse", 4: "state-death"}


def event_definition(name: str) -> EventDefinition:
    if name not in EVENT_DEFINITIONS:
        raise PactwatchError(f"unknown event definition {name!r}; choose one of {', '.join(EVENT_DEFINITIONS)}")
    return EVENT_DEFINITIONS[name]


def termination_cause(al: pd.DataFrame) -> pd.Series:
    """Cause code 0–4 (see :data:`CAUSES`) per alliance, from ``event``, ``termmode_final`` and ``termcaus_final``.

    An ended alliance whose final termination mode is missing or outside 1–6 raises (it cannot be classified)."""
    need = ["event", "termmode_final", "termcaus_final"]
    miss = [c for c in need if c not in al.columns]
    if miss:
        raise PactwatchError(f"termination_cause: columns {miss} missing; pass the frame from panels.alliances.alliances()")
    ended = al["event"] == 1
    tm = al["termmode_final"]
    tc = al["termcaus_final"]
    bad = ended & (tm.isna() | ~tm.isin([1, 2, 3, 4, 5, 6]))
    if bad.any():
        ids = al.loc[bad, "atopid"].tolist()[:5] if "atopid" in al.columns else []
        raise PactwatchError(f"termination_cause: {int(bad.sum())} ended alliance(s) without a usable termmode (e.g. {ids})")
    cause = pd.Series(0, index=al.index, dtype="int64")
    cause[ended & (tm == 3)] = 1
    cause[ended & tm.isin([1, 5])] = 2
    cause[ended & tm.isin([4, 6])] = 4
    cause[ended & ((tm == 2) | (tc == 1).fillna(False))] = 3  # replacement takes precedence
    return cause


def event_indicator(al: pd.DataFrame, definition: str) -> pd.Series:
    """0/1 event under ``definition`` for one row per alliance (needs ``event``, ``event_atop`` and ``cause``)."""
    d = event_definition(definition)
    if d.name == "any-end":
        return al["event"].astype("int64")
    if d.name == "atop":
        return al["event_atop"].astype("int64")
    return al["cause"].isin(d.causes).astype("int64")


# ----------------------------------------------------------------------------------------------------- covariates
#: Covariates measured at formation, one value per alliance (columns of :attr:`SurvivalTable.alliances`).
FORMATION_COVARIATES = (*OBLIGATIONS, "bilateral", "log_members", "any_major", "asymmetric", "dem_share", "wartime",
                        "fixed_term", "conditional_term", "renounce_clause", "econ_linkage", "shared_rival")
#: Time-varying covariates the model specifications use, one value per alliance-year (columns of
#: :attr:`SurvivalTable.years`, besides every column of :func:`~pactwatch.panels.alliances.alliance_years`).
TIME_VARYING_COVARIATES = ("max_cinc_change", "cap_change", "max_abs_polity2_change", "regime_change", "any_at_war",
                           "at_war_x_wartime", "any_leader_change", "any_new_outside_alliance", "shared_rivals")
#: The alliance-level columns of :attr:`SurvivalTable.alliances` besides the formation covariates.
OUTCOME_COLUMNS = ["atopid", "begin", "end", "begyr", "event", "event_atop", "duration_years", "termmode_final",
                   "termcaus_final"]


def formation_covariates(al: pd.DataFrame, member_years: pd.DataFrame, years: pd.DataFrame,
                         phase1: pd.DataFrame) -> pd.DataFrame:
    """One row per alliance (index atopid) with :data:`FORMATION_COVARIATES` (NA kept; see :func:`survival_table`).

    ``al``/``member_years``/``years``: :func:`~pactwatch.panels.alliances.alliances`, ``alliance_member_years``,
    ``alliance_years``; ``phase1``: :func:`~pactwatch.panels.alliances.first_phase`."""
    p1 = phase1.reindex(al["atopid"])
    out = pd.DataFrame(index=pd.Index(al["atopid"].to_numpy(), name="atopid"))
    for c in (*OBLIGATIONS, "wartime"):
        out[c] = (p1[c] > 0).astype(float).where(p1[c].notna()).to_numpy()
    out["fixed_term"] = (p1["speclgth"] == 1).astype(float).where(p1["speclgth"].notna()).to_numpy()
    out["conditional_term"] = (p1["speclgth"] == 2).astype(float).where(p1["speclgth"].notna()).to_numpy()
    out["renounce_clause"] = p1["renounce"].isin([1, 2, 3]).astype(float).where(p1["renounce"].notna()).to_numpy()
    pos = (p1["ecaid"] > 0) | (p1["compag"] == 2) | (p1["agprois"] == 2)
    known = p1[["ecaid", "compag", "agprois"]].notna().all(axis=1)
    out["econ_linkage"] = np.where(pos, 1.0, np.where(known, 0.0, np.nan))
    a = al.set_index("atopid")
    out["bilateral"] = a["bilat_at_formation"].astype("Float64").astype(float)
    out["log_members"] = np.log(a["n_members_formation"].astype("Float64").astype(float))
    f = years[years["year"] == years["begyr"]].set_index("atopid")
    for c, src_c in (("any_major", "any_major"), ("asymmetric", "asymmetric"), ("shared_rival", "any_shared_rival")):
        out[c] = f[src_c].reindex(out.index).astype("Float64").astype(float)
    my = member_years.merge(al[["atopid", "begyr"]], on="atopid")
    my = my[my["year"] == my["begyr"]]
    dem = (my["polity2"] >= 6).astype(float).where(my["polity2"].notna())
    out["dem_share"] = dem.groupby(my["atopid"]).mean().reindex(out.index)
    return out


# ------------------------------------------------------------------------------------------ extended covariates
#: Tables the extended covariates (:func:`add_extended_covariates`, ``survival_table(extended=True)``) read besides
#: those of the base table. A cache keyed by the data files (``scenarios.training.DATA_TABLES``) must add them.
EXTENDED_TABLES = ("ucdp_acd", "rivalry/peacedata3.1.csv", "rep_leeds_savun_threat", "gml_mid_ddydisps", "cow_war_inter",
                   "archigos", "cw_democracy")
#: Extended UDS change since entry counted as a regime change. Chosen once (on ATOP 5.1 alliance-years 1816–2018 where
#: both are observed) so that ``regime_change_euds`` flags the same share of alliance-years as the Polity rule
#: (``regime_change``, |ΔPolity2| >= 3): 41.8% of the 15,407 alliance-years with both (the 58.2% quantile of the
#: change is 0.371); the two rules agree on 80% of those years.
EUDS_THRESHOLD = 0.37
#: Peace-scale levels counted as rivalry (Goertz, Diehl & Balas 2016): severe rivalry 0 and lesser rivalry 0.25; the
#: midpoints of transitions (0.125, 0.375) go to the more hostile class.
PEACE_SEVERE_MAX = 0.125
PEACE_RIVAL_MAX = 0.375
#: The window for a common MID opponent: the MID was under way in year Y or in one of the nine years before it.
MID_WINDOW_YEARS = 10

#: The extended time-varying covariates (columns of :attr:`SurvivalTable.years` when built with ``extended=True``).
EXTENDED_COVARIATES = ("any_at_war_ucdp", "any_at_war_ucdp_war", "any_at_war_ucdp_interstate", "any_at_war_cow_ucdp",
                       "at_war_cow_ucdp_x_wartime",
                       "max_abs_euds_change", "regime_change_euds", "n_shared_gdb_rivals", "n_shared_severe_rivals",
                       "shared_rival_grade", "max_member_severe_rivals", "lsthreat_max", "common_mid_opponent_10y",
                       "war_ended_0_2", "any_irregular_leader_entry")
#: Covariates that measure change since the member's entry: 0 by construction in the formation year, so their
#: one-year lag in the formation year is that value (no information from the outcome's year enters: see
#: :func:`add_lags`).
CHANGE_SINCE_ENTRY = ("max_cinc_change", "cap_change", "max_abs_polity2_change", "regime_change",
                      "max_abs_polyarchy_change", "max_abs_euds_change", "regime_change_euds")
#: Further alliance-year columns that vary over time and are lagged too.
OTHER_TIME_VARYING = ("n_members", "any_major", "asymmetric", "min_cinc_ratio", "max_cinc_ratio",
                      "max_abs_polyarchy_change", "any_leader_change_nondem", "any_shared_rival")


def _any_over_members(my: pd.DataFrame, col: str) -> pd.Series:
    """1 if some member has 1, NA if none has 1 but some member is NA, else 0 (the rule of ``alliance_years``)."""
    v = my[col]
    one = (v == 1).fillna(False).astype("int64").groupby([my["atopid"], my["year"]]).max()
    na = v.isna().astype("int64").groupby([my["atopid"], my["year"]]).max()
    return one.astype(float).mask((one == 0) & (na == 1))


def _shared_third(co: pd.DataFrame, rel: pd.DataFrame, name: str) -> pd.DataFrame:
    """Per (atopid, ccode, year): the number of third states related by ``rel`` (ccode1, ccode2, year) to this member
    and to another current member (the pairing of ``alliance_member_years``' shared rivals)."""
    pairs = co.merge(co.rename(columns={"ccode": "other"}), on=["atopid", "year"])
    pairs = pairs[pairs["ccode"] != pairs["other"]]
    r1 = pairs.merge(rel.rename(columns={"ccode1": "ccode", "ccode2": "third"}), on=["ccode", "year"])
    r2 = r1.merge(rel.rename(columns={"ccode1": "other", "ccode2": "third"}), on=["other", "third", "year"])
    r2 = r2[r2["third"] != r2["other"]]
    return r2.groupby(["atopid", "ccode", "year"])["third"].nunique().rename(name).reset_index()


def _formation_war_end(s: DataSource, a: pd.DataFrame, my: pd.DataFrame, ucdp: pd.DataFrame) -> pd.DataFrame:
    """For each alliance formed in wartime (ATOP ``wartime``): the end year of the war(s) its founding members fought
    in the formation year — COW inter-state wars (the last year any participant was in the war), else UCDP/PRIO
    conflicts of types 2/4 (the last year the conflict appears; NA while it is still active in 2022). Columns atopid,
    war_end_year, war_source ("cow", "ucdp", or "none" when no war of a founding member is found)."""
    wy = AL._war_years(s)
    x = wy.assign(war=wy["war_nums"].str.split(";")).explode("war")
    war_end = x.groupby("war")["year"].max()
    f = my[["atopid", "ccode", "year", "entry_year"]].merge(a[["atopid", "begyr"]], on="atopid")
    f = f[(f["year"] == f["begyr"]) & (f["entry_year"] == f["begyr"])]
    w = a.loc[a["wartime"] == 1, ["atopid", "begyr"]]
    fw = f[f["atopid"].isin(w["atopid"])].merge(wy, on=["ccode", "year"], how="left")
    fw = fw.assign(war=fw["war_nums"].str.split(";")).explode("war")
    fw["end"] = fw["war"].map(war_end)
    cow = fw.groupby("atopid")["end"].max()
    fu = f[f["atopid"].isin(w["atopid"])].merge(ucdp[["ccode", "year", "ucdp_conflict_ids"]], on=["ccode", "year"])
    fu = fu.assign(cid=fu["ucdp_conflict_ids"].str.split(";")).explode("cid")
    u = ucdp.assign(cid=ucdp["ucdp_conflict_ids"].str.split(";")).explode("cid")
    cend = u.groupby("cid")["year"].max()
    cend = cend.where(cend < conflict.UCDP_COVERAGE[1])  # still active in the last year: no end observed
    fu["end"] = fu["cid"].map(cend)
    fu["_ongoing"] = fu["end"].isna()
    ug = fu.groupby("atopid")
    ucdp_end = ug["end"].max().where(~ug["_ongoing"].any())
    out = w[["atopid"]].copy()
    out["war_end_year"] = out["atopid"].map(cow)
    out["war_source"] = np.where(out["war_end_year"].notna(), "cow", "none")
    has_u = out["war_end_year"].isna() & out["atopid"].isin(fu["atopid"])
    out.loc[has_u, "war_end_year"] = out.loc[has_u, "atopid"].map(ucdp_end)
    out.loc[has_u, "war_source"] = "ucdp"
    return out


def extended_member_values(src: DataSource | None, keys: pd.DataFrame, *, parts=("ucdp", "euds", "irregular"),
                           ucdp: pd.DataFrame | None = None) -> pd.DataFrame:
    """The member-level values behind :func:`add_extended_covariates`, for ``keys`` (columns ccode, year, entry_year,
    plus any others, kept): ``ucdp`` — ``ucdp_conflict``, ``ucdp_war``, ``ucdp_interstate_war_year`` (0 in years of
    :data:`~pactwatch.panels.conflict.UCDP_COVERAGE` without a conflict, NA outside it) and ``at_war_cow_ucdp`` (COW
    ``at_war`` to 2007 when ``keys`` has it, ``ucdp_interstate_war_year`` 2008–2022); ``euds`` — ``euds``,
    ``euds_entry`` and ``abs_euds_change``; ``irregular`` — ``irregular_entry`` (Archigos). The survival table and
    the direct cases of the forecasts (:mod:`pactwatch.panels.state`) both call this one function."""
    s = get_source(src)
    m = keys
    if "ucdp" in parts:
        u = conflict.ucdp_state_years(s) if ucdp is None else ucdp
        m = m.merge(u[["ccode", "year", "ucdp_conflict", "ucdp_war", "ucdp_interstate_war_year"]], on=["ccode", "year"],
                    how="left")
        inu = m["year"].between(*conflict.UCDP_COVERAGE)
        for c in ("ucdp_conflict", "ucdp_war", "ucdp_interstate_war_year"):
            m[c] = m[c].fillna(0).where(inu)
        if "at_war" in m.columns:
            cow = m["at_war"].astype("Float64").astype(float)
            m["at_war_cow_ucdp"] = np.where(m["year"] <= conflict.COW_INTER_COVERAGE[1], cow, m["ucdp_interstate_war_year"])
    if "euds" in parts:
        dem = s.table("cw_democracy")[["ccode", "year", "euds"]].dropna(subset=["ccode", "year"]).astype({"ccode": "int64", "year": "int64"})
        m = m.merge(dem, on=["ccode", "year"], how="left")
        m = m.merge(dem.rename(columns={"year": "entry_year", "euds": "euds_entry"}), on=["ccode", "entry_year"], how="left")
        m["abs_euds_change"] = (m["euds"] - m["euds_entry"]).abs()
    if "irregular" in parts:
        irr = AL.irregular_leader_entries(s)
        m = m.merge(irr, on=["ccode", "year"], how="left")
    return m


def peace_rival_relations(src: DataSource | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Directed (ccode1, ccode2, year) rivalry dyad-years of the Goertz–Diehl–Balas peace scale: (lesser or severe,
    severe) — levels up to :data:`PEACE_RIVAL_MAX` / :data:`PEACE_SEVERE_MAX`."""
    ps = conflict.peace_scale_years(get_source(src))
    riv = ps.loc[ps["peace_min"] <= PEACE_RIVAL_MAX, ["ccode1", "ccode2", "year"]]
    sev = ps.loc[ps["peace_min"] <= PEACE_SEVERE_MAX, ["ccode1", "ccode2", "year"]]
    return riv, sev


def mid_window_relation(src: DataSource | None = None) -> pd.DataFrame:
    """Directed (ccode1, ccode2, year): ccode2 was a GML MID opponent of ccode1 in year Y or one of the
    :data:`MID_WINDOW_YEARS` − 1 years before it."""
    mo = conflict.mid_opponent_years(get_source(src))
    k = MID_WINDOW_YEARS
    wide = pd.concat([mo.assign(year=mo["year"] + j) for j in range(k)], ignore_index=True).drop_duplicates()
    return wide.rename(columns={"opponent": "ccode2", "ccode": "ccode1"})[["ccode1", "ccode2", "year"]]


def add_extended_covariates(years: pd.DataFrame, member_years: pd.DataFrame, alliances: pd.DataFrame,
                            src: DataSource | None = None) -> tuple[pd.DataFrame, dict]:
    """Add :data:`EXTENDED_COVARIATES` to the alliance-years (each describes calendar year Y from data dated Y or
    earlier; NA outside its source's coverage, never 0). Returns (years, counts).

    War
        ``any_at_war_ucdp``: a member took part (primary party or a state with troops on a side) in a UCDP/PRIO
        inter-state (type 2) or internationalised intra-state (type 4) armed conflict in Y (>= 25 battle deaths;
        1946–2022; :func:`pactwatch.panels.conflict.ucdp_state_years`, GW→COW by
        :data:`pactwatch.panels.conflict.UCDP_GW_TO_COW`). ``any_at_war_ucdp_war``: the same, counting only conflicts
        that have passed 1,000 battle deaths in their episode (``cumulative_intensity`` 1).
        ``any_at_war_ucdp_interstate``: a member took part in an inter-state conflict (type 2) with >= 1,000 battle
        deaths in Y. ``any_at_war_cow_ucdp``: COW's ``any_at_war`` to 2007, ``any_at_war_ucdp_interstate`` for
        2008–2022 — the UCDP definition that best reproduces COW's war status on the 9,718 alliance-years 1946–2007
        both cover (agreement 96%, Cohen's kappa 0.72; COW 8.1% at war, UCDP 6.6%). The brief's broad definition
        (types 2 and 4, every participant, >= 25 deaths) agrees with COW on 69% only (kappa 0.23: 38% at war), because
        internationalised civil wars list every state with troops on a side (ISAF, the anti-IS coalition, AMISOM),
        so it is kept as its own covariate and not spliced onto COW. ``at_war_cow_ucdp_x_wartime`` = it × ``wartime``. ``war_ended_0_2``: the alliance was formed in
        wartime and the war its founding members fought in the formation year (:func:`_formation_war_end`) ended in
        Y, Y−1 or Y−2; 0 for other alliances and years (wartime alliances whose war is not found in COW or UCDP are 0,
        counted as ``wartime_without_war``; NA in years after the war's source ends while its end is unobserved).
    Regime
        ``max_abs_euds_change``: largest |extended UDS − extended UDS at the member's entry| (Marquez 2016, in
        ``regime/cw_democracy.csv``, 1816–2025; reaches past Polity5's 2018), ``regime_change_euds`` (>=
        :data:`EUDS_THRESHOLD`). ``any_irregular_leader_entry``: a leader of a member entered office irregularly or by
        foreign imposition in Y (Archigos 4.1 ``entry``, 1875–2015). (Leader change in a non-democracy is
        ``any_leader_change_nondem`` of the base table.)
    Threat
        Goertz–Diehl–Balas peace scale 3.1 (1900–2020): ``n_shared_gdb_rivals`` / ``n_shared_severe_rivals`` (largest
        count over members of third states that are rivals — lesser or severe / severe — of the member and of another
        member in Y), ``shared_rival_grade`` (2 a shared severe rival, 1 a shared lesser one, 0 none),
        ``max_member_severe_rivals`` (largest count of a member's severe rivals outside the alliance).
        ``lsthreat_max``: the Leeds–Savun threat score, the largest over members (NA unless every member has one;
        1816–2008). ``common_mid_opponent_10y``: a third state had a GML MID with a member and with another member,
        each under way within Y−9..Y (GML 2.2.1, window needs 1816–2010: NA after 2010).
    """
    s = get_source(src)
    y = years.copy()
    my = member_years[["atopid", "ccode", "year", "entry_year"]].copy()
    counts: dict = {}
    a = alliances.set_index("atopid")

    # UCDP/PRIO war
    u = conflict.ucdp_state_years(s)
    m = extended_member_values(s, my, parts=("ucdp",), ucdp=u)
    agg = pd.DataFrame({"any_at_war_ucdp": _any_over_members(m, "ucdp_conflict"),
                        "any_at_war_ucdp_war": _any_over_members(m, "ucdp_war"),
                        "any_at_war_ucdp_interstate": _any_over_members(m, "ucdp_interstate_war_year")}).reset_index()
    y = y.merge(agg, on=["atopid", "year"], how="left")
    cow = y["any_at_war"].astype("Float64").astype(float)
    y["any_at_war_cow_ucdp"] = np.where(y["year"] <= conflict.COW_INTER_COVERAGE[1], cow,
                                        y["any_at_war_ucdp_interstate"])
    y["at_war_cow_ucdp_x_wartime"] = y["any_at_war_cow_ucdp"] * y["atopid"].map(a["wartime"]).to_numpy()
    counts["alliance_years_war_from_ucdp"] = int((cow.isna() & y["any_at_war_cow_ucdp"].notna()).sum())
    counts["alliance_years_at_war_from_ucdp"] = int((cow.isna() & (y["any_at_war_cow_ucdp"] == 1)).sum())

    # formation war ended 0-2 years ago
    fe = _formation_war_end(s, alliances, member_years, u).set_index("atopid")
    counts["wartime_alliances"] = int(len(fe))
    counts["wartime_war_from_cow"] = int((fe["war_source"] == "cow").sum())
    counts["wartime_war_from_ucdp"] = int((fe["war_source"] == "ucdp").sum())
    counts["wartime_without_war"] = int((fe["war_source"] == "none").sum())
    end = y["atopid"].map(fe["war_end_year"])
    src_ = y["atopid"].map(fe["war_source"])
    since = y["year"] - end
    v = since.between(0, 2).astype(float)
    unobserved = (src_ == "ucdp") & end.isna() & (y["year"] > conflict.UCDP_COVERAGE[1])
    y["war_ended_0_2"] = v.mask(unobserved)

    # regime: extended UDS
    m = extended_member_values(s, my, parts=("euds",))
    ch = m.groupby(["atopid", "year"])["abs_euds_change"].max().rename("max_abs_euds_change").reset_index()
    y = y.merge(ch, on=["atopid", "year"], how="left")
    y["regime_change_euds"] = (y["max_abs_euds_change"] >= EUDS_THRESHOLD).astype(float).where(y["max_abs_euds_change"].notna())

    # irregular leader entry
    m = extended_member_values(s, my, parts=("irregular",))
    y = y.merge(_any_over_members(m, "irregular_entry").rename("any_irregular_leader_entry").reset_index(),
                on=["atopid", "year"], how="left")

    # peace scale
    riv, sev = peace_rival_relations(s)
    co = my[["atopid", "ccode", "year"]]
    n1 = _shared_third(co, riv, "n_gdb")
    n2 = _shared_third(co, sev, "n_sev")
    own = co.merge(sev.rename(columns={"ccode1": "ccode", "ccode2": "third"}), on=["ccode", "year"])
    own = own.merge(co.rename(columns={"ccode": "third"}).assign(_in=1), on=["atopid", "third", "year"], how="left")
    own = own[own["_in"].isna()].groupby(["atopid", "ccode", "year"])["third"].nunique().rename("n_own").reset_index()
    m = co.merge(n1, on=["atopid", "ccode", "year"], how="left").merge(n2, on=["atopid", "ccode", "year"], how="left")
    m = m.merge(own, on=["atopid", "ccode", "year"], how="left")
    g = m.fillna({"n_gdb": 0, "n_sev": 0, "n_own": 0}).groupby(["atopid", "year"])
    pz = pd.DataFrame({"n_shared_gdb_rivals": g["n_gdb"].max(), "n_shared_severe_rivals": g["n_sev"].max(),
                       "max_member_severe_rivals": g["n_own"].max()}).reset_index()
    y = y.merge(pz, on=["atopid", "year"], how="left")
    inp = y["year"].between(*conflict.PEACE_SCALE_COVERAGE)
    for c in ("n_shared_gdb_rivals", "n_shared_severe_rivals", "max_member_severe_rivals"):
        y[c] = y[c].where(inp)
    y["shared_rival_grade"] = np.where(y["n_shared_severe_rivals"] > 0, 2.0,
                                       np.where(y["n_shared_gdb_rivals"] > 0, 1.0, 0.0))
    y["shared_rival_grade"] = y["shared_rival_grade"].where(inp)

    # Leeds-Savun threat
    th = s.table("rep_leeds_savun_threat")
    counts["lsthreat_rows_without_ccode"] = int(th["ccode"].isna().sum())
    th = th.dropna(subset=["ccode"]).astype({"ccode": "int64", "year": "int64"})[["ccode", "year", "lsthreat"]]
    m = my.merge(th, on=["ccode", "year"], how="left")
    g = m.groupby(["atopid", "year"])["lsthreat"]
    lt = g.max().where(g.count() == g.size()).rename("lsthreat_max").reset_index()
    y = y.merge(lt, on=["atopid", "year"], how="left")

    # common MID opponent within ten years
    wide = mid_window_relation(s)
    cm = _shared_third(co, wide[["ccode1", "ccode2", "year"]], "n_common")
    g = co.merge(cm, on=["atopid", "ccode", "year"], how="left").fillna({"n_common": 0}).groupby(["atopid", "year"])["n_common"].max()
    y = y.merge((g > 0).astype(float).rename("common_mid_opponent_10y").reset_index(), on=["atopid", "year"], how="left")
    lo, hi = conflict.GML_COVERAGE
    y["common_mid_opponent_10y"] = y["common_mid_opponent_10y"].where(y["year"].between(lo, hi))
    return y, counts


# ---------------------------------------------------------------------------------------------------------- lags
LAG_SUFFIX = "_lag1"


def lag_name(col: str) -> str:
    return f"{col}{LAG_SUFFIX}"


def lag_base(col: str) -> str | None:
    """``c`` for a lagged covariate ``c_lag1`` (the inverse of :func:`lag_name`), else None."""
    return col[:-len(LAG_SUFFIX)] if col.endswith(LAG_SUFFIX) else None


def add_lags(years: pd.DataFrame, columns, *, change_since_entry=CHANGE_SINCE_ENTRY) -> tuple[pd.DataFrame, dict]:
    """Add ``<col>_lag1`` for each of ``columns`` present: the same alliance's value in calendar year Y−1.

    No value from year Y or later enters: the lag of year Y is read from the alliance's row for Y−1 only. Where the
    alliance has no row for Y−1 — its formation year, or the first year after a gap with no members — the lag is NA,
    except for the change-since-entry covariates (:data:`CHANGE_SINCE_ENTRY`) in the formation year: they take their
    formation-year value, which is 0 by construction whenever it is observed (nothing has changed before the alliance
    existed) and NA when it is not. ``at_war_x_wartime_lag1`` = ``any_at_war_lag1`` × ``wartime`` follows from the lag
    of the product. Returns (years, counts of rows without a previous year)."""
    y = years.sort_values(["atopid", "year"]).reset_index(drop=True)
    cols = [c for c in columns if c in y.columns]
    prev = y.groupby("atopid")["year"].shift(1)
    has_prev = (prev == y["year"] - 1).to_numpy()
    first = (y["year"] == y["begyr"]).to_numpy()
    for c in cols:
        v = y.groupby("atopid")[c].shift(1).astype("Float64").astype(float).where(has_prev)
        if c in change_since_entry:
            v = v.where(~first, y[c].astype("Float64").astype(float))
        y[lag_name(c)] = v
    counts = {"lag_rows_formation_year": int(first.sum()),
              "lag_rows_after_member_gap": int((~has_prev & ~first).sum())}
    return y, counts


# ------------------------------------------------------------------------------------------------------------ table
@dataclass
class SurvivalTable:
    """The alliance-survival table (see :func:`survival_table`).

    - ``alliances``: one row per alliance — :data:`OUTCOME_COLUMNS`, ``cause`` and :data:`FORMATION_COVARIATES`.
    - ``years``: one row per alliance-year — every column of :func:`~pactwatch.panels.alliances.alliance_years`
      (``event`` in the end year, ``alliance_age``, member aggregates) plus the derived ``cap_change``,
      ``shared_rivals``, ``regime_change`` and ``at_war_x_wartime``.
    - ``member_years``: :func:`~pactwatch.panels.alliances.alliance_member_years` (one row per atopid, ccode, year).
    - ``panel``: :func:`~pactwatch.panels.alliances.alliances` (every ATOP alliance-level column and label).
    - ``log``: the counts of each step (rows, alliances, events, incomplete covariates, years without members).
    """

    alliances: pd.DataFrame
    years: pd.DataFrame
    member_years: pd.DataFrame
    panel: pd.DataFrame
    log: list = field(default_factory=list)


def survival_table(src: DataSource | None = None, *, alliances: pd.DataFrame | None = None,
                   member_years: pd.DataFrame | None = None, alliance_years: pd.DataFrame | None = None,
                   extended: bool = False) -> SurvivalTable:
    """Build the alliance-survival table from ATOP 5.1 and the covariate sources (pre-built panels from
    :mod:`pactwatch.panels.alliances` can be passed to avoid rebuilding them).

    Unit of analysis
        ``alliances``: the ATOP 5.1 alliance (789 rows). ``years``: the alliance-year, one row per (atopid, calendar
        year) in which at least one state was a member on at least one day. Years in which every member was out (the
        ``member_gap`` alliances, e.g. the German Confederation 1848–1850) have no row: they are counted in ``log``
        (``years_without_members``), no event is made up for them.
    Age clock
        Time since the alliance's begin date (ATOP begin; a missing day is the 15th), in years = days / 365.25. An
        alliance-year Y covers the age interval (start, stop] = ((1 Jan Y − begin), (1 Jan Y+1 − begin)] / 365.25, with
        start 0 in the formation year and stop cut at the end of follow-up (:func:`counting_process`). The replications
        (Leeds & Savun 2007, Bennett 1997) use their articles' integer clock instead: ``alliance_age`` = Y − begin year,
        rows (age, age + 1].
    Delayed entry
        Rows left out — years after a cut-off, years with a missing time-varying covariate (Archigos leaders start in
        1875, COW wars end in 2007) — are dropped *as rows*: the remaining rows of the alliance keep its true age, so
        an alliance whose first usable year is 1875 enters the risk set at its age then, not at 0. The number of rows
        dropped is returned (``tv_rows_dropped_missing``), never silent.
    Censoring date
        ATOP 5.1 ends on 31 Dec 2018 (:data:`pactwatch.data.atop.CENSOR_DATE`): alliances in effect then are right-
        censored there (``event`` = 0, ``duration_years`` to 31 Dec 2018). An evaluation or back-test cut-off C censors
        the follow-up administratively at 31 Dec C (:func:`follow_up` with ``censor_at``): an alliance ending after C
        is censored at C and its event is not used.
    Events
        ``alliances.event`` = 1 if the alliance ended (``ineffect`` = 0), ``event_atop`` = ATOP's rule, ``cause`` 0–4
        (:func:`termination_cause`); the named definitions are :data:`EVENT_DEFINITIONS` (:func:`event_indicator`).
        ``years.event`` = 1 in the calendar year the alliance ended.
    Covariates and their timing
        *At formation* (``alliances``, one value per alliance, measured in the formation year or from the first
        phase's treaty text, so nothing after formation enters): the phase-1 obligations ``defense offense neutral
        nonagg consul``, ``wartime``, ``fixed_term`` (``speclgth`` = 1), ``conditional_term`` (``speclgth`` = 2),
        ``renounce_clause`` (``renounce`` 1–3), ``econ_linkage`` (``ecaid`` > 0, ``compag`` = 2 or ``agprois`` = 2),
        all from the phase file (ATOP's alliance-level fields are the maximum over phases and would leak later
        renegotiations); ``bilateral`` (two members at formation) and ``log_members``; ``any_major`` / ``asymmetric``
        (COW majors in the formation year, Morrow 1991; NA outside 1816–2016); ``dem_share`` (share of formation-year
        members with Polity2 >= 6 among those with a score); ``shared_rival`` (members share a strategic rival in the
        formation year).
        *Time-varying* (``years``): each value describes calendar year Y and is measured from data dated in Y or
        earlier — never after the year it describes; it enters the row (start, stop] of year Y together with that
        year's event (contemporaneous, not lagged). ``max_cinc_change`` (largest CINC − CINC at the member's entry),
        ``cap_change`` (largest \\|log CINC / CINC at entry\\| over members; Leeds & Savun 2007), ``min/max_cinc_ratio``
        (COW NMC 1816–2016); ``max_abs_polity2_change`` (largest \\|Polity2 − Polity2 at entry\\|) and ``regime_change``
        (it is >= :data:`REGIME_THRESHOLD`); ``any_at_war`` (a member in a COW inter-state war in Y, 1816–2007) and
        ``at_war_x_wartime`` (× ``wartime``); ``any_leader_change`` (a new Archigos leader in a member in Y,
        1875–2015); ``any_new_outside_alliance`` (a member entered another alliance with an outsider in Y);
        ``shared_rivals`` (largest count over members of third states that are TSS strategic rivals of it and of
        another member in Y) and ``any_shared_rival``; ``n_members``, ``any_major``, ``asymmetric`` in Y. Outside a
        source's coverage a covariate is NA, never 0.

    Lagged covariates
        ``<name>_lag1`` for every time-varying covariate (:data:`TIME_VARYING_COVARIATES`,
        :data:`OTHER_TIME_VARYING`, and :data:`EXTENDED_COVARIATES` when built with ``extended=True``): the same
        alliance's value in calendar year Y−1 (:func:`add_lags`). In the formation year, and after a year without
        members, there is no Y−1 row: the lag is NA, except for the change-since-entry covariates
        (:data:`CHANGE_SINCE_ENTRY`), which take their formation-year value (0 by construction, NA if unobserved).
        So an alliance that ends in its formation year has no usable row under a lagged specification (counted by
        :func:`counting_process` as ``tv_events_lost_missing``).
    Extended covariates (``extended=True``; :func:`add_extended_covariates` states each one)
        UCDP/PRIO war 1946–2022 and COW+UCDP war to 2022, extended-UDS regime change (to 2025), irregular leader
        entry (Archigos), Goertz–Diehl–Balas shared rivals (graded), the Leeds–Savun threat score, a common MID
        opponent within ten years, and "the war the alliance was formed in ended 0–2 years ago". They read
        :data:`EXTENDED_TABLES`.

    NA values are kept (no imputation); each user takes complete cases and reports how many rows it left out.
    """
    s = get_source(src)
    al = alliances if alliances is not None else AL.alliances(s)
    my = member_years if member_years is not None else AL.alliance_member_years(s)
    ay = alliance_years if alliance_years is not None else AL.alliance_years(s, member_years=my)
    cov = formation_covariates(al, my, ay, AL.first_phase(s))
    a = al[OUTCOME_COLUMNS].copy()
    a["cause"] = termination_cause(al)
    a = a.merge(cov.reset_index(), on="atopid", how="left")

    # member-level aggregates the alliance-year panel does not carry
    lr = np.log(my["cinc_ratio"].astype("Float64").astype(float)).abs()
    g = pd.DataFrame({"atopid": my["atopid"], "year": my["year"], "lr": lr,
                      "nsr": my["n_shared_rivals"].astype("Float64").astype(float)}).groupby(["atopid", "year"])
    extra = pd.DataFrame({"cap_change": g["lr"].max(), "shared_rivals": g["nsr"].max()}).reset_index()
    y = ay.merge(extra, on=["atopid", "year"], how="left")
    wartime = a.set_index("atopid")["wartime"]
    y["at_war_x_wartime"] = y["any_at_war"].astype("Float64").astype(float) * y["atopid"].map(wartime).to_numpy()
    y["post1945"] = (y["year"] >= 1946).astype(float)  # era indicator (calendar year known in advance: not lagged)
    pc = y["max_abs_polity2_change"].astype(float)
    y["regime_change"] = (pc >= REGIME_THRESHOLD).astype(float).where(pc.notna())

    ext_counts: dict = {}
    lagged = [*TIME_VARYING_COVARIATES, *OTHER_TIME_VARYING]
    if extended:
        y, ext_counts = add_extended_covariates(y, my, a, s)
        lagged += list(EXTENDED_COVARIATES)
    y, lag_counts = add_lags(y, lagged)

    log = [*al.attrs.get("pactwatch_log", [])[:1], *ay.attrs.get("pactwatch_log", [])[:1]]
    log.append({"step": "survival_table", "rows": int(len(a)), "note": "ATOP 5.1 alliances with outcome, cause and "
                "formation covariates; alliance-years with time-varying covariates",
                "incomplete_formation_covariates": int(a[list(FORMATION_COVARIATES)].isna().any(axis=1).sum()),
                "alliance_years": int(len(y)), "events": int(a["event"].sum())})
    log.append({"step": "lags", "note": "<covariate>_lag1: the alliance's value in Y-1 (NA without a row for Y-1; "
                "change-since-entry covariates take their formation-year value, 0 by construction)",
                "columns": len(lagged), **lag_counts})
    if extended:
        log.append({"step": "extended_covariates", "note": "UCDP/PRIO war, extended UDS, irregular leader entry, "
                    "peace scale, Leeds-Savun threat, common MID opponent, formation war ended", **ext_counts})
    return SurvivalTable(alliances=a, years=y, member_years=my, panel=al, log=log)


# ------------------------------------------------------------------------------ replacement chains (merged spells)
#: Linking rule for replacements: a successor begins within this many days of the predecessor's end (either side).
LINK_WINDOW_DAYS = 366


def _members_at_end(panel: pd.DataFrame) -> pd.Series:
    """atopid -> frozenset of the members still in the alliance when it ended (``termmode_members``)."""
    tm = panel.set_index("atopid")["termmode_members"].dropna().astype(str)
    return tm.map(lambda s: frozenset(int(p.split(":")[0]) for p in s.split(";") if p.strip()))


def _founders(member_years: pd.DataFrame, alliances: pd.DataFrame) -> pd.Series:
    """atopid -> frozenset of the members that entered in the formation year (the founding members). Without an
    ``entry_year`` column (the forecast's reduced member-years) the members in the formation year are the founders:
    a member in the alliance's first year entered in that year."""
    cols = ["atopid", "ccode", "year", *(["entry_year"] if "entry_year" in member_years.columns else [])]
    f = member_years[cols].merge(alliances[["atopid", "begyr"]], on="atopid")
    f = f[(f["year"] == f["begyr"]) & ((f["entry_year"] == f["begyr"]) if "entry_year" in f.columns else True)]
    return f.groupby("atopid")["ccode"].agg(frozenset)


def replacement_links(table: SurvivalTable, *, window_days: int = LINK_WINDOW_DAYS) -> tuple[pd.DataFrame, dict]:
    """Link each alliance that ended by replacement (``cause`` 3: ATOP TERMMODE 2 or TERMCAUS 1) to its successor.

    ATOP has no successor identifier, so the link is derived: the successor is another ATOP alliance whose founding
    members (entered in its formation year) are exactly the members still in the predecessor when it ended
    (``termmode_members``), and whose begin date lies within ``window_days`` of the predecessor's end date, before or
    after it (a new treaty is often signed before the old one lapses), and after the predecessor's begin date. With
    several candidates the one beginning closest to the end date is taken (then the smaller atopid); a successor
    claimed by two predecessors keeps the closer one and the other stays unlinked.
    Returns (links: predecessor, successor, gap_days; counts: replacements, linked, unlinked, ...)."""
    a = table.alliances
    ends = _members_at_end(table.panel)
    founders = _founders(table.member_years, a)
    rep = a[(a["cause"] == 3) & a["end"].notna()]
    cand = a[["atopid", "begin"]].rename(columns={"atopid": "successor", "begin": "s_begin"})
    rows = []
    for r in rep.itertuples(index=False):
        mem = ends.get(r.atopid)
        if mem is None:
            continue
        c = cand[(cand["successor"] != r.atopid) & (cand["s_begin"] > r.begin)
                 & ((cand["s_begin"] - r.end).abs() <= pd.Timedelta(days=window_days))]
        c = c[c["successor"].map(lambda s: founders.get(s) == mem)]
        if len(c):
            gap = (c["s_begin"] - r.end).dt.days
            c = c.assign(gap_days=gap, _abs=gap.abs()).sort_values(["_abs", "successor"])
            b = c.iloc[0]
            rows.append({"predecessor": int(r.atopid), "successor": int(b["successor"]), "gap_days": int(b["gap_days"])})
    links = pd.DataFrame(rows, columns=["predecessor", "successor", "gap_days"])
    n_claimed = len(links)
    links = (links.assign(_abs=links["gap_days"].abs()).sort_values(["successor", "_abs", "predecessor"])
             .drop_duplicates("successor").drop(columns="_abs").sort_values("predecessor").reset_index(drop=True))
    counts = {"replacements": int(len(rep)), "linked": int(len(links)), "unlinked": int(len(rep) - len(links)),
              "successor_claimed_twice": int(n_claimed - len(links)),
              "rule": f"same members (members at the predecessor's end = founders of the successor), successor begins "
                      f"within {window_days} days of the predecessor's end"}
    return links, counts


def replacement_spells(table: SurvivalTable, links: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Merge each chain of linked replacements (:func:`replacement_links`) into one spell: the relationship from the
    first treaty's begin date to the last one's end (or censoring), with the last treaty's outcome (``event``,
    ``event_atop``, ``cause``) and the first treaty's formation covariates. ``atopid`` is the first treaty's id (so
    :func:`follow_up` and :func:`counting_process` work unchanged); ``atopids`` lists the chain. Alliances outside any
    chain are their own spell; an unlinked replacement keeps ``cause`` 3 (censored under ``not-replaced``).

    Alliance-years: each spell-year keeps the row of the earliest treaty of the chain in effect that year (in a
    hand-over year, the predecessor's), ``alliance_age`` counts from the first treaty's begin year, and ``event`` is
    1 only in the spell's end year. Returns (spells, spell_years, counts)."""
    if links is None:
        links, counts = replacement_links(table)
    else:
        counts = {"linked": int(len(links))}
    nxt = dict(zip(links["predecessor"], links["successor"]))
    has_pred = set(links["successor"])
    a = table.alliances.set_index("atopid")
    chains = []
    for root in a.index:
        if root in has_pred:
            continue
        chain, cur, seen = [root], root, {root}
        while cur in nxt and nxt[cur] not in seen:
            cur = nxt[cur]
            chain.append(cur)
            seen.add(cur)
        chains.append(chain)
    rows = []
    for ch in chains:
        first, last = a.loc[ch[0]], a.loc[ch[-1]]
        r = first.to_dict()
        r.update({"atopid": ch[0], "atopids": ";".join(str(i) for i in ch), "n_treaties": len(ch), "end": last["end"],
                  "event": last["event"], "event_atop": last["event_atop"], "cause": last["cause"],
                  "termmode_final": last["termmode_final"], "termcaus_final": last["termcaus_final"]})
        stop = last["end"] if pd.notna(last["end"]) else CENSOR_DATE
        r["duration_years"] = (stop - first["begin"]).days / DAYS_PER_YEAR
        rows.append(r)
    spells = pd.DataFrame(rows)
    member = {aid: ch[0] for ch in chains for aid in ch}
    order = {aid: i for ch in chains for i, aid in enumerate(ch)}
    y = table.years.copy()
    y["_spell"] = y["atopid"].map(member)
    y["_order"] = y["atopid"].map(order)
    y = y.sort_values(["_spell", "year", "_order"]).drop_duplicates(["_spell", "year"], keep="first")
    y["atopid_treaty"] = y["atopid"]
    y["atopid"] = y["_spell"]
    sp = spells.set_index("atopid")
    y["begyr"] = y["atopid"].map(sp["begyr"])
    y["alliance_age"] = y["year"] - y["begyr"]
    endyr = y["atopid"].map(sp["end"]).dt.year
    y["event"] = ((y["atopid"].map(sp["event"]) == 1) & (y["year"] == endyr)).astype("int64")
    y = y.drop(columns=["_spell", "_order"]).reset_index(drop=True)
    counts.update({"spells": int(len(spells)), "chains_with_successors": int((spells["n_treaties"] > 1).sum()),
                   "longest_chain": int(spells["n_treaties"].max())})
    return spells, y, counts


# ------------------------------------------------------------------------------------------- reference classes
#: Reference classes for the Russia–DPRK forecast (issue 13, item 6): name -> description. Membership is decided on
#: facts known at formation (members ever in the alliance for the member-based classes; phase-1 obligations).
REFERENCE_CLASSES = {
    "major-minor-defence-post1945": "bilateral defence pacts formed 1946 or later between a COW major power and a "
                                    "minor power (defense = 1 in phase 1, bilateral and asymmetric at formation)",
    "soviet-russian-bilateral-since-1945": "bilateral alliances formed 1945 or later with the USSR/Russia (COW 365) "
                                           "as a member",
    "dprk": "every alliance with North Korea (COW 731) as a member",
}


def reference_class_frames(table: SurvivalTable, *, event: str = "any-end",
                           alliances: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """One frame of alliances per :data:`REFERENCE_CLASSES` entry: the rows of ``table.alliances`` in the class with
    ``members`` (";"-joined COW codes of every member ever), ``duration_years`` (to the end or 31 Dec 2018) and
    ``event_def`` (0/1 under ``event``; :data:`EVENT_DEFINITIONS`). ``alliances``: other rows of the same form
    instead, e.g. the replacement-merged spells of :func:`replacement_spells` (classified by their first treaty)."""
    a = (table.alliances if alliances is None else alliances).copy()
    a["event_def"] = event_indicator(a, event)
    mem = table.member_years.groupby("atopid")["ccode"].agg(lambda v: frozenset(int(c) for c in v))
    a["_mem"] = a["atopid"].map(mem)
    a["members"] = a["_mem"].map(lambda m: ";".join(str(c) for c in sorted(m)) if isinstance(m, frozenset) else "")
    has = lambda c: a["_mem"].map(lambda m: isinstance(m, frozenset) and c in m)  # noqa: E731
    sel = {
        "major-minor-defence-post1945": (a["begyr"] >= 1946) & (a["bilateral"] == 1) & (a["asymmetric"] == 1)
        & (a["defense"] == 1),
        "soviet-russian-bilateral-since-1945": (a["begyr"] >= 1945) & (a["bilateral"] == 1) & has(365),
        "dprk": has(731),
    }
    out = {}
    for name, m in sel.items():
        f = a[m.fillna(False).astype(bool)].drop(columns="_mem").reset_index(drop=True)
        f.attrs.update({"reference_class": name, "description": REFERENCE_CLASSES[name], "event": event})
        out[name] = f
    return out


# ------------------------------------------------------------------------------------------- follow-up and rows
def _years(delta: pd.Series) -> pd.Series:
    return delta.dt.days / DAYS_PER_YEAR


def follow_up(alliances: pd.DataFrame, event: str = "any-end", *, censor_at: pd.Timestamp = CENSOR_DATE,
              covariates=()) -> tuple[pd.DataFrame, dict]:
    """Follow-up of each alliance to its end or to ``censor_at`` (administrative censoring), whichever comes first.

    ``alliances``: rows of :attr:`SurvivalTable.alliances` (with ``begin``, ``end``, ``event``, ``event_atop``,
    ``cause``). Adds ``duration`` (years from begin to the stop date) and ``event`` (1 if the alliance ended under
    ``event`` on or before ``censor_at``). Alliances with a missing value in ``covariates`` and alliances with no
    follow-up (formed on ``censor_at``) are left out; the counts are returned as ``excluded_incomplete``,
    ``excluded_no_follow_up``, and ``censored`` counts the kept alliances still in follow-up at ``censor_at``."""
    ev = event_definition(event)
    a = alliances.assign(event_def=event_indicator(alliances, ev.name))
    complete = a[list(covariates)].notna().all(axis=1)
    counts = {"excluded_incomplete": int((~complete).sum())}
    a = a[complete].copy()
    end = a["end"].fillna(CENSOR_DATE)
    stop = end.where(end <= censor_at, censor_at)
    a["duration"] = _years(stop - a["begin"])
    a["event"] = ((a["event_def"] == 1) & a["end"].notna() & (a["end"] <= censor_at)).astype("int64")
    no_fu = a["duration"] <= 0
    counts["excluded_no_follow_up"] = int(no_fu.sum())
    a = a[~no_fu]
    counts["censored"] = int((a["end"].isna() | (a["end"] > censor_at)).sum())
    return a, counts


def counting_process(years: pd.DataFrame, followed: pd.DataFrame, *, through_year: int = LAST_YEAR,
                     tv_covariates=(), covariates=()) -> tuple[pd.DataFrame, dict]:
    """Counting-process rows (start, stop] in years since formation, one per alliance-year <= ``through_year``.

    ``years``: (atopid, year, ``tv_covariates``) from :attr:`SurvivalTable.years`; ``followed``: one row per alliance
    from :func:`follow_up` (``begin``, ``duration``, ``event``, ``covariates``). The last row of an alliance ends at its
    (censored) duration and carries its event; an alliance ending on 1 Jan has no row for that year. Rows with a missing
    time-varying covariate are dropped (delayed entry: the others keep their true age) and counted: returns (rows with
    atopid, start, stop, event, covariates, tv_covariates; counts ``tv_rows``, ``tv_rows_dropped_missing``,
    ``tv_events_lost_missing``, ``tv_events``, ``tv_events_without_row`` (ends in years without members))."""
    tvc = list(tv_covariates)
    y = years[years["atopid"].isin(followed["atopid"]) & (years["year"] <= through_year)]
    y = y.merge(followed, on="atopid", how="inner")
    jan1 = pd.to_datetime(y["year"].astype(str) + "-01-01")
    nxt = pd.to_datetime((y["year"] + 1).astype(str) + "-01-01")
    y["start"] = _years(jan1 - y["begin"]).clip(lower=0.0)
    y["stop"] = np.minimum(_years(nxt - y["begin"]), y["duration"])
    y = y[y["stop"] > y["start"]].copy()  # an alliance ending on 1 Jan has no time in that year
    y = y.sort_values(["atopid", "start"])
    last = ~y.duplicated("atopid", keep="last")
    at_end = np.isclose(y["stop"], y["duration"])
    y["event"] = (last & at_end & (y["event"] == 1)).astype("int64")
    na = y[tvc].isna().any(axis=1)
    ev_lost = int(((y["event"] == 1) & na).sum())
    events_in_tv = int(y["event"].sum())
    counts = {"tv_rows": int(len(y)), "tv_rows_dropped_missing": int(na.sum()), "tv_events_lost_missing": ev_lost,
              "tv_events": events_in_tv - ev_lost,
              "tv_events_without_row": int(followed["event"].sum()) - events_in_tv}
    return y.loc[~na, ["atopid", "start", "stop", "event", *covariates, *tvc]].reset_index(drop=True), counts


__all__ = ["SurvivalTable", "survival_table", "follow_up", "counting_process", "formation_covariates",
           "FORMATION_COVARIATES", "TIME_VARYING_COVARIATES", "OUTCOME_COLUMNS", "CAUSES", "EventDefinition",
           "EVENT_DEFINITIONS", "event_definition", "event_indicator", "termination_cause", "REGIME_THRESHOLD",
           "DAYS_PER_YEAR", "COMPETING_CAUSES", "replacement_links", "replacement_spells", "LINK_WINDOW_DAYS",
           "add_lags", "lag_name", "add_extended_covariates", "EXTENDED_COVARIATES", "EXTENDED_TABLES", "CHANGE_SINCE_ENTRY",
           "OTHER_TIME_VARYING", "EUDS_THRESHOLD", "reference_class_frames", "REFERENCE_CLASSES"]
