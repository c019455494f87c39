"""The base rate behind the status quo's yearly chance that the war ends: war spells from COW participant rows,
the share of wars as old as a given age that ended within a year, the constant yearly rate, and the shipped
status-quo scenario stating the rate the data give."""
import datetime as dt
import math

import pandas as pd
import pytest

from pactwatch.errors import DataError
from pactwatch.models import war_duration as W
from pactwatch.scenarios.cases import load_case, load_scenarios


def _row(num, name, ccode, start, end, end2=None):
    s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    e2 = dt.date.fromisoformat(end2) if end2 else None
    r = {"WarNum": num, "WarName": name, "ccode": ccode,
         "StartYear1": s.year, "StartMonth1": s.month, "StartDay1": s.day,
         "EndYear1": e.year, "EndMonth1": e.month, "EndDay1": e.day,
         "StartYear2": -8, "StartMonth2": -8, "StartDay2": -8}
    r.update({"EndYear2": e2.year, "EndMonth2": e2.month, "EndDay2": e2.day} if e2 else
             {"EndYear2": -8, "EndMonth2": -8, "EndDay2": -8})
    return r


def _wars():
    return pd.DataFrame([
        _row(1, "A", 2, "1900-01-01", "1900-07-01"), _row(1, "A", 20, "1899-07-01", "1900-03-01"),  # 1.0 y
        _row(2, "B", 2, "1910-01-01", "1915-06-01"),                                                 # 5.4 y
        _row(3, "C", 2, "1920-01-01", "1921-01-01", end2="1929-01-01"),                              # 9.0 y (2nd spell)
        _row(4, "D", 2, "1930-01-01", "1935-12-01"),                                                 # 5.9 y
    ])


def test_war_spells_span_all_participants_and_spells():
    sp = W.war_spells(_wars()).set_index("WarName")
    assert sp.loc["A", "start"] == dt.date(1899, 7, 1) and sp.loc["A", "end"] == dt.date(1900, 7, 1)
    assert sp.loc["C", "end"] == dt.date(1929, 1, 1)
    assert sp.loc["B", "years"] == pytest.approx((dt.date(1915, 6, 1) - dt.date(1910, 1, 1)).days / 365.25)


def test_missing_date_part_is_an_error_naming_the_war():
    w = _wars()
    w.loc[2, "EndMonth1"] = -9
    with pytest.raises(DataError, match=r"war 2 \(B\), participant 2"):
        W.war_spells(w)


def test_ending_share_and_yearly_hazard():
    sp = W.war_spells(_wars())
    r = W.ending_share(sp, 5.0)
    assert (r["n_at_risk"], r["n_ended"]) == (3, 2)  # B (5.4) and D (5.9) end within a year of age 5; C (9.0) not
    assert r["share"] == pytest.approx(2 / 3) and r["lower"] < 2 / 3 < r["upper"]
    h = W.yearly_hazard(sp, 5.0)
    expo = sum(y - 5.0 for y in sp["years"] if y >= 5.0)
    assert h["exposure_years"] == pytest.approx(expo)
    assert h["p_per_year"] == pytest.approx(1 - math.exp(-3 / expo))
    assert h["lower"] < h["p_per_year"] < h["upper"]


def test_status_quo_states_the_rate_the_cow_data_give(src):
    """The shipped status quo's yearly chance is the constant rate of COW inter-state wars as old as the case's war
    on its observed date (rounded to two decimals), and its source quotes the counts."""
    case = load_case("rus-prk-2024")
    since = case.observed.members[365].at_war.since
    age = W.war_age(since, case.observed.date)
    h = W.yearly_hazard(W.from_source(src), age)
    r = W.ending_share(W.from_source(src), age)
    tm = next(s.timing for s in load_scenarios()["status-quo"].shocks if s.kind == "war-ends")
    assert tm.dist == "geometric" and tm.p_per_year == pytest.approx(h["p_per_year"], abs=0.005)
    assert f"of the {r['n_at_risk']} wars" in tm.source and f"{r['n_ended']} ended" in tm.source
    assert f"{h['lower']:.2f}-{h['upper']:.2f}" in tm.source
