"""Which files the monitor reads as news: a folder with an index.jsonl catalogue (as the shared Russia–DPRK folder)
gives only the articles it names (not its SOURCES.md, not the index itself), each left-out file named; the main
job's news folder follows $PACTWATCH_NEWS_ARTICLES and says plainly when it holds no articles; the monitor shows its
stages and the events it leaves out of the series; the evidence names the file its article was read from."""
import json
from pathlib import Path

from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "rus-prk-2024.yaml"
VISIT = ("Lavrov visits Pyongyang\n\nRussian Foreign Minister Sergei Lavrov visited Pyongyang on Wednesday.\n"
         "Kim Jong Un hosted Lavrov in Pyongyang and praised Russia.\n")
SOURCES = ("# Sources of this folder\n\nCollected from public pages on visits by Lavrov and Shoigu to Pyongyang; "
           "Kim Jong Un met Putin in 2024. Dates as stated on 2026-02-08.\n")


def _corpus(root: Path) -> Path:
    """A folder laid out like the shared one: index.jsonl + SOURCES.md + articles/."""
    (root / "articles").mkdir(parents=True)
    (root / "articles" / "2026-12-03-visit.txt").write_text(VISIT, encoding="utf-8")
    (root / "SOURCES.md").write_text(SOURCES, encoding="utf-8")
    (root / "index.jsonl").write_text(
        json.dumps({"file": "2026-12-03-visit.txt", "url": "https://example.org/v", "title": "Lavrov visits",
                    "date": "2026-12-03"}) + "\n" +
        json.dumps({"file": "2026-12-04-missing.txt", "date": "2026-12-04"}) + "\n", encoding="utf-8")
    return root


def test_folder_index_names_the_articles_and_leaves_out_the_rest(tmp_path):
    from pactwatch.news.folders import article_files

    root = _corpus(tmp_path / "news")
    files, notes = article_files([root])
    assert files == [root / "articles" / "2026-12-03-visit.txt"]
    text = " ".join(notes)
    assert "SOURCES.md" in text and "left out" in text and "2026-12-04-missing.txt" in text
    # a folder without a catalogue is read whole; an empty one says so
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.txt").write_text(VISIT, encoding="utf-8")
    assert article_files([plain])[0] == [plain / "a.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    files, notes = article_files([empty])
    assert files == [] and "no files" in notes[0]
    # a JSON Lines file of articles (records with text) is not a catalogue
    (plain / "index.jsonl").write_text(json.dumps({"file": "a.txt", "text": VISIT}) + "\n", encoding="utf-8")
    assert len(article_files([plain])[0]) == 2


def test_monitor_over_a_catalogued_folder_stores_only_its_articles(tmp_path, events_dir, monkeypatch):
    from pactwatch.cli import app
    from pactwatch.news.store import connect

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    root = _corpus(tmp_path / "news")
    db = tmp_path / "n.duckdb"
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--articles", str(root), "--db", str(db), "--out", str(out),
                                 "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["ingest"]["added"] == 1 and res["ingest"]["skipped"] == 0  # no index.jsonl skip, no SOURCES.md
    assert any("SOURCES.md" in n for n in res["notes"])
    con = connect(db, read_only=True)
    try:
        sources = [s for (s,) in con.execute("select source from articles").fetchall()]
    finally:
        con.close()
    assert sources == [str(root / "articles" / "2026-12-03-visit.txt")]
    full = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
    ev = [e for i in full["indicators"] for p in i["series"] for e in p["evidence"]]
    assert ev and {e["article_source"] for e in ev} == {str(root / "articles" / "2026-12-03-visit.txt")}


def test_monitor_shows_its_stages_and_the_undated_events_it_leaves_out(tmp_path, events_dir, monkeypatch):
    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    d = tmp_path / "articles"
    d.mkdir()
    (d / "2026-12-03-visit.txt").write_text(VISIT, encoding="utf-8")
    (d / "undated-visit.txt").write_text(VISIT.replace("Wednesday", "a visit").replace("Lavrov", "Shoigu"),
                                         encoding="utf-8")
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--articles", str(d), "--db", str(tmp_path / "n.duckdb"),
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    text = r.output + (r.stderr if r.stderr_bytes is not None else "")
    assert "reading and storing 2 article files" in text and "coding the stored articles" in text
    assert "undated:" in text and "events without a date left out" in text


def test_main_job_news_folder_follows_the_environment_and_says_when_empty(tmp_path, monkeypatch):
    from pactwatch.cli.main_job import _news_monitor

    data = tmp_path / "shared" / "data"
    data.mkdir(parents=True)
    beside = tmp_path / "shared" / "articles" / "rus-prk-news" / "articles"
    beside.mkdir(parents=True)
    (beside / "2026-12-03-visit.txt").write_text(VISIT, encoding="utf-8")  # articles beside the data
    empty = tmp_path / "no-news"
    empty.mkdir()
    monkeypatch.setenv("PACTWATCH_NEWS_ARTICLES", str(empty))
    mon = _news_monitor(data, quiet=True)
    assert mon["status"] == "no articles"
    assert str(empty) in mon["message"] and "$PACTWATCH_NEWS_ARTICLES" in mon["message"]
    assert "holds no article files" in mon["message"] and "pactwatch monitor" in mon["message"]
    monkeypatch.setenv("PACTWATCH_NEWS_ARTICLES", str(tmp_path / "nowhere"))
    mon = _news_monitor(data, quiet=True)
    assert mon["status"] == "no articles" and "does not exist" in mon["message"]


def test_second_run_counts_no_new_articles_and_no_new_rows(tmp_path, events_dir, monkeypatch):
    """Run twice over the same folder: nothing is added or coded the second time, not even the article in which the
    coder found no event (the store's coded_articles table marks it as coded)."""
    import duckdb

    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    d = tmp_path / "articles"
    d.mkdir()
    (d / "2026-12-03-visit.txt").write_text(VISIT, encoding="utf-8")
    (d / "2026-12-04-weather.txt").write_text(
        "Weather report\n\nThe weather in the region was mild on Thursday, with light rain expected in the evening "
        "and clear skies over the weekend.\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    args = ["monitor", str(CASE), "--articles", str(d), "--db", str(db), "--out", str(tmp_path / "out")]

    def counts():
        con = duckdb.connect(str(db), read_only=True)
        try:
            return [con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("articles", "sentences", "events")]
        finally:
            con.close()

    r1 = CliRunner().invoke(app, args)
    assert r1.exit_code == 0, r1.output
    first = counts()
    assert first[0] == 2 and first[2] > 0 and "coded 2 new articles" in r1.output
    r2 = CliRunner().invoke(app, args)
    assert r2.exit_code == 0, r2.output
    assert counts() == first
    assert "added 0, unchanged 2" in r2.output and "coded 0 new articles (0 events)" in r2.output
    assert "coded again" not in r2.output and "coded now" not in r2.output


def test_monitor_reads_a_feed_over_http_and_names_a_feed_it_cannot_read(tmp_path, events_dir, monkeypatch):
    """--feed URL through a local HTTP server (the httpx path, not a file): the items are stored with their links
    and dates; a missing page and a page that is not a feed are errors naming the URL, and nothing stored is lost."""
    import functools
    import http.server
    import threading

    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    site = tmp_path / "site"
    site.mkdir()
    (site / "feed.rss").write_text("""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Shoigu visits Pyongyang</title><link>https://example.org/1</link><guid>1</guid>
<pubDate>Wed, 03 Dec 2025 10:00:00 GMT</pubDate>
<description>Russian Security Council Secretary Sergei Shoigu visited Pyongyang on Wednesday and met Kim Jong Un.</description></item>
</channel></rss>""", encoding="utf-8")
    (site / "notes.txt").write_text("just some notes, not a feed\n", encoding="utf-8")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *a, **k: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    db = tmp_path / "n.duckdb"
    out = tmp_path / "out"
    try:
        r = CliRunner().invoke(app, ["monitor", str(CASE), "--feed", f"{base}/feed.rss", "--db", str(db),
                                     "--out", str(out), "--json"])
        assert r.exit_code == 0, r.output
        res = json.loads(r.stdout)
        assert res["ingest"]["added"] == 1 and res["coverage"] == ["2025-12", "2025-12"]
        full = json.loads((out / "indicators.json").read_text(encoding="utf-8"))
        ev = [e for i in full["indicators"] for p in i["series"] for e in p["evidence"]]
        assert ev and {e["url"] for e in ev} == {"https://example.org/1"}
        for page in ("missing.rss", "notes.txt"):
            r = CliRunner().invoke(app, ["monitor", str(CASE), "--feed", f"{base}/{page}", "--db", str(db),
                                         "--out", str(out)])
            assert r.exit_code != 0 and f"{base}/{page}" in str(r.exception) + r.output
        r = CliRunner().invoke(app, ["monitor", str(CASE), "--db", str(db), "--out", str(out), "--json",
                                     "--feed", f"{base}/feed.rss"])
        assert json.loads(r.stdout)["ingest"]["unchanged"] == 1 and json.loads(r.stdout)["events_read"] == res["events_read"]
    finally:
        srv.shutdown()
        srv.server_close()


def test_garbage_files_get_one_line_each_and_lose_nothing_stored(tmp_path, events_dir, monkeypatch):
    """A folder with binary, empty and broken files beside a real article: each bad file gets one line naming it
    (once) and what is wrong; what the store held before is all still there."""
    import duckdb

    from pactwatch.cli import app

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    good = tmp_path / "good"
    good.mkdir()
    (good / "2026-12-03-visit.txt").write_text(VISIT, encoding="utf-8")
    db = tmp_path / "n.duckdb"
    out = tmp_path / "out"
    assert CliRunner().invoke(app, ["monitor", str(CASE), "--articles", str(good), "--db", str(db),
                                    "--out", str(out)]).exit_code == 0

    def rows():
        con = duckdb.connect(str(db), read_only=True)
        try:
            return [con.execute(f"select * from {t} order by all").fetchall() for t in ("articles", "events")]
        finally:
            con.close()

    before = rows()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "garbage.txt").write_bytes(b"\x00\x01\x02binary" * 50)
    (bad / "empty.txt").write_text("", encoding="utf-8")
    (bad / "broken.jsonl").write_text('{"text": 5}\nnot json\n', encoding="utf-8")
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--articles", str(bad), "--articles", str(good), "--db",
                                 str(db), "--out", str(out)])
    assert r.exit_code == 0, r.output
    for name, why in (("garbage.txt", "binary data"), ("empty.txt", "empty input"), ("broken.jsonl", "no readable")):
        line = next(ln for ln in r.output.splitlines() if f"skipped {bad / name}" in ln)
        assert why in line and f"{bad / name}: {bad / name}:" not in line, line
    assert "added 0, unchanged 1" in r.output
    assert rows() == before


def test_every_reader_of_a_catalogued_folder_takes_only_its_articles(tmp_path):
    """The catalogue is honoured where input paths are read (news.ingest.iter_files), not only by the monitor:
    `pactwatch events ingest` stores the named article, not SOURCES.md, and says what it left out; the corpus and
    file-coding readers get the same files."""
    from pactwatch.cli import app
    from pactwatch.news.ingest import iter_files
    from pactwatch.news.store import connect

    root = _corpus(tmp_path / "news")
    assert list(iter_files([root])) == [root / "articles" / "2026-12-03-visit.txt"]
    db = tmp_path / "n.duckdb"
    r = CliRunner().invoke(app, ["events", "ingest", str(root), "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "added 1," in r.output and "skipped 0" in r.output and "SOURCES.md" in r.output and "left out" in r.output
    con = connect(db, read_only=True)
    try:
        assert con.execute("select count(*) from articles").fetchone()[0] == 1
        assert "Lavrov" in con.execute("select body from articles").fetchone()[0]
    finally:
        con.close()
