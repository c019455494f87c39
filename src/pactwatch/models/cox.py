"""Cox proportional hazards, with time-varying covariates and standard errors clustered by subject.

Unit of analysis: the subject (alliance); with counting-process rows (alliance-years) each row (start, stop] carries the
covariate values that held over that stretch of the alliance's age, and the event sits on the alliance's last row.

Estimation: coefficients and the naive (model-based) variance come from lifelines — ``CoxTimeVaryingFitter`` for
start/stop data, ``CoxPHFitter`` for one row per subject; both use Efron's approximation for tied event times. The
robust variance is computed here, because lifelines' own sandwich estimator is unavailable for time-varying data and
ignores ties and delayed entry: score residuals of the Efron partial likelihood for counting-process data (as in R's
``survival::agscore``), ``dfbeta = U V``, summed within clusters (``id_col``; each row is its own cluster without one),
``V_robust = D'D`` (the Lin–Wei / Huber sandwich, as R's ``coxph(..., cluster = id)``).

Baseline: Breslow's estimator of the cumulative baseline hazard, H0(t) = sum_{t_j <= t} d_j / sum_{i at risk} exp(x_i b)
(identical to lifelines'), stored at the training mean of the covariates (``center_``). Survival beyond the last
observed time (``max_time_``) is NaN: the Cox model does not extrapolate.
"""
from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .base import ModelError, SurvivalModel, coefficient_table, as_times, step_eval
from .km import km_table


# --------------------------------------------------------------------------------------------- risk-set computations
def riskset_stats(start, stop, event, X, beta, center=None, ties: str = "efron") -> dict:
    """Risk-set sums of a Cox model on counting-process data, evaluated at coefficients ``beta``.

    Returns a dict with ``times`` (distinct event times), ``d`` (events at each), ``S0`` and ``S1`` (sum of exp(x b) and
    of x exp(x b) over the risk set, x centered at ``center``), ``dH`` (Breslow hazard increments d / S0),
    ``score`` (n x p score residuals; their column sums are the score vector, zero at the MLE) and ``schoenfeld``
    (one row per event row, ordered as the input, with ``schoenfeld_rows`` giving their positions).
    A row is at risk at t when start < t <= stop. One-row-per-subject data: pass start = -inf.
    """
    start = np.asarray(start, float)
    stop = np.asarray(stop, float)
    ev = np.asarray(event).astype(bool)
    X = np.asarray(X, float)
    n, p = X.shape
    beta = np.asarray(beta, float)
    c = np.zeros(p) if center is None else np.asarray(center, float)
    Xc = X - c
    r = np.exp(Xc @ beta)
    u = np.unique(stop[ev])
    m = len(u)
    M = (start[:, None] < u[None, :]) & (u[None, :] <= stop[:, None])  # n x m at risk
    Dm = np.zeros((n, m), dtype=bool)
    ev_rows = np.flatnonzero(ev)
    ev_pos = np.searchsorted(u, stop[ev_rows])
    Dm[ev_rows, ev_pos] = True
    Mf, Df = M.astype(float), Dm.astype(float)
    S0 = Mf.T @ r
    S1 = Mf.T @ (r[:, None] * Xc)
    e0 = Df.T @ r
    e1 = Df.T @ (r[:, None] * Xc)
    d = Df.sum(0)
    if ties == "efron":
        K = int(d.max()) if m else 1
        k = np.arange(K)[None, :]
        mask = (k < d[:, None]).astype(float)  # m x K
        f = np.where(mask > 0, k / np.maximum(d[:, None], 1), 0.0)
        den = S0[:, None] - f * e0[:, None]
        haz = np.where(mask > 0, 1.0 / np.where(mask > 0, den, 1.0), 0.0)  # m x K
        mean_k = (S1[:, None, :] - f[..., None] * e1[:, None, :]) / np.where(mask > 0, den, 1.0)[..., None]
        A = haz.sum(1)
        B = (haz[..., None] * mean_k).sum(1)
        Ad = ((1 - f) * haz).sum(1)
        Bd = (((1 - f) * haz)[..., None] * mean_k).sum(1)
        mbar = (mask[..., None] * mean_k).sum(1) / np.maximum(d, 1)[:, None]
    elif ties == "breslow":
        A = d / S0
        mean = S1 / S0[:, None]
        B = A[:, None] * mean
        Ad, Bd, mbar = A, B, mean
    else:
        raise ModelError(f"ties: expected 'efron' or 'breslow', got {ties!r}")
    # score residuals U_i = sum_j Dm_ij (x_i - mbar_j) - r_i * [sum_j M_ij (x_i A_j - B_j) - Dm_ij (x_i (A_j - Ad_j) - (B_j - Bd_j))]
    MA, MB = Mf @ A, Mf @ B
    DA, DB = Df @ (A - Ad), Df @ (B - Bd)
    U = Df.sum(1)[:, None] * Xc - Df @ mbar
    U -= r[:, None] * ((MA - DA)[:, None] * Xc - (MB - DB))
    sch = Xc[ev_rows] - mbar[ev_pos]
    return {"times": u, "d": d, "S0": S0, "S1": S1, "mean": S1 / S0[:, None], "dH": d / S0, "score": U,
            "schoenfeld": sch, "schoenfeld_rows": ev_rows, "schoenfeld_times": stop[ev_rows], "center": c}


def cluster_sandwich(score: np.ndarray, V: np.ndarray, clusters) -> np.ndarray:
    """Robust variance D'D with D = per-cluster sums of dfbeta = score @ V."""
    dfb = score @ V
    if clusters is not None:
        dfb = pd.DataFrame(dfb).groupby(np.asarray(clusters), sort=False).sum().to_numpy()
    return dfb.T @ dfb


def ph_test(schoenfeld: np.ndarray, event_times: np.ndarray, V: np.ndarray, names: Sequence[str],
            transform: str = "rank", km_fun=None) -> pd.DataFrame:
    """Grambsch–Therneau test of proportional hazards from (unscaled) Schoenfeld residuals, as R's ``cox.zph`` before
    survival 3.0 and lifelines' ``proportional_hazard_test``: per covariate, the score test of a slope of its scaled
    residual on g(t); the global test uses the full variance. ``V`` is the model-based (naive) variance."""
    t = np.asarray(event_times, float)
    if transform == "rank":
        g = stats.rankdata(t)
    elif transform == "identity":
        g = t
    elif transform == "log":
        g = np.log(t)
    elif transform == "km":
        if km_fun is None:
            raise ModelError("transform='km' needs the training KM")
        g = km_fun(t)
    else:
        raise ModelError(f"transform: expected 'rank', 'km', 'identity' or 'log', got {transform!r}")
    D = len(t)
    xx = g - g.mean()
    scaled = schoenfeld @ V * D
    test = xx @ scaled
    z = test**2 / (np.diag(V) * D * (xx**2).sum())
    with np.errstate(invalid="ignore"):
        rho = np.array([np.corrcoef(xx, scaled[:, j])[0, 1] for j in range(scaled.shape[1])])
    rows = [{"covariate": nm, "rho": rho[j], "test_statistic": z[j], "df": 1, "p": stats.chi2.sf(z[j], 1)}
            for j, nm in enumerate(names)]
    tg = xx @ schoenfeld
    zg = float(tg @ V @ tg * D / (xx**2).sum())
    rows.append({"covariate": "GLOBAL", "rho": np.nan, "test_statistic": zg, "df": len(names),
                 "p": stats.chi2.sf(zg, len(names))})
    out = pd.DataFrame(rows).set_index("covariate")
    out.attrs["transform"] = transform
    return out


# ------------------------------------------------------------------------------------------- survival along a path
def predict_survival_path(baseline_hazard: pd.Series, path_df: pd.DataFrame, coef: pd.Series, times=None, *,
                          start_col: str = "start", stop_col: str = "stop", center: pd.Series | None = None,
                          max_time: float | None = None) -> pd.Series:
    """Survival along a piecewise-constant covariate path.

    ``baseline_hazard``: cumulative baseline hazard H0 as a step function (index = times of its jumps, values = H0 just
    after them), for covariates equal to ``center`` (zero if None). ``path_df``: contiguous, non-overlapping rows
    (start, stop] of the subject's age with the covariate values (columns named as ``coef``'s index) that hold there.
    ``times``: ages at which to evaluate (default: each row's stop).

    S(t | path) = exp(- sum_k exp((x_k - c)'b) [H0(min(t, stop_k)) - H0(start_k)]), summing segments with start_k < t.
    When the path starts at age a > 0 this is survival *conditional on being alive at a* (a forecast for an alliance
    that has already lasted a years). Times before the path's start or after its end (or after ``max_time``, the
    model's last observed time) are NaN.
    """
    if not isinstance(path_df, pd.DataFrame) or len(path_df) == 0:
        raise ModelError("path_df: expected a non-empty DataFrame of (start, stop] rows with covariates")
    coef = pd.Series(coef, dtype=float)
    miss = [c for c in [start_col, stop_col, *coef.index] if c not in path_df.columns]
    if miss:
        raise ModelError(f"path_df lacks column(s) {miss}")
    p = path_df.sort_values(start_col)
    s = p[start_col].to_numpy(float)
    e = p[stop_col].to_numpy(float)
    if np.any(e <= s):
        raise ModelError("path_df: every row needs stop > start")
    if np.any(np.abs(s[1:] - e[:-1]) > 1e-9):
        raise ModelError("path_df: rows must be contiguous (each start equal to the previous stop), without gaps or overlaps")
    Xp = p[list(coef.index)].to_numpy(float)
    if np.isnan(Xp).any():
        raise ModelError("path_df has missing covariate values")
    c = np.zeros(len(coef)) if center is None else pd.Series(center)[coef.index].to_numpy(float)
    rel = np.exp((Xp - c) @ coef.to_numpy())
    bh = pd.Series(baseline_hazard).astype(float).sort_index()
    bx, by = bh.index.to_numpy(float), bh.to_numpy(float)
    H0 = lambda q: step_eval(bx, by, np.asarray(q, float), before=0.0)  # noqa: E731
    t = e.copy() if times is None else as_times(times)
    tt = np.clip(t[:, None], s[None, :], e[None, :])  # n_t x n_seg: min(t, stop_k), floored at start_k
    H = ((H0(tt.ravel()).reshape(tt.shape) - H0(s)[None, :]) * rel[None, :]).sum(1)
    out = np.exp(-H)
    bad = (t < s[0]) | (t > e[-1])
    if max_time is not None:
        bad |= t > max_time
    out[bad] = np.nan
    return pd.Series(out, index=pd.Index(t, name="time"), name="survival")


# ------------------------------------------------------------------------------------------------------ the model
class CoxTV(SurvivalModel):
    """Cox model for one row per subject or counting-process (time-varying) rows, with clustered robust SEs.

    ``cluster=True`` (default) reports robust standard errors clustered by ``id_col`` (every row its own cluster when
    no id is given); ``cluster=False`` reports the model-based ones. Both are in ``summary`` (``se`` is the one used for
    z, p and the intervals; ``se_naive`` and ``se_robust`` are both shown). Ties: Efron.
    """

    name = "Cox PH"
    supports_time_varying = True
    supports_delta = True

    def __init__(self, *, cluster: bool = True, penalizer: float = 0.0, alpha: float = 0.05, missing: str = "raise",
                 step_size: float | None = None):
        super().__init__(missing=missing)
        self.cluster = cluster
        self.penalizer = penalizer
        self.alpha = alpha
        self.step_size = step_size  # Newton–Raphson's first step (lifelines' default when None); same estimate

    def _fit_options(self) -> dict:
        return {} if self.step_size is None else {"fit_options": {"step_size": float(self.step_size)}}

    def _arrays(self, data):
        if self.time_varying_:
            start = data[self.start_col].to_numpy(float)
            stop = data[self.stop_col].to_numpy(float)
        else:
            stop = data[self.duration_col].to_numpy(float)
            start = np.full_like(stop, -np.inf)
        event = data[self.event_col].to_numpy(float) == 1
        return start, stop, event, data[self.covariates_].to_numpy(float)

    def _fit(self, data: pd.DataFrame, **kwargs) -> None:
        from lifelines import CoxPHFitter, CoxTimeVaryingFitter

        if not self.covariates_:
            raise ModelError("Cox PH: give at least one covariate (use KaplanMeier for covariate-free survival)")
        if self.n_events_ == 0:
            raise ModelError(f"Cox PH: no events in {self.event_col}; nothing to estimate")
        cols = self.covariates_
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.time_varying_:
                lf = CoxTimeVaryingFitter(penalizer=self.penalizer, alpha=self.alpha)
                fd = data[[c for c in [self.id_col, self.start_col, self.stop_col, self.event_col] if c] + cols]
                lf.fit(fd, event_col=self.event_col, start_col=self.start_col, stop_col=self.stop_col, id_col=self.id_col,
                       **self._fit_options())
            else:
                lf = CoxPHFitter(penalizer=self.penalizer, alpha=self.alpha)
                lf.fit(data[[self.duration_col, self.event_col] + cols], duration_col=self.duration_col,
                       event_col=self.event_col, **self._fit_options())
        self.lifelines_ = lf
        self.params_ = pd.Series(lf.params_.to_numpy(float), index=cols, name="coef")
        self.variance_naive_ = pd.DataFrame(lf.variance_matrix_.to_numpy(float), index=cols, columns=cols)
        self.log_likelihood_ = float(lf.log_likelihood_)
        start, stop, event, X = self._arrays(data)
        self.center_ = pd.Series(X.mean(0), index=cols)
        rs = riskset_stats(start, stop, event, X, self.params_.to_numpy(), self.center_.to_numpy())
        self._rs = rs
        clusters = data[self.id_col].to_numpy() if self.id_col is not None else None
        self.variance_robust_ = pd.DataFrame(cluster_sandwich(rs["score"], self.variance_naive_.to_numpy(), clusters),
                                             index=cols, columns=cols)
        self.score_at_fit_ = pd.Series(rs["score"].sum(0), index=cols)
        self.baseline_cumhaz_ = pd.Series(np.cumsum(rs["dH"]), index=pd.Index(rs["times"], name="time"),
                                          name="baseline_cumulative_hazard")
        self.se_type_ = (f"robust, clustered by {self.id_col}" if self.id_col else "robust (Lin–Wei), per row") \
            if self.cluster else "model-based"

    @property
    def variance_(self) -> pd.DataFrame:
        return self.variance_robust_ if self.cluster else self.variance_naive_

    @property
    def summary(self) -> pd.DataFrame:
        self._require_fitted()
        df = coefficient_table(self.params_, self.variance_naive_, self.variance_robust_, robust=bool(self.cluster),
                               alpha=self.alpha)
        df.index.name = "covariate"
        df.attrs["se_type"] = self.se_type_
        df.attrs["ties"] = "efron"
        return df

    def describe(self) -> dict:
        return {**super().describe(), "se_type": self.se_type_, "ties": "efron", "log_likelihood": self.log_likelihood_,
                "penalizer": self.penalizer}

    # ---- prediction
    def _cumhaz(self, X: pd.DataFrame, times: np.ndarray) -> np.ndarray:
        H0 = step_eval(self.baseline_cumhaz_.index.to_numpy(), self.baseline_cumhaz_.to_numpy(), times)
        rel = np.exp((X.to_numpy(float) - self.center_.to_numpy()) @ self.params_.to_numpy())
        H = H0[:, None] * rel[None, :]
        H[times > self.max_time_, :] = np.nan
        return H

    def _predict_survival(self, X, times):
        return np.exp(-self._cumhaz(X, times))

    def predict_partial_hazard(self, X: pd.DataFrame) -> pd.Series:
        """exp((x - center)'b): the hazard relative to a subject at the training mean."""
        Xc = self._covariate_frame(X)
        return pd.Series(np.exp((Xc.to_numpy() - self.center_.to_numpy()) @ self.params_.to_numpy()), index=Xc.index)

    def predict_risk(self, X: pd.DataFrame) -> pd.Series:
        """Linear predictor (higher = shorter expected survival), for concordance measures."""
        return np.log(self.predict_partial_hazard(X))

    def _delta_interval(self, X, times, alpha):
        """Tsiatis / Link variance of the cumulative hazard at fixed covariates (as R's survfit.coxph):
        Var H(t|x) = r^2 [sum_{t_j<=t} d_j/S0_j^2 + q(t)' V q(t)], q(t) = sum_{t_j<=t} (x - xbar_j) dH_j,
        with V the variance reported in ``summary``; interval on the log-survival scale."""
        rs = self._rs
        u = rs["times"]
        cvar = np.cumsum(rs["d"] / rs["S0"] ** 2)
        Xc = X.to_numpy(float) - self.center_.to_numpy()
        rel = np.exp(Xc @ self.params_.to_numpy())
        V = self.variance_.to_numpy()
        idx = np.searchsorted(u, times, side="right") - 1
        cum_dH = np.cumsum(rs["dH"])
        cum_mdH = np.cumsum(rs["mean"] * rs["dH"][:, None], axis=0)
        z = stats.norm.ppf(1 - alpha / 2)
        H = self._cumhaz(X, times)
        lo = np.empty_like(H)
        hi = np.empty_like(H)
        for i, ix in enumerate(idx):
            if ix < 0:
                lo[i], hi[i] = 1.0, 1.0
                continue
            q = Xc * cum_dH[ix] - cum_mdH[ix][None, :]  # subjects x p
            var = rel**2 * (cvar[ix] + np.einsum("ij,jk,ik->i", q, V, q))
            se = np.sqrt(var)
            lo[i] = np.exp(-(H[i] + z * se))
            hi[i] = np.minimum(1.0, np.exp(-(H[i] - z * se)))
        return lo, hi

    def predict_survival_path(self, path_df: pd.DataFrame, times=None, *, start_col: str | None = None,
                              stop_col: str | None = None) -> pd.Series:
        """Survival along a piecewise-constant covariate path (see module function :func:`predict_survival_path`);
        column names default to the ones used in fit (start_col/stop_col, else 'start'/'stop')."""
        self._require_fitted()
        return predict_survival_path(self.baseline_cumhaz_, path_df, self.params_, times,
                                     start_col=start_col or self.start_col or "start",
                                     stop_col=stop_col or self.stop_col or "stop", center=self.center_,
                                     max_time=self.max_time_)

    # ---- diagnostics
    def check_ph(self, transform: str = "rank") -> pd.DataFrame:
        """Schoenfeld-residual test of proportional hazards, one row per covariate plus GLOBAL (chi-square).
        A small p means the covariate's effect changes with time (age). ``transform`` of time: 'rank' (lifelines'
        default), 'km' (R's default), 'identity', 'log'."""
        self._require_fitted()
        rs = self._rs
        km_fun = None
        if transform == "km":
            start, stop, event, _ = self._arrays(self._train)
            tab = km_table(start, stop, event)

            def km_fun(t):  # left-continuous KM, S(t-), at each event time (R's cox.zph 'km')
                idx = np.searchsorted(tab["time"].to_numpy(), t, side="left") - 1
                sv = tab["survival"].to_numpy()
                return 1.0 - np.where(idx >= 0, sv[np.clip(idx, 0, None)], 1.0)

        return ph_test(rs["schoenfeld"], rs["schoenfeld_times"], self.variance_naive_.to_numpy(), self.covariates_,
                       transform=transform, km_fun=km_fun)

    def schoenfeld_residuals(self) -> pd.DataFrame:
        """Unscaled Schoenfeld residuals, one row per event (time = event time), Efron-averaged means for ties."""
        rs = self._rs
        return pd.DataFrame(rs["schoenfeld"], columns=self.covariates_,
                            index=pd.Index(rs["schoenfeld_times"], name="time"))
