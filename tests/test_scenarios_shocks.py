"""Shocks change the covariate path exactly where and when they should (hand-built paths)."""
import math

import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.scenarios.schema import Shock, Timing
from pactwatch.scenarios.shocks import NEVER, MemberState, aggregate, build_path, check_scenario, draw_years, path_grid

COVS = ["defense", "any_at_war", "shared_rivals", "cap_change", "max_abs_polity2_change", "any_leader_change",
        "any_new_outside_alliance"]
IN_FORCE = pd.Timestamp("2024-12-04")
AS_OF = pd.Timestamp("2026-11-26")


def _members():
    return [MemberState(365, True, True, frozenset({2, 369})),
            MemberState(731, False, True, frozenset({732, 2, 740}))]


def _shock(kind, year, **kw):
    return Shock(kind=kind, timing=Timing(relative=False, fixed=year), **kw)


def _path(shocks, years):
    g = path_grid(IN_FORCE, AS_OF, 10.0)
    return build_path(g, {"defense": 1.0}, _members(), shocks, tuple(years), COVS).set_index("year")


def test_grid_segments_are_calendar_years():
    g = path_grid(IN_FORCE, AS_OF, 10.0)
    assert g.years == list(range(2026, 2037))
    a0 = (AS_OF - IN_FORCE).days / 365.25
    assert g.bounds[0] == pytest.approx(a0)
    assert g.bounds[1] == pytest.approx((pd.Timestamp("2027-01-01") - IN_FORCE).days / 365.25)
    assert g.bounds[-1] == pytest.approx(a0 + 10)
    assert np.all(np.diff(g.bounds) > 0)
    with pytest.raises(PactwatchError, match="before the alliance's entry into force"):
        path_grid(IN_FORCE, pd.Timestamp("2024-01-01"), 5)


def test_status_quo_path_is_constant():
    p = _path([], [])
    assert (p["any_at_war"] == 1).all() and (p["shared_rivals"] == 1).all()  # the US is the one shared rival
    assert (p["cap_change"] == 0).all() and (p["any_leader_change"] == 0).all() and (p["defense"] == 1).all()


def test_war_ends_next_year_for_all_members():
    p = _path([_shock("war-ends", 2028)], [2028])
    assert p.loc[2026:2028, "any_at_war"].tolist() == [1, 1, 1]
    assert (p.loc[2029:, "any_at_war"] == 0).all()
    # only one member's war ends: the alliance still has a member at war
    p1 = _path([_shock("war-ends", 2028, members=731)], [2028])
    assert (p1["any_at_war"] == 1).all()


def test_rivals_removed_and_added():
    p = _path([_shock("rival-removed", 2027, rivals=[2])], [2027])
    assert p.loc[2026:2027, "shared_rivals"].tolist() == [1, 1] and (p.loc[2028:, "shared_rivals"] == 0).all()
    p = _path([_shock("rival-added", 2030, rivals=[732, 740])], [2030])
    assert (p.loc[:2029, "shared_rivals"] == 1).all() and (p.loc[2030:, "shared_rivals"] == 3).all()


def test_one_year_events_and_level_shifts():
    p = _path([_shock("leader-change", 2027, members="any"), _shock("new-outside-alliance", 2031, members=365)],
              [2027, 2031])
    assert p["any_leader_change"].to_dict() == {y: float(y == 2027) for y in range(2026, 2037)}
    assert p["any_new_outside_alliance"].to_dict() == {y: float(y == 2031) for y in range(2026, 2037)}
    p = _path([_shock("power-shift", 2030, members="major", cinc_factor=0.75),
               _shock("regime-change", 2029, members=731, polity2_delta=4)], [2030, 2029])
    assert (p.loc[:2029, "cap_change"] == 0).all() and np.allclose(p.loc[2030:, "cap_change"], abs(math.log(0.75)))
    assert (p.loc[:2028, "max_abs_polity2_change"] == 0).all() and (p.loc[2029:, "max_abs_polity2_change"] == 4).all()


def test_never_and_after_horizon_leave_path_unchanged():
    base = _path([], [])
    for y in (NEVER, 2050):
        p = _path([_shock("war-ends", 2027)], [y])
        pd.testing.assert_frame_equal(p, base)


def test_aggregate_shared_rivals_multilateral():
    m = [MemberState(1, False, False, frozenset({9, 8})), MemberState(2, False, False, frozenset({9})),
         MemberState(3, False, False, frozenset({8, 7}))]
    # member 1 shares 9 (with 2) and 8 (with 3): 2
    assert aggregate(m)["shared_rivals"] == 2


def test_check_scenario_requires_model_covariates():
    with pytest.raises(PactwatchError, match=r"scenario 'x'.*\['any_leader_change'\]"):
        check_scenario("x", [_shock("leader-change", 2027)], ["any_at_war", "shared_rivals"])
    check_scenario("y", [_shock("war-ends", 2027)], ["any_at_war"])


def test_member_selection_errors():
    with pytest.raises(PactwatchError, match=r"member\(s\) \[2\]"):
        _path([_shock("war-ends", 2027, members=2)], [2027])  # a COW state, not a member


def test_timing_distributions():
    rng = np.random.default_rng(1)
    y = draw_years(Timing(dist="uniform", low=0, high=2), rng, 3000, 2026)
    assert set(np.unique(y)) == {2026, 2027, 2028}
    assert np.allclose(np.bincount(y - 2026) / 3000, 1 / 3, atol=0.04)
    y = draw_years(Timing(dist="triangular", low=0, mode=1, high=4), rng, 5000, 2026)
    assert y.min() >= 2026 and y.max() <= 2030
    y = draw_years(Timing(relative=False, dist="discrete", p={2027: 0.2, 2029: 0.5}, never=0.3), rng, 10000, 2026)
    assert set(np.unique(y)) == {2027, 2029, NEVER}
    assert np.mean(y == NEVER) == pytest.approx(0.3, abs=0.02) and np.mean(y == 2027) == pytest.approx(0.2, abs=0.02)
    assert (draw_years(Timing(fixed=3), rng, 5, 2026) == 2029).all()
