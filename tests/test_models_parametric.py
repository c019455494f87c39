"""Weibull and log-logistic AFT: known-truth recovery, agreement with lifelines, clustered SEs, delta intervals."""
import json

import numpy as np
import pandas as pd
import pytest
from lifelines import LogLogisticAFTFitter, WeibullAFTFitter
from lifelines.datasets import load_rossi

from pactwatch.models import LogLogisticAFT, ModelError, WeibullAFT


def weibull_aft_data(n, seed, b0=1.0, b1=0.5, rho=1.5):
    """T = exp(b0 + b1 x) * E^(1/rho), E ~ Exp(1): Weibull AFT with lambda = exp(b0 + b1 x), shape rho."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    T = np.exp(b0 + b1 * x) * rng.exponential(size=n) ** (1 / rho)
    C = rng.uniform(0, 8, n)
    return pd.DataFrame({"t": np.minimum(T, C), "e": (T <= C).astype(int), "x": x})


def test_weibull_recovers_known_coefficients():
    df = weibull_aft_data(2000, 0)
    m = WeibullAFT().fit(df, "t", "e", covariates=["x"])
    s = m.summary
    assert abs(s.loc[("lambda_", "x"), "coef"] - 0.5) < 3 * s.loc[("lambda_", "x"), "se"]
    assert abs(s.loc[("lambda_", "Intercept"), "coef"] - 1.0) < 3 * s.loc[("lambda_", "Intercept"), "se"]
    assert m.shape_ == pytest.approx(1.5, abs=0.1)
    # the closed forms reproduce lifelines' likelihood and predictions
    assert m.log_likelihood_check_ == pytest.approx(m.log_likelihood_, abs=1e-6)
    X = pd.DataFrame({"x": [-1.0, 0.0, 2.0]})
    np.testing.assert_allclose(m.predict_survival(X, [0.5, 2, 10, 40]).to_numpy(),
                               m.lifelines_.predict_survival_function(X, times=[0.5, 2, 10, 40]).to_numpy(), atol=1e-12)
    # extrapolates beyond the observed follow-up (8): finite and decreasing
    far = m.predict_survival(X, [8, 20, 40]).to_numpy()
    assert np.isfinite(far).all() and (np.diff(far, axis=0) <= 0).all()
    med = m.predict_median(X)
    np.testing.assert_allclose(med.to_numpy(), np.exp(1.0 + 0.5 * X["x"]) * np.log(2) ** (1 / 1.5), rtol=0.1)
    json.dumps(m.to_dict())


@pytest.mark.parametrize("cls,lf_cls", [(WeibullAFT, WeibullAFTFitter), (LogLogisticAFT, LogLogisticAFTFitter)])
def test_rossi_matches_lifelines_including_robust_se(cls, lf_cls):
    r = load_rossi()
    covs = [c for c in r.columns if c not in ("week", "arrest")]
    m = cls().fit(r, "week", "arrest", covariates=covs)
    lf = lf_cls().fit(r, "week", "arrest", robust=True)  # per-row sandwich (no id: each row its own cluster)
    assert m.log_likelihood_check_ == pytest.approx(lf.log_likelihood_, abs=1e-6)
    se = lf.standard_errors_.reindex(m.params_.index)
    np.testing.assert_allclose(m.summary["se_robust"].to_numpy(), se.to_numpy(), rtol=1e-4)
    X = r[covs].iloc[:4]
    np.testing.assert_allclose(m.predict_survival(X, [10, 52, 100]).to_numpy(),
                               lf.predict_survival_function(X, times=[10, 52, 100]).to_numpy(), atol=1e-10)


def test_delta_interval_covers_truth_and_is_inside_unit_interval():
    df = weibull_aft_data(800, 3)
    m = LogLogisticAFT().fit(df, "t", "e", covariates=["x"])
    iv = m.predict_survival_interval(pd.DataFrame({"x": [0.0, 1.0]}), [0.0, 1.0, 3.0, 6.0], method="delta")
    lo, est, hi = iv["lower"].to_numpy(), iv["estimate"].to_numpy(), iv["upper"].to_numpy()
    assert (lo <= est + 1e-12).all() and (est <= hi + 1e-12).all() and (lo >= 0).all() and (hi <= 1).all()
    w = WeibullAFT().fit(df, "t", "e", covariates=["x"])
    ivw = w.predict_survival_interval(pd.DataFrame({"x": [0.0]}), [1.0, 3.0], method="delta")
    truth = np.exp(-(np.array([1.0, 3.0]) / np.exp(1.0)) ** 1.5)
    assert ((ivw["lower"].iloc[:, 0] <= truth) & (truth <= ivw["upper"].iloc[:, 0])).all()


def test_time_varying_rows_as_left_truncation_with_clusters():
    df = weibull_aft_data(400, 5).reset_index().rename(columns={"index": "id"})
    rows = []
    for r in df.itertuples():  # split at age 1: same likelihood as one row (Weibull hazard at current x)
        if r.t > 1:
            rows += [dict(id=r.id, start=0.0, stop=1.0, e=0, x=r.x), dict(id=r.id, start=1.0, stop=r.t, e=r.e, x=r.x)]
        else:
            rows.append(dict(id=r.id, start=0.0, stop=r.t, e=r.e, x=r.x))
    tv = pd.DataFrame(rows)
    one = WeibullAFT().fit(df, "t", "e", covariates=["x"], id_col="id")
    split = WeibullAFT().fit(tv, event_col="e", covariates=["x"], id_col="id", start_col="start", stop_col="stop")
    np.testing.assert_allclose(split.params_.to_numpy(), one.params_.to_numpy(), atol=1e-4)
    # clustering by subject: the split rows sum back to the subject's score, so the robust SEs agree too
    np.testing.assert_allclose(split.summary["se_robust"].to_numpy(), one.summary["se_robust"].to_numpy(), rtol=1e-3)
    assert split.summary.attrs["se_type"] == "robust, clustered by id"


def test_nonpositive_durations_refused():
    df = weibull_aft_data(50, 1)
    df.loc[0, "t"] = 0.0
    with pytest.raises(ModelError, match="durations must be > 0"):
        WeibullAFT().fit(df, "t", "e", covariates=["x"])
