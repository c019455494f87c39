"""Parametric accelerated-failure-time models (Weibull, log-logistic) for extrapolating beyond observed durations.

Unit of analysis: the subject (alliance). Durations must be > 0. Model (lifelines' parametrisation):

* Weibull AFT: lambda = exp(x'b) (scale), rho = exp(c) (shape); S(t|x) = exp(-(t / lambda)^rho). exp(b_k) multiplies
  the time scale (> 1 = longer-lived). rho > 1: hazard rising with age; rho < 1: falling.
* Log-logistic AFT: alpha = exp(x'b), beta = exp(c); S(t|x) = 1 / (1 + (t / alpha)^beta); hazard rises then falls
  when beta > 1.

Counting-process rows (start, stop] are fitted as left-truncated observations (each row enters at ``start``), so the
hazard at age t is the model's hazard at t evaluated at the row's current covariates; standard errors are then
clustered by ``id_col``. Fitting is done by lifelines; the clustered sandwich variance, the survival formulas and the
delta-method intervals are computed here from the closed forms (checked against lifelines' log-likelihood and
predictions in the tests).
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .base import ModelError, SurvivalModel, coefficient_table


class _AFT(SurvivalModel):
    supports_time_varying = True
    supports_delta = True
    _scale_name = ""
    _shape_name = ""
    _lifelines_cls = None

    def __init__(self, *, cluster: bool = True, penalizer: float = 0.0, alpha: float = 0.05, missing: str = "raise"):
        super().__init__(missing=missing)
        self.cluster = cluster
        self.penalizer = penalizer
        self.alpha = alpha

    # closed forms on arrays: eta = x'b (log scale), log_shape = c
    @staticmethod
    def _cumhaz(t, eta, log_shape):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _loghaz(t, eta, log_shape):  # pragma: no cover - abstract
        raise NotImplementedError

    def _split(self, theta: np.ndarray):
        k = len(self.covariates_) + 1
        return theta[:k], theta[k]

    def _design(self, X: np.ndarray) -> np.ndarray:
        return np.column_stack([X, np.ones(len(X))])

    def _row_loglik(self, theta, Z, start, stop, event):
        b, c = self._split(theta)
        eta = Z @ b
        ll = -self._cumhaz(stop, eta, c) + self._cumhaz(start, eta, c)
        return ll + np.where(event, self._loghaz(stop, eta, c), 0.0)

    def _fit(self, data: pd.DataFrame, **kwargs) -> None:
        cols = self.covariates_
        if self.time_varying_:
            stop = data[self.stop_col].to_numpy(float)
            start = data[self.start_col].to_numpy(float)
        else:
            stop = data[self.duration_col].to_numpy(float)
            start = np.zeros_like(stop)
        if np.any(stop <= 0):
            raise ModelError(f"{self.name}: durations must be > 0 ({int((stop <= 0).sum())} row(s) are not)")
        event = data[self.event_col].to_numpy(float) == 1
        fd = pd.DataFrame({"__T": stop, "__E": event.astype(int), **{c: data[c].to_numpy(float) for c in cols}})
        kw = {}
        if self.time_varying_:
            fd["__S"] = start
            kw["entry_col"] = "__S"
        lf = self._lifelines_cls(penalizer=self.penalizer, alpha=self.alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lf.fit(fd, duration_col="__T", event_col="__E", **kw)
        self.lifelines_ = lf
        names = [(self._scale_name, c) for c in cols] + [(self._scale_name, "Intercept"), (self._shape_name, "Intercept")]
        idx = pd.MultiIndex.from_tuples(names, names=["param", "covariate"])
        self.params_ = lf.params_.reindex(idx).astype(float)
        Vn = lf.variance_matrix_.reindex(index=idx, columns=idx).to_numpy(float)
        self.variance_naive_ = pd.DataFrame(Vn, index=idx, columns=idx)
        Z = self._design(data[cols].to_numpy(float))
        theta = self.params_.to_numpy()
        self.log_likelihood_ = float(lf.log_likelihood_)
        self.log_likelihood_check_ = float(self._row_loglik(theta, Z, start, stop, event).sum())
        # per-row scores by central differences, clustered sandwich V (sum_g s_g s_g') V
        P = len(theta)
        S = np.empty((len(stop), P))
        for k in range(P):
            h = 1e-6 * max(1.0, abs(theta[k]))
            e = np.zeros(P)
            e[k] = h
            S[:, k] = (self._row_loglik(theta + e, Z, start, stop, event)
                       - self._row_loglik(theta - e, Z, start, stop, event)) / (2 * h)
        self.score_at_fit_ = pd.Series(S.sum(0), index=idx)
        if self.id_col is not None:
            S = pd.DataFrame(S).groupby(data[self.id_col].to_numpy(), sort=False).sum().to_numpy()
        self.variance_robust_ = pd.DataFrame(Vn @ (S.T @ S) @ Vn, index=idx, columns=idx)
        self.se_type_ = ((f"robust, clustered by {self.id_col}" if self.id_col else "robust (Huber), per row")
                         if self.cluster else "model-based")

    @property
    def variance_(self) -> pd.DataFrame:
        return self.variance_robust_ if self.cluster else self.variance_naive_

    @property
    def shape_(self) -> float:
        """The shape parameter (rho for Weibull, beta for log-logistic)."""
        return float(np.exp(self.params_[(self._shape_name, "Intercept")]))

    @property
    def summary(self) -> pd.DataFrame:
        self._require_fitted()
        df = coefficient_table(self.params_, self.variance_naive_, self.variance_robust_, robust=bool(self.cluster),
                               alpha=self.alpha)
        df.attrs["se_type"] = self.se_type_
        return df

    def describe(self) -> dict:
        return {**super().describe(), "se_type": self.se_type_, "log_likelihood": self.log_likelihood_,
                "shape": self.shape_, "note": "AFT: exp(coef) > 1 lengthens expected duration"}

    def _survival_theta(self, theta, Z, times):
        b, c = self._split(theta)
        eta = Z @ b
        return np.exp(-self._cumhaz(times[:, None], eta[None, :], c))

    def _predict_survival(self, X, times):
        return self._survival_theta(self.params_.to_numpy(), self._design(X.to_numpy(float)), times)

    def predict_median(self, X) -> pd.Series:
        """Median survival time for each row of X (the model extrapolates; check it against the observed range)."""
        Xc = self._covariate_frame(X)
        b, c = self._split(self.params_.to_numpy())
        eta = self._design(Xc.to_numpy(float)) @ b
        return pd.Series(self._median(eta, c), index=Xc.index, name="median")

    def _delta_interval(self, X, times, alpha):
        """Delta method on the log cumulative hazard, log H(t|x) (gradient by central differences), with the variance
        shown in ``summary``; S = exp(-H) mapped back, so bounds stay inside (0, 1)."""
        theta = self.params_.to_numpy()
        Z = self._design(X.to_numpy(float))
        V = self.variance_.to_numpy()

        def logH(th):
            b, c = self._split(th)
            with np.errstate(divide="ignore", invalid="ignore"):  # t = 0: H = 0, S = 1 (set below)
                return np.log(self._cumhaz(times[:, None], (Z @ b)[None, :], c))

        base = logH(theta)
        P = len(theta)
        G = np.empty((P,) + base.shape)
        for k in range(P):
            h = 1e-6 * max(1.0, abs(theta[k]))
            e = np.zeros(P)
            e[k] = h
            with np.errstate(invalid="ignore"):
                G[k] = (logH(theta + e) - logH(theta - e)) / (2 * h)
        var = np.einsum("k...,kl,l...->...", G, V, G)
        z = stats.norm.ppf(1 - alpha / 2)
        se = np.sqrt(var)
        with np.errstate(all="ignore"):
            lo = np.exp(-np.exp(base + z * se))
            hi = np.exp(-np.exp(base - z * se))
        zero = times[:, None] == 0
        return np.where(zero, 1.0, lo), np.where(zero, 1.0, hi)


class WeibullAFT(_AFT):
    """Weibull accelerated failure time model: S(t|x) = exp(-(t / exp(x'b))^rho)."""

    name = "Weibull AFT"
    _scale_name, _shape_name = "lambda_", "rho_"

    @property
    def _lifelines_cls(self):
        from lifelines import WeibullAFTFitter

        return WeibullAFTFitter

    @staticmethod
    def _cumhaz(t, eta, log_shape):
        rho = np.exp(log_shape)
        return (np.asarray(t, float) / np.exp(eta)) ** rho

    @staticmethod
    def _loghaz(t, eta, log_shape):
        rho = np.exp(log_shape)
        with np.errstate(divide="ignore"):
            return log_shape - eta + (rho - 1) * (np.log(t) - eta)

    @staticmethod
    def _median(eta, log_shape):
        return np.exp(eta) * np.log(2.0) ** (1 / np.exp(log_shape))


class LogLogisticAFT(_AFT):
    """Log-logistic accelerated failure time model: S(t|x) = 1 / (1 + (t / exp(x'b))^beta)."""

    name = "Log-logistic AFT"
    _scale_name, _shape_name = "alpha_", "beta_"

    @property
    def _lifelines_cls(self):
        from lifelines import LogLogisticAFTFitter

        return LogLogisticAFTFitter

    @staticmethod
    def _cumhaz(t, eta, log_shape):
        b = np.exp(log_shape)
        return np.log1p((np.asarray(t, float) / np.exp(eta)) ** b)

    @staticmethod
    def _loghaz(t, eta, log_shape):
        b = np.exp(log_shape)
        with np.errstate(divide="ignore"):
            lt = np.log(t) - eta
        return log_shape - eta + (b - 1) * lt - np.log1p(np.exp(b * lt))

    @staticmethod
    def _median(eta, log_shape):
        return np.exp(eta)
