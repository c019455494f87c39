"""State-year panels against COW's own files (system2016, majors2016, NMC 6.0) and cw_democracy."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.panels.states import (
    DEMOCRACY_COLUMNS,
    NMC_COLUMNS,
    democracy_state_years,
    major_power_years,
    membership_spells,
    nmc_state_years,
    state_years,
)


def test_state_years_equal_system2016(src):
    sy = state_years(src=src)
    system = src.table("cow_system")[["ccode", "year"]].astype("int64")
    assert len(sy) == len(system) == 15951
    assert not sy.duplicated().any()
    merged = sy.merge(system, how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    assert sy["ccode"].dtype == np.int64 and sy["year"].dtype == np.int64
    assert sy.attrs["pactwatch_log"][-1]["rows"] == 15951


def test_state_years_window_and_reentry(src):
    sy = state_years(1940, 1946, src=src)
    assert sy["year"].between(1940, 1946).all()
    # the Netherlands left the system in May 1940 and re-entered in 1945: a member in every year here except 1941-44
    nth = sy.loc[sy["ccode"] == 210, "year"].tolist()
    assert nth == [1940, 1945, 1946]
    # counts per year equal system2016's for the same window
    system = src.table("cow_system")
    expected = system[system["year"].between(1940, 1946)].groupby("year").size()
    pd.testing.assert_series_equal(sy.groupby("year").size(), expected, check_names=False)


def test_state_years_bad_input(src):
    with pytest.raises(PactwatchError, match="after 2016"):
        state_years(1816, 2020, src=src)
    with pytest.raises(PactwatchError, match="start .* is after end"):
        state_years(2000, 1990, src=src)
    with pytest.raises(PactwatchError, match="before 1816"):
        state_years(1700, 1800, src=src)
    with pytest.raises(PactwatchError, match="whole years"):
        state_years("abc", 1900, src=src)


def test_state_years_carry_forward_is_logged(src):
    sy = state_years(2015, 2018, src=src, carry_forward=True)
    n2016 = int((sy["year"] == 2016).sum())
    assert (sy.groupby("year").size().loc[[2017, 2018]] == n2016).all()
    assert sy.attrs["pactwatch_log"][-1]["carried_forward"] == 2 * n2016


def test_membership_spells_match_states2016(src):
    sp = membership_spells(src)
    assert len(sp) == len(src.table("cow_states"))
    assert (sp["enddate"] >= sp["stdate"]).all()
    usa = sp[sp["ccode"] == 2].iloc[0]
    assert usa["stdate"] == pd.Timestamp("1816-01-01") and usa["enddate"] == pd.Timestamp("2016-12-31")


def test_nmc_missing_codes_become_na(src):
    nmc = nmc_state_years(src)
    raw = src.table("cow_nmc")
    assert list(nmc.columns) == ["ccode", "year", *NMC_COLUMNS]
    assert len(nmc) == len(raw)
    for c in NMC_COLUMNS:
        assert not (nmc[c] == -9).any()
        assert int(nmc[c].isna().sum()) == int((raw[c] == -9).sum())
    assert nmc.attrs["pactwatch_log"][-1]["missing_codes_to_na"] == int((raw[NMC_COLUMNS] == -9).sum().sum())
    # values kept as published: USA 1816 milex 3823
    assert nmc.set_index(["ccode", "year"]).loc[(2, 1816), "milex"] == 3823


def test_major_power_years(src):
    mp = major_power_years(src)
    assert len(mp) == 15951 and set(mp["cowmaj"].unique()) == {0, 1}
    mp = mp.set_index(["ccode", "year"])["cowmaj"]
    assert mp.loc[(2, 1897)] == 0 and mp.loc[(2, 1898)] == 1   # USA from Aug 1898
    # Japan: major power 1895-1945, out of the system 1946-51 (occupation), a member but not a major power 1952-90
    assert mp.loc[(740, 1945)] == 1 and (740, 1946) not in mp.index and mp.loc[(740, 1952)] == 0 and mp.loc[(740, 1991)] == 1
    # independent count: sum over majors2016 spells of (endyear - styear + 1), no overlapping spells per state
    mj = src.table("cow_majors")
    assert int(mp.sum()) == int((mj["endyear"] - mj["styear"] + 1).sum())


def test_democracy_state_years(src):
    d = democracy_state_years(src)
    assert list(d.columns) == ["ccode", "year", *DEMOCRACY_COLUMNS]
    assert d["ccode"].dtype == np.int64 and not d.duplicated(["ccode", "year"]).any()
    assert len(d) == len(src.table("cw_democracy"))
    # Polity5 ends in 2018 (cw_democracy has a single stray polity2 value in each of 2019 and 2020); V-Dem/UDS go on
    per_year = d[d["polity2"].notna()].groupby("year").size()
    assert per_year.loc[2018] > 150 and per_year.loc[per_year.index > 2018].max() <= 1
    assert d.loc[d["v2x_polyarchy"].notna(), "year"].max() >= 2020


def test_polity_crosswalk_fills_states_polity_codes_differently(src):
    """isard's cw_democracy has no polity2 for the USSR 1922-1991 (Polity codes it 364, COW 365), Austria-Hungary, etc."""
    import pandas as pd

    from pactwatch.panels.states import democracy_state_years

    plain = democracy_state_years(src, polity_crosswalk=False)
    filled = democracy_state_years(src)
    p5 = src.table("polity5")
    ussr_1950 = float(p5[(p5.ccode == 364) & (p5.year == 1950)].polity2.iloc[0])
    row = filled[(filled.ccode == 365) & (filled.year == 1950)]
    assert pd.isna(plain[(plain.ccode == 365) & (plain.year == 1950)].polity2.iloc[0])
    assert row.polity2.iloc[0] == ussr_1950
    # nothing that was there changes; only gaps are filled, and the log counts them
    both = plain.merge(filled, on=["ccode", "year"], suffixes=("_a", "_b"))
    had = both.polity2_a.notna()
    assert (both.loc[had, "polity2_a"] == both.loc[had, "polity2_b"]).all()
    n_new = int((both.polity2_a.isna() & both.polity2_b.notna()).sum())
    assert n_new == filled.attrs["pactwatch_log"][-1]["polity2_crosswalk_filled"] > 250
    ah = filled[(filled.ccode == 300) & (filled.year == 1900)].polity2.iloc[0]
    assert ah == float(p5[(p5.ccode == 305) & (p5.year == 1900)].polity2.iloc[0])
