"""Scoring survival predictions: discrimination, accuracy and calibration, as plain dicts and DataFrames.

Conventions: ``risk`` is a score where higher means an *earlier* expected end (a Cox linear predictor, or 1 - S(t)).
Survival predictions are the frames returned by ``predict_survival`` (rows = times, columns = subjects), or arrays of
that shape. ``train`` and ``test`` are (durations, events) pairs (or scikit-survival structured arrays); ``train``
supplies the Kaplan–Meier estimate of the censoring distribution G used for inverse-probability-of-censoring weights
(IPCW), so evaluation times must lie inside the training follow-up, and G must stay positive there.

* Harrell's C (lifelines ``concordance_index``): share of comparable pairs (the earlier time is an event) ordered
  correctly by risk; ties in risk count 1/2. Biased by censoring.
* Uno's C (scikit-survival ``concordance_index_ipcw``): the same with pairs weighted by 1 / G(T_i)^2, restricted to
  event times < ``tau``; consistent under independent censoring.
* Brier score at t (``brier_score``): mean IPCW squared error of S(t|x) against the status at t (Graf et al. 1999);
  integrated Brier score (``integrated_brier_score``): its trapezoidal average over a time grid.
* Time-dependent AUC (``cumulative_dynamic_auc``): cumulative cases (ended by t) vs dynamic controls (alive at t).
* Calibration: by decile of predicted probability of ending by t, the mean prediction vs the Kaplan–Meier observed
  proportion ended by t within the decile (censoring handled by KM, not by dropping).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .base import ModelError, jsonable, step_eval
from .km import km_table
from .ml import surv_array


def _y(obj, what: str) -> np.ndarray:
    if isinstance(obj, np.ndarray) and obj.dtype.names is not None:
        return obj
    try:
        d, e = obj
    except (TypeError, ValueError):
        raise ModelError(f"{what}: expected a (durations, events) pair or a scikit-survival structured array") from None
    d = np.asarray(d, float)
    e = np.asarray(e)
    if d.shape != e.shape or d.ndim != 1:
        raise ModelError(f"{what}: durations and events must be 1-d and of equal length ({d.shape} vs {e.shape})")
    if np.isnan(d).any() or pd.isna(e).any():
        raise ModelError(f"{what}: missing durations or events")
    if not set(np.unique(e.astype(float))) <= {0.0, 1.0}:
        raise ModelError(f"{what}: events must be 0/1")
    return surv_array(d, e.astype(float) == 1)


def _risk(risk, n: int, what: str = "risk") -> np.ndarray:
    r = np.asarray(risk, float).ravel()
    if len(r) != n:
        raise ModelError(f"{what}: length {len(r)} does not match the {n} test subjects")
    if np.isnan(r).any():
        raise ModelError(f"{what}: contains NaN ({int(np.isnan(r).sum())}); predictions beyond the model's range?")
    return r


def _surv_matrix(surv, n: int, n_times: int) -> np.ndarray:
    """(n_subjects x n_times) from a predict_survival frame (times x subjects) or array of that shape."""
    a = surv.to_numpy(float) if isinstance(surv, pd.DataFrame) else np.asarray(surv, float)
    if a.ndim == 1 and n_times == 1:
        a = a[:, None]
    if a.shape == (n_times, n):
        a = a.T
    if a.shape != (n, n_times):
        raise ModelError(f"survival predictions: expected shape (times={n_times}, subjects={n}), got {a.shape}")
    if np.isnan(a).any():
        raise ModelError("survival predictions contain NaN (times beyond the model's follow-up?)")
    return a


def _sk(fn, *args, **kw):
    try:
        return fn(*args, **kw)
    except ValueError as e:  # scikit-survival's messages are informative (e.g. time outside follow-up)
        raise ModelError(f"{fn.__name__}: {e}") from None


def harrell_c(durations, events, risk) -> dict:
    """Harrell's concordance of ``risk`` (higher = earlier end) with observed (durations, events)."""
    from lifelines.utils import concordance_index

    y = _y((durations, events), "harrell_c")
    r = _risk(risk, len(y))
    if y["event"].sum() == 0:
        raise ModelError("harrell_c: no events, concordance undefined")
    c = concordance_index(y["time"], -r, y["event"])
    return {"harrell_c": float(c), "n": int(len(y)), "n_events": int(y["event"].sum())}


def uno_c(train, test, risk, tau: float | None = None) -> dict:
    """Uno's IPCW concordance, pairs with event time < ``tau`` (default: the largest test time)."""
    from sksurv.metrics import concordance_index_ipcw

    ytr, yte = _y(train, "train"), _y(test, "test")
    r = _risk(risk, len(yte))
    c, conc, disc, tr, tt = _sk(concordance_index_ipcw, ytr, yte, r, tau=tau)
    return {"uno_c": float(c), "tau": tau, "concordant": int(conc), "discordant": int(disc), "tied_risk": int(tr),
            "n": int(len(yte))}


def brier_at(train, test, surv, t: float) -> dict:
    """IPCW Brier score of S(t|x) at one time ``t``; ``surv`` holds S(t|x) per test subject (length n, or a
    predict_survival frame with a single time row)."""
    from sksurv.metrics import brier_score

    ytr, yte = _y(train, "train"), _y(test, "test")
    a = _surv_matrix(surv, len(yte), 1)
    _, b = _sk(brier_score, ytr, yte, a, [float(t)])
    return {"t": float(t), "brier": float(b[0]), "n": int(len(yte))}


def brier_curve(train, test, surv, times) -> pd.DataFrame:
    """Brier score at each of ``times`` (surv: times x subjects)."""
    from sksurv.metrics import brier_score

    ytr, yte = _y(train, "train"), _y(test, "test")
    times = np.asarray(times, float)
    a = _surv_matrix(surv, len(yte), len(times))
    t, b = _sk(brier_score, ytr, yte, a, times)
    return pd.DataFrame({"time": t, "brier": b})


def integrated_brier(train, test, surv, times) -> dict:
    """Integrated Brier score over ``times`` (at least two, inside the test follow-up), trapezoidal rule divided by
    the span of the grid."""
    from sksurv.metrics import integrated_brier_score

    ytr, yte = _y(train, "train"), _y(test, "test")
    times = np.asarray(times, float)
    if len(times) < 2:
        raise ModelError("integrated_brier: need at least two times")
    a = _surv_matrix(surv, len(yte), len(times))
    ibs = _sk(integrated_brier_score, ytr, yte, a, times)
    return {"integrated_brier": float(ibs), "t_min": float(times.min()), "t_max": float(times.max()), "n_times": len(times)}


def time_auc(train, test, risk, times) -> dict:
    """Cumulative/dynamic AUC at each of ``times``; ``risk``: one score per subject (n) or per subject and time
    (n x len(times), or a frame times x subjects such as 1 - S(t|x))."""
    from sksurv.metrics import cumulative_dynamic_auc

    ytr, yte = _y(train, "train"), _y(test, "test")
    times = np.asarray(times, float)
    if isinstance(risk, pd.DataFrame) or np.ndim(risk) == 2:
        r = _surv_matrix(risk, len(yte), len(times))
    else:
        r = _risk(risk, len(yte))
    auc, mean_auc = _sk(cumulative_dynamic_auc, ytr, yte, r, times)
    return {"times": times.tolist(), "auc": [float(x) for x in np.atleast_1d(auc)], "mean_auc": float(mean_auc)}


def calibration_table(durations, events, pred_event_prob, t: float, n_bins: int = 10, alpha: float = 0.05) -> pd.DataFrame:
    """Predicted vs observed probability of the event by time ``t``, by quantile bin (deciles by default) of the
    prediction. Observed = 1 - KM(t) within the bin (with a log-log Greenwood interval); NaN when the bin's
    follow-up ends, censored, before t (if everyone in the bin has ended by t, observed is 1). Bins are of equal size (ties broken by order)."""
    y = _y((durations, events), "calibration_table")
    p = _risk(pred_event_prob, len(y), "pred_event_prob")
    if n_bins < 1 or n_bins > len(y):
        raise ModelError(f"calibration_table: n_bins must be between 1 and {len(y)}")
    bins = pd.qcut(pd.Series(p).rank(method="first"), n_bins, labels=False).to_numpy()
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for b in range(n_bins):
        m = bins == b
        d, e = y["time"][m], y["event"][m]
        tab = km_table(np.full(m.sum(), -np.inf), d, e)
        if d.max() < t and tab["survival"].iloc[-1] > 0 if len(tab) else d.max() < t:
            s = lo = hi = np.nan  # follow-up ends (censored) before t: unknown
        else:
            s = float(step_eval(tab["time"].to_numpy(), tab["survival"].to_numpy(), np.array([t]), before=1.0)[0])
            gw = float(step_eval(tab["time"].to_numpy(), tab["greenwood"].to_numpy(), np.array([t]), before=0.0)[0])
            if 0 < s < 1:
                half = z * np.sqrt(gw) / np.log(s)
                a = float(np.exp(-np.exp(np.log(-np.log(s)) + half)))
                b_ = float(np.exp(-np.exp(np.log(-np.log(s)) - half)))
                lo, hi = min(a, b_), max(a, b_)
            else:
                lo = hi = s
        rows.append({"bin": b + 1, "n": int(m.sum()), "pred_min": float(p[m].min()), "pred_max": float(p[m].max()),
                     "predicted": float(p[m].mean()), "observed": 1 - s, "observed_lower": 1 - hi,
                     "observed_upper": 1 - lo, "n_events_by_t": int((e & (d <= t)).sum()),
                     "n_censored_before_t": int((~e & (d < t)).sum())})
    out = pd.DataFrame(rows)
    out["difference"] = out["predicted"] - out["observed"]
    out.attrs["t"] = float(t)
    return out


def restricted_mean(surv: pd.DataFrame) -> pd.Series:
    """Restricted mean survival time over the frame's time grid (trapezoid; from the first grid time)."""
    t = surv.index.to_numpy(float)
    return pd.Series(np.trapezoid(surv.to_numpy(float), t, axis=0), index=surv.columns)


def score_survival(model, train_df: pd.DataFrame, test_df: pd.DataFrame, times, *, t_calibration: float,
                   tau: float | None = None, n_bins: int = 10) -> dict:
    """All metrics for a model fitted on ``train_df`` (one row per subject), scored on ``test_df``.

    Risk for the concordance measures: the model's ``predict_risk`` when it has one (Cox, forests), else minus the
    restricted mean survival over ``times`` (KM, AFT). Returns a JSON-ready dict."""
    dcol, ecol = model.duration_col, model.event_col
    if dcol is None:
        raise ModelError("score_survival needs a model fitted on one row per subject (duration_col)")
    times = np.asarray(times, float)
    tr = (train_df[dcol].to_numpy(float), train_df[ecol].to_numpy(float))
    te = (test_df[dcol].to_numpy(float), test_df[ecol].to_numpy(float))
    X = test_df
    surv = model.predict_survival(X, times)
    risk = model.predict_risk(X).to_numpy() if hasattr(model, "predict_risk") else -restricted_mean(surv).to_numpy()
    s_cal = model.predict_survival(X, [t_calibration]).to_numpy()[0]
    out = {
        "model": model.name, "n_test": int(len(test_df)),
        **harrell_c(te[0], te[1], risk), **uno_c(tr, te, risk, tau=tau),
        **integrated_brier(tr, te, surv, times),
        "brier": brier_curve(tr, te, surv, times).to_dict(orient="records"),
        "auc": time_auc(tr, te, 1 - surv, times),
        "calibration": calibration_table(te[0], te[1], 1 - s_cal, t_calibration, n_bins=n_bins).to_dict(orient="records"),
    }
    return jsonable(out)
