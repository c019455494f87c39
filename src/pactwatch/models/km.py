"""Kaplan–Meier base rates, overall or within groups of similar subjects (e.g. alliances by obligation type, size, era).

Unit of analysis: the subject (alliance). Works on one row per subject (durations) or on counting-process rows
(start, stop], in which case the risk set at age t is every row with start < t <= stop (left truncation / delayed entry
is handled, so alliances entering observation late do not inflate early survival).

Estimator: S(t) = prod_{t_j <= t} (1 - d_j / n_j) over distinct event times t_j with d_j events among n_j at risk.
Variance: Greenwood, Var S(t) = S(t)^2 sum_{t_j <= t} d_j / (n_j (n_j - d_j)). Intervals (``method="delta"``) use the
log(-log) transform of the Greenwood variance (as lifelines and R's ``conf.type="log-log"``), or ``ci="plain"``.
Beyond the last observed time in a group the curve is unknown and reported as NaN (unless it has reached 0).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .base import ModelError, SurvivalModel, _as_list, step_eval


def km_table(start: np.ndarray, stop: np.ndarray, event: np.ndarray) -> pd.DataFrame:
    """Product-limit table at distinct event times: time, n_at_risk, n_events, survival, greenwood (sum d/(n(n-d)))."""
    start = np.asarray(start, float)
    stop = np.asarray(stop, float)
    event = np.asarray(event).astype(bool)
    u = np.unique(stop[event])
    # at risk: start < u <= stop   (counted with sorted arrays)
    s_sorted, e_sorted = np.sort(start), np.sort(stop)
    n = np.searchsorted(s_sorted, u, side="left") - np.searchsorted(e_sorted, u, side="left")
    d = np.bincount(np.searchsorted(u, stop[event]), minlength=len(u)).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - d / n)
        gw = np.cumsum(np.where(n > d, d / (n * (n - d)), np.inf))
    return pd.DataFrame({"time": u, "n_at_risk": n, "n_events": d, "survival": surv, "greenwood": gw})


class KaplanMeier(SurvivalModel):
    """Kaplan–Meier survival, overall (``groups=None``) or one curve per combination of the ``groups`` columns.

    ``predict_survival(X, times)`` gives each row of X the curve of its group (X needs the group columns; with no groups
    X may be None). A group not seen in training raises, unless ``unseen="overall"`` (then the pooled curve is used and
    the substitution is recorded in ``log_``).
    """

    name = "Kaplan–Meier"
    supports_time_varying = True
    supports_delta = True

    def __init__(self, groups: str | Sequence[str] | None = None, *, ci: str = "loglog", unseen: str = "raise",
                 missing: str = "raise"):
        super().__init__(missing=missing)
        if ci not in ("loglog", "plain"):
            raise ModelError(f"ci: expected 'loglog' or 'plain', got {ci!r}")
        if unseen not in ("raise", "overall"):
            raise ModelError(f"unseen: expected 'raise' or 'overall', got {unseen!r}")
        self.groups = _as_list(groups)
        self.ci = ci
        self.unseen = unseen

    def _extra_columns(self):
        return self.groups

    def _fit(self, data: pd.DataFrame, **kwargs) -> None:
        if self.covariates_:
            raise ModelError("Kaplan–Meier takes no covariates; use groups=[...] to stratify")
        if self.time_varying_:
            start, stop = data[self.start_col].to_numpy(float), data[self.stop_col].to_numpy(float)
        else:
            stop = data[self.duration_col].to_numpy(float)
            start = np.full_like(stop, -np.inf)  # everyone at risk from the origin (also at t = 0)
        event = data[self.event_col].to_numpy(float) == 1
        self.tables_: dict = {}
        self.group_max_: dict = {}
        self.group_counts_: dict = {}
        self.overall_ = km_table(start, stop, event)
        self.overall_max_ = float(stop.max())
        if self.groups:
            keys = data[self.groups].apply(tuple, axis=1)
            for k, ix in keys.groupby(keys).groups.items():
                m = data.index.get_indexer(ix)
                self.tables_[k] = km_table(start[m], stop[m], event[m])
                self.group_max_[k] = float(stop[m].max())
                sub = data.iloc[m]
                n_sub = sub[self.id_col].nunique() if self.id_col else len(sub)
                self.group_counts_[k] = (int(n_sub), int(event[m].sum()))
        else:
            self.tables_[()] = self.overall_
            self.group_max_[()] = self.overall_max_
            self.group_counts_[()] = (self.n_subjects_, self.n_events_)

    def _covariate_frame(self, X):
        if not self.groups:
            if X is None:
                return pd.DataFrame(index=pd.RangeIndex(1))
            return pd.DataFrame(index=X.index)
        if X is None:
            raise ModelError(f"Kaplan–Meier: X with group column(s) {self.groups} is required")
        miss = [c for c in self.groups if c not in X.columns]
        if miss:
            raise ModelError(f"Kaplan–Meier: X lacks group column(s) {miss}")
        return X[self.groups]

    def _key_table(self, key):
        if key in self.tables_:
            return self.tables_[key], self.group_max_[key]
        if self.unseen == "overall":
            self.log_.append({"step": "unseen_group", "rows": 1, "note": f"group {key} not in training; pooled curve used"})
            return self.overall_, self.overall_max_
        raise ModelError(f"Kaplan–Meier: group {dict(zip(self.groups, key))} was not in the training data")

    def _curves(self, X, times, what):
        keys = X.apply(tuple, axis=1) if self.groups else pd.Series([()] * len(X), index=X.index)
        out = np.empty((len(times), len(X)))
        cache = {}
        for j, k in enumerate(keys):
            if k not in cache:
                tab, tmax = self._key_table(k)
                cache[k] = what(tab, tmax, times)
            out[:, j] = cache[k]
        return out

    def _predict_survival(self, X, times):
        def f(tab, tmax, t):
            s = step_eval(tab["time"].to_numpy(), tab["survival"].to_numpy(), t, before=1.0)
            return np.where((t > tmax) & (s > 0), np.nan, s)  # once everyone has ended, S = 0 is known

        return self._curves(X, times, f)

    def _delta_interval(self, X, times, alpha):
        z = stats.norm.ppf(1 - alpha / 2)

        def bounds(tab, tmax, t):
            s = step_eval(tab["time"].to_numpy(), tab["survival"].to_numpy(), t, before=1.0)
            gw = step_eval(tab["time"].to_numpy(), tab["greenwood"].to_numpy(), t, before=0.0)
            with np.errstate(all="ignore"):
                if self.ci == "loglog":
                    ls = np.log(s)
                    half = z * np.sqrt(gw) / ls
                    a = np.exp(-np.exp(np.log(-ls) + half))
                    b = np.exp(-np.exp(np.log(-ls) - half))
                    lo, hi = np.fmin(a, b), np.fmax(a, b)
                    lo = np.where(s >= 1, 1.0, lo)
                    hi = np.where(s >= 1, 1.0, hi)
                else:
                    sd = s * np.sqrt(gw)
                    lo, hi = np.clip(s - z * sd, 0, 1), np.clip(s + z * sd, 0, 1)
            nan = t > tmax
            return np.where(nan, np.nan, lo), np.where(nan, np.nan, hi)

        keys = X.apply(tuple, axis=1) if self.groups else pd.Series([()] * len(X), index=X.index)
        lo = np.empty((len(times), len(X)))
        hi = np.empty_like(lo)
        for j, k in enumerate(keys):
            tab, tmax = self._key_table(k)
            lo[:, j], hi[:, j] = bounds(tab, tmax, times)
        return lo, hi

    def median_survival(self, key=()) -> float:
        """Smallest time with S(t) <= 0.5 (NaN if the curve never drops to one half)."""
        tab, _ = self._key_table(key)
        hit = tab.loc[tab["survival"] <= 0.5, "time"]
        return float(hit.iloc[0]) if len(hit) else float("nan")

    @property
    def summary(self) -> pd.DataFrame:
        self._require_fitted()
        rows = []
        for k in self.tables_:
            n, e = self.group_counts_[k]
            rows.append({**dict(zip(self.groups, k)), "n_subjects": n, "n_events": e,
                         "median_survival": self.median_survival(k), "max_time": self.group_max_[k]})
        df = pd.DataFrame(rows)
        return df.set_index(self.groups) if self.groups else df
