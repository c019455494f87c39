"""The war-ends event study (pactwatch.models.event_study) on tiny frames."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pactwatch.models import event_study as ES
from pactwatch.models.base import ModelError


def _frames():
    # war 1: states 2 and 3 fight 1950-1952; war 2 (a world war): states 7 and 8, 1940-1941
    wars = pd.DataFrame({"war": [1, 1, 2, 2], "ccode": [2, 3, 7, 8], "start": [1950, 1951, 1940, 1940],
                         "end": [1952, 1952, 1941, 1941], "world_war": [False, False, True, True]})
    al = pd.DataFrame({"atopid": [10, 11, 12], "begyr": [1951, 1930, 1930],
                       "members": [frozenset({2, 5}), frozenset({3, 4}), frozenset({5, 6})]})
    rows = []
    for a, y0, y1, end in ((10, 1951, 1953, 1953), (11, 1930, 1960, None), (12, 1930, 1955, 1955)):
        for y in range(y0, y1 + 1):
            rows.append({"atopid": a, "year": y, "ended": int(end == y)})
    return pd.DataFrame(rows), al, wars


def test_groups_relative_years_and_counts():
    y, al, wars = _frames()
    win = ES.war_windows(y, al, wars, (-3, 5))
    w1 = win[win["war"] == 1]
    assert set(w1.loc[w1["atopid"] == 10, "group"]) == {"formed_in_war"}
    assert set(w1.loc[w1["atopid"] == 11, "group"]) == {"member_in_war"}
    assert set(w1.loc[w1["atopid"] == 12, "group"]) == {"rest"}
    assert sorted(w1.loc[w1["atopid"] == 10, "k"]) == [-1, 0, 1]  # 1951..1953 around the end in 1952
    assert w1["k"].between(-3, 5).all() and sorted(w1.loc[w1["atopid"] == 11, "k"]) == list(range(-3, 6))
    tab = ES.hazard_table(win)
    r = tab[(~tab["world_war"]) & (tab["group"] == "formed_in_war") & (tab["k"] == 1)].iloc[0]
    assert (r["events"], r["alliance_years"], r["hazard"]) == (1, 1, 1.0)
    # the world war: every alliance is "rest" (no member fought in it), counted apart
    assert set(win.loc[win["war"] == 2, "group"]) == {"rest"} and win.loc[win["war"] == 2, "world_war"].all()
    pp = ES.pre_post(win)
    f = pp[(~pp["world_war"]) & (pp["group"] == "formed_in_war")].iloc[0]
    assert (f["post_events"], f["post_years"], f["pre_events"], f["pre_years"]) == (1, 2, 0, 1)


def test_poisson_interval_is_exact():
    r, lo, hi = ES.poisson_rate_ci(np.array([0, 4]), np.array([10.0, 20.0]), level=0.9)
    assert r.tolist() == [0.0, 0.2]
    assert lo[0] == 0 and hi[0] == pytest.approx(-np.log(0.05) / 10)  # 0 events: upper = -ln(alpha/2) / exposure
    assert lo[1] == pytest.approx(stats.chi2.ppf(0.05, 8) / 2 / 20)
    assert hi[1] == pytest.approx(stats.chi2.ppf(0.95, 10) / 2 / 20)


def test_rate_ratio_interval_contains_estimate():
    rr, lo, hi = ES.rate_ratio_ci(10, 100, 5, 100, level=0.9)
    assert rr == pytest.approx(2.0) and lo < 2.0 < hi and lo > 0.5
    rr0, lo0, hi0 = ES.rate_ratio_ci(0, 50, 5, 100)
    assert rr0 == 0 and lo0 == 0 and hi0 > 0


def test_bad_frames_are_named():
    y, al, wars = _frames()
    with pytest.raises(ModelError, match="wars"):
        ES.war_windows(y, al, wars.drop(columns="world_war"))
    with pytest.raises(ModelError, match="window"):
        ES.war_windows(y, al, wars, (1, 5))
