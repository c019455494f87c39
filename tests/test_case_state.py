"""A direct case's member states come from the same code as the training rows wherever the data reach; hand values
(the case's ``observed`` block) only past the data's end, flagged; data win over a contradicting hand value."""
from __future__ import annotations

import copy
import math

import pandas as pd
import pytest

from pactwatch.panels import survival as SV
from pactwatch.scenarios.cases import load_case, read_yaml, resolve
from pactwatch.scenarios.schema import Case, parse
from pactwatch.scenarios.shocks import aggregate

#: ATOP 3440: the USSR-DPRK treaty of 6 July 1961 (members 365 and 731 only, in force to 1996).
ATOPID = 3440
#: Alliance-year covariates the forecast and the candidate specifications use, as the survival table names them.
COMPARED = ("any_at_war", "shared_rivals", "cap_change", "max_abs_polity2_change", "any_leader_change",
            "any_new_outside_alliance", "any_at_war_cow_ucdp", "max_abs_euds_change", "regime_change_euds",
            "n_shared_gdb_rivals", "n_shared_severe_rivals", "shared_rival_grade", "common_mid_opponent_10y",
            "war_ended_0_2", "any_irregular_leader_entry")


@pytest.fixture(scope="module")
def table(src):
    return SV.survival_table(src, extended=True)


def _ussr_dprk(as_of: str, member_overrides: dict | None = None) -> Case:
    """A made-up direct case for the USSR-DPRK pair in force on ATOP 3440's begin date, with the Russia-DPRK case's
    hand values (observed block) dated ``as_of``; ``member_overrides``: {ccode: {field: value}}."""
    raw = copy.deepcopy(read_yaml(load_case("rus-prk-2024").__dict__["_path"]))
    raw.update(id="ussr-prk-direct-test", kind="direct")
    raw.pop("replaces", None)
    raw["signed"] = {"value": "1961-07-06", "source": "ATOP 5.1 atopid 3440 begin date"}
    raw["in_force"] = {"value": "1961-07-06", "source": "ATOP 5.1 atopid 3440 begin date"}
    raw["observed"]["date"] = as_of
    for cc, fields in (member_overrides or {}).items():
        raw["observed"]["members"][cc].update(fields)
    return parse(Case, raw, "test case")


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    return not pd.isna(a) and not pd.isna(b) and math.isclose(float(a), float(b), abs_tol=1e-9)


@pytest.mark.parametrize("year", [1962, 1964, 1965, 1970])
def test_direct_case_gets_the_training_rows_values_in_covered_years(src, table, year):
    rc = resolve(_ussr_dprk(f"{year}-06-30"), None, pd.Timestamp(f"{year}-06-30"), src)
    row = table.years[(table.years["atopid"] == ATOPID) & (table.years["year"] == year)].iloc[0]
    now = aggregate(rc.states, year=year)
    lag = rc.lagged
    diff = {c: (now[c], row[c]) for c in COMPARED if not _same(now[c], row[c])}
    diff.update({SV.lag_name(c): (lag[SV.lag_name(c)], row[SV.lag_name(c)]) for c in COMPARED
                 if c not in SV.CHANGE_SINCE_ENTRY and not _same(lag[SV.lag_name(c)], row[SV.lag_name(c)])})
    assert diff == {}, f"case vs ATOP {ATOPID} in {year}: {diff}"
    assert rc.hand_values == []
    assert all(v.startswith("data: ") for k, v in rc.sources.items() if k.startswith("state."))


def test_the_comparison_sees_a_leader_change(src, table):
    """The years compared are not all zeros: Khrushchev's fall (Oct 1964) shows in 1964 and in 1965's lag."""
    rc = resolve(_ussr_dprk("1965-06-30"), None, pd.Timestamp("1965-06-30"), src)
    assert rc.lagged["any_leader_change_lag1"] == 1.0
    assert aggregate(rc.prev_states, year=1964)["any_leader_change"] == 1.0


def test_hand_value_is_used_past_the_data_end_and_flagged(src):
    # as of 2021: TSS reaches 2020 (the lag year), not 2021; the hand value adds the US as a DPRK rival
    c = _ussr_dprk("2021-06-30", {731: {"rivals": {"value": [732, 2], "source": "hand: analyst judgement"}}})
    rc = resolve(c, None, pd.Timestamp("2021-06-30"), src)
    dprk_now = next(s for s in rc.states if s.ccode == 731)
    dprk_prev = next(s for s in rc.prev_states if s.ccode == 731)
    assert dprk_now.rivals == frozenset({732, 2})
    assert dprk_prev.rivals == frozenset({732})  # TSS 2020
    assert aggregate(rc.states)["shared_rivals"] == 1.0 and rc.lagged["shared_rivals_lag1"] == 0.0
    assert rc.sources["state.731.tss_rivals.2021"].startswith("hand, past data end 2020: hand: analyst judgement")
    assert rc.sources["state.731.tss_rivals.2020"].startswith("data: ")
    flagged = [h for h in rc.hand_values if h["path"] == "observed.members.731.rivals"]
    assert flagged and flagged[0]["years"] == [2021] and flagged[0]["data_end"] == 2020
    assert any("differs from the data's last year" in n and "731" in n for n in rc.notes)
    assert "observed.members.731.rivals" in rc.state_source


def test_data_win_over_a_contradicting_hand_value_in_a_covered_year(src, table):
    c = _ussr_dprk("1965-06-30", {731: {"rivals": {"value": [732, 2, 740], "source": "hand: analyst judgement"}},
                                  365: {"at_war": {"at_war": 1, "source": "hand: said to be at war"}}})
    rc = resolve(c, None, pd.Timestamp("1965-06-30"), src)
    dprk = next(s for s in rc.states if s.ccode == 731)
    assert dprk.rivals == frozenset({732})  # TSS 1965: South Korea only
    row = table.years[(table.years["atopid"] == ATOPID) & (table.years["year"] == 1965)].iloc[0]
    assert aggregate(rc.states)["shared_rivals"] == row["shared_rivals"]
    assert any("731" in n and "tss_rivals in 1965" in n and "the data are used" in n for n in rc.notes)
    # the hand at_war (1, no start date) contradicts COW (neither member at war in 1965): the data win too
    assert aggregate(rc.states)["any_at_war"] == 0.0
    assert any("365" in n and "at_war_cow_ucdp in 1965" in n for n in rc.notes)
    assert rc.hand_values == []


def test_rus_prk_hand_values_are_listed_and_us_japan_stay_out_of_tss(src):
    c = load_case("rus-prk-2024")
    rc = resolve(c, None, pd.Timestamp("2026-11-26"), src)
    dprk = next(s for s in rc.states if s.ccode == 731)
    assert dprk.rivals == frozenset({732})
    assert aggregate(rc.states)["shared_rivals"] == 0.0
    paths = {h["path"] for h in rc.hand_values}
    assert {"observed.members.731.rivals", "observed.members.365.at_war", "observed.members.731.euds"} <= paths
    # extended UDS reaches 2025: the lag year is data, the as-of year a hand value
    assert rc.sources["state.731.abs_euds_change.2025"].startswith("data: ")
    assert rc.sources["state.731.abs_euds_change.2026"].startswith("hand, past data end 2025")


def test_war_ends_shock_sets_the_formation_war_end_and_rival_removed_reaches_the_peace_scale():
    from pactwatch.scenarios.schema import Shock
    from pactwatch.scenarios.shocks import MemberState, member_states_by_year

    base = [MemberState(365, True, True, frozenset({2, 369}), peace_rivals=frozenset({2, 740}),
                        severe_rivals=frozenset({740}), in_formation_war=True),
            MemberState(731, False, True, frozenset({732}), peace_rivals=frozenset({2, 732, 740}),
                        severe_rivals=frozenset({2, 732, 740}), in_formation_war=True)]
    years = list(range(2026, 2032))
    shocks = [Shock(kind="war-ends", members="all", timing={"fixed": 2027, "relative": False}),
              Shock(kind="rival-removed", rivals=[2], members="all", timing={"fixed": 2026, "relative": False})]
    st = member_states_by_year(base, years, shocks, (2027, 2026))
    ended = [aggregate(st[y], year=y)["war_ended_0_2"] for y in years]
    assert ended == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]  # the war ended in 2027: 2027, 2028, 2029
    assert [aggregate(st[y])["any_at_war"] for y in years] == [1.0, 1.0, 0.0, 0.0, 0.0, 0.0]
    # the US leaves every rival list from 2027 (TSS end-year rule): Japan stays the one shared severe rival
    agg = aggregate(st[2027])
    assert agg["n_shared_gdb_rivals"] == 1.0 and agg["shared_rival_grade"] == 2.0
    assert aggregate(st[2026])["n_shared_gdb_rivals"] == 2.0


def test_member_states_are_built_once_per_source_and_returned_as_copies(data_dir, monkeypatch):
    """A case is resolved again for every reading of its uncertain codings: the data part is built once per source
    (and the ATOP spells once for all panels), and a caller changing the returned frame changes nothing stored."""
    from pactwatch.data.source import DataSource
    from pactwatch.panels import alliances as AL
    from pactwatch.panels import state as PS

    src = DataSource(data_dir)
    calls = {"values": 0, "spells": 0}
    real_values, real_build = AL.member_year_values, AL._build_fresh

    def values(*a, **k):
        calls["values"] += 1
        return real_values(*a, **k)

    def build(*a, **k):
        calls["spells"] += 1
        return real_build(*a, **k)

    monkeypatch.setattr(AL, "member_year_values", values)
    monkeypatch.setattr(AL, "_build_fresh", build)
    first = PS.member_state_years([365, 731], [1964, 1965], 1961, src)
    first["at_war"] = -1.0  # the caller's copy only
    again = PS.member_state_years([365, 731], [1964, 1965], 1961, src)
    other = PS.member_state_years([365, 731], [1966], 1961, src)
    assert calls == {"values": 2, "spells": 1}
    assert (again["at_war"] != -1.0).all() and len(other) == 2
    fresh = PS.member_state_years([365, 731], [1964, 1965], 1961, DataSource(data_dir))
    pd.testing.assert_frame_equal(again, fresh)
