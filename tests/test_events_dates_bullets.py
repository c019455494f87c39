"""Article dates when the input has none (file name, then the latest full date in the text, else no date: a person
resolves only when all their roles are one actor, never as of today) and list markers at the start of a line
('-North Korea, ...') that hid the actor from the matcher. The spaCy pipeline is the session fixture ``nlp``.

People used (resources/people.yaml): Antony Blinken, one role (USA, 2021-01-26 to 2025-01-20), so not in office
today; Mark Rutte, two actors (NLD to 2024-07-02, NATO from 2024-10-01), so only a date can tell which."""
import datetime as dt
import json

import pytest

from pactwatch.events.actors import ActorTable
from pactwatch.events.coder import code_docs, code_text
from pactwatch.news.ingest import read_articles

TEXT = "Mark Rutte met Antony Blinken in Brussels to discuss support for Ukraine."


def _events_dir(nlp):
    return str(nlp.get_pipe("pactwatch_events").events_dir)


def _doc_for_file(nlp, path, date=None):
    (art,), _ = read_articles(path, date=date)
    (_, doc), = list(code_docs([(path.stem, art.text, art.date, art.date_basis)], nlp=nlp))
    return art, doc


def _actors(doc):
    return {sp.text: sp._.actor["code"] for sp in doc.spans["actors"]}


def _people(doc):
    return {sp.text: sp._.actor["code"] for sp in doc.spans["actors"] if sp._.actor["kind"] == "person"}


# ------------------------------------------------------------------------------------------------------ dates

def test_undated_article_dated_by_file_name(nlp, tmp_path):
    p = tmp_path / "wire-2023-05-rutte-blinken.txt"  # YYYY-MM: the 1st of the month
    p.write_text(TEXT + "\n", encoding="utf-8")
    art, doc = _doc_for_file(nlp, p)
    assert (art.date, art.date_basis) == ("2023-05-01", "file name")
    assert (doc._.date, doc._.date_basis) == ("2023-05-01", "file name")
    # Rutte was Dutch prime minister in May 2023 (as of today he would be NATO); Blinken was in office then
    assert _people(doc) == {"Mark Rutte": "NLD", "Antony Blinken": "USA"}


def test_undated_article_dated_by_latest_date_in_text(nlp, tmp_path):
    text = ("On 12 March 2023, Mark Rutte met Antony Blinken in Washington.\n"
            "The talks had been planned since January 2023; a summit followed on March 1, 2021.\n")
    p = tmp_path / "wire-rutte.txt"  # no date in the name
    p.write_text(text, encoding="utf-8")
    art, doc = _doc_for_file(nlp, p)
    assert (art.date, art.date_basis) == ("2023-03-12", "text")
    assert doc._.date_basis == "text"
    assert _people(doc) == {"Mark Rutte": "NLD", "Antony Blinken": "USA"}
    # the same through code_text: a text without a given date is dated by the text
    (_, doc2), = list(code_docs([("x", text, None)], nlp=nlp))
    assert (doc2._.date, doc2._.date_basis) == ("2023-03-12", "text")


def test_given_date_beats_file_name_and_text(nlp, tmp_path):
    p = tmp_path / "wire-2023-05-rutte.txt"
    p.write_text("On 12 March 2023, " + TEXT + "\n", encoding="utf-8")
    art, doc = _doc_for_file(nlp, p, date="2024-11-01")
    assert (art.date, art.date_basis) == ("2024-11-01", "given")
    assert _people(doc) == {"Mark Rutte": "NATO", "Antony Blinken": "USA"}


def test_no_date_one_actor_resolves_two_actors_do_not(nlp, tmp_path):
    p = tmp_path / "wire.txt"
    p.write_text(TEXT + "\n", encoding="utf-8")
    art, doc = _doc_for_file(nlp, p)
    assert (art.date, art.date_basis) == (None, "none")
    assert doc._.date is None and doc._.date_basis == "none"
    # Blinken's only role is USA: safe whatever the date; Rutte is NLD or NATO depending on it: unresolved
    assert _people(doc) == {"Antony Blinken": "USA"}
    ev = code_text(TEXT, None, nlp)
    assert all(e["source"] != "NATO" and e["target"] != "NATO" for e in ev)


def test_resolve_without_date_on_a_small_table():
    t = ActorTable()
    d = dt.date
    t.add("A One", {"code": "USA", "sector": "GOV", "kind": "person", "name": "A One", "role": "x",
                    "start": d(2001, 1, 1), "end": d(2005, 1, 1)})
    t.add("A One", {"code": "USA", "sector": "GOV", "kind": "person", "name": "A One", "role": "y",
                    "start": d(2009, 1, 1), "end": d(2013, 1, 1)})
    t.add("B Two", {"code": "NLD", "sector": "GOV", "kind": "person", "name": "B Two", "role": "x",
                    "start": d(2001, 1, 1), "end": d(2005, 1, 1)})
    t.add("B Two", {"code": "NATO", "sector": "IGO", "kind": "person", "name": "B Two", "role": "y",
                    "start": d(2009, 1, 1), "end": None})
    assert t.resolve("A One", None)["code"] == "USA"
    assert t.resolve("B Two", None) is None
    assert t.resolve("A One", d(2007, 1, 1)) is None  # a date outside every role still does not resolve
    assert t.resolve("B Two", d(2003, 1, 1))["code"] == "NLD" and t.resolve("B Two", d(2020, 1, 1))["code"] == "NATO"


def test_date_inference_rules():
    from pactwatch.news.ingest import date_from_name, date_from_text, infer_date

    today = dt.date(2024, 12, 31)
    assert date_from_name("nationalinterest-2024-11-north-korea-russia-alliance.txt", today) == "2024-11-01"
    assert date_from_name("x_2024_06_19.html", today) == "2024-06-19"
    assert date_from_name("x-2024-13-01.txt", today) is None  # no month 13
    assert date_from_name("x-2025-01-02.txt", today) is None  # after today
    assert date_from_text("Talks on November 1, 2024, after 1 October 2024 and 2024-10-15.", today) == "2024-11-01"
    assert date_from_text("In Nov. 3 2024 and Sept 3rd, 2023", today) == "2024-11-03"
    assert date_from_text("Since November 2024 the two sides ...", today) == "2024-11-01"  # month alone: the 1st
    assert date_from_text("On October 30 in 2024 he said ...", today) is None  # no full date
    assert date_from_text("Signed on January 5, 2025.", today) is None  # after today
    assert date_from_text("Leaders may 2024 ...", today) is None  # 'may' is not a month here
    assert infer_date("Signed on 2 June 2023.", "a-2024-11.txt", today) == ("2024-11-01", "file name")
    assert infer_date("Signed on 2 June 2023.", "a.txt", today) == ("2023-06-02", "text")
    assert infer_date("Signed last week.", None, today) == (None, "none")


def test_jsonl_records_given_or_text_dated(tmp_path):
    p = tmp_path / "batch-2024-11-01.jsonl"  # a batch file's name does not date its records
    p.write_text("\n".join(json.dumps(r) for r in (
        {"id": "a", "text": TEXT, "date": "2023-05-02"},
        {"id": "b", "text": "On 12 March 2023, " + TEXT},
        {"id": "c", "text": TEXT})) + "\n", encoding="utf-8")
    arts, _ = read_articles(p)
    assert [(a.date, a.date_basis) for a in arts] == [("2023-05-02", "given"), ("2023-03-12", "text"), (None, "none")]
    arts, _ = read_articles(p, date="2024-11-01")  # the caller's date fills records without one
    assert [(a.date, a.date_basis) for a in arts] == [("2023-05-02", "given"), ("2024-11-01", "given"),
                                                      ("2024-11-01", "given")]


def test_store_records_date_basis(tmp_path):
    from pactwatch.news import connect, ingest, ingest_files
    from pactwatch.news.ingest import Article

    p = tmp_path / "wire-2023-05-rutte.txt"
    p.write_text(TEXT + "\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    rep = ingest_files([p], db=db)
    arts = [Article(text="On 12 March 2023, " + TEXT + " Other words."),
            Article(text="A different story: " + TEXT + " More words here, unrelated."),
            Article(text="Yet another story with a date, 2024-01-05, given too.", date="2024-02-01")]
    rep2 = ingest(arts, db=db)
    assert arts[0].date is None and arts[0].date_basis is None  # the caller's articles are left as they were
    assert rep.summary()["date_basis"] == {"file name": 1}
    assert rep2.summary()["date_basis"] == {"text": 1, "none": 1, "given": 1}
    con = connect(db)
    rows = con.execute("select cast(pub_date as varchar), date_basis from articles").fetchall()
    con.close()
    assert sorted(rows, key=str) == sorted([("2023-05-01", "file name"), ("2023-03-12", "text"), (None, "none"),
                                            ("2024-02-01", "given")], key=str)


# ------------------------------------------------------------------------------------------------------ CLI

def test_cli_jsonl_and_read_show_date_basis(nlp, tmp_path):
    from typer.testing import CliRunner

    from pactwatch.cli import app as main_app
    from pactwatch.cli.events import app

    ed = _events_dir(nlp)
    p = tmp_path / "brief-2024-11-01.txt"
    p.write_text("Antony Blinken condemned Russia on Tuesday.\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["code", str(p), "--format", "jsonl", "--events-dir", ed])
    assert r.exit_code == 0, r.output
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert lines and all(x["date"] == "2024-11-01" and x["date_basis"] == "file name" for x in lines)
    assert any(x["source"] == "USA" for x in lines)

    r = CliRunner().invoke(app, ["code", str(p), "--format", "jsonl", "--events-dir", ed, "--date", "2024-06-03"])
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert lines and all(x["date"] == "2024-06-03" and x["date_basis"] == "given" for x in lines)

    r = CliRunner().invoke(app, ["code", str(p), "--events-dir", ed, "--date", "3 June"])
    assert r.exit_code != 0 and "--date '3 June': not a date" in str(r.exception)

    q = tmp_path / "brief.txt"
    q.write_text("Antony Blinken condemned Russia on Tuesday.\n", encoding="utf-8")
    r = CliRunner().invoke(app, ["code", str(q), "--format", "jsonl", "--events-dir", ed])
    lines = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert lines and all(x["date"] is None and x["date_basis"] == "none" for x in lines)
    assert any(x["source"] == "USA" for x in lines)  # one role, one country: resolves without a date

    r = CliRunner().invoke(main_app, ["read", str(p), "--events-dir", ed])
    assert r.exit_code == 0, r.output
    assert "article date 2024-11-01 (from the file name)" in r.output


# ------------------------------------------------------------------------------------------------------ bullets

BULLET_TEXT = ("North Korea sent troops to Russia.\n"
               "-North Korea, concerned about a strengthening alliance, seeks advanced military technology from Russia.\n")


@pytest.mark.parametrize("marker", ["-", "\u2013", "\u2014", "\u2022", "*", "\u00b7", "1.", "1)", "- ", "2. "])
def test_leading_list_marker_does_not_hide_the_actor(nlp, marker):
    text = BULLET_TEXT.replace("\n-", "\n" + marker)
    ev = code_text(text, "2024-11-01", nlp)
    seeks = [e for e in ev if e["verb"] == "seeks"]
    assert seeks, (marker, ev)
    e = seeks[0]
    assert e["source"] == "PRK" and e["source_text"] == "North Korea"
    # spans index into the original text: the highlighted words are the input's words
    a, b = e["source_span"]
    assert text[a:b] == "North Korea" and text[a - len(marker):a] == marker
    assert text[e["verb_span"][0]:e["verb_span"][1]] == "seeks"
    assert e["sentence"] == text[e["sentence_span"][0]:e["sentence_span"][1]]
    assert e["sentence"].startswith("North Korea, concerned")
    for x in ev:
        assert x["sentence"] == text[x["sentence_span"][0]:x["sentence_span"][1]]


def test_marker_at_text_start_and_non_markers(nlp):
    text = "-North Korea seeks advanced military technology from Russia."
    doc = nlp(text)
    assert doc.text == text
    assert _actors(doc).get("North Korea") == "PRK"
    ev = code_text(text, "2024-11-01", nlp)
    assert ev and ev[0]["source"] == "PRK" and text[slice(*ev[0]["source_span"])] == "North Korea"
    # a minus sign or a decimal at the start of a line is not a list marker
    for t in ("-5 degrees were measured in Russia.", "2.5 million people left Syria."):
        assert [x.text for x in nlp(t)][0] in ("-5", "2.5")


def test_shared_article_bullet_line(nlp):
    from pathlib import Path

    art = Path(__file__).resolve().parents[2] / "shared" / "articles" / "nationalinterest-2024-11-north-korea-russia-alliance.txt"
    if not art.is_file():
        pytest.skip("shared article not present")
    text = art.read_text(encoding="utf-8")
    ev = code_text(text, None, nlp)
    line = text.index("\n-North Korea, concerned") + 2
    src = [e for e in ev if e["source_span"][0] == line]
    assert src and src[0]["source"] == "PRK" and text[line:line + 11] == "North Korea"
    for e in ev:
        assert e["sentence"] == text[e["sentence_span"][0]:e["sentence_span"][1]]


def test_coding_stored_articles_keeps_the_ingest_date_basis(nlp, tmp_path, monkeypatch):
    """Articles coded from the store carry the basis recorded at ingest (file name / text), not 'given'."""
    import pactwatch.events.coder as coder
    from pactwatch.events.store import code_stored_articles
    from pactwatch.news import connect, ingest_files

    p = tmp_path / "wire-2023-05-rutte.txt"
    p.write_text(TEXT + "\n", encoding="utf-8")
    db = tmp_path / "n.duckdb"
    ingest_files([p], db=db)
    seen = []
    real = coder.code_docs

    def spy(items, nlp=None, **kw):
        for _id, doc in real(items, nlp=nlp, **kw):
            seen.append((doc._.date, doc._.date_basis))
            yield _id, doc

    monkeypatch.setattr(coder, "code_docs", spy)
    con = connect(db)
    code_stored_articles(con, nlp=nlp)
    con.close()
    assert seen == [("2023-05-01", "file name")]
