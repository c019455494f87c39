"""Machine-learned survival models from scikit-survival: random survival forest and gradient-boosted Cox.

Unit of analysis: the subject (alliance), one row per subject with covariates fixed at a reference time (e.g. at
formation); scikit-survival has no time-varying covariates, so start/stop data are refused.

``kind="rsf"``: RandomSurvivalForest (log-rank splits; the survival curve is the ensemble average of leaf
Kaplan–Meier curves, evaluated at the training event times). ``kind="gbsa"``: GradientBoostingSurvivalAnalysis with
the Cox partial-likelihood loss (survival via a Breslow baseline). ``predict_survival`` evaluates either on any grid
of times; beyond the last training time it is NaN. Intervals: bootstrap only (refits; slow for large forests).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .base import ModelError, SurvivalModel, step_eval


def surv_array(durations, events) -> np.ndarray:
    """scikit-survival's structured outcome array (event: bool, time: float)."""
    y = np.empty(len(durations), dtype=[("event", bool), ("time", float)])
    y["event"] = np.asarray(events).astype(bool)
    y["time"] = np.asarray(durations, float)
    return y


class SurvivalForest(SurvivalModel):
    """Random survival forest (``kind="rsf"``, default) or gradient-boosted Cox (``kind="gbsa"``).

    Extra keyword arguments go to the scikit-survival estimator; defaults: 200 trees, min_samples_leaf=10,
    random_state=0, and for rsf an out-of-bag concordance (``oob_concordance_``).
    """

    name = "Survival forest"

    def __init__(self, kind: str = "rsf", *, missing: str = "raise", **params):
        super().__init__(missing=missing)
        if kind not in ("rsf", "gbsa"):
            raise ModelError(f"kind: expected 'rsf' or 'gbsa', got {kind!r}")
        self.kind = kind
        self.name = "Random survival forest" if kind == "rsf" else "Gradient-boosted Cox"
        defaults = {"n_estimators": 200, "min_samples_leaf": 10, "random_state": 0}
        if kind == "rsf":
            defaults.update(oob_score=True, n_jobs=1)
        else:
            defaults.update(max_depth=3, learning_rate=0.1)
        self.params = {**defaults, **params}

    def _estimator(self):
        from sksurv.ensemble import GradientBoostingSurvivalAnalysis, RandomSurvivalForest

        return RandomSurvivalForest(**self.params) if self.kind == "rsf" else GradientBoostingSurvivalAnalysis(**self.params)

    def _fit(self, data: pd.DataFrame, **kwargs) -> None:
        if not self.covariates_:
            raise ModelError(f"{self.name}: give at least one covariate")
        if self.n_events_ == 0:
            raise ModelError(f"{self.name}: no events in {self.event_col}")
        X = data[self.covariates_].to_numpy(float)
        y = surv_array(data[self.duration_col], data[self.event_col] == 1)
        est = self._estimator()
        est.fit(X, y)
        self.estimator_ = est
        self.oob_concordance_ = float(getattr(est, "oob_score_", np.nan)) if self.kind == "rsf" else float("nan")

    def _predict_survival(self, X, times):
        Xa = X.to_numpy(float)
        if self.kind == "rsf":
            grid = self.estimator_.unique_times_
            arr = self.estimator_.predict_survival_function(Xa, return_array=True)  # n x len(grid)
            out = np.column_stack([step_eval(grid, arr[i], times, before=1.0) for i in range(len(Xa))])
        else:
            fns = self.estimator_.predict_survival_function(Xa)
            out = np.column_stack([step_eval(f.x, f.y, times, before=1.0) for f in fns])
        out[times > self.max_time_, :] = np.nan
        return out

    def predict_risk(self, X: pd.DataFrame) -> pd.Series:
        """Risk score, higher = shorter expected survival (rsf: ensemble cumulative hazard sum; gbsa: log-risk)."""
        self._require_fitted()
        Xc = self._covariate_frame(X)
        return pd.Series(self.estimator_.predict(Xc.to_numpy(float)), index=Xc.index, name="risk")

    @property
    def summary(self) -> pd.DataFrame:
        self._require_fitted()
        rows = [{"setting": k, "value": v} for k, v in self.params.items()]
        rows.append({"setting": "oob_concordance", "value": self.oob_concordance_})
        return pd.DataFrame(rows).set_index("setting")

    def describe(self) -> dict:
        return {**super().describe(), "kind": self.kind, "oob_concordance": self.oob_concordance_}
