"""Scores and baselines for probabilistic survival forecasts at a fixed horizon (the landmark back-test).

Pure functions over arrays and frames; nothing here reads data.

Conventions
-----------
- ``p`` is a predicted probability of *surviving* to the horizon (the forecast's S(a0 + h | a0)); ``y`` is 1 if the
  alliance survived to the horizon, 0 if it ended before it. Rows whose outcome is unknown (censored before the
  horizon) must be removed by the caller, who counts them.
- Brier score: mean (p - y)^2. Brier skill score against a reference: 1 - Brier / Brier_ref.
- Log loss: -mean(y log p + (1 - y) log(1 - p)), p clipped to [eps, 1 - eps].
- Calibration (logistic recalibration of the *event* probability q = 1 - p): intercept = a in
  logit P(event) = a + logit(q) (slope fixed at 1, "calibration in the large"); slope = b in
  logit P(event) = a' + b logit(q). Perfect: 0 and 1.
- AUC: area under the ROC curve of q for the event by the horizon (sklearn ``roc_auc_score``).
- Harrell's and Uno's C: scikit-survival ``concordance_index_censored`` / ``concordance_index_ipcw`` with risk = q,
  on the residual time from the origin truncated at the horizon.
- Cluster bootstrap: resample clusters (alliances) with replacement; every row of a drawn cluster enters as often as
  the cluster was drawn.

Baselines (each on reference data the caller restricts to what was observable at the origin):

- :func:`km_conditional`: Kaplan–Meier with delayed entry, S(a0 + h) / S(a0) (the product over event times in
  (a0, a0 + h]); beyond the last follow-up time of the reference data the curve is held flat (flagged).
- :func:`constant_hazard_survival`: exp(-rate h) with rate = events / exposure.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .base import ModelError

EPS = 1e-6


# ------------------------------------------------------------------------------------------------------- baselines
def km_conditional(start, stop, event, a0, h) -> tuple[np.ndarray, np.ndarray]:
    """Kaplan–Meier (delayed entry at ``start``, exit at ``stop``, ``event`` 0/1) conditional survival
    S(a0 + h) / S(a0) for each a0 in ``a0`` (array). Returns (survival, beyond) where ``beyond`` flags a0 + h past the
    reference data's last follow-up time (curve held flat there). NaN where nobody in the reference is at risk just
    after a0 (no information)."""
    start = np.asarray(start, float)
    stop = np.asarray(stop, float)
    event = np.asarray(event).astype(bool)
    a0 = np.atleast_1d(np.asarray(a0, float))
    if not (len(start) == len(stop) == len(event)):
        raise ModelError("km_conditional: start, stop and event must have the same length")
    if np.any(stop < start):
        raise ModelError("km_conditional: some stop times are before their start times")
    if len(stop) == 0:
        return np.full(len(a0), np.nan), np.ones(len(a0), bool)
    u = np.unique(stop[event])
    s_sorted, e_sorted = np.sort(start), np.sort(stop)
    n = np.searchsorted(s_sorted, u, side="left") - np.searchsorted(e_sorted, u, side="left")
    d = np.bincount(np.searchsorted(u, stop[event]), minlength=len(u)).astype(float)
    with np.errstate(divide="ignore"):
        L = np.concatenate([[0.0], np.cumsum(np.log1p(-d / n))])  # L[k] = log S just after u[k-1]
    i0 = np.searchsorted(u, a0, side="right")
    i1 = np.searchsorted(u, a0 + h, side="right")
    with np.errstate(invalid="ignore"):
        s = np.exp(L[i1] - L[i0])
    # information just after a0: someone at risk (start <= a0 < stop)
    at_risk = (np.searchsorted(s_sorted, a0, side="right") - np.searchsorted(e_sorted, a0, side="right")) > 0
    s = np.where(at_risk, s, np.nan)
    beyond = (a0 + h) > stop.max()
    return s, beyond


def constant_hazard_survival(n_events: float, exposure: float, h) -> np.ndarray:
    """exp(-(n_events / exposure) h)."""
    if exposure <= 0:
        raise ModelError(f"constant hazard: exposure must be positive, got {exposure}")
    return np.exp(-(float(n_events) / float(exposure)) * np.asarray(h, float))


# ---------------------------------------------------------------------------------------------------------- scores
def _check(p, y, w=None):
    p = np.asarray(p, float)
    y = np.asarray(y, float)
    if p.shape != y.shape:
        raise ModelError(f"scores: predictions {p.shape} and outcomes {y.shape} differ in shape")
    if np.isnan(p).any() or np.isnan(y).any():
        raise ModelError("scores: missing predictions or outcomes (remove and count them first)")
    if not np.isin(y, (0, 1)).all():
        raise ModelError("scores: outcomes must be 0/1")
    w = np.ones_like(p) if w is None else np.asarray(w, float)
    return p, y, w


def brier(p, y, w=None) -> float:
    p, y, w = _check(p, y, w)
    return float(np.sum(w * (p - y) ** 2) / np.sum(w))


def brier_skill(b_model: float, b_ref: float) -> float:
    return float(1.0 - b_model / b_ref) if b_ref > 0 else float("nan")


def log_loss(p, y, w=None, eps: float = EPS) -> float:
    p, y, w = _check(p, y, w)
    p = np.clip(p, eps, 1 - eps)
    return float(-np.sum(w * (y * np.log(p) + (1 - y) * np.log(1 - p))) / np.sum(w))


def calibration(p, y, w=None, eps: float = EPS) -> dict:
    """Logistic recalibration of the event probability 1 - p (see the module docstring): intercept, slope."""
    import statsmodels.api as sm

    p, y, w = _check(p, y, w)
    ev = 1 - y
    q = np.clip(1 - p, eps, 1 - eps)
    lq = np.log(q / (1 - q))
    if ev.min() == ev.max():
        return {"intercept": float("nan"), "slope": float("nan")}
    fam = sm.families.Binomial()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # separation in small bootstrap samples: the estimate is reported as is
            m0 = sm.GLM(ev, np.ones((len(ev), 1)), family=fam, offset=lq, freq_weights=w).fit()
            m1 = sm.GLM(ev, sm.add_constant(lq, has_constant="add"), family=fam, freq_weights=w).fit()
        return {"intercept": float(m0.params[0]), "slope": float(m1.params[1])}
    except (ValueError, np.linalg.LinAlgError, sm.tools.sm_exceptions.PerfectSeparationError):
        return {"intercept": float("nan"), "slope": float("nan")}


def reliability_table(p, y, n_bins: int = 10) -> pd.DataFrame:
    """Predicted vs observed event probability by decile of predicted event probability (equal-count bins)."""
    p, y, _ = _check(p, y)
    q = 1 - p
    ev = 1 - y
    if len(q) == 0:
        return pd.DataFrame(columns=["bin", "n", "predicted", "observed"])
    order = np.argsort(q, kind="stable")
    bins = np.array_split(order, min(n_bins, len(q)))
    rows = [{"bin": i, "n": int(len(b)), "predicted": float(q[b].mean()), "observed": float(ev[b].mean())}
            for i, b in enumerate(bins) if len(b)]
    return pd.DataFrame(rows)


def auc(p, y, w=None) -> float:
    from sklearn.metrics import roc_auc_score

    p, y, w = _check(p, y, w)
    ev = 1 - y
    if ev.min() == ev.max():
        return float("nan")
    return float(roc_auc_score(ev, 1 - p, sample_weight=w))


def harrell_c(time, event, risk) -> float:
    from sksurv.metrics import concordance_index_censored

    event = np.asarray(event).astype(bool)
    if event.sum() == 0:
        return float("nan")
    return float(concordance_index_censored(event, np.asarray(time, float), np.asarray(risk, float))[0])


def uno_c(time, event, risk, tau: float | None = None) -> float:
    """Uno's C with the censoring distribution estimated on the same rows (the scored sample)."""
    from sksurv.metrics import concordance_index_ipcw
    from sksurv.util import Surv

    event = np.asarray(event).astype(bool)
    time = np.asarray(time, float)
    if event.sum() == 0:
        return float("nan")
    y = Surv.from_arrays(event, time)
    try:
        return float(concordance_index_ipcw(y, y, np.asarray(risk, float), tau=tau)[0])
    except ValueError:
        return float("nan")


# ---------------------------------------------------------------------------------------------------- bootstrap
def cluster_draws(clusters, n_boot: int, seed: int = 0):
    """Yield ``n_boot`` row-index arrays, each the rows of clusters drawn with replacement (a cluster drawn k times
    contributes its rows k times)."""
    cl = np.asarray(clusters)
    uniq, inv = np.unique(cl, return_inverse=True)
    inv = inv.ravel()
    order = np.argsort(inv, kind="stable")
    counts = np.bincount(inv, minlength=len(uniq))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    rng = np.random.default_rng(seed)
    for _ in range(n_boot):
        pick = rng.integers(0, len(uniq), len(uniq))
        n = counts[pick]
        idx = np.repeat(starts[pick], n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
        yield order[idx]


def interval(x, level: float = 0.9) -> tuple[float, float]:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return float("nan"), float("nan")
    a = (1 - level) / 2
    return float(np.quantile(x, a)), float(np.quantile(x, 1 - a))


def point_scores(p, y, time=None, event=None, horizon: float | None = None, *, concordance: bool = True) -> dict:
    """Every score for one set of predictions (see the module docstring)."""
    out = {"n": int(len(p)), "n_events": int((1 - np.asarray(y)).sum()), "brier": brier(p, y), "log_loss": log_loss(p, y),
           **calibration(p, y), "auc": auc(p, y)}
    if concordance and time is not None:
        r = 1 - np.asarray(p, float)
        out["harrell_c"] = harrell_c(time, event, r)
        out["uno_c"] = uno_c(time, event, r, tau=horizon)
    return out


def compare(frame: pd.DataFrame, model: str, baselines: list[str], *, cluster: str = "atopid", n_boot: int = 200,
            level: float = 0.9, seed: int = 0, time: str | None = "time", event: str | None = "event_in_window",
            horizon: float | None = None, outcome: str = "survived", concordance: bool = True) -> dict:
    """Scores of ``model`` and each baseline (columns of ``frame`` holding survival probabilities) on the rows of
    ``frame`` (outcome 0/1 in ``outcome``, no missing values), the best baseline by Brier score, and the model's
    Brier difference and Brier skill against it with cluster-bootstrap intervals (``level``).

    ``beats_best_baseline`` is "yes" only when the whole interval of the Brier difference is below zero, "no" when it is
    above zero, "not distinguishable" when it includes zero."""
    cols = [model, *baselines]
    f = frame.dropna(subset=cols + [outcome]).reset_index(drop=True)
    if len(f) != len(frame):
        raise ModelError(f"compare: {len(frame) - len(f)} row(s) have a missing prediction or outcome; remove and count "
                         "them before scoring")
    y = f[outcome].to_numpy(float)
    tt = f[time].to_numpy(float) if time else None
    ee = f[event].to_numpy(int) if event else None
    res = {"n": int(len(f)), "n_alliances": int(f[cluster].nunique()), "n_events": int((1 - y).sum()), "methods": {}}
    if len(f) == 0:
        res.update(best_baseline=None, beats_best_baseline="no data")
        return res
    for c in cols:
        res["methods"][c] = point_scores(f[c].to_numpy(float), y, tt, ee, horizon, concordance=concordance)
    best = min(baselines, key=lambda c: res["methods"][c]["brier"])
    res["best_baseline"] = best
    for c in cols:
        res["methods"][c]["brier_skill_vs_best"] = brier_skill(res["methods"][c]["brier"], res["methods"][best]["brier"])
    # bootstrap: Brier of every method, model - best difference, skill, and the model's other scores
    P = f[cols].to_numpy(float)
    draws = {k: [] for k in ("diff", "bss", "model_brier", "best_brier", "auc", "slope", "intercept", "log_loss_diff",
                             "harrell_c", "uno_c")}
    for idx in cluster_draws(f[cluster].to_numpy(), n_boot, seed):
        yb = y[idx]
        b = ((P[idx] - yb[:, None]) ** 2).mean(0)
        bm, bb = b[0], b[cols.index(best)]
        draws["diff"].append(bm - bb)
        draws["bss"].append(1 - bm / bb if bb > 0 else np.nan)
        draws["model_brier"].append(bm)
        draws["best_brier"].append(bb)
        pm = P[idx, 0]
        draws["auc"].append(auc(pm, yb) if 0 < yb.sum() < len(yb) else np.nan)
        cal = calibration(pm, yb)
        draws["slope"].append(cal["slope"])
        draws["intercept"].append(cal["intercept"])
        draws["log_loss_diff"].append(log_loss(pm, yb) - log_loss(P[idx, cols.index(best)], yb))
        if concordance and tt is not None:
            draws["harrell_c"].append(harrell_c(tt[idx], ee[idx], 1 - pm))
            draws["uno_c"].append(uno_c(tt[idx], ee[idx], 1 - pm, tau=horizon))
    ci = {k: interval(v, level) for k, v in draws.items() if len(v)}
    d = res["methods"][model]["brier"] - res["methods"][best]["brier"]
    lo, hi = ci["diff"]
    verdict = "yes" if hi < 0 else "no" if lo > 0 else "not distinguishable"
    res.update(brier_diff_vs_best=d, brier_diff_interval=list(ci["diff"]),
               brier_skill_vs_best=res["methods"][model]["brier_skill_vs_best"], brier_skill_interval=list(ci["bss"]),
               log_loss_diff_vs_best=res["methods"][model]["log_loss"] - res["methods"][best]["log_loss"],
               log_loss_diff_interval=list(ci["log_loss_diff"]),
               model_intervals={k: list(ci[k]) for k in ("auc", "slope", "intercept", "harrell_c", "uno_c") if k in ci},
               beats_best_baseline=verdict, level=level, n_boot=n_boot)
    return res
