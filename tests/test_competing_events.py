"""Competing risks and replacement chains (issue 13, item 2): cause-specific event definitions, derived successor
links, merged spells, and cumulative incidences (Aalen–Johansen, lifelines) that never exceed the all-cause
probability."""
import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines import AalenJohansenFitter, KaplanMeierFitter

from pactwatch.panels import survival as SV

TIMES = (2.0, 5.0, 10.0, 20.0)


@pytest.fixture(scope="module")
def table(src):
    return SV.survival_table(src)


def _cif(d, cause, k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines jitters tied times and says so
        aj = AalenJohansenFitter(calculate_variance=False, seed=1).fit(d, cause, event_of_interest=k)
    f = aj.cumulative_density_
    return np.array([float(f[f.index <= t].iloc[-1, 0]) if (f.index <= t).any() else 0.0 for t in TIMES])


def _all_cause(d, ended):
    km = KaplanMeierFitter().fit(d, ended)
    return 1 - km.survival_function_at_times(list(TIMES)).to_numpy()


@pytest.mark.parametrize("unit", ["alliances", "merged spells"])
def test_cause_specific_incidences_sum_to_at_most_the_all_cause_probability(table, unit):
    a = table.alliances if unit == "alliances" else SV.replacement_spells(table)[0]
    d = a["duration_years"].to_numpy(float)
    cause = a["cause"].to_numpy(int)
    all_cause = _all_cause(d, cause > 0)
    parts = {k: _cif(d, cause, k) for k in SV.COMPETING_CAUSES}       # breach, lapse, state death
    total = sum(parts.values())
    assert (total <= all_cause + 1e-6).all()
    # replacement is the remaining cause: with it the incidences add up to the all-cause probability
    with_rep = total + _cif(d, cause, 3)
    np.testing.assert_allclose(with_rep, all_cause, atol=0.01)  # lifelines' jitter of tied times moves them a little
    assert (total > 0).all() and (total < all_cause).all()  # replacement does take a share


def test_issue13_event_definitions(table):
    a = table.alliances
    ind = {n: SV.event_indicator(a, n) for n in ("breach", "lapse", "state-death", "not-replaced", "any-end")}
    assert (ind["breach"] + ind["lapse"] + ind["state-death"] == ind["not-replaced"]).all()
    assert (ind["not-replaced"] == ((a["event"] == 1) & (a["cause"] != 3)).astype(int)).all()
    assert int(ind["any-end"].sum() - ind["not-replaced"].sum()) == int((a["cause"] == 3).sum())


def test_replacement_links_follow_the_stated_rule(table):
    links, counts = SV.replacement_links(table)
    assert counts["linked"] + counts["unlinked"] == counts["replacements"] == int((table.alliances["cause"] == 3).sum())
    assert counts["linked"] == len(links) > 0 and counts["unlinked"] > 0
    a = table.alliances.set_index("atopid")
    ends = SV._members_at_end(table.panel)
    founders = SV._founders(table.member_years, table.alliances)
    for r in links.itertuples(index=False):
        assert a.loc[r.predecessor, "cause"] == 3
        assert ends[r.predecessor] == founders[r.successor]
        assert abs((a.loc[r.successor, "begin"] - a.loc[r.predecessor, "end"]).days) <= SV.LINK_WINDOW_DAYS
        assert a.loc[r.successor, "begin"] > a.loc[r.predecessor, "begin"]
    assert not links["successor"].duplicated().any()


def _toy():
    """A (1950) replaced by B (1960, same members), B ends by breach in 1970; C (1950) replaced in 1960 by D whose
    members differ; E replaced but its 'successor' F begins two years later."""
    rows = [(1, "1950-01-01", "1960-06-01", 3), (2, "1960-06-01", "1970-01-01", 1), (3, "1950-01-01", "1960-01-01", 3),
            (4, "1960-01-01", None, 0), (5, "1950-01-01", "1960-01-01", 3), (6, "1962-01-01", None, 0)]
    a = pd.DataFrame(rows, columns=["atopid", "begin", "end", "cause"])
    a["begin"], a["end"] = pd.to_datetime(a["begin"]), pd.to_datetime(a["end"])
    a["begyr"] = a["begin"].dt.year
    a["event"] = a["end"].notna().astype(int)
    a["event_atop"] = a["event"]
    a["termmode_final"] = a["cause"].map({3: 2, 1: 3, 0: np.nan})
    a["termcaus_final"] = np.nan
    a["duration_years"] = ((a["end"].fillna(pd.Timestamp("2018-12-31")) - a["begin"]).dt.days / SV.DAYS_PER_YEAR)
    members = {1: (2, 20), 2: (2, 20), 3: (200, 220), 4: (200, 230), 5: (300, 310), 6: (300, 310)}
    panel = pd.DataFrame({"atopid": a["atopid"], "termmode_members": [
        ";".join(f"{c}:2" for c in members[i]) if e else None for i, e in zip(a["atopid"], a["event"])]})
    my = pd.DataFrame([(i, c, y, by) for i, by in zip(a["atopid"], a["begyr"]) for c in members[i]
                       for y in range(by, by + 3)], columns=["atopid", "ccode", "year", "entry_year"])
    yrs = pd.DataFrame([(i, y, by) for i, by, ey in zip(a["atopid"], a["begyr"], a["end"].dt.year.fillna(2018))
                        for y in range(by, int(ey) + 1)], columns=["atopid", "year", "begyr"])
    yrs["event"] = 0
    return SV.SurvivalTable(alliances=a, years=yrs, member_years=my, panel=panel)


def test_replacement_links_on_a_constructed_table():
    t = _toy()
    links, counts = SV.replacement_links(t)
    assert links[["predecessor", "successor"]].values.tolist() == [[1, 2]]
    assert counts == {**counts, "replacements": 3, "linked": 1, "unlinked": 2}
    spells, years, c2 = SV.replacement_spells(t, links)
    s = spells.set_index("atopid")
    assert 2 not in s.index and s.loc[1, "atopids"] == "1;2"
    assert s.loc[1, "cause"] == 1 and s.loc[1, "end"] == pd.Timestamp("1970-01-01")
    assert s.loc[1, "duration_years"] == pytest.approx(20.0, abs=0.01)
    assert s.loc[3, "cause"] == 3  # unlinked replacement: censored under not-replaced
    assert SV.event_indicator(spells, "not-replaced").sum() == 1
    y1 = years[years["atopid"] == 1]
    assert not y1.duplicated("year").any() and y1["year"].min() == 1950 and y1["year"].max() == 1970
    assert y1.loc[y1["year"] == 1960, "atopid_treaty"].item() == 1  # hand-over year: the predecessor's row
    assert y1["event"].sum() == 1 and y1.loc[y1["event"] == 1, "year"].item() == 1970


def test_merged_spells_run_through_follow_up(table):
    spells, years, counts = SV.replacement_spells(table)
    f, n = SV.follow_up(spells, "not-replaced")
    assert int(f["event"].sum()) == int(spells["cause"].isin([1, 2, 4]).sum())
    assert counts["spells"] == len(spells) == len(table.alliances) - counts["linked"]
    rows, c = SV.counting_process(years[["atopid", "year", "any_at_war_lag1"]], f, tv_covariates=["any_at_war_lag1"])
    assert c["tv_events"] > 0 and not rows.duplicated(["atopid", "start"]).any()
