"""`pactwatch case update CASE --from-news --accept`: the case file (a copy) is written and the status-quo forecast
reruns on it, before and after the updates with the same draws and seed; the commands it suggests name the case as
the user gave it (a path stays a path)."""
import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from tests.helpers.events import store_with_a_ceasefire

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "rus-prk-2024.yaml"


def test_accept_reruns_the_forecast_before_and_after(tmp_path, events_dir, forecast_ctx, monkeypatch):
    from pactwatch.cli import app
    from pactwatch.scenarios import forecast as F

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    fitted = []
    monkeypatch.setattr(F, "context", lambda *a, **k: fitted.append(1) or forecast_ctx)  # the fitted model, once
    case = tmp_path / "rus-prk-2024.yaml"
    shutil.copy(CASE, case)
    db = tmp_path / "n.duckdb"
    store_with_a_ceasefire(db)
    r = CliRunner().invoke(app, ["case", "update", str(case), "--from-news", "--db", str(db), "--accept", "--json",
                                 "--sims", "200", "--as-of", "2026-12-07"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["written"] and CASE.read_text(encoding="utf-8") != case.read_text(encoding="utf-8")
    fc = out["forecast"]
    assert fitted and "error" not in fc and fc["as_of"] == "2026-12-07" and fc["sims"] == 200
    by_t = {row["t"]: row for row in fc["rows"]}
    assert 5.0 in by_t
    # the same forecast as the library's on each version of the file: the rerun is real, not a message
    from pactwatch.scenarios.cases import load_case

    after = F.forecast_case(load_case(case), ["status-quo"], as_of="2026-12-07", sims=200, seed=0, ctx=forecast_ctx,
                            competing=False).to_json()
    before = F.forecast_case(load_case(CASE), ["status-quo"], as_of="2026-12-07", sims=200, seed=0, ctx=forecast_ctx,
                             competing=False).to_json()
    i5 = after["times"].index(5.0)
    assert by_t[5.0]["after"] == after["scenarios"][0]["survival"][i5]["point"]
    assert by_t[5.0]["before"] == before["scenarios"][0]["survival"][i5]["point"]
    assert by_t[5.0]["after"] != by_t[5.0]["before"]  # the war's end moves the status quo
    assert out["rerun"] == f"pactwatch forecast {case}"  # the path the user gave, not the repository's case name


def test_accept_prints_the_rerun_forecast_and_names_the_case_file(tmp_path, events_dir, forecast_ctx, monkeypatch):
    from pactwatch.cli import app
    from pactwatch.scenarios import forecast as F

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setattr(F, "context", lambda *a, **k: forecast_ctx)
    case = tmp_path / "rus-prk-2024.yaml"
    shutil.copy(CASE, case)
    db = tmp_path / "n.duckdb"
    store_with_a_ceasefire(db)
    r = CliRunner().invoke(app, ["case", "update", str(case), "--from-news", "--db", str(db), "--accept",
                                 "--sims", "100", "--as-of", "2026-12-07"])
    assert r.exit_code == 0, r.output
    assert "Status-quo forecast as of 2026-12-07 (100 draws" in r.output
    assert " 5 y: " in r.output and "before ->" in r.output
    assert f"pactwatch forecast {case}" in r.output and "pactwatch forecast rus-prk-2024`" not in r.output
