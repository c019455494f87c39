"""Kaplan–Meier: agreement with lifelines and a hand computation; groups, delayed entry, interface errors."""
import json

import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from lifelines.datasets import load_waltons

from pactwatch.models import KaplanMeier, ModelError


def test_hand_computation_with_greenwood():
    df = pd.DataFrame({"t": [1, 2, 2, 3, 4, 5.0], "e": [1, 1, 0, 1, 0, 1]})
    km = KaplanMeier(ci="plain").fit(df, "t", "e")
    s = km.predict_survival(None, [0.5, 1, 2, 3, 4.5, 5]).iloc[:, 0].to_numpy()
    # n at risk 6,5,3,1 at t=1,2,3,5 with one event each
    exp = np.array([1, 5 / 6, 5 / 6 * 4 / 5, 5 / 6 * 4 / 5 * 2 / 3, 5 / 6 * 4 / 5 * 2 / 3, 0.0])
    np.testing.assert_allclose(s, exp, atol=1e-12)
    iv = km.predict_survival_interval(None, [2], method="delta", alpha=0.05)
    var = (4 / 6) ** 2 * (1 / (6 * 5) + 1 / (5 * 4))
    half = 1.959963984540054 * np.sqrt(var)
    assert iv["lower"].iloc[0, 0] == pytest.approx(4 / 6 - half, abs=1e-9)
    assert iv["upper"].iloc[0, 0] == pytest.approx(min(1.0, 4 / 6 + half), abs=1e-9)  # clipped to [0, 1]
    assert km.predict_survival(None, [5.5]).iloc[0, 0] == 0.0  # everyone has ended: 0 is known
    cens_last = KaplanMeier().fit(df.assign(e=[1, 1, 0, 1, 0, 0]), "t", "e")
    assert cens_last.predict_survival(None, [5.5]).isna().all().all()  # censored at 5: unknown beyond follow-up


def test_groups_match_lifelines_loglog_intervals():
    w = load_waltons()
    km = KaplanMeier(groups="group").fit(w, "T", "E")
    X = pd.DataFrame({"group": ["control", "miR-137", "control"]}, index=["a", "b", "c"])
    times = [5.0, 20.0, 40.0, 60.0]
    iv = km.predict_survival_interval(X, times, method="delta")
    for col, g in (("a", "control"), ("b", "miR-137")):
        s = w[w.group == g]
        lf = KaplanMeierFitter().fit(s["T"], s["E"])
        np.testing.assert_allclose(iv["estimate"][col], lf.survival_function_at_times(times).to_numpy(), atol=1e-12)
        ci = lf.confidence_interval_survival_function_
        rows = ci.iloc[np.searchsorted(ci.index.to_numpy(), times, side="right") - 1].to_numpy()
        np.testing.assert_allclose(np.sort(rows, axis=1)[:, 0], iv["lower"][col], atol=1e-10)
        np.testing.assert_allclose(np.sort(rows, axis=1)[:, 1], iv["upper"][col], atol=1e-10)
    assert list(iv["estimate"].columns) == ["a", "b", "c"]
    summ = km.summary
    assert summ.loc["control", "n_subjects"] == (w.group == "control").sum()
    assert summ.loc["miR-137", "median_survival"] == pytest.approx(
        KaplanMeierFitter().fit(w[w.group == "miR-137"]["T"], w[w.group == "miR-137"]["E"]).median_survival_time_)
    json.dumps(km.to_dict())
    with pytest.raises(ModelError, match="not in the training"):
        km.predict_survival(pd.DataFrame({"group": ["other"]}), [1])
    pooled = KaplanMeier(groups="group", unseen="overall").fit(w, "T", "E")
    assert pooled.predict_survival(pd.DataFrame({"group": ["other"]}), [20]).iloc[0, 0] == pytest.approx(
        KaplanMeierFitter().fit(w["T"], w["E"]).survival_function_at_times([20]).iloc[0])


def test_counting_process_rows_equal_one_row_and_delayed_entry_matches_lifelines():
    rng = np.random.default_rng(0)
    n = 200
    T = rng.exponential(5, n).round(1) + 0.1
    E = rng.integers(0, 2, n)
    one = pd.DataFrame({"id": range(n), "t": T, "e": E})
    # the same subjects split into yearly rows: identical KM
    rows = []
    for i, t, e in zip(range(n), T, E):
        cuts = list(np.arange(0, t, 1.0)) + [t]
        for a, b in zip(cuts[:-1], cuts[1:]):
            rows.append({"id": i, "start": a, "stop": b, "e": int(e and b == t)})
    tv = pd.DataFrame(rows)
    times = [0.5, 2, 5, 9]
    a = KaplanMeier().fit(one, "t", "e").predict_survival(None, times)
    b = KaplanMeier().fit(tv, event_col="e", id_col="id", start_col="start", stop_col="stop").predict_survival(None, times)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), atol=1e-12)
    # late entry (left truncation): only the last row of each subject from age 2 on
    late = tv[tv["start"] >= 2]
    c = KaplanMeier().fit(late, event_col="e", id_col="id", start_col="start", stop_col="stop").predict_survival(None, [3, 5])
    lf = KaplanMeierFitter().fit(one.loc[one.t > 2, "t"], one.loc[one.t > 2, "e"], entry=np.full((one.t > 2).sum(), 2.0))
    np.testing.assert_allclose(c.iloc[:, 0].to_numpy(), lf.survival_function_at_times([3, 5]).to_numpy(), atol=1e-12)


def test_bootstrap_close_to_greenwood():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"t": rng.exponential(3, 300), "e": rng.binomial(1, 0.8, 300)})
    km = KaplanMeier().fit(df, "t", "e")
    d = km.predict_survival_interval(None, [1, 3], method="delta")
    b = km.predict_survival_interval(None, [1, 3], method="bootstrap", n_boot=200, seed=2)
    np.testing.assert_allclose(b["lower"].to_numpy(), d["lower"].to_numpy(), atol=0.02)
    np.testing.assert_allclose(b["upper"].to_numpy(), d["upper"].to_numpy(), atol=0.02)


def test_missing_values_raise_or_are_counted():
    df = pd.DataFrame({"t": [1.0, 2.0, np.nan, 4.0], "e": [1, 0, 1, 1], "g": ["a", "a", "b", None]})
    with pytest.raises(ModelError, match=r"2 row\(s\) have missing values.*'t': 1.*'g': 1"):
        KaplanMeier(groups="g").fit(df, "t", "e")
    km = KaplanMeier(groups="g", missing="drop").fit(df, "t", "e")
    assert km.log_[0]["rows"] == 2 and km.n_rows_ == 2
    with pytest.raises(ModelError, match="0 \\(censored\\) or 1"):
        KaplanMeier().fit(pd.DataFrame({"t": [1.0, 2.0], "e": [0, 2]}), "t", "e")
    with pytest.raises(ModelError, match="duration_col"):
        KaplanMeier().fit(df, event_col="e")
