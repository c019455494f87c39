"""Named model specifications for alliance durability: which event definition, which covariates, built from ATOP 5.1.

Unit of analysis: the alliance (ATOP 5.1, 789 alliances), origin = its begin date, time in years (days / 365.25);
alliances in effect on 31 Dec 2018 are right-censored there (see :func:`pactwatch.panels.alliances.alliances`).
Time-varying specifications also use alliance-years (:func:`pactwatch.panels.alliances.alliance_years`).

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

Covariates at formation (spec ``formation``)
---------------------------------------------
Everything is measured at the alliance's formation, so that an alliance formed before an evaluation cut-off carries no
information from after it. ATOP's alliance-level obligation/design fields are the *maximum over phases* (later
renegotiations leak into them), so the first phase of the phase file (``atop5_1aph``) is used instead:

- ``defense offense neutral nonagg consul``: obligations of phase 1 (0/1).
- ``bilateral``: two members at formation (``bilat_at_formation``); ``log_members``: log(members at formation).
- ``any_major``, ``asymmetric`` (at least one COW major and one minor power in the formation year; Morrow 1991):
  NA outside COW majors coverage 1816–2016 (alliances formed in 1815, 2017, 2018).
- ``dem_share``: share of the formation-year members with a known Polity2 score that are democracies (polity2 >= 6);
  NA when no member has a score.
- ``wartime`` (ATOP, phase 1), ``fixed_term`` (``speclgth`` = 1), ``conditional_term`` (``speclgth`` = 2),
  ``renounce_clause`` (``renounce`` in 1–3: a legal way out during the term), ``econ_linkage`` (phase 1: ``ecaid`` > 0,
  ``compag`` = 2 or ``agprois`` = 2); NA where ATOP did not locate the text.
- ``shared_rival``: some members share a strategic rival (Thompson, Sakuwa & Suhas) in the formation year.

Rows with a missing covariate are not imputed: the evaluation uses complete cases and reports how many were left out.

Time-varying additions (spec ``formation_tv``; alliance-year rows): ``max_cinc_change`` (largest change of a member's
CINC since its entry; Bennett 1997, Leeds & Savun 2007), ``max_abs_polity2_change`` (regime change), ``any_at_war``,
``any_new_outside_alliance``. Leader change (Archigos) is left out of the evaluated specification: its coverage starts in
1875, so complete cases would lose 28% of the alliance-years before 1990.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError

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


def obligation_type(df: pd.DataFrame) -> pd.Series:
    """Hierarchical obligation type at formation: defense > offense > neutrality/non-aggression > consultation only."""
    t = np.where(df["defense"] == 1, "defense",
                 np.where(df["offense"] == 1, "offense",
                          np.where((df["neutral"] == 1) | (df["nonagg"] == 1), "neutrality/non-aggression",
                                   "consultation only")))
    return pd.Series(t, index=df.index)


def event_indicator(al: pd.DataFrame, definition: str) -> pd.Series:
    """0/1 event under ``definition`` for one row per alliance (needs ``event``, ``event_atop`` and ``cause``)."""
    d = event_definition(definition)
    if d.name == "any-end":
        return al["event"].astype("int64")
    if d.name == "atop":
        return al["event_atop"].astype("int64")
    return al["cause"].isin(d.causes).astype("int64")


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    covariates: tuple[str, ...]
    tv_covariates: tuple[str, ...] = field(default=())


FORMATION_COVARIATES = ("defense", "offense", "neutral", "nonagg", "consul", "bilateral", "log_members", "any_major",
                        "asymmetric", "dem_share", "wartime", "fixed_term", "conditional_term", "renounce_clause",
                        "econ_linkage", "shared_rival")
TV_COVARIATES = ("max_cinc_change", "max_abs_polity2_change", "any_at_war", "any_new_outside_alliance")

SPECS: dict[str, ModelSpec] = {
    "formation": ModelSpec("formation", "alliance-level covariates measured at formation (phase-1 obligations and design, "
                           "membership, power asymmetry, democracy, wartime, shared rivals)", FORMATION_COVARIATES,
                           TV_COVARIATES),
    "design": ModelSpec("design", "treaty obligations and design only (phase 1)",
                        ("defense", "offense", "neutral", "nonagg", "consul", "bilateral", "log_members", "fixed_term",
                         "conditional_term", "renounce_clause", "econ_linkage"), TV_COVARIATES),
}


def model_spec(name: str) -> ModelSpec:
    if name not in SPECS:
        raise PactwatchError(f"unknown specification {name!r}; choose one of {', '.join(SPECS)}")
    return SPECS[name]


def _phase1(src) -> pd.DataFrame:
    ph = src.table("atop_phase")
    need = ["atopid", "phase", "defense", "offense", "neutral", "nonagg", "consul", "wartime", "speclgth", "renounce",
            "ecaid", "compag", "agprois"]
    miss = [c for c in need if c not in ph.columns]
    if miss:
        raise PactwatchError(f"atop_phase (atop5_1aph): columns {miss} missing; expected the ATOP 5.1 layout")
    p = ph[need].copy()
    for c in need[1:]:
        p[c] = pd.to_numeric(p[c], errors="coerce")
    p["atopid"] = p["atopid"].astype("int64")
    return p.sort_values(["atopid", "phase"]).drop_duplicates("atopid").set_index("atopid")


def formation_covariates(al: pd.DataFrame, member_years: pd.DataFrame, years: pd.DataFrame, src) -> pd.DataFrame:
    """One row per alliance (index atopid) with the formation covariates (NA kept; see the module docstring)."""
    p1 = _phase1(src).reindex(al["atopid"])
    out = pd.DataFrame(index=pd.Index(al["atopid"].to_numpy(), name="atopid"))
    for c in ("defense", "offense", "neutral", "nonagg", "consul", "wartime"):
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
