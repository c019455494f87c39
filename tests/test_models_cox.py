"""Cox model: agreement with statsmodels PHReg and lifelines, clustered robust SEs, PH test, covariate paths."""
import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter
from lifelines.datasets import load_rossi, load_stanford_heart_transplants
from lifelines.statistics import proportional_hazard_test
from statsmodels.duration.hazard_regression import PHReg

from pactwatch.models import CoxTV, ModelError, predict_survival_path
from pactwatch.models.cox import cluster_sandwich, riskset_stats

SH_COVS = ["age", "year", "surgery", "transplant"]


def weibull_ph(n, seed, beta=(0.5, -0.3), shape=1.5):
    """Continuous-time (tie-free) PH data: h(t|x) = shape t^(shape-1) exp(x'beta); independent exponential censoring."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(beta)))
    T = (rng.exponential(size=n) / np.exp(X @ np.asarray(beta))) ** (1 / shape)
    C = rng.exponential(1.5, size=n)
    df = pd.DataFrame(X, columns=[f"x{i + 1}" for i in range(len(beta))])
    df["t"] = np.minimum(T, C)
    df["e"] = (T <= C).astype(int)
    df["g"] = rng.integers(0, n // 5, size=n)
    return df


@pytest.fixture(scope="module")
def stanford():
    return load_stanford_heart_transplants()


def test_time_varying_matches_statsmodels_efron(stanford):
    """Risk set convention: a row (start, stop] is at risk at t when start < t <= stop (R's coxph, lifelines). PHReg
    counts a row entering exactly at an event time as at risk then; entering 1e-7 later gives the counting-process
    risk sets. Without the shift, PHReg's transplant coefficient differs by 0.045 on this data."""
    h = stanford
    m = CoxTV(cluster=False).fit(h, event_col="event", id_col="id", start_col="start", stop_col="stop",
                                 covariates=SH_COVS)
    entry = h["start"].to_numpy(float)
    sm = PHReg(h["stop"].to_numpy(float), h[SH_COVS].to_numpy(float), status=h["event"].to_numpy(),
               entry=np.where(entry > 0, entry + 1e-7, entry), ties="efron").fit()
    np.testing.assert_allclose(m.params_.to_numpy(), sm.params, atol=1e-4)
    np.testing.assert_allclose(m.summary["se_naive"].to_numpy(), sm.bse, atol=1e-4)
    assert abs(m.log_likelihood_ - sm.llf) < 1e-4


def test_one_row_per_subject_matches_statsmodels_and_ties_matter(stanford):
    # collapse to one row per patient: follow-up to the last stop, covariates at entry, transplant ever
    last = stanford.sort_values(["id", "stop"]).groupby("id").agg(
        T=("stop", "max"), E=("event", "max"), age=("age", "first"), year=("year", "first"),
        surgery=("surgery", "first"), transplant=("transplant", "max")).reset_index()
    assert last["T"].duplicated().any(), "the test needs tied times to tell Breslow from Efron"
    m = CoxTV(cluster=False).fit(last, "T", "E", covariates=SH_COVS, id_col="id")
    ex, en = last[SH_COVS].to_numpy(float), last["E"].to_numpy()
    efron = PHReg(last["T"].to_numpy(float), ex, status=en, ties="efron").fit()
    breslow = PHReg(last["T"].to_numpy(float), ex, status=en, ties="breslow").fit()
    np.testing.assert_allclose(m.params_.to_numpy(), efron.params, atol=1e-4)
    np.testing.assert_allclose(m.summary["se_naive"].to_numpy(), efron.bse, atol=1e-4)
    assert np.max(np.abs(efron.params - breslow.params)) > 1e-3  # the 1e-4 match is not an accident of no ties


def test_efron_score_residuals_sum_to_zero_at_the_mle(stanford):
    m = CoxTV().fit(stanford, event_col="event", id_col="id", start_col="start", stop_col="stop", covariates=SH_COVS)
    assert m.score_at_fit_.abs().max() < 1e-5
    start, stop, event, X = m._arrays(m._train)
    bres = riskset_stats(start, stop, event, X, m.params_.to_numpy(), ties="breslow")["score"].sum(0)
    assert np.abs(bres).max() > 1e-3  # Breslow residuals are not the gradient of the Efron likelihood


def test_robust_se_matches_lifelines_without_ties():
    df = weibull_ph(300, 1)
    m = CoxTV().fit(df, "t", "e", covariates=["x1", "x2"])
    lf = CoxPHFitter().fit(df[["t", "e", "x1", "x2"]], "t", "e", robust=True)
    np.testing.assert_allclose(m.summary["se_robust"].to_numpy(), lf.standard_errors_[["x1", "x2"]].to_numpy(), rtol=1e-6)
    lfc = CoxPHFitter().fit(df[["t", "e", "x1", "x2", "g"]], "t", "e", cluster_col="g")
    ours = np.sqrt(np.diag(cluster_sandwich(m._rs["score"], m.variance_naive_.to_numpy(), df["g"].to_numpy())))
    np.testing.assert_allclose(ours, lfc.standard_errors_[["x1", "x2"]].to_numpy(), rtol=1e-6)
    assert m.summary.attrs["se_type"].startswith("robust")


def test_clustered_se_time_varying_matches_statsmodels_score_residuals():
    """Counting-process rows with delayed entry, clustered by subject: our score residuals equal statsmodels' row by
    row, and the cluster sandwich agrees. Rows are split at event times so that every row spans an event time
    (statsmodels mis-assigns residuals to rows spanning none)."""
    df = weibull_ph(250, 2)
    rng = np.random.default_rng(5)
    ev_t = np.sort(df.loc[df.e == 1, "t"].to_numpy())
    tau_next = ev_t[len(ev_t) // 2 + 1]
    tau = (ev_t[len(ev_t) // 2] + tau_next) / 2  # split between two event times (risk-set conventions then agree)
    rows = []
    for i, r in df.iterrows():
        if r.t >= tau_next:
            rows.append(dict(id=i, start=0.0, stop=tau, e=0, x1=r.x1, x2=r.x2))
            rows.append(dict(id=i, start=tau, stop=r.t, e=r.e, x1=r.x1 + 0.5 * rng.normal(), x2=r.x2))
        else:
            rows.append(dict(id=i, start=0.0, stop=r.t, e=r.e, x1=r.x1, x2=r.x2))
    tv = pd.DataFrame(rows)
    m = CoxTV().fit(tv, event_col="e", id_col="id", start_col="start", stop_col="stop", covariates=["x1", "x2"])
    mod = PHReg(tv["stop"].to_numpy(), tv[["x1", "x2"]].to_numpy(), status=tv["e"].to_numpy(),
                entry=tv["start"].to_numpy(), ties="efron")
    res = mod.fit()
    np.testing.assert_allclose(m.params_.to_numpy(), res.params, atol=1e-5)
    sr = np.nan_to_num(mod.score_residuals(res.params))  # NaN = never at risk at an event time: residual 0
    np.testing.assert_allclose(m._rs["score"], sr, atol=1e-8)
    G = pd.DataFrame(sr).groupby(tv["id"].to_numpy()).sum().to_numpy()
    Hinv = np.linalg.inv(-mod.hessian(res.params))
    se_sm = np.sqrt(np.diag(Hinv @ G.T @ G @ Hinv))
    np.testing.assert_allclose(m.summary["se_robust"].to_numpy(), se_sm, rtol=1e-4)
    # clustering by subject matters here: per-row and per-subject SEs differ
    per_row = np.sqrt(np.diag(cluster_sandwich(m._rs["score"], m.variance_naive_.to_numpy(), None)))
    assert np.max(np.abs(per_row - m.summary["se_robust"].to_numpy())) > 1e-4


def test_prediction_matches_lifelines():
    r = load_rossi()
    covs = [c for c in r.columns if c not in ("week", "arrest")]
    m = CoxTV().fit(r, "week", "arrest", covariates=covs)
    lf = CoxPHFitter().fit(r, "week", "arrest")
    X = r[covs].iloc[:5]
    times = [1, 10, 30, 52]
    np.testing.assert_allclose(m.predict_survival(X, times).to_numpy(),
                               lf.predict_survival_function(X, times=times).to_numpy(), atol=1e-10)
    assert m.predict_survival(X, [53]).isna().all().all()  # beyond the last follow-up (52 weeks): unknown
    json.dumps(m.to_dict())


def test_recovers_known_coefficient():
    df = weibull_ph(2000, 7, beta=(0.5, -0.3))
    s = CoxTV().fit(df, "t", "e", covariates=["x1", "x2"]).summary
    assert abs(s.loc["x1", "coef"] - 0.5) < 3 * s.loc["x1", "se"]
    assert abs(s.loc["x2", "coef"] + 0.3) < 3 * s.loc["x2", "se"]
    assert s.loc["x1", "se"] < 0.05


def test_check_ph_matches_lifelines_without_ties():
    df = weibull_ph(300, 3)
    m = CoxTV(cluster=False).fit(df, "t", "e", covariates=["x1", "x2"])
    lf = CoxPHFitter().fit(df[["t", "e", "x1", "x2"]], "t", "e")
    for tr in ("identity", "log"):
        ours = m.check_ph(tr)
        theirs = proportional_hazard_test(lf, df[["t", "e", "x1", "x2"]], time_transform=tr).summary
        np.testing.assert_allclose(ours.loc[["x1", "x2"], "test_statistic"].to_numpy(),
                                   theirs.loc[["x1", "x2"], "test_statistic"].to_numpy(), rtol=1e-6)


def test_check_ph_detects_violation_and_passes_ph_data():
    rng = np.random.default_rng(11)
    n = 600
    grp = rng.integers(0, 2, n)
    # group 1: Weibull shape 0.5 (falling hazard); group 0: shape 2.5 (rising) — the hazard ratio flips over time
    shape = np.where(grp == 1, 0.5, 2.5)
    T = rng.exponential(size=n) ** (1 / shape)
    C = rng.uniform(0, 3, n)
    bad = pd.DataFrame({"t": np.minimum(T, C), "e": (T <= C).astype(int), "grp": grp, "noise": rng.normal(size=n)})
    tab = CoxTV().fit(bad, "t", "e", covariates=["grp", "noise"]).check_ph("km")
    assert tab.loc["grp", "p"] < 1e-4
    assert tab.loc["GLOBAL", "p"] < 1e-4
    good = weibull_ph(600, 12)
    tab2 = CoxTV().fit(good, "t", "e", covariates=["x1", "x2"]).check_ph("km")
    assert (tab2["p"] > 0.01).all()


def test_check_ph_on_time_varying_fit(stanford):
    m = CoxTV().fit(stanford, event_col="event", id_col="id", start_col="start", stop_col="stop", covariates=SH_COVS)
    tab = m.check_ph()
    assert list(tab.index) == SH_COVS + ["GLOBAL"]
    assert tab["p"].between(0, 1).all() and len(m.schoenfeld_residuals()) == stanford["event"].sum()


def test_survival_path_hand_computation():
    bh = pd.Series([0.1, 0.3, 0.6], index=[1.0, 2.0, 3.0])  # jumps 0.1, 0.2, 0.3
    path = pd.DataFrame({"start": [0.0, 1.5], "stop": [1.5, 3.0], "x": [0.0, 1.0]})
    coef = pd.Series({"x": np.log(2.0)})
    s = predict_survival_path(bh, path, coef, times=[0.5, 1.0, 1.5, 2.0, 3.0])
    # H(2) = 1*(H0(1.5)-H0(0)) + 2*(H0(2)-H0(1.5)) = 0.1 + 2*0.2 ; H(3) = 0.1 + 2*(0.6-0.1)
    expected = np.exp(-np.array([0.0, 0.1, 0.1, 0.1 + 0.4, 0.1 + 1.0]))
    np.testing.assert_allclose(s.to_numpy(), expected, atol=1e-12)
    assert predict_survival_path(bh, path, coef, times=[3.5]).isna().all()  # beyond the path
    with pytest.raises(ModelError, match="contiguous"):
        predict_survival_path(bh, pd.DataFrame({"start": [0, 2.0], "stop": [1.0, 3.0], "x": [0, 1]}), coef)


def test_survival_path_constant_equals_predict_and_conditions_on_start(stanford):
    m = CoxTV().fit(stanford, event_col="event", id_col="id", start_col="start", stop_col="stop", covariates=SH_COVS)
    x = stanford[SH_COVS].iloc[[3]]
    times = np.array([5.0, 50.0, 200.0, 900.0])
    direct = m.predict_survival(x, times).iloc[:, 0].to_numpy()
    cuts = [0.0, 3.0, 40.0, 120.0, 1000.0]
    path = pd.DataFrame({"start": cuts[:-1], "stop": cuts[1:]})
    for c in SH_COVS:
        path[c] = float(x[c].iloc[0])
    np.testing.assert_allclose(m.predict_survival_path(path, times).to_numpy(), direct, rtol=1e-12)
    later = path.iloc[2:].reset_index(drop=True)  # alive at age 40: conditional survival S(t)/S(40)
    s40 = m.predict_survival(x, [40.0]).iloc[0, 0]
    np.testing.assert_allclose(m.predict_survival_path(later, [200.0, 900.0]).to_numpy(), direct[2:] / s40, rtol=1e-12)
    # a transplant at day 40 changes the path from then on (coefficient sign decides the direction)
    shocked = path.copy()
    shocked.loc[shocked["start"] >= 40, "transplant"] = 1 - float(x["transplant"].iloc[0])
    moved = m.predict_survival_path(shocked, [900.0]).iloc[0]
    assert moved != pytest.approx(direct[-1])


def test_delta_interval_brackets_estimate_and_bootstrap_agrees_roughly():
    df = weibull_ph(300, 4)
    m = CoxTV().fit(df, "t", "e", covariates=["x1", "x2"])
    X = pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, -1.0]})
    times = [0.3, 0.8, 1.5]
    d = m.predict_survival_interval(X, times, method="delta")
    assert (d["lower"] <= d["estimate"]).all().all() and (d["estimate"] <= d["upper"]).all().all()
    b = m.predict_survival_interval(X, times, method="bootstrap", n_boot=60, seed=1)
    assert b["n_failed"] == 0
    wd, wb = (d["upper"] - d["lower"]).to_numpy(), (b["upper"] - b["lower"]).to_numpy()
    assert np.all(wb / wd > 0.5) and np.all(wb / wd < 2.0)


def test_bad_inputs_are_named():
    df = weibull_ph(50, 0)
    with pytest.raises(ModelError, match="nope"):
        CoxTV().fit(df, "t", "e", covariates=["nope"])
    with pytest.raises(ModelError, match="at least one covariate"):
        CoxTV().fit(df, "t", "e")
    tv = pd.DataFrame({"id": [1, 1], "start": [0, 1], "stop": [2, 3], "e": [0, 1], "x": [0.0, 1.0]})
    with pytest.raises(ModelError, match="overlap"):
        CoxTV().fit(tv, event_col="e", id_col="id", start_col="start", stop_col="stop", covariates=["x"])
    with pytest.raises(ModelError, match="no events"):
        CoxTV().fit(df.assign(e=0), "t", "e", covariates=["x1"])
    with pytest.raises(ModelError, match="fit"):
        CoxTV().predict_survival(df, [1])
