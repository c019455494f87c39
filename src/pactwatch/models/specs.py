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
               too. It has drifted from ``formation``: no ``shared_rival`` at formation; ``cap_change`` (largest
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
