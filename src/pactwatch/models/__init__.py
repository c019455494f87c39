"""Survival models for alliance durability, with one fit/predict interface (schema: :mod:`pactwatch.models.base`).

- :class:`KaplanMeier` — base rates, overall or by group (Greenwood intervals).
- :class:`CoxTV` — Cox PH for one row per subject or time-varying (start, stop] rows; SEs clustered by subject;
  ``check_ph()``; ``predict_survival_path()`` for piecewise-constant covariate paths (scenarios).
- :class:`WeibullAFT`, :class:`LogLogisticAFT` — parametric, for extrapolation.
- :class:`CauseSpecificCox` — competing risks (one Cox per cause), cumulative incidence; :func:`aalen_johansen`.
- :class:`SurvivalForest` — random survival forest / gradient-boosted Cox (scikit-survival).
- :mod:`pactwatch.models.metrics` — Harrell's and Uno's C, Brier, integrated Brier, time-dependent AUC, calibration.
"""
from .base import ModelError, SurvivalModel
from .competing import CauseSpecificCox, aalen_johansen
from .cox import CoxTV, predict_survival_path
from .km import KaplanMeier
from .ml import SurvivalForest
from .parametric import LogLogisticAFT, WeibullAFT

__all__ = ["ModelError", "SurvivalModel", "KaplanMeier", "CoxTV", "predict_survival_path", "WeibullAFT",
           "LogLogisticAFT", "CauseSpecificCox", "aalen_johansen", "SurvivalForest"]
