"""Input checks of the news reader and store (issue 11): lone surrogates cleaned at ingest, JSON Lines records held to
the checks file texts get, `events ingest` failing when nothing could be stored, a locked store named in a clear
message (never a traceback), and the HTML cleaner installed as its own dependency."""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pactwatch.news import connect, ingest_files
from pactwatch.news import store as nstore
from pactwatch.news.ingest import articles_from_jsonl, clean_text
from tests.helpers.data import run_cli

REPO = Path(__file__).resolve().parents[1]
BODY = "Russia and North Korea signed a defence pact on Wednesday in Pyongyang."


def test_clean_text_replaces_lone_surrogates_one_for_one():
    raw = "Seoul \ud800said \udfff it\ud83d."
    got = clean_text(raw)
    assert len(got) == len(raw) and got == "Seoul \ufffdsaid \ufffd it\ufffd."
    assert got.encode("utf-8")  # no longer unencodable
    assert clean_text("Kim met Putin \U0001F600.") == "Kim met Putin \U0001F600."  # real characters are kept


def test_jsonl_record_with_lone_surrogates_is_stored(tmp_path):
    f = tmp_path / "a.jsonl"
    f.write_text(json.dumps({"id": "x\ud800", "title": "T\udc00", "text": BODY + " \ud800 More text follows."}) + "\n",
                 encoding="utf-8")  # json.dumps writes the escapes, json.loads gives lone surrogates back
    rep = ingest_files([f], db=tmp_path / "n.duckdb")
    assert len(rep.added) == 1 and not rep.skipped
    con = connect(tmp_path / "n.duckdb")
    try:
        body, title = con.execute("select body, title from articles").fetchone()
    finally:
        con.close()
    assert "\ufffd" in body and title == "T\ufffd"


@pytest.mark.parametrize("text, why", [("Too short.", "too short"), ("12345 67890 12345 67890 ### $$$ %%% 1234", "letters")])
def test_jsonl_records_get_the_length_and_garbage_checks(text, why):
    arts, skips = articles_from_jsonl(json.dumps({"id": "a", "text": BODY}) + "\n" + json.dumps({"id": "b", "text": text}))
    assert [a.ext_id for a in arts] == ["a"]
    assert len(skips) == 1 and skips[0].where.endswith("line 2") and why in skips[0].reason


def test_ingest_exits_nonzero_when_every_input_is_skipped(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "in"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "short.txt").write_text("Too short.", encoding="utf-8")
    code, out, err = run_cli(["events", "ingest", str(bad), "--db", str(tmp_path / "n.duckdb")], capsys, monkeypatch)
    assert code != 0
    assert "nothing stored" in err and "2 inputs" in err and "Traceback" not in out + err
    empty = tmp_path / "none"
    empty.mkdir()
    code, out, err = run_cli(["events", "ingest", str(empty), "--db", str(tmp_path / "n.duckdb")], capsys, monkeypatch)
    assert code != 0 and "no article file found" in err
    good = tmp_path / "ok.txt"
    good.write_text(BODY, encoding="utf-8")
    code, out, err = run_cli(["events", "ingest", str(good), str(bad), "--db", str(tmp_path / "n.duckdb")], capsys,
                             monkeypatch)
    assert code == 0, err  # one article stored: the skips are reported, not fatal


@pytest.fixture
def reader_process(tmp_path):
    """Another process holding the news store open (read-only), as a server reading it would; ended after the test."""
    db = tmp_path / "n.duckdb"
    connect(db).close()
    proc = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], "
                             "read_only=True); print('open', flush=True); time.sleep(60)", str(db)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "open"
        yield db
    finally:
        proc.kill()
        proc.wait()


def test_locked_store_gives_a_clear_message_naming_it(reader_process, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(nstore, "LOCK_WAIT_SECONDS", 0.2, raising=False)
    f = tmp_path / "a.txt"
    f.write_text(BODY, encoding="utf-8")
    code, out, err = run_cli(["events", "ingest", str(f), "--db", str(reader_process)], capsys, monkeypatch)
    assert code == nstore.StoreBusyError.exit_code
    assert str(reader_process) in err and "in use by another process" in err
    assert "Traceback" not in out + err and "IOException" not in err


def test_readers_share_the_store_read_only(reader_process):
    con = connect(reader_process, read_only=True)  # a second reader alongside the first
    try:
        assert con.execute("select count(*) from articles").fetchone()[0] == 0
    finally:
        con.close()


def test_html_cleaner_is_a_direct_pinned_dependency():
    """trafilatura's justext imports lxml.html.clean, which lives in lxml_html_clean since lxml 5.2; pip versions that
    do not resolve the extra lxml[html_clean] left it out, so pactwatch depends on it by name."""
    deps = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    pinned = [d for d in deps if d.split("==")[0].strip().lower().replace("_", "-") == "lxml-html-clean"]
    assert len(pinned) == 1 and "==" in pinned[0]
    import lxml.html.clean  # noqa: F401  (what justext imports)
    from pactwatch.news.ingest import article_from_html

    html = f"<html><head><title>Pact</title></head><body><article><p>{BODY}</p><p>{BODY}</p></article></body></html>"
    assert "Pyongyang" in article_from_html(html, "a.html").text
