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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE, LAST_YEAR, OBLIGATIONS
from pactwatch.data.source import DataSource
from pactwatch.errors import PactwatchError
from pactwatch.panels import alliances as AL
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
                   member_years: pd.DataFrame | None = None, alliance_years: pd.DataFrame | None = None) -> SurvivalTable:
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
    pc = y["max_abs_polity2_change"].astype(float)
    y["regime_change"] = (pc >= REGIME_THRESHOLD).astype(float).where(pc.notna())

    log = [*al.attrs.get("pactwatch_log", [])[:1], *ay.attrs.get("pactwatch_log", [])[:1]]
    log.append({"step": "survival_table", "rows": int(len(a)), "note": "ATOP 5.1 alliances with outcome, cause and "
                "formation covariates; alliance-years with time-varying covariates",
                "incomplete_formation_covariates": int(a[list(FORMATION_COVARIATES)].isna().any(axis=1).sum()),
                "alliance_years": int(len(y)), "events": int(a["event"].sum())})
    return SurvivalTable(alliances=a, years=y, member_years=my, panel=al, log=log)


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
           "DAYS_PER_YEAR"]
