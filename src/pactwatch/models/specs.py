"""Named model specifications for alliance durability: which covariates each model uses.

The rows, the age clock, censoring, the event definitions and the covariates themselves come from the alliance-survival
table, :func:`pactwatch.panels.survival.survival_table` (its docstring states the rules). Event definitions
(:data:`EVENT_DEFINITIONS`, :func:`event_indicator`, :func:`termination_cause`, :data:`CAUSES`) live there and are
re-exported here. Nothing in this module reads data.

Unit of analysis: the alliance (ATOP 5.1, 789 alliances), origin = its begin date, time in years (days / 365.25);
alliances in effect on 31 Dec 2018 are right-censored there. Time-varying specifications also use alliance-years.

Specifications (:data:`SPECS`; the covariates are defined, with their timing, in the survival table)
------------------------------------------------------------------------------------------------------
``formation``  the formation covariates (:data:`FORMATION_COVARIATES`: phase-1 obligations and design, membership,
               power asymmetry, democracy, wartime, shared rival at formation); time-varying (``tvcox``):
               ``max_cinc_change``, ``max_abs_polity2_change``, ``any_at_war``, ``any_new_outside_alliance``. Leader
               change (Archigos) is left out: its coverage starts in 1875, so complete cases would lose 28% of the
               alliance-years before 1990.
``design``     treaty obligations and design only (phase 1), same time-varying covariates.
``forecast``   the specification the forecasts fit (:mod:`pactwatch.scenarios.training`); ``evaluate`` can score it
               too. Since 2026-12 it is the candidate chosen on the landmark back-test (:data:`CHOSEN_SPEC`,
               ``forecast-threat-noww``: every time-varying covariate lagged one year, war COW then UCDP/PRIO, regime
               change from extended UDS, threat from data, world-war years left out of training; see
               docs/forecast-spec.md). ``forecast-2026-11`` keeps the previous one, which had drifted from ``formation``: no ``shared_rival`` at formation; ``cap_change`` (largest
               |log CINC ratio| since entry) instead of ``max_cinc_change`` (largest CINC difference); adds
               ``at_war_x_wartime``, ``any_leader_change`` (usable window from 1875) and ``shared_rivals`` (time-varying
               count). Kept as is until the forecast science is rebuilt.

Rows with a missing covariate are not imputed: the evaluation uses complete cases and reports how many were left out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pactwatch.data.atop import OBLIGATIONS
from pactwatch.errors import PactwatchError
from pactwatch.panels.survival import (CAUSES, EVENT_DEFINITIONS, FORMATION_COVARIATES,  # noqa: F401 - re-exported
                                       EventDefinition, event_definition, event_indicator, termination_cause)


def obligation_type(df: pd.DataFrame) -> pd.Series:
    """Hierarchical obligation type at formation: defense > offense > neutrality/non-aggression > consultation only."""
    t = np.where(df["defense"] == 1, "defense",
                 np.where(df["offense"] == 1, "offense",
                          np.where((df["neutral"] == 1) | (df["nonagg"] == 1), "neutrality/non-aggression",
                                   "consultation only")))
    return pd.Series(t, index=df.index)


@dataclass(frozen=True)
class ModelSpec:
    name: str
    description: str
    covariates: tuple[str, ...]
    tv_covariates: tuple[str, ...] = field(default=())
    #: Calendar years whose alliance-years are left out of the training data (dropped as rows and counted; the
    #: alliance's later rows keep its true age, delayed entry). Empty: every year is used.
    exclude_years: tuple[int, ...] = field(default=())


TV_COVARIATES = ("max_cinc_change", "max_abs_polity2_change", "any_at_war", "any_new_outside_alliance")

#: The forecast specification (:mod:`pactwatch.scenarios.training`): the formation covariates without ``shared_rival``,
#: and time-varying capability change (|log CINC ratio|), regime change, war, war x formed-in-wartime, leader change,
#: new outside alliances and the number of shared rivals (see :mod:`pactwatch.scenarios.training`).
FORECAST_COVARIATES = (*OBLIGATIONS, "bilateral", "log_members", "any_major", "asymmetric", "dem_share", "wartime",
                       "fixed_term", "conditional_term", "renounce_clause", "econ_linkage")
FORECAST_TV_COVARIATES = ("cap_change", "max_abs_polity2_change", "any_at_war", "at_war_x_wartime", "any_leader_change",
                          "any_new_outside_alliance", "shared_rivals")

SPECS: dict[str, ModelSpec] = {
    "formation": ModelSpec("formation", "alliance-level covariates measured at formation (phase-1 obligations and design, "
                           "membership, power asymmetry, democracy, wartime, shared rivals)", FORMATION_COVARIATES,
                           TV_COVARIATES),
    "design": ModelSpec("design", "treaty obligations and design only (phase 1)",
                        (*OBLIGATIONS, "bilateral", "log_members", "fixed_term", "conditional_term", "renounce_clause",
                         "econ_linkage"), TV_COVARIATES),
    "forecast": ModelSpec("forecast", "formation covariates (phase-1 obligations and design, membership, power "
                          "asymmetry, democracy, wartime) + time-varying capability change, regime change, war, leader "
                          "change, new outside alliances and shared rivals", FORECAST_COVARIATES, FORECAST_TV_COVARIATES),
}


def model_spec(name: str) -> ModelSpec:
    if name not in SPECS:
        raise PactwatchError(f"unknown specification {name!r}; choose one of {', '.join(SPECS)}")
    return SPECS[name]


# ------------------------------------------------------------------------------------ candidate specs (issue 13)
# Candidates for the back-test to choose among on its development origins (up to 1990); ``forecast`` above is left as
# it is. Every time-varying covariate here is lagged one year (``<name>_lag1``: the alliance's value in the year
# before, :func:`pactwatch.panels.survival.add_lags`), so no covariate shares the calendar year of the ending. Specs
# that use :data:`pactwatch.panels.survival.EXTENDED_COVARIATES` need the table built with
# ``survival_table(..., extended=True)`` (:func:`needs_extended`).
FORECAST_LAG_TV_COVARIATES = tuple(f"{c}_lag1" for c in FORECAST_TV_COVARIATES)
#: COW war to 2007 and UCDP/PRIO inter-state war (>= 1,000 battle deaths in the year) 2008–2022; regime change from extended
#: UDS (reaches 2025) instead of Polity (ends 2018).
FORECAST_LAG_UCDP_TV_COVARIATES = ("cap_change_lag1", "regime_change_euds_lag1", "any_at_war_cow_ucdp_lag1",
                                   "at_war_cow_ucdp_x_wartime_lag1", "any_leader_change_lag1",
                                   "any_new_outside_alliance_lag1", "shared_rivals_lag1")
#: ... plus the data-based threat and "war ends" covariates (peace-scale shared rivals, graded; common MID opponent in
#: ten years; the formation war ended 0–2 years before; irregular leader entry). Coverage shrinks the usable window:
#: GML MIDs end in 2010, Archigos in 2015, the peace scale starts in 1900.
FORECAST_THREAT_TV_COVARIATES = (*FORECAST_LAG_UCDP_TV_COVARIATES, "shared_rival_grade_lag1",
                                 "common_mid_opponent_10y_lag1", "war_ended_0_2_lag1",
                                 "any_irregular_leader_entry_lag1")
#: Same as ``forecast-threat`` with the Leeds–Savun threat score instead of the MID-opponent flag (ends in 2008).
FORECAST_LSTHREAT_TV_COVARIATES = (*FORECAST_LAG_UCDP_TV_COVARIATES, "shared_rival_grade_lag1", "lsthreat_max_lag1",
                                   "war_ended_0_2_lag1")

SPECS.update({
    "forecast-lag": ModelSpec("forecast-lag", "the forecast specification with every time-varying covariate lagged "
                              "one year", FORECAST_COVARIATES, FORECAST_LAG_TV_COVARIATES),
    "forecast-lag-ucdp": ModelSpec("forecast-lag-ucdp", "lagged; war status COW to 2007 then UCDP/PRIO, regime change "
                                   "from extended UDS", FORECAST_COVARIATES, FORECAST_LAG_UCDP_TV_COVARIATES),
    "forecast-threat": ModelSpec("forecast-threat", "forecast-lag-ucdp + graded peace-scale shared rivals, common MID "
                                 "opponent within ten years, formation war ended 0-2 years ago, irregular leader entry",
                                 FORECAST_COVARIATES, FORECAST_THREAT_TV_COVARIATES),
    "forecast-lsthreat": ModelSpec("forecast-lsthreat", "forecast-lag-ucdp + graded peace-scale shared rivals, "
                                   "Leeds-Savun threat, formation war ended 0-2 years ago", FORECAST_COVARIATES,
                                   FORECAST_LSTHREAT_TV_COVARIATES),
})
#: The world-war years (1914–18, 1939–45) that ``-noww`` variants leave out of the training data.
WORLD_WAR_YEARS = (*range(1914, 1919), *range(1939, 1946))
#: Post-1945 era indicator at the alliance-year (1 in calendar years 1946 and later); known in advance for any year,
#: so it has no lag (:data:`pactwatch.panels.survival` adds it as ``post1945``).
ERA_COVARIATE = "post1945"
#: The lagged specifications the world-war and era variants are built on.
LAGGED_SPECS = ("forecast-lag", "forecast-lag-ucdp", "forecast-threat", "forecast-lsthreat")


def _variant(base: str, *, noww: bool = False, era: bool = False) -> ModelSpec:
    b = SPECS[base]
    name = base + ("-noww" if noww else "") + ("-era" if era else "")
    desc = b.description + ("; world-war years 1914-18 and 1939-45 left out of training" if noww else "") + (
        "; post-1945 era indicator" if era else "")
    return ModelSpec(name, desc, b.covariates, (*b.tv_covariates, *((ERA_COVARIATE,) if era else ())),
                     WORLD_WAR_YEARS if noww else ())


for _b in LAGGED_SPECS:
    for _nw, _era in ((True, False), (False, True), (True, True)):
        _v = _variant(_b, noww=_nw, era=_era)
        SPECS[_v.name] = _v

#: The forecast's specification until December 2026 (same-year time-varying covariates), kept under its own name.
SPECS["forecast-2026-11"] = ModelSpec("forecast-2026-11", "the forecast specification until 2026-12: "
                                      + SPECS["forecast"].description + " (same calendar year as the ending)",
                                      FORECAST_COVARIATES, FORECAST_TV_COVARIATES)
#: The specification chosen on the landmark back-test's development origins 1950-1990 by the pre-declared rule
#: (docs/forecast-spec.md; the record: docs/spec-selection.json). ``forecast`` names it from 2026-12.
CHOSEN_SPEC = "forecast-threat-noww"
SPECS["forecast"] = ModelSpec("forecast", f"{CHOSEN_SPEC} (chosen on the back-test, 2026-12): "
                              + SPECS[CHOSEN_SPEC].description, SPECS[CHOSEN_SPEC].covariates,
                              SPECS[CHOSEN_SPEC].tv_covariates, SPECS[CHOSEN_SPEC].exclude_years)

#: The candidate specifications of issue 13, in the order they were tried: stage 1 the lag/data variants (the
#: previous forecast specification as the reference); stage 2 the world-war exclusion and the era term on top of the
#: best lagged one of stage 1 (``<best>-noww``, ``<best>-era``, ``<best>-noww-era``). The selection rule was
#: pre-declared in docs/forecast-spec.md.
CANDIDATE_SPECS = ("forecast-2026-11", "forecast-lag", "forecast-lag-ucdp", "forecast-threat", "forecast-lsthreat")
STAGE2_SUFFIXES = ("-noww", "-era", "-noww-era")


def needs_extended(spec: ModelSpec | str) -> bool:
    """True if the specification uses a covariate that only ``survival_table(..., extended=True)`` builds."""
    from pactwatch.panels.survival import EXTENDED_COVARIATES, lag_name

    s = model_spec(spec) if isinstance(spec, str) else spec
    ext = {*EXTENDED_COVARIATES, *(lag_name(c) for c in EXTENDED_COVARIATES)}
    return any(c in ext for c in (*s.covariates, *s.tv_covariates))
