"""The forecast ledger (issue 13, item 7): appends, lists, resolves and scores; bad entries are refused and a
damaged file is reported, never rewritten."""
import json

import pytest
from typer.testing import CliRunner

from pactwatch.errors import DataError, PactwatchError
from pactwatch.scenarios import ledger


def _entry(**kw):
    e = {"case": "rus-prk-2024", "as_of": "2025-01-01", "horizon": 5, "probability": 0.8, "interval": [0.6, 0.9],
         "model_version": "m1", "data_checksums": {"atop_alliance": "eafd"}}
    e.update(kw)
    return e


def test_append_writes_one_json_line_in_the_home(tmp_path, monkeypatch):
    monkeypatch.setenv("PACTWATCH_HOME", str(tmp_path))
    rec = ledger.append(_entry())
    assert ledger.ledger_path() == tmp_path / "ledger.jsonl"
    lines = ledger.ledger_path().read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0]) == rec
    assert rec["resolution_date"] == "2030-01-01" and rec["kind"] == "forecast" and len(rec["id"]) == 16
    ledger.append(_entry(horizon=10, probability=0.7, interval=[0.5, 0.8]))
    rows = ledger.list()
    assert [r["horizon"] for r in rows] == [5.0, 10.0] and {r["status"] for r in rows} == {"open"}


@pytest.mark.parametrize("bad, msg", [({"probability": 1.2}, "probability"), ({"interval": [0.85, 0.9]}, "contain"),
                                      ({"horizon": 0}, "horizon"), ({"as_of": "2025-13-01"}, "as_of"),
                                      ({"case": " "}, "case"), ({"data_checksums": "x"}, "data_checksums")])
def test_bad_entries_are_refused_and_nothing_is_written(tmp_path, bad, msg):
    p = tmp_path / "l.jsonl"
    with pytest.raises(PactwatchError, match=msg):
        ledger.append(_entry(**bad), path=p)
    assert not p.exists()


def test_outcomes_resolve_and_score(tmp_path):
    p = tmp_path / "l.jsonl"
    ledger.append(_entry(as_of="2020-01-01", horizon=5, probability=0.8, interval=[0.7, 0.9]), path=p)  # due 2025
    ledger.append(_entry(as_of="2020-01-01", horizon=10, probability=0.6, interval=[0.4, 0.7]), path=p)  # due 2030
    ledger.append(_entry(as_of="2027-01-01", horizon=1, probability=0.9, interval=[0.8, 0.95]), path=p)  # after the end
    assert ledger.score(path=p)["n"] == 0
    ledger.record_outcome("rus-prk-2024", "2025-06-30", False, path=p)  # still in effect after the first is due
    s = ledger.score(path=p)
    assert s["n"] == 1 and s["brier"] == pytest.approx((0.8 - 1) ** 2) and s["open"] == 2
    ledger.record_outcome("rus-prk-2024", "2026-03-01", True, path=p)  # it ended in 2026
    rows = ledger.list(path=p)
    assert [r["status"] for r in rows] == ["survived", "ended", "void"]
    s = ledger.score(path=p)
    assert s["n"] == 2 and s["void"] == 1
    assert s["brier"] == pytest.approx(((0.8 - 1) ** 2 + (0.6 - 0) ** 2) / 2)
    # another case's outcomes do not resolve this case
    ledger.record_outcome("other-case", "2021-01-01", True, path=p)
    assert ledger.score(path=p)["brier"] == pytest.approx(s["brier"])


def test_a_damaged_ledger_is_reported_not_rewritten(tmp_path):
    p = tmp_path / "l.jsonl"
    ledger.append(_entry(), path=p)
    with open(p, "a") as f:
        f.write("{not json\n")
    before = p.read_bytes()
    with pytest.raises(DataError, match="line 2"):
        ledger.list(path=p)
    assert p.read_bytes() == before


def test_ledger_cli_list_resolve_score(tmp_path, monkeypatch):
    import typer

    from pactwatch.cli.ledger import app

    monkeypatch.setenv("PACTWATCH_HOME", str(tmp_path))
    ledger.append(_entry(as_of="2020-01-01", horizon=1, probability=0.75, interval=[0.5, 0.9]))
    r = CliRunner()
    out = r.invoke(app, ["list", "--json"])
    assert out.exit_code == 0 and json.loads(out.stdout)[0]["status"] == "open"
    out = r.invoke(app, ["resolve", "rus-prk-2024", "--date", "2021-06-01", "--in-effect"])
    assert out.exit_code == 0, out.output
    out = r.invoke(app, ["score", "--json"])
    assert json.loads(out.stdout)["brier"] == pytest.approx(0.0625)
    assert isinstance(app, typer.Typer)


def test_entry_from_a_forecast_result_appends(tmp_path):
    res = {"case": {"id": "rus-prk-2024"}, "as_of": "2026-12-06", "event": {"name": "any-end"}, "level": 0.9,
           "scenarios": [{"name": "status-quo", "survival": [{"t": 1.0, "point": 0.97, "lower": 0.94, "upper": 0.99},
                                                             {"t": 5.0, "point": 0.79, "lower": 0.66, "upper": 0.89}]}],
           "provenance": {"model_version": "forecast-105f", "data": {"atop_alliance": "eafd"}}}
    rec = ledger.append(ledger.entry_from_result(res), path=tmp_path / "l.jsonl")
    assert (rec["probability"], rec["interval"], rec["resolution_date"]) == (0.79, [0.66, 0.89], "2031-12-06")
    with pytest.raises(PactwatchError, match="no 'war-ends'"):
        ledger.entry_from_result(res, scenario="war-ends")
