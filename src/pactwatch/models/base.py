"""The interface every pactwatch survival model shares, and the data schema it reads.

Data schema (generic; the alliance panels produce exactly these shapes)
-----------------------------------------------------------------------
Two layouts are accepted by ``fit``:

* **one row per subject** (e.g. one row per alliance): ``duration_col`` is the time from the subject's origin (alliance
  formation) to its end or to censoring, in the panel's time unit (years for alliances; must be > 0 for parametric
  models, >= 0 otherwise); ``event_col`` is 1 if the end was observed (the event), 0 if the subject was still alive
  when observation stopped (right-censored). For competing risks ``event_col`` holds a cause code instead
  (0 = censored, 1..K = the way the subject ended).
* **counting-process / time-varying** (e.g. one row per alliance-year): ``id_col`` names the subject, ``start_col`` and
  ``stop_col`` the interval (start, stop] of the subject's age during which the row's covariates held, ``event_col`` is
  1 only on the subject's last row if it ended then. Intervals of a subject must not overlap.

``covariates`` lists the numeric columns used as predictors (dummies must already be coded). Rows with a missing value
in any used column are never dropped silently: with ``missing="raise"`` (default) fitting fails with a message naming
the column and the count; with ``missing="drop"`` they are removed and the count is recorded in ``model.log_``.

Prediction
----------
``predict_survival(X, times)`` returns a DataFrame with one row per time in ``times`` and one column per row of ``X``
(named by ``X.index``): the probability of surviving beyond ``t`` (in the duration unit, measured from the origin).
Values at times beyond what the model can honestly speak to (after the last observed follow-up for the
non-parametric / semi-parametric models) are NaN, never a carried-forward guess.
``predict_survival_interval(X, times, alpha, method)`` returns ``{"estimate", "lower", "upper"}`` frames of the same
shape, ``method="bootstrap"`` (resampling subjects — whole clusters when ``id_col`` is given — and refitting) or
``"delta"`` (analytic, where the model supports it).
"""
from __future__ import annotations

import copy
import json
import math
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError


class ModelError(PactwatchError):
    """A model was given data or arguments it cannot use (message names the input and the problem)."""


def _as_list(x: str | Iterable[str] | None) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    return list(x)


def as_times(times: Iterable[float] | float) -> np.ndarray:
    """A 1-d float array of non-negative, finite prediction times (order kept)."""
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if t.ndim != 1 or len(t) == 0:
        raise ModelError("times: expected a non-empty 1-d sequence of numbers")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ModelError(f"times: all values must be finite and >= 0 (got {t[~np.isfinite(t) | (t < 0)][:5].tolist()})")
    return t


def step_eval(x: np.ndarray, y: np.ndarray, t: np.ndarray, *, before: float = 0.0) -> np.ndarray:
    """Evaluate the right-continuous step function with jumps at sorted ``x`` to values ``y`` at times ``t``
    (value ``before`` for t < x[0])."""
    idx = np.searchsorted(x, t, side="right") - 1
    out = np.where(idx >= 0, y[np.clip(idx, 0, None)] if len(y) else before, before)
    return out.astype(float)


def jsonable(obj: Any) -> Any:
    """Convert numpy / pandas values to plain JSON types (NaN and inf become None)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, pd.DataFrame):
        return jsonable(obj.reset_index().to_dict(orient="records"))
    if isinstance(obj, pd.Series):
        return jsonable(obj.to_dict())
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        f = float(obj)
        return None if (math.isnan(f) or math.isinf(f)) else f
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


class SurvivalModel:
    """Base class: validates input, records what was used, offers bootstrap intervals and JSON export.

    Subclasses implement ``_fit(df)`` (df already validated, only the used columns) and
    ``_predict_survival(X, times) -> np.ndarray`` of shape (len(times), len(X)).
    """

    name = "survival model"
    supports_time_varying = False
    supports_delta = False

    def __init__(self, *, missing: str = "raise"):
        if missing not in ("raise", "drop"):
            raise ModelError(f"missing: expected 'raise' or 'drop', got {missing!r}")
        self.missing = missing
        self.fitted_ = False
        self.log_: list[dict] = []

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        df: pd.DataFrame,
        duration_col: str | None = None,
        event_col: str = "event",
        *,
        covariates: Sequence[str] | None = None,
        id_col: str | None = None,
        start_col: str | None = None,
        stop_col: str | None = None,
        **kwargs,
    ) -> "SurvivalModel":
        if kwargs:
            raise ModelError(f"{self.name}: unexpected fit argument(s) {sorted(kwargs)}; model settings go to the constructor")
        self._fit_args = dict(duration_col=duration_col, event_col=event_col, covariates=covariates, id_col=id_col,
                              start_col=start_col, stop_col=stop_col)
        data = self._validate(df, duration_col, event_col, covariates, id_col, start_col, stop_col)
        self._train = data
        self._fit(data, **kwargs)
        self.fitted_ = True
        return self

    def _validate(self, df, duration_col, event_col, covariates, id_col, start_col, stop_col) -> pd.DataFrame:
        if not isinstance(df, pd.DataFrame):
            raise ModelError(f"{self.name}: fit expects a pandas DataFrame, got {type(df).__name__}")
        if len(df) == 0:
            raise ModelError(f"{self.name}: the data frame is empty")
        tv = start_col is not None or stop_col is not None
        if tv and (start_col is None or stop_col is None):
            raise ModelError(f"{self.name}: time-varying data need both start_col and stop_col")
        if tv and duration_col is not None:
            raise ModelError(f"{self.name}: give either duration_col (one row per subject) or start_col/stop_col, not both")
        if not tv and duration_col is None:
            raise ModelError(f"{self.name}: give duration_col (one row per subject) or start_col and stop_col (time-varying)")
        if tv and not self.supports_time_varying:
            raise ModelError(f"{self.name}: time-varying (start/stop) data are not supported; use one row per subject")
        covs = _as_list(covariates)
        self.covariates_ = covs
        self.duration_col, self.event_col, self.id_col = duration_col, event_col, id_col
        self.start_col, self.stop_col = start_col, stop_col
        self.time_varying_ = tv
        time_cols = [start_col, stop_col] if tv else [duration_col]
        needed = [c for c in [*time_cols, event_col, id_col, *covs, *self._extra_columns()] if c is not None]
        missing_cols = [c for c in dict.fromkeys(needed) if c not in df.columns]
        if missing_cols:
            raise ModelError(f"{self.name}: column(s) {missing_cols} not in the data (have: {list(df.columns)[:20]})")
        if len(set(covs)) != len(covs):
            raise ModelError(f"{self.name}: covariates listed twice: {covs}")
        clash = set(covs) & {duration_col, event_col, id_col, start_col, stop_col}
        if clash:
            raise ModelError(f"{self.name}: column(s) {sorted(clash)} used both as covariate and as time/event/id column")
        data = df[list(dict.fromkeys(needed))].reset_index(drop=True)
        for c in [*time_cols, event_col, *covs]:
            if not (pd.api.types.is_numeric_dtype(data[c]) or pd.api.types.is_bool_dtype(data[c])):
                raise ModelError(f"{self.name}: column {c!r} must be numeric (got dtype {data[c].dtype}); code categories as dummies")
        na = data.isna()
        n_na = int(na.any(axis=1).sum())
        if n_na:
            per_col = {c: int(v) for c, v in na.sum().items() if v}
            if self.missing == "raise":
                raise ModelError(f"{self.name}: {n_na} row(s) have missing values in used columns {per_col}; "
                                 "fill or drop them first, or pass missing='drop'")
            data = data.loc[~na.any(axis=1)].reset_index(drop=True)
            self.log_.append({"step": "drop_missing", "rows": n_na, "note": f"rows dropped for missing values: {per_col}"})
        if len(data) == 0:
            raise ModelError(f"{self.name}: no rows left after removing missing values")
        for c in covs:
            data[c] = data[c].astype(float)
        ev = data[event_col]
        self._check_event(ev)
        if tv:
            s, e = data[start_col].astype(float), data[stop_col].astype(float)
            bad = ~(e > s)
            if bad.any():
                raise ModelError(f"{self.name}: {int(bad.sum())} row(s) have {stop_col} <= {start_col} "
                                 f"(first: {data.loc[bad].head(1).to_dict('records')})")
            if (s < 0).any():
                raise ModelError(f"{self.name}: {start_col} has negative values")
            if id_col is not None:
                srt = data.sort_values([id_col, start_col])
                prev_stop = srt.groupby(id_col)[stop_col].shift()
                ov = prev_stop > srt[start_col]
                if ov.any():
                    raise ModelError(f"{self.name}: {int(ov.sum())} row(s) overlap an earlier interval of the same "
                                     f"{id_col} (first: {srt.loc[ov].head(1).to_dict('records')})")
        else:
            d = data[duration_col].astype(float)
            if (d < 0).any() or not np.isfinite(d).all():
                raise ModelError(f"{self.name}: {duration_col} must be finite and >= 0 "
                                 f"({int(((d < 0) | ~np.isfinite(d)).sum())} bad row(s))")
            if id_col is not None and data[id_col].duplicated().any():
                raise ModelError(f"{self.name}: {id_col} repeats in one-row-per-subject data; use start_col/stop_col for "
                                 "several rows per subject")
        self.n_rows_ = int(len(data))
        self.n_subjects_ = int(data[id_col].nunique()) if id_col is not None else int(len(data))
        self.n_events_ = int((data[event_col] != 0).sum())
        return data

    def _extra_columns(self) -> list[str]:
        return []

    def _check_event(self, ev: pd.Series) -> None:
        vals = set(pd.unique(ev.astype(float)))
        if not vals <= {0.0, 1.0}:
            raise ModelError(f"{self.name}: {self.event_col} must be 0 (censored) or 1 (event); found {sorted(vals)[:10]}")

    @property
    def max_time_(self) -> float:
        d = self._train
        return float(d[self.stop_col].max() if self.time_varying_ else d[self.duration_col].max())

    def _fit(self, data: pd.DataFrame, **kwargs) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _require_fitted(self):
        if not getattr(self, "fitted_", False):
            raise ModelError(f"{self.name}: call fit() before predicting")

    # ---------------------------------------------------------------- prediction
    def _covariate_frame(self, X: pd.DataFrame | None) -> pd.DataFrame:
        cols = self.covariates_
        if X is None:
            if cols:
                raise ModelError(f"{self.name}: X is required (needs columns {cols})")
            return pd.DataFrame(index=pd.RangeIndex(1))
        if isinstance(X, pd.Series):
            X = X.to_frame().T
        if not isinstance(X, pd.DataFrame):
            raise ModelError(f"{self.name}: X must be a DataFrame with columns {cols}")
        miss = [c for c in cols if c not in X.columns]
        if miss:
            raise ModelError(f"{self.name}: X lacks covariate column(s) {miss}")
        Xc = X[cols].astype(float) if cols else pd.DataFrame(index=X.index)
        if cols and Xc.isna().any().any():
            bad = {c: int(v) for c, v in Xc.isna().sum().items() if v}
            raise ModelError(f"{self.name}: X has missing covariate values {bad}; cannot predict for those rows")
        return Xc

    def predict_survival(self, X: pd.DataFrame | None, times) -> pd.DataFrame:
        """S(t | x): rows = ``times``, columns = rows of ``X`` (by X's index)."""
        self._require_fitted()
        t = as_times(times)
        Xc = self._covariate_frame(X)
        vals = self._predict_survival(Xc, t)
        return pd.DataFrame(vals, index=pd.Index(t, name="time"), columns=Xc.index)

    def _predict_survival(self, X: pd.DataFrame, times: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def predict_survival_interval(self, X: pd.DataFrame | None, times, alpha: float = 0.05, method: str = "bootstrap",
                                  *, n_boot: int = 200, seed: int = 0, n_jobs: int = 1) -> dict[str, pd.DataFrame]:
        """Point estimate and pointwise (1 - alpha) interval for S(t | x).

        ``bootstrap``: resample subjects with replacement (whole ``id_col`` clusters for time-varying data), refit
        ``n_boot`` times, take the alpha/2 and 1 - alpha/2 quantiles of the predicted curves (percentile method).
        Refits that fail are counted in ``result['n_failed']`` (not silently ignored). ``delta``: analytic, model-specific.
        """
        self._require_fitted()
        if not 0 < alpha < 1:
            raise ModelError(f"alpha must be in (0, 1), got {alpha}")
        est = self.predict_survival(X, times)
        if method == "delta":
            if not self.supports_delta:
                raise ModelError(f"{self.name}: method='delta' is not available; use method='bootstrap'")
            lo, hi = self._delta_interval(self._covariate_frame(X), as_times(times), alpha)
            mk = lambda a: pd.DataFrame(a, index=est.index, columns=est.columns)  # noqa: E731
            return {"estimate": est, "lower": mk(lo), "upper": mk(hi), "method": "delta", "alpha": alpha}
        if method != "bootstrap":
            raise ModelError(f"method: expected 'bootstrap' or 'delta', got {method!r}")
        curves, n_failed = self.bootstrap_curves(X, times, n_boot=n_boot, seed=seed, n_jobs=n_jobs)
        if len(curves) == 0:
            raise ModelError(f"{self.name}: all {n_boot} bootstrap refits failed")
        arr = np.stack(curves)  # (B, T, N)
        with np.errstate(all="ignore"):
            lo = np.nanquantile(arr, alpha / 2, axis=0)
            hi = np.nanquantile(arr, 1 - alpha / 2, axis=0)
        mk = lambda a: pd.DataFrame(a, index=est.index, columns=est.columns)  # noqa: E731
        return {"estimate": est, "lower": mk(lo), "upper": mk(hi), "method": "bootstrap", "alpha": alpha,
                "n_boot": n_boot, "n_failed": n_failed}

    def _delta_interval(self, X, times, alpha):  # pragma: no cover - abstract
        raise NotImplementedError

    def clone(self) -> "SurvivalModel":
        """An unfitted copy with the same settings."""
        new = copy.copy(self)
        for attr in list(vars(new)):
            if attr.endswith("_") and not attr.startswith("__") or attr in ("_train", "_fit_args"):
                delattr(new, attr)
        new.fitted_ = False
        new.log_ = []
        return new

    def resample(self, rng: np.random.Generator) -> pd.DataFrame:
        """One bootstrap sample of the training data: subjects (``id_col`` clusters) drawn with replacement; duplicated
        clusters get fresh ids so they count as distinct subjects."""
        d = self._train
        if self.id_col is not None:
            ids = pd.unique(d[self.id_col])
            draw = rng.choice(len(ids), size=len(ids), replace=True)
            groups = {k: g for k, g in d.groupby(self.id_col, sort=False)}
            parts = []
            for j, k in enumerate(draw):
                g = groups[ids[k]].copy()
                g[self.id_col] = j
                parts.append(g)
            return pd.concat(parts, ignore_index=True)
        idx = rng.integers(0, len(d), size=len(d))
        return d.iloc[idx].reset_index(drop=True)

    def bootstrap_curves(self, X, times, *, n_boot: int = 200, seed: int = 0, n_jobs: int = 1):
        """Predicted survival arrays (times x subjects) from ``n_boot`` refits on resampled data; returns (list, n_failed)."""
        seeds = np.random.SeedSequence(seed).spawn(n_boot)
        if n_jobs == 1:
            out = [_one_boot(self, X, times, s) for s in seeds]
        else:
            from joblib import Parallel, delayed

            out = Parallel(n_jobs=n_jobs)(delayed(_one_boot)(self, X, times, s) for s in seeds)
        curves = [o for o in out if o is not None]
        return curves, n_boot - len(curves)

    # ------------------------------------------------------------------ reporting
    @property
    def summary(self) -> pd.DataFrame:  # pragma: no cover - overridden
        raise NotImplementedError

    def describe(self) -> dict:
        """What was fitted on what: counts and settings (no data)."""
        return {
            "model": self.name,
            "layout": "counting-process (start, stop]" if self.time_varying_ else "one row per subject",
            "duration_col": self.duration_col, "event_col": self.event_col, "id_col": self.id_col,
            "start_col": self.start_col, "stop_col": self.stop_col, "covariates": list(self.covariates_),
            "n_rows": self.n_rows_, "n_subjects": self.n_subjects_, "n_events": self.n_events_,
            "max_time": self.max_time_, "log": list(self.log_),
        }

    def to_dict(self) -> dict:
        """JSON-ready description and summary table of the fitted model."""
        self._require_fitted()
        return jsonable({**self.describe(), "summary": self.summary})

    def to_json(self, **kw) -> str:
        return json.dumps(self.to_dict(), **kw)


def _one_boot(model: SurvivalModel, X, times, seed_seq) -> np.ndarray | None:
    rng = np.random.default_rng(seed_seq)
    sample = model.resample(rng)
    m = model.clone()
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            m.fit(sample, **model._fit_args)
            return m.predict_survival(X, times).to_numpy()
    except Exception:  # a refit can fail on a degenerate resample (e.g. no events in a group); counted by the caller
        return None


def coefficient_table(params: pd.Series, variance_naive, variance_robust, *, robust: bool, alpha: float) -> pd.DataFrame:
    """The coefficient table every regression model prints: coef, exp(coef), se (robust when ``robust``, else naive),
    both SEs, z, two-sided p and the (1 - alpha) Wald interval."""
    from scipy import stats

    b = params
    se_n = np.sqrt(np.diag(np.asarray(variance_naive, float)))
    se_r = np.sqrt(np.diag(np.asarray(variance_robust, float)))
    se = se_r if robust else se_n
    z = b / se
    q = stats.norm.ppf(1 - alpha / 2)
    return pd.DataFrame({"coef": b, "exp(coef)": np.exp(b), "se": se, "se_naive": se_n, "se_robust": se_r, "z": z,
                         "p": 2 * stats.norm.sf(np.abs(z)), "lower": b - q * se, "upper": b + q * se}, index=b.index)
