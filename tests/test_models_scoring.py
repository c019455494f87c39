"""Scores and baselines of the landmark back-test (pactwatch.models.scoring) on hand-computed examples."""
import math

import numpy as np
import pandas as pd
import pytest

from pactwatch.models import scoring as SC
from pactwatch.models.base import ModelError


def test_brier_and_log_loss_match_hand_computation():
    p = np.array([0.9, 0.8, 0.3, 0.5])
    y = np.array([1, 0, 0, 1])
    assert SC.brier(p, y) == pytest.approx((0.01 + 0.64 + 0.09 + 0.25) / 4)
    ll = -(math.log(0.9) + math.log(0.2) + math.log(0.7) + math.log(0.5)) / 4
    assert SC.log_loss(p, y) == pytest.approx(ll)
    assert SC.brier_skill(0.1, 0.2) == pytest.approx(0.5)
    # weights act as repetitions
    assert SC.brier(p, y, w=[2, 1, 1, 1]) == pytest.approx(SC.brier(np.r_[p, 0.9], np.r_[y, 1]))


def test_scores_refuse_missing_or_non_binary_outcomes():
    with pytest.raises(ModelError, match="missing"):
        SC.brier([0.5, np.nan], [1, 0])
    with pytest.raises(ModelError, match="0/1"):
        SC.brier([0.5, 0.5], [1, 2])


def test_km_conditional_matches_hand_computed_product_limit():
    # stops 1(ev) 2(ev) 3(cens) 4(ev) 5(cens), all entering at 0
    start = np.zeros(5)
    stop = np.array([1, 2, 3, 4, 5.0])
    ev = np.array([1, 1, 0, 1, 0])
    s, beyond = SC.km_conditional(start, stop, ev, [0.0, 1.5, 2.5], 2.0)
    # S(2)/S(0) = (4/5)(3/4) = 0.6; S(3.5)/S(1.5) = 3/4 (event at 2 with 4 at risk); S(4.5)/S(2.5) = 1/2 (event at 4, 2 at risk)
    assert s == pytest.approx([0.6, 0.75, 0.5])
    assert not beyond.any()
    # delayed entry: subjects 3 and 4 enter at 1.5 (window (1.5, 4.5]): event at 2 with {2, 3, 4, 5} at risk (3/4),
    # event at 4 with {4, 5} at risk (1/2)
    s2, _ = SC.km_conditional(np.array([0, 0, 1.5, 1.5, 0]), stop, ev, [1.5], 3.0)
    assert s2 == pytest.approx([0.375])
    # entering at 2.5 instead: subjects 3 and 4 are not at risk at 2 -> event at 2 has {2, 5} at risk (1/2), then 1/2
    s3, _ = SC.km_conditional(np.array([0, 0, 2.5, 2.5, 0]), np.array([1, 2, 3, 4, 5.0]), ev, [1.5], 3.0)
    assert s3 == pytest.approx([0.25])
    # nobody at risk after a0 -> undefined; a0 + h past the last follow-up is flagged
    s4, b4 = SC.km_conditional(start, stop, ev, [5.0, 4.5], 1.0)
    assert np.isnan(s4[0]) and s4[1] == pytest.approx(1.0) and b4.all()


def test_km_conditional_agrees_with_lifelines():
    from lifelines import KaplanMeierFitter

    rng = np.random.default_rng(1)
    t = rng.exponential(5, 200).round(2) + 0.01
    e = rng.random(200) < 0.7
    kmf = KaplanMeierFitter().fit(t, e)
    s, _ = SC.km_conditional(np.zeros(200), t, e, [0.0, 2.0], 3.0)
    sf = kmf.survival_function_.iloc[:, 0]
    at = lambda x: float(sf[sf.index <= x].iloc[-1])
    assert s[0] == pytest.approx(at(3.0))
    assert s[1] == pytest.approx(at(5.0) / at(2.0))


def test_constant_hazard_survival():
    assert SC.constant_hazard_survival(10, 200, 5) == pytest.approx(math.exp(-0.25))
    with pytest.raises(ModelError):
        SC.constant_hazard_survival(1, 0, 5)


def test_auc_and_concordance_against_hand_pairs_and_libraries():
    from lifelines.utils import concordance_index
    from sklearn.metrics import roc_auc_score

    p = np.array([0.9, 0.6, 0.7, 0.2, 0.4])  # survival probabilities
    y = np.array([1, 0, 1, 0, 1])  # 1 = survived
    # pairs (event, non-event): events idx 1 (q .4), 3 (q .8); survivors q .1, .3, .6 -> concordant 2 + 3 = 5 of 6
    assert SC.auc(p, y) == pytest.approx(5 / 6)
    assert SC.auc(p, y) == pytest.approx(roc_auc_score(1 - y, 1 - p))
    time = np.array([5, 1.0, 5, 3.0, 5])
    ev = 1 - y
    hc = SC.harrell_c(time, ev, 1 - p)
    assert hc == pytest.approx(concordance_index(time, p, ev))
    # all censoring at the horizon: Uno's weights are constant, so Uno's C equals Harrell's
    assert SC.uno_c(time, ev, 1 - p, tau=5.0) == pytest.approx(hc)


def test_calibration_recovers_intercept_and_slope():
    rng = np.random.default_rng(0)
    q = rng.uniform(0.02, 0.6, 20000)  # true event probabilities
    ev = rng.random(20000) < q
    c = SC.calibration(1 - q, (~ev).astype(int))
    assert c["intercept"] == pytest.approx(0, abs=0.05) and c["slope"] == pytest.approx(1, abs=0.05)
    # predictions twice as extreme on the logit scale -> slope about 1/2
    lq = np.log(q / (1 - q))
    q2 = 1 / (1 + np.exp(-(2 * (lq - lq.mean()) + lq.mean())))
    assert SC.calibration(1 - q2, (~ev).astype(int))["slope"] == pytest.approx(0.5, abs=0.05)


def test_reliability_table_bins_by_prediction():
    p = np.array([0.9, 0.9, 0.5, 0.5])
    y = np.array([1, 1, 0, 1])
    t = SC.reliability_table(p, y, n_bins=2)
    assert t["predicted"].tolist() == pytest.approx([0.1, 0.5])
    assert t["observed"].tolist() == pytest.approx([0.0, 0.5])


def test_cluster_draws_keep_clusters_whole():
    cl = np.array([1, 1, 1, 2, 3, 3])
    for idx in SC.cluster_draws(cl, 50, seed=3):
        drawn = pd.Series(cl[idx]).value_counts()
        size = pd.Series(cl).value_counts()
        assert all(drawn[c] % size[c] == 0 for c in drawn.index)
        assert sum(drawn[c] // size[c] for c in drawn.index) == 3  # three clusters drawn


def test_compare_verdict_needs_the_interval_to_exclude_zero():
    rng = np.random.default_rng(2)
    n = 300
    y = (rng.random(n) < 0.8).astype(int)
    f = pd.DataFrame({"atopid": np.arange(n) // 3, "survived": y, "time": np.where(y == 1, 5.0, 2.0),
                      "event_in_window": 1 - y, "good": np.where(y == 1, 0.95, 0.2), "flat": 0.8,
                      "flat2": 0.8})
    r = SC.compare(f, "good", ["flat"], n_boot=50, horizon=5.0)
    assert r["best_baseline"] == "flat" and r["beats_best_baseline"] == "yes"
    assert r["brier_diff_interval"][1] < 0
    same = SC.compare(f, "flat2", ["flat"], n_boot=50, horizon=5.0)
    assert same["beats_best_baseline"] == "not distinguishable"
    worse = SC.compare(f, "flat", ["good"], n_boot=50, horizon=5.0)
    assert worse["beats_best_baseline"] == "no"
    with pytest.raises(ModelError, match="missing"):
        SC.compare(f.assign(good=np.where(np.arange(n) == 0, np.nan, f["good"])), "good", ["flat"], n_boot=10)
