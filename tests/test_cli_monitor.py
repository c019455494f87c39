"""CLI: `dyad` rejects unknown actor codes and explains an empty store without writing a plot; `monitor` says
plainly when there are no articles (no plot), and over articles writes the indicator series and the plot;
`case update --from-news` shows a diff, writes only with --accept (comments kept) and says to rerun the forecast."""
import json
import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "rus-prk-2024.yaml"


def _dyad_app():
    from pactwatch.cli.events import dyad

    app = typer.Typer()
    app.command()(dyad)
    return app


def test_dyad_unknown_actor_code_is_an_error(tmp_path, events_dir, monkeypatch):
    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    r = CliRunner().invoke(app, ["dyad", "RUS", "XYZ", "--db", str(tmp_path / "n.duckdb")])
    assert r.exit_code != 0
    assert "unknown actor code 'XYZ'" in str(r.exception) + r.output


def test_dyad_empty_store_explains_and_writes_no_plot(tmp_path, events_dir, monkeypatch):
    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    png = tmp_path / "d.png"
    db = tmp_path / "n.duckdb"
    r = CliRunner().invoke(_dyad_app(), ["RUS", "PRK", "--db", str(db), "--plot", str(png)])
    assert r.exit_code == 0, r.output
    assert "pactwatch events ingest" in r.output and "no plot written" in r.output
    assert not png.exists() and not db.exists()  # reading never creates the store
    from pactwatch.news.store import connect

    connect(db).close()  # a store with its tables but no events
    r = CliRunner().invoke(_dyad_app(), ["RUS", "PRK", "--db", str(db), "--plot", str(png), "--json"])
    assert r.exit_code == 0 and "no events" in json.loads(r.stdout)["message"] and not png.exists()


def test_monitor_without_articles_says_so(tmp_path, monkeypatch):
    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_DATA_DIR", str(tmp_path / "data"))  # no ../articles folder beside it
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--db", str(tmp_path / "n.duckdb"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "no articles given" in r.output and "pactwatch events ingest" in r.output
    assert not (out / "indicators.png").exists()


def test_monitor_over_articles_writes_series_and_plot(tmp_path, events_dir, monkeypatch):
    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    d = tmp_path / "articles"
    d.mkdir()
    (d / "2026-12-03-visit.txt").write_text(
        "Lavrov visits Pyongyang\n\nRussian Foreign Minister Sergei Lavrov visited Pyongyang on Wednesday.\n"
        "Kim Jong Un hosted Lavrov in Pyongyang and praised Russia.\n", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--articles", str(d), "--db", str(tmp_path / "n.duckdb"),
                                 "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["status"] == "ok" and res["coverage"] == ["2026-12", "2026-12"]
    by = {i["id"]: i for i in res["indicators"]}
    assert by["summits"]["total"] >= 1 and len(by) == 7
    full = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    ev = [e for i in full["indicators"] if i["id"] == "summits" for p in i["series"] for e in p["evidence"]]
    assert ev and all(e["article_id"] and e["sentence_span"] for e in ev)
    assert (out / "indicators.png").stat().st_size > 1000


def test_case_update_diff_then_accept(tmp_path, events_dir, monkeypatch):
    from pactwatch.cli import app

    from tests.helpers.events import store_with_a_ceasefire

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    case = tmp_path / "rus-prk-2024.yaml"
    shutil.copy(CASE, case)
    before = case.read_text(encoding="utf-8")
    db = tmp_path / "n.duckdb"
    store_with_a_ceasefire(db)
    r = CliRunner().invoke(app, ["case", "update", str(case), "--from-news", "--db", str(db), "--only", "leader-change"])
    assert r.exit_code == 0 and "0 proposed updates" in r.output and "at_war: 0" not in r.output
    r = CliRunner().invoke(app, ["case", "update", str(case), "--from-news", "--db", str(db), "--only", "ceasefire"])
    assert r.exit_code != 0 and "not a kind of update" in str(r.exception) + r.output
    r = CliRunner().invoke(app, ["case", "update", str(case), "--from-news", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "+        at_war: 0" in r.output and "nothing written" in r.output
    assert case.read_text(encoding="utf-8") == before
    r = CliRunner().invoke(app, ["case", "update", str(case), "--from-news", "--db", str(db), "--accept",
                                 "--no-forecast"])
    assert r.exit_code == 0, r.output
    after = case.read_text(encoding="utf-8")
    assert after != before and "pactwatch forecast" in r.output
    assert before.splitlines()[0] in after.splitlines()  # the file's comments are kept
    from pactwatch.scenarios.cases import load_case

    assert load_case(case).observed.members[365].at_war.at_war == 0


def test_case_update_needs_from_news(tmp_path):
    from pactwatch.cli import app

    r = CliRunner().invoke(app, ["case", "update", str(CASE)])
    assert r.exit_code != 0 and "--from-news" in str(r.exception) + r.output


def test_monitor_reads_a_feed_and_the_default_folder(tmp_path, events_dir, monkeypatch):
    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    rss = tmp_path / "feed.rss"
    rss.write_text("""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Shoigu visits Pyongyang</title><link>https://example.org/1</link><guid>1</guid>
<pubDate>Wed, 03 Dec 2025 10:00:00 GMT</pubDate>
<description>Russian Security Council Secretary Sergei Shoigu visited Pyongyang on Wednesday and met Kim Jong Un.</description></item>
</channel></rss>""", encoding="utf-8")
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--feed", str(rss), "--db", str(tmp_path / "n.duckdb"),
                                 "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["ingest"]["added"] == 1 and res["coverage"] == ["2025-12", "2025-12"]
    full = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    urls = {e["url"] for i in full["indicators"] for p in i["series"] for e in p["evidence"]}
    assert urls == {"https://example.org/1"}
    # no --articles/--feed: the shared default folder beside the data directory
    data = tmp_path / "shared" / "data"
    arts = tmp_path / "shared" / "articles" / "rus-prk-news" / "articles"
    arts.mkdir(parents=True)
    data.mkdir()
    (arts / "2026-01-05-visit.txt").write_text("Lavrov visited Pyongyang on Monday.\n", encoding="utf-8")
    monkeypatch.setenv("PACTWATCH_DATA_DIR", str(data))
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--db", str(tmp_path / "n2.duckdb"), "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert any(str(arts) in n for n in res["notes"]) and res["ingest"]["added"] == 1


def test_dyad_checks_its_dates_even_on_an_empty_store(tmp_path, events_dir, monkeypatch):
    """A mistyped --from is an error naming the flag, also when the store is empty (it was accepted with exit 0)."""
    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    db = tmp_path / "n.duckdb"
    r = CliRunner().invoke(_dyad_app(), ["RUS", "PRK", "--db", str(db), "--from", "garbage"])
    assert r.exit_code != 0 and "--from 'garbage'" in str(r.exception) + r.output
    r = CliRunner().invoke(_dyad_app(), ["RUS", "PRK", "--db", str(db), "--from", "2024-05", "--to", "2024-01"])
    assert r.exit_code != 0 and "--to 2024-01 is before --from 2024-05" in str(r.exception) + r.output
    assert not db.exists()
