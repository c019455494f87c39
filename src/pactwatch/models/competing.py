"""Competing risks: cause-specific Cox models and Aalen–Johansen cumulative incidence.

Unit of analysis: the subject (alliance). ``event_col`` holds a cause code: 0 = censored (still alive at the end of
observation), 1..K = the way the subject ended (e.g. for alliances: violation, fulfilment, renegotiation — the mapping
from ATOP codes is the caller's, and must be stated with every result; ``cause_labels`` carries names).

Cause-specific hazards: for each cause k one Cox model in which ends by cause k are events and ends by any other cause
are censored at the time they happen (the usual cause-specific analysis: coefficients describe the hazard of ending
this way among subjects still alive). Combining them on the grid of all observed event times t_j (product-limit form,
so that S + sum_k F_k = 1 exactly): all-cause survival S(t|x) = prod_{t_j <= t} (1 - sum_k dH_k(t_j|x)) and cumulative
incidence of cause k, F_k(t|x) = sum_{t_j <= t} S(t_j- | x) dH_k(t_j | x) — the probability of having ended by cause k
by age t, accounting for the other causes. (Increments summing above 1, possible for extreme covariates, are capped.)

Aalen–Johansen (non-parametric): F_k(t) = sum_{t_j <= t} S_KM(t_j-) d_kj / n_j, ties handled exactly (no jitter),
with delayed entry for counting-process rows.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from .base import ModelError, SurvivalModel, _as_list, as_times, step_eval
from .cox import CoxTV


def aalen_johansen(stop, cause, event_of_interest, start=None) -> pd.DataFrame:
    """Aalen–Johansen cumulative incidence of ``event_of_interest`` with exact handling of ties.

    Returns one row per distinct event time (any cause): time, n_at_risk, n_events (any cause), n_cause,
    survival (all-cause KM, S(t)) and cif (F_k(t))."""
    stop = np.asarray(stop, float)
    cause = np.asarray(cause)
    start = np.full_like(stop, -np.inf) if start is None else np.asarray(start, float)
    any_ev = cause != 0
    u = np.unique(stop[any_ev])
    n = np.searchsorted(np.sort(start), u, side="left") - np.searchsorted(np.sort(stop), u, side="left")
    pos = np.searchsorted(u, stop)
    d = np.bincount(pos[any_ev], minlength=len(u)).astype(float)
    dk = np.bincount(pos[cause == event_of_interest], minlength=len(u)).astype(float)
    s = np.cumprod(1 - d / n)
    s_prev = np.concatenate([[1.0], s[:-1]])
    cif = np.cumsum(s_prev * dk / n)
    return pd.DataFrame({"time": u, "n_at_risk": n, "n_events": d, "n_cause": dk, "survival": s, "cif": cif})


class CauseSpecificCox(SurvivalModel):
    """One Cox model per cause (other causes censored), with clustered SEs, combined into survival and cumulative
    incidence predictions.

    ``causes``: the codes to model (default: every non-zero code present). ``cause_labels``: {code: name} for reports.
    Codes present in the data but not modelled still end the subject (they are censored in every modelled cause's fit
    and count in no CIF); the count is recorded in ``log_``.
    """

    name = "Cause-specific Cox"
    supports_time_varying = True
    supports_delta = False

    def __init__(self, causes: Sequence[int] | None = None, *, cause_labels: Mapping[int, str] | None = None,
                 cluster: bool = True, penalizer: float = 0.0, alpha: float = 0.05, missing: str = "raise"):
        super().__init__(missing=missing)
        self.causes = None if causes is None else [int(c) for c in _as_list(causes)]
        self.cause_labels = dict(cause_labels or {})
        self.cluster, self.penalizer, self.alpha = cluster, penalizer, alpha

    def _check_event(self, ev: pd.Series) -> None:
        v = ev.astype(float)
        if (v < 0).any() or (v != np.round(v)).any():
            raise ModelError(f"{self.name}: {self.event_col} must hold integer cause codes >= 0 (0 = censored)")

    def label(self, k: int) -> str:
        return self.cause_labels.get(k, f"cause {k}")

    def _fit(self, data: pd.DataFrame, **kwargs) -> None:
        codes = data[self.event_col].astype(int)
        present = sorted(int(c) for c in codes.unique() if c != 0)
        causes = self.causes if self.causes is not None else present
        if not causes:
            raise ModelError(f"{self.name}: no events (non-zero codes) in {self.event_col}")
        absent = [c for c in causes if c not in present]
        if absent:
            raise ModelError(f"{self.name}: cause(s) {absent} have no events in {self.event_col} (present: {present})")
        other = codes[(codes != 0) & ~codes.isin(causes)]
        if len(other):
            self.log_.append({"step": "unmodelled_causes", "rows": int(len(other)),
                              "note": f"ends by codes {sorted(other.unique().tolist())} are censored in every model"})
        self.causes_ = list(causes)
        self.models_: dict[int, CoxTV] = {}
        for k in causes:
            d = data.copy()
            d[self.event_col] = (codes == k).astype(int)
            self.models_[k] = CoxTV(cluster=self.cluster, penalizer=self.penalizer, alpha=self.alpha).fit(
                d, self.duration_col, self.event_col, covariates=self.covariates_, id_col=self.id_col,
                start_col=self.start_col, stop_col=self.stop_col)
        self.events_by_cause_ = {k: int((codes == k).sum()) for k in causes}
        grid = np.unique(np.concatenate([m.baseline_cumhaz_.index.to_numpy() for m in self.models_.values()]))
        self.grid_ = grid

    def _increments(self, X: pd.DataFrame):
        """dH_k on the common grid for each cause: dict k -> (len(grid) x n) array."""
        out = {}
        for k, m in self.models_.items():
            bh = m.baseline_cumhaz_
            H0 = step_eval(bh.index.to_numpy(), bh.to_numpy(), self.grid_)
            dH0 = np.diff(np.concatenate([[0.0], H0]))
            rel = np.exp((X.to_numpy(float) - m.center_.to_numpy()) @ m.params_.to_numpy())
            out[k] = dH0[:, None] * rel[None, :]
        return out

    def _paths(self, X: pd.DataFrame):
        """(S on the grid, S just before each grid time, increments by cause), all len(grid) x n."""
        inc = self._increments(X)
        tot = sum(inc.values())
        scale = np.where(tot > 1, 1 / np.where(tot > 1, tot, 1), 1.0)  # cap: never more than everyone ends
        inc = {k: v * scale for k, v in inc.items()}
        S = np.cumprod(1 - np.minimum(tot, 1), axis=0)
        S_prev = np.vstack([np.ones((1, len(X))), S[:-1]])
        return S, S_prev, inc

    def _predict_survival(self, X, times):
        S, _, _ = self._paths(X)
        Ss = np.vstack([np.ones((1, len(X))), S])
        idx = np.searchsorted(self.grid_, times, side="right")  # 0 = before the first event time
        out = Ss[idx]
        out[times > self.max_time_] = np.nan
        return out

    def predict_cumulative_incidence(self, X: pd.DataFrame, times, cause: int) -> pd.DataFrame:
        """F_k(t | x) for cause ``cause``: rows = times, columns = rows of X."""
        self._require_fitted()
        if cause not in self.models_:
            raise ModelError(f"{self.name}: cause {cause} was not modelled (modelled: {self.causes_})")
        t = as_times(times)
        Xc = self._covariate_frame(X)
        _, S_prev, inc = self._paths(Xc)
        F = np.vstack([np.zeros((1, len(Xc))), np.cumsum(S_prev * inc[cause], axis=0)])
        idx = np.searchsorted(self.grid_, t, side="right")
        out = F[idx]
        out[t > self.max_time_] = np.nan
        return pd.DataFrame(out, index=pd.Index(t, name="time"), columns=Xc.index)

    def cumulative_incidence(self, cause: int, groups: str | Sequence[str] | None = None) -> pd.DataFrame:
        """Aalen–Johansen cumulative incidence of ``cause`` in the training data (overall or by ``groups`` columns,
        which must have been passed to fit via ``covariates``)."""
        self._require_fitted()
        d = self._train
        stop = d[self.stop_col if self.time_varying_ else self.duration_col].to_numpy(float)
        start = d[self.start_col].to_numpy(float) if self.time_varying_ else None
        code = d[self.event_col].to_numpy(int)
        g = _as_list(groups)
        if not g:
            return aalen_johansen(stop, code, cause, start)
        miss = [c for c in g if c not in d.columns]
        if miss:
            raise ModelError(f"{self.name}: group column(s) {miss} were not among the fitted columns")
        parts = []
        for key, ix in d.groupby(g).groups.items():
            m = d.index.get_indexer(ix)
            t = aalen_johansen(stop[m], code[m], cause, None if start is None else start[m])
            key = key if isinstance(key, tuple) else (key,)
            for c, v in zip(g, key):
                t.insert(0, c, v)
            parts.append(t)
        return pd.concat(parts, ignore_index=True)

    @property
    def summary(self) -> pd.DataFrame:
        self._require_fitted()
        parts = []
        for k, m in self.models_.items():
            s = m.summary.reset_index()
            s.insert(0, "cause_label", self.label(k))
            s.insert(0, "cause", k)
            parts.append(s)
        out = pd.concat(parts, ignore_index=True).set_index(["cause", "covariate"])
        out.attrs["se_type"] = next(iter(self.models_.values())).se_type_
        return out

    def describe(self) -> dict:
        return {**super().describe(), "causes": {int(k): self.label(k) for k in self.causes_},
                "events_by_cause": self.events_by_cause_,
                "definition": "cause-specific hazards: ends by other causes censored at their time"}
