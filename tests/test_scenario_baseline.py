"""Scenarios run on top of the status quo: the status quo carries its yearly chance that the war ends (war-end draws,
not ten more years of war), every scenario carries it too, a named war-ends scenario replaces it (the war never ends
twice) and puts every war end by its date, and composition still works."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.scenarios import forecast as F
from pactwatch.scenarios import paths as P
from pactwatch.scenarios.cases import load_scenarios
from pactwatch.scenarios.schema import Scenario
from pactwatch.scenarios.shocks import NEVER, scenario_shocks

Y0 = 2026
FIRST = (pd.Timestamp("2027-01-01") - pd.Timestamp("2026-11-26")).days / 365.25
N = 20_000


@pytest.fixture(scope="module")
def sc():
    return load_scenarios()


@pytest.fixture(scope="module")
def rc(forecast_data):
    from pactwatch.scenarios.cases import load_case, resolve

    return resolve(load_case("rus-prk-2024"), forecast_data, pd.Timestamp("2026-11-26"))


def _draws(name, sc, rc, seed=0):
    """The scenario's shocks with their timings resolved on the case's as-of date (as the forecast does) and draws."""
    from pactwatch.scenarios.war_timing import resolve_timings

    written = scenario_shocks(name, sc)
    shocks, keys, _ = resolve_timings(written, rc, pd.Timestamp("2026-11-26"))
    T = P.timing_draws(shocks, np.random.default_rng(99), N, Y0, [], name, seed=seed, first_year=FIRST, keys=keys)
    return shocks, T


def test_status_quo_includes_war_end_draws(sc, rc):
    shocks, T = _draws("status-quo", sc, rc)
    assert [s.kind for s in shocks] == ["war-ends"] and shocks[0].timing.dist == "geometric"
    y = T[:, 0]
    p = shocks[0].timing.p_per_year
    # the war ends within the 10-year window in most draws, in several different years, and not in all
    assert 0 < np.mean(y > Y0 + 10) < 0.1
    assert len(np.unique(y[y <= Y0 + 10])) >= 5
    assert np.mean(y == Y0 + 1) == pytest.approx((1 - p) ** FIRST * p, abs=0.015)


def test_named_war_ends_falls_by_its_date_and_replaces_the_status_quos(sc, rc):
    by = scenario_shocks("war-ends", sc)
    assert [s.kind for s in by] == ["war-ends"]  # one war end, not the status quo's and the scenario's
    assert by[0].timing.by is not None
    _, T = _draws("war-ends", sc, rc)
    assert T[:, 0].max() <= by[0].timing.by.year and T[:, 0].min() >= Y0
    for comp in ("war-ends+us-retrenchment", "war-ends+trilateral-strengthens"):
        kinds = [s.kind for s in scenario_shocks(comp, sc)]
        assert kinds.count("war-ends") == 1 and len(kinds) == 2, kinds
        assert scenario_shocks(comp, sc)[0].timing.by == by[0].timing.by


def test_every_scenario_carries_the_status_quos_war_end_with_the_same_draws(sc, rc):
    _, T0 = _draws("status-quo", sc, rc)
    for name in ("us-retrenchment", "trilateral-strengthens", "leader-change", "power-shift"):
        shocks, T = _draws(name, sc, rc)
        assert [s.kind for s in shocks][0] == "war-ends" and len(shocks) == 2
        assert np.array_equal(T[:, 0], T0[:, 0])  # common random numbers for the paired differences


def test_composition_without_a_status_quo_and_cycles():
    def s(name, **kw):
        return Scenario(name=name, label=name, **kw)

    w = {"kind": "war-ends", "timing": {"fixed": 1}}
    r = {"kind": "rival-removed", "rivals": [2], "timing": {"fixed": 0}}
    sc = {"a": s("a", shocks=[w]), "b": s("b", shocks=[r]), "ab": s("ab", compose=["a", "b"])}
    assert [x.kind for x in scenario_shocks("ab", sc)] == ["war-ends", "rival-removed"]
    sc["status-quo"] = s("status-quo", shocks=[{"kind": "war-ends", "timing": {"fixed": 5}}])
    got = scenario_shocks("b", sc)
    assert [(x.kind, x.timing.fixed) for x in got] == [("war-ends", 5), ("rival-removed", 0)]
    got = scenario_shocks("ab", sc)
    assert [(x.kind, x.timing.fixed) for x in got] == [("war-ends", 1), ("rival-removed", 0)]
    sc["c"], sc["d"] = s("c", compose=["d"]), s("d", compose=["c"])
    with pytest.raises(PactwatchError, match="cycle"):
        scenario_shocks("c", sc)


def test_war_end_past_the_horizon_leaves_the_path_at_war():
    from pactwatch.scenarios.shocks import MemberState, build_path, path_grid
    from pactwatch.scenarios.schema import Shock, Timing

    g = path_grid(pd.Timestamp("2024-12-04"), pd.Timestamp("2026-11-26"), 10.0)
    m = [MemberState(365, True, True, frozenset()), MemberState(731, False, True, frozenset())]
    sh = [Shock(kind="war-ends", timing=Timing(dist="geometric", p_per_year=0.5))]
    covs = ["any_at_war"]
    assert (build_path(g, {}, m, sh, (NEVER,), covs)["any_at_war"] == 1).all()
    assert (build_path(g, {}, m, sh, (g.years[-1] + 3,), covs)["any_at_war"] == 1).all()
    p = build_path(g, {}, m, sh, (2028,), covs).set_index("year")["any_at_war"]
    assert p[2028] == 1 and p[2029] == 0
