"""The case's resolution block (what counts as ending, what as continuation, resolution dates): validated (dates
after entry into force, unique, in order; at least one ending criterion), read off the forecast curve at each date,
and written out in words for the CLI."""
import copy
import datetime as dt

import pytest
import yaml

from pactwatch.errors import PactwatchError
from pactwatch.reports import present as P
from pactwatch.scenarios import forecast as F
from pactwatch.scenarios.cases import REPO_ROOT, load_case


@pytest.fixture(scope="module")
def rus_prk() -> dict:
    return yaml.safe_load((REPO_ROOT / "cases" / "rus-prk-2024.yaml").read_text(encoding="utf-8"))


def _error(tmp_path, base, edit) -> str:
    d = copy.deepcopy(base)
    edit(d["resolution"])
    p = tmp_path / "case.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    with pytest.raises(PactwatchError) as ei:
        load_case(p)
    msg = str(ei.value)
    assert str(p) in msg
    return msg


def test_shipped_case_states_its_resolution():
    r = load_case("rus-prk-2024").resolution
    assert r is not None and r.dates == sorted(r.dates) and len(r.ends) >= 5
    words = " ".join(c.text.lower() for c in r.ends)
    for w in ("written notice", "void", "art. 4", "diplomatic relations", "ceases to exist"):
        assert w in words, w
    assert any("successor treaty" in c.text.lower() for c in r.continues)
    assert all(len(c.source) > 10 for c in [*r.ends, *r.continues])


@pytest.mark.parametrize("edit, words", [
    (lambda r: r.__setitem__("dates", ["2034-12-31", "2029-12-31"]), "increasing order"),
    (lambda r: r.__setitem__("dates", ["2029-12-31", "2029-12-31"]), "unique; repeated: 2029-12-31"),
    (lambda r: r.__setitem__("dates", ["2024-06-30", "2029-12-31"]), "not after the alliance's entry into force (2024-12-04)"),
    (lambda r: r.__setitem__("dates", ["2029-13-31"]), "field 'resolution.dates.0'"),
    (lambda r: r.__setitem__("dates", []), "at least 1"),
    (lambda r: r.__setitem__("ends", []), "field 'resolution.ends'"),
    (lambda r: r["ends"][0].pop("source"), "field 'resolution.ends.0.source'"),
    (lambda r: r.__setitem__("when", "soon"), "field 'resolution.when'"),
])
def test_bad_resolution_is_an_error_naming_the_field(tmp_path, rus_prk, edit, words):
    msg = _error(tmp_path, rus_prk, edit)
    assert "resolution" in msg and words in msg, msg


def test_survival_at_dates_is_read_off_the_curve():
    curve = {"t": [0.0, 1.0, 2.0, 3.0], "point": [1.0, 0.9, 0.8, 0.6], "lower": [1.0, 0.8, 0.6, 0.4],
             "upper": [1.0, 0.95, 0.9, 0.8]}
    as_of = dt.date(2026, 1, 1)
    rows = F.at_dates(curve, as_of, [dt.date(2027, 7, 2), dt.date(2030, 1, 1), dt.date(2025, 1, 1)], horizon=3.0)
    t = (dt.date(2027, 7, 2) - as_of).days / 365.25
    assert rows[0]["t"] == pytest.approx(t) and rows[0]["within_horizon"]
    assert rows[0]["point"] == pytest.approx(0.9 - 0.1 * (t - 1)) and rows[0]["lower"] == pytest.approx(0.8 - 0.2 * (t - 1))
    assert not rows[1]["within_horizon"] and rows[1]["point"] is None  # beyond the horizon: not extrapolated
    assert not rows[2]["within_horizon"] and rows[2]["point"] is None  # before the as-of date


def test_resolution_lines_open_with_criteria_dates_and_probabilities():
    res = {"level": 0.9, "horizon": 10.0, "event": {"name": "any-end", "description": "any ending"},
           "case": {"resolution": {"ends": [{"text": "Written notice", "source": "Art. 23"}],
                                   "continues": [{"text": "A successor treaty", "source": "issue"}],
                                   "dates": ["2029-12-31", "2040-12-31"], "note": None}},
           "scenarios": [{"name": "status-quo", "label": "Status quo", "at_resolution": [
               {"date": "2029-12-31", "t": 3.1, "point": 0.9, "lower": 0.8, "upper": 0.95, "within_horizon": True},
               {"date": "2040-12-31", "t": 14.1, "point": None, "lower": None, "upper": None,
                "within_horizon": False}]}]}
    lines = P.resolution_lines(res)
    assert lines[0].startswith("Resolution: the alliance counts as ended") and lines[1] == "  - Written notice"
    assert "  - A successor treaty" in lines and "Resolution dates: 2029-12-31 and 2040-12-31." in lines
    assert any("understates survival" in x for x in lines)  # any-end counts replacement, the criteria do not
    assert lines[-1] == "  Status quo: 2029-12-31: 90% [80%–95%]; 2040-12-31: beyond the 10-year horizon"
    res["scenarios"][0]["at_resolution"][0].update(t=-0.5, point=None, lower=None, upper=None, within_horizon=False)
    assert P.resolution_view(res)["rows"][0]["cells"][0] == "before the as-of date"
    res["case"]["resolution"] = None
    assert P.resolution_lines(res) == []
