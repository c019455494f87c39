"""Survival forests: clear discrimination on synthetic data, same prediction grid as the other models."""
import json

import numpy as np
import pandas as pd
import pytest

from pactwatch.models import ModelError, SurvivalForest
from pactwatch.models.metrics import harrell_c


def nonlinear_data(n, seed):
    """Hazard depends on x1 non-linearly (U-shaped) and on x2 linearly; x3 is noise."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    lp = 0.8 * X[:, 0] ** 2 + 0.7 * X[:, 1]
    T = rng.exponential(1 / (0.2 * np.exp(lp)))
    C = rng.uniform(0, 10, n)
    df = pd.DataFrame(X, columns=["x1", "x2", "x3"])
    df["t"], df["e"] = np.minimum(T, C), (T <= C).astype(int)
    return df


@pytest.mark.parametrize("kind", ["rsf", "gbsa"])
def test_forest_discriminates_on_held_out_data(kind):
    train, test = nonlinear_data(500, 0), nonlinear_data(300, 1)
    m = SurvivalForest(kind, n_estimators=60).fit(train, "t", "e", covariates=["x1", "x2", "x3"])
    c = harrell_c(test["t"], test["e"], m.predict_risk(test))["harrell_c"]
    assert c > 0.68, c
    times = [0.5, 1.0, 2.0, 5.0]
    s = m.predict_survival(test.iloc[:20], times)
    assert s.shape == (4, 20) and ((s >= 0) & (s <= 1)).all().all()
    assert (np.diff(s.to_numpy(), axis=0) <= 1e-12).all()  # non-increasing in t
    # risk and survival agree on ordering: the riskiest subject has the lowest 2-year survival
    r = m.predict_risk(test.iloc[:20])
    assert s.loc[2.0].idxmin() == r.idxmax() or s.loc[2.0].rank().corr(-r.rank()) > 0.8
    assert m.predict_survival(test.iloc[:2], [train["t"].max() + 1]).isna().all().all()
    json.dumps(m.to_dict())


def test_forest_oob_and_refusals():
    df = nonlinear_data(300, 2)
    m = SurvivalForest(n_estimators=40).fit(df, "t", "e", covariates=["x1", "x2"])
    assert 0.6 < m.oob_concordance_ <= 1
    tv = pd.DataFrame({"id": [1], "start": [0.0], "stop": [1.0], "e": [1], "x1": [0.0]})
    with pytest.raises(ModelError, match="time-varying"):
        SurvivalForest().fit(tv, event_col="e", id_col="id", start_col="start", stop_col="stop", covariates=["x1"])
    with pytest.raises(ModelError, match="kind"):
        SurvivalForest("svm")
    with pytest.raises(ModelError, match="delta"):
        m.predict_survival_interval(df.iloc[:1], [1.0], method="delta")
