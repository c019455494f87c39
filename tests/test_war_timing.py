"""The status quo's yearly war-end chance computed on the as-of date ('p_per_year: from-data'): the schema accepts the
rule only for war-ends, an unresolved rule never reaches the draws, an unknown war start gives the rate for age 0
(noted), no member at war leaves the shock out, and a number written in a scenario is used as written."""
import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from pactwatch.errors import PactwatchError
from pactwatch.models import war_duration as W
from pactwatch.scenarios.cases import ResolvedCase
from pactwatch.scenarios.schema import Shock, Timing
from pactwatch.scenarios.shocks import MemberState, draw_years
from pactwatch.scenarios.war_timing import WarData, resolve_timings

DAY = pd.Timestamp("2024-06-30")  # after the COW data: the war's start comes from the case file, here none


def _rc(at_war):
    st = [MemberState(2, True, at_war, frozenset()), MemberState(20, False, False, frozenset())]
    return ResolvedCase(case=None, atopid=None, in_force=pd.Timestamp("2000-01-01"), members=[{"ccode": 2}, {"ccode": 20}],
                        formation={}, states=st, state_source="test")


def test_from_data_is_for_war_ends_only_and_must_be_resolved_before_drawing():
    with pytest.raises(ValidationError, match="war-ends"):
        Shock(kind="leader-change", timing={"dist": "geometric", "p_per_year": "from-data"})
    with pytest.raises(ValidationError):
        Timing(dist="geometric", p_per_year="sometimes")
    tm = Timing(dist="geometric", p_per_year="from-data")
    with pytest.raises(PactwatchError, match="resolved"):
        draw_years(tm, np.random.default_rng(0), 10, 2026)


def test_unknown_war_start_uses_age_zero_and_no_war_drops_the_shock(src):
    sh = [Shock(kind="war-ends", timing={"dist": "geometric", "p_per_year": "from-data"}),
          Shock(kind="war-ends", members=20, timing={"dist": "geometric", "p_per_year": 0.3})]
    out, keys, bases = resolve_timings(sh, _rc(True), DAY, WarData(src))
    b = bases[0]
    assert b["status"] == "at-war" and b["age"] == 0.0 and any("unknown" in n for n in b["notes"])
    assert out[0].timing.p_per_year == pytest.approx(W.yearly_hazard(W.from_source(src), 0.0)["p_per_year"])
    assert out[1] is sh[1] and keys == sh  # a written number is used as written
    out, keys, bases = resolve_timings(sh[:1], _rc(False), DAY, WarData(src))
    assert out == [] and bases[0]["status"] == "no-war"
