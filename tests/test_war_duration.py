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


def test_status_quo_computes_the_rate_the_cow_data_give_on_the_as_of_date(src, forecast_data):
    """The shipped status quo states the rule ('p_per_year: from-data'), not a number; resolved for the case on its
    observed date it is the constant rate of COW inter-state wars as old as the Ukraine war (0.47), and the basis
    says which war, its age and the counts."""
    import pandas as pd

    from pactwatch.scenarios.cases import resolve
    from pactwatch.scenarios.war_timing import WarData, resolve_timings

    case = load_case("rus-prk-2024")
    since = case.observed.members[365].at_war.since
    age = W.war_age(since, case.observed.date)
    h = W.yearly_hazard(W.from_source(src), age)
    sq = load_scenarios()["status-quo"].shocks
    assert next(s.timing for s in sq if s.kind == "war-ends").p_per_year == "from-data"
    rc = resolve(case, forecast_data, pd.Timestamp(case.observed.date), src)
    shocks, keys, bases = resolve_timings(sq, rc, pd.Timestamp(case.observed.date), WarData(src))
    tm = shocks[0].timing
    assert keys == list(sq)
    assert tm.dist == "geometric" and tm.p_per_year == pytest.approx(h["p_per_year"], rel=1e-12)
    assert round(tm.p_per_year, 2) == 0.47
    b = bases[0]
    assert b["status"] == "at-war" and b["war_used"]["start"] == "2022-02-24" and b["age"] == pytest.approx(age)
    assert b["n_wars"] == 7 and f"{h['lower']:.2f}-{h['upper']:.2f}" in tm.source


def test_rate_as_of_uses_only_wars_ended_by_then_and_censors_those_under_way():
    sp = W.war_spells(pd.DataFrame([_row(1, "A", 2, "1900-01-01", "1903-01-01"),
                                    _row(2, "B", 2, "1910-01-01", "1912-01-01"),
                                    _row(3, "C", 2, "1920-01-01", "1926-01-01")]))
    on = dt.date(1923, 1, 1)  # C under way for 3 years: censored; nothing later is known
    h = W.yearly_hazard_as_of(sp, 1.0, on)
    expo = (sp["years"].iloc[0] - 1) + (sp["years"].iloc[1] - 1) + (W.war_age(dt.date(1920, 1, 1), on) - 1)
    assert h["n_wars"] == 2 and h["n_censored"] == 1
    assert h["exposure_years"] == pytest.approx(expo)
    assert h["p_per_year"] == pytest.approx(1 - math.exp(-2 / expo))
    # the full data (C ended, 6 years) give another rate: the as-of rate does not see C's end
    assert W.yearly_hazard(sp, 1.0)["p_per_year"] != pytest.approx(h["p_per_year"])
    # before any war had ended at that age: no rate
    assert W.yearly_hazard_as_of(sp, 1.0, dt.date(1901, 6, 1))["p_per_year"] is None
