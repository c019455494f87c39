"""Competing risks: cause-specific Cox recovers each cause's effect; CIFs coherent; Aalen–Johansen by hand and vs lifelines."""
import json

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter

from pactwatch.models import CauseSpecificCox, CoxTV, ModelError, aalen_johansen


def competing_data(n, seed):
    """Latent exponential times: cause 1 hazard 0.1 exp(0.8 x), cause 2 hazard 0.1 exp(-0.5 z); uniform censoring."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    z = rng.binomial(1, 0.5, n).astype(float)
    t1 = rng.exponential(1 / (0.1 * np.exp(0.8 * x)))
    t2 = rng.exponential(1 / (0.1 * np.exp(-0.5 * z)))
    c = rng.uniform(0, 15, n)
    T = np.minimum.reduce([t1, t2, c])
    cause = np.where(T == t1, 1, np.where(T == t2, 2, 0))
    return pd.DataFrame({"t": T, "cause": cause, "x": x, "z": z})


@pytest.fixture(scope="module")
def fitted():
    df = competing_data(1500, 0)
    return df, CauseSpecificCox(cause_labels={1: "violation", 2: "fulfilment"}).fit(df, "t", "cause", covariates=["x", "z"])


def test_recovers_cause_specific_effects(fitted):
    df, m = fitted
    s = m.summary
    for cause, cov, truth in [(1, "x", 0.8), (1, "z", 0.0), (2, "x", 0.0), (2, "z", -0.5)]:
        row = s.loc[(cause, cov)]
        assert abs(row["coef"] - truth) < 3 * row["se"], (cause, cov, row["coef"])
    assert s.loc[(1, "x"), "cause_label"] == "violation"
    # each cause model is the ordinary Cox with other causes censored
    alone = CoxTV().fit(df.assign(e=(df.cause == 2).astype(int)), "t", "e", covariates=["x", "z"])
    np.testing.assert_allclose(s.loc[2, "coef"].to_numpy(), alone.params_.to_numpy(), atol=1e-12)
    json.dumps(m.to_dict())


def test_cif_and_survival_add_up_and_track_aalen_johansen(fitted):
    df, m = fitted
    X = pd.DataFrame({"x": [0.0, 1.5], "z": [0.0, 1.0]})
    times = [0.5, 3, 8, 14]
    F1 = m.predict_cumulative_incidence(X, times, 1)
    F2 = m.predict_cumulative_incidence(X, times, 2)
    S = m.predict_survival(X, times)
    np.testing.assert_allclose((F1 + F2 + S).to_numpy(), 1.0, atol=1e-12)
    assert F1[1].iloc[-1] > F1[0].iloc[-1]  # higher x: more cause-1 ends
    # averaged over the sample, model CIFs are close to the non-parametric Aalen–Johansen curve
    avg = m.predict_cumulative_incidence(df[["x", "z"]], [5.0, 10.0], 1).mean(axis=1).to_numpy()
    aj = m.cumulative_incidence(1)
    aj_at = aj["cif"].to_numpy()[np.searchsorted(aj["time"].to_numpy(), [5.0, 10.0], side="right") - 1]
    np.testing.assert_allclose(avg, aj_at, atol=0.02)


def test_aalen_johansen_by_hand_with_ties_and_vs_lifelines():
    t = np.array([1, 2, 2, 2, 3, 4, 5.0])
    c = np.array([1, 2, 1, 0, 1, 0, 2])
    aj = aalen_johansen(t, c, 1).set_index("time")
    # t=1: n=7, d=1 (cause 1) -> F1 = 1/7, S = 6/7; t=2: n=6, d=2 (one each) -> F1 += 6/7 * 1/6, S = 6/7*4/6
    # t=3: n=3, d=1 (cause 1) -> F1 += (4/7) * 1/3 ; t=5: n=1 cause 2 -> F1 unchanged
    assert aj.loc[1.0, "cif"] == pytest.approx(1 / 7)
    assert aj.loc[2.0, "cif"] == pytest.approx(1 / 7 + 1 / 7)
    assert aj.loc[3.0, "cif"] == pytest.approx(2 / 7 + 4 / 21)
    assert aj.loc[5.0, "cif"] == pytest.approx(2 / 7 + 4 / 21)
    rng = np.random.default_rng(1)  # tie-free data: equals lifelines (which jitters ties)
    tt = rng.exponential(size=300)
    cc = rng.integers(0, 3, 300)
    ours = aalen_johansen(tt, cc, 2)
    lf = AalenJohansenFitter(jitter_level=0).fit(tt, cc, event_of_interest=2)
    np.testing.assert_allclose(ours["cif"].to_numpy(), lf.cumulative_density_.reindex(ours["time"]).to_numpy().ravel(),
                               atol=1e-12)


def test_time_varying_and_bad_causes():
    df = competing_data(300, 2).reset_index().rename(columns={"index": "id"})
    rows = []
    for r in df.itertuples():
        if r.t > 2:
            rows += [dict(id=r.id, start=0.0, stop=2.0, cause=0, x=r.x, z=r.z),
                     dict(id=r.id, start=2.0, stop=r.t, cause=r.cause, x=r.x, z=r.z)]
        else:
            rows.append(dict(id=r.id, start=0.0, stop=r.t, cause=r.cause, x=r.x, z=r.z))
    tv = pd.DataFrame(rows)
    a = CauseSpecificCox().fit(df, "t", "cause", covariates=["x", "z"])
    b = CauseSpecificCox().fit(tv, event_col="cause", covariates=["x", "z"], id_col="id", start_col="start", stop_col="stop")
    np.testing.assert_allclose(a.summary["coef"].to_numpy(), b.summary["coef"].to_numpy(), atol=1e-4)  # optimiser tolerance
    with pytest.raises(ModelError, match=r"cause\(s\) \[3\] have no events"):
        CauseSpecificCox(causes=[1, 3]).fit(df, "t", "cause", covariates=["x"])
    only1 = CauseSpecificCox(causes=[1]).fit(df, "t", "cause", covariates=["x"])
    assert only1.log_[0]["step"] == "unmodelled_causes" and only1.log_[0]["rows"] == int((df.cause == 2).sum())
    with pytest.raises(ModelError, match="integer cause codes"):
        CauseSpecificCox().fit(df.assign(cause=-1), "t", "cause", covariates=["x"])
