"""Metrics against hand computations on a tiny example, and end to end on a fitted model."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.models import CoxTV, KaplanMeier, ModelError, WeibullAFT
from pactwatch.models import metrics as M

# five subjects; the one censored at t=2 makes the censoring KM G(t) = 1 for t < 2 and 3/4 from 2 on
D = np.array([1, 2, 3, 4, 5.0])
E = np.array([1, 0, 1, 1, 1])
RISK = np.array([0.9, 0.5, 0.1, 0.2, 0.3])


def test_harrell_c_by_hand():
    # comparable pairs (earlier time is an event): (0,1..4) all concordant; (2,3),(2,4),(3,4) discordant
    assert M.harrell_c(D, E, RISK)["harrell_c"] == pytest.approx(4 / 7)
    tied = RISK.copy()
    tied[4] = 0.2  # (3,4) now tied in risk: counts 1/2
    assert M.harrell_c(D, E, tied)["harrell_c"] == pytest.approx(4.5 / 7)


def test_uno_c_by_hand():
    # weights 1/G(T_i)^2: pairs from subject 0 weigh 1, from subjects 2 and 3 weigh (4/3)^2
    w = (4 / 3) ** 2
    out = M.uno_c((D, E), (D, E), RISK)
    assert out["uno_c"] == pytest.approx(4 / (4 + 3 * w))
    assert out["concordant"] == 4 and out["discordant"] == 3


def test_brier_by_hand():
    S = np.array([0.2, 0.5, 0.4, 0.7, 0.9])  # predicted S(3.5 | x_i)
    # cases (ended by 3.5): subjects 0 (G=1) and 2 (G(3)=3/4); controls (alive at 3.5): 3, 4 weighted 1/G(3.5)=4/3;
    # subject 1 (censored at 2) contributes 0 but counts in n
    expected = (0.2**2 / 1 + 0.4**2 / 0.75 + (1 - 0.7) ** 2 / 0.75 + (1 - 0.9) ** 2 / 0.75) / 5
    assert M.brier_at((D, E), (D, E), S, 3.5)["brier"] == pytest.approx(expected)
    # integrated Brier = trapezoid of the Brier curve / span
    times = np.array([1.5, 2.5, 3.5])
    surv = np.array([[0.3, 0.6, 0.5, 0.8, 0.95], [0.25, 0.55, 0.45, 0.75, 0.92], S])  # times x subjects
    curve = M.brier_curve((D, E), (D, E), surv, times)["brier"].to_numpy()
    ibs = M.integrated_brier((D, E), (D, E), surv, times)["integrated_brier"]
    assert ibs == pytest.approx(np.trapezoid(curve, times) / (times[-1] - times[0]))
    assert curve[-1] == pytest.approx(expected)


def test_time_auc_by_hand():
    # cases by 3.5: subject 0 (weight 1/G(1)=1) and 2 (weight 1/G(3)=4/3); controls 3, 4
    # subject 0 (risk .9) outranks both controls, subject 2 (risk .1) neither
    out = M.time_auc((D, E), (D, E), RISK, [3.5])
    assert out["auc"][0] == pytest.approx((1 * 2) / ((1 + 4 / 3) * 2))


def test_calibration_table_by_hand():
    tab = M.calibration_table(D, E, RISK, t=3.5, n_bins=2)
    low, high = tab.iloc[0], tab.iloc[1]
    assert low["n"] == 3 and low["predicted"] == pytest.approx(0.2)  # subjects with 0.1, 0.2, 0.3
    assert low["observed"] == pytest.approx(1 / 3)  # times 3, 4, 5 all events: KM(3.5) = 2/3
    assert low["n_events_by_t"] == 1
    assert low["observed_lower"] <= low["observed"] <= low["observed_upper"]
    assert np.isnan(high["observed"])  # subjects at 1 and 2: follow-up ends before 3.5 -> unknown, not 0
    assert high["n_censored_before_t"] == 1


def test_bad_inputs():
    with pytest.raises(ModelError, match="length 4"):
        M.harrell_c(D, E, RISK[:4])
    with pytest.raises(ModelError, match="NaN"):
        M.brier_at((D, E), (D, E), np.array([0.1, np.nan, 0.2, 0.3, 0.4]), 3.5)
    with pytest.raises(ModelError, match="events must be 0/1"):
        M.uno_c((D, E * 2), (D, E), RISK)


def test_score_survival_end_to_end():
    rng = np.random.default_rng(0)

    def make(n):
        x = rng.normal(size=n)
        T = rng.weibull(1.3, n) * 8 * np.exp(-0.7 * x)
        C = rng.uniform(0, 20, n)
        return pd.DataFrame({"t": np.minimum(T, C), "e": (T <= C).astype(int), "x": x})

    train, test = make(600), make(300)
    times = np.linspace(1, 12, 12)
    cox = M.score_survival(CoxTV().fit(train, "t", "e", covariates=["x"]), train, test, times, t_calibration=5)
    km = M.score_survival(KaplanMeier().fit(train, "t", "e"), train, test, times, t_calibration=5)
    wb = M.score_survival(WeibullAFT().fit(train, "t", "e", covariates=["x"]), train, test, times, t_calibration=5)
    assert cox["harrell_c"] > 0.65 and cox["uno_c"] > 0.65 and wb["harrell_c"] > 0.65
    assert km["harrell_c"] == pytest.approx(0.5)  # one curve for everyone: all risks tied
    assert cox["integrated_brier"] < km["integrated_brier"]
    assert len(cox["calibration"]) == 10
    cal = pd.DataFrame(cox["calibration"])
    assert (cal["difference"].abs() < 0.2).all()
