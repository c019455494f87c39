"""News ingest and store: idempotent by content hash, near-duplicates linked, bad input refused with a reason."""
import json
from pathlib import Path

import pytest

from pactwatch.news import IngestError, connect, ingest, ingest_files, read_articles
from pactwatch.news import store as nstore
from pactwatch.news.ingest import Article, articles_from_feed, article_from_html

ARTICLE = Path(__file__).resolve().parents[2] / "shared" / "articles" / "nationalinterest-2024-11-north-korea-russia-alliance.txt"
BODY = ("Russia and North Korea signed a defence pact on Wednesday in Pyongyang. The two leaders met for talks.\n"
        "South Korea condemned the agreement and summoned the Russian ambassador in Seoul on Thursday.\n")


def _counts(db):
    con = connect(db)
    try:
        return {t: con.execute(f"select count(*) from {t}").fetchone()[0] for t in ("articles", "sentences", "article_bands")}
    finally:
        con.close()


def test_reingest_same_article_changes_nothing(tmp_path):
    src = ARTICLE if ARTICLE.is_file() else tmp_path / "a.txt"
    if not ARTICLE.is_file():
        src.write_text("Title line\n" + BODY * 3, encoding="utf-8")
    db = tmp_path / "n.duckdb"
    r1 = ingest_files([src], db=db)
    assert len(r1.added) == 1 and not r1.skipped
    before = _counts(db)
    con = connect(db)
    snap = con.execute("select * exclude (ingested_at) from articles").fetchall()
    con.close()
    r2 = ingest_files([src], db=db)
    assert r2.added == [] and r2.unchanged == r1.added
    assert _counts(db) == before
    con = connect(db)
    assert con.execute("select * exclude (ingested_at) from articles").fetchall() == snap
    # the same text with different whitespace is the same article
    con.close()
    r3 = ingest([Article(text=src.read_text(encoding="utf-8").replace("\n", "\n\n  "))], db=db)
    assert r3.unchanged == r1.added


def test_sentences_have_spans_into_body(tmp_path):
    db = tmp_path / "n.duckdb"
    ingest([Article(text=BODY, title="t")], db=db)
    con = connect(db)
    body = con.execute("select body from articles").fetchone()[0]
    rows = con.execute("select start_char, end_char, text from sentences order by sent_no").fetchall()
    con.close()
    assert len(rows) == 3
    for s, e, t in rows:
        assert body[s:e] == t


def test_near_duplicate_linked_not_double_counted(tmp_path):
    db = tmp_path / "n.duckdb"
    long = " ".join(f"Sentence number {i} says that Russia and North Korea expanded cooperation in field {i}." for i in range(30))
    edited = long.replace("field 29.", "field 29, an outlet added.")
    other = " ".join(f"Unrelated story line {i} about rainfall in region {i} and farm output." for i in range(30))
    rep = ingest([Article(text=long), Article(text=edited), Article(text=other)], db=db)
    assert len(rep.added) == 3
    assert len(rep.near_duplicates) == 1
    new, first, sim = rep.near_duplicates[0]
    assert first == Article(text=long).content_hash and sim >= nstore.NEAR_DUP_JACCARD
    con = connect(db)
    assert con.execute("select count(*) from articles where duplicate_of is null").fetchone()[0] == 2
    con.close()


def test_interrupted_article_leaves_nothing(tmp_path, monkeypatch):
    db = tmp_path / "n.duckdb"

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(nstore, "_insert_sentences", boom)
    with pytest.raises(RuntimeError):
        ingest([Article(text=BODY)], db=db)
    assert _counts(db) == {"articles": 0, "sentences": 0, "article_bands": 0}
    monkeypatch.undo()
    assert len(ingest([Article(text=BODY)], db=db).added) == 1


@pytest.mark.parametrize("name,data,msg", [
    ("empty.txt", b"", "empty"),
    ("bin.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary"),
    ("latin1.txt", "Moscow and Pyongyang signed a pact in Kyiv’s shadow, said the café owner.".encode("cp1252"), "not UTF-8"),
    ("junk.txt", b"#$%^&*()_+{}|:<>?~`1234567890-=[]\\;',./ " * 5, "letters"),
    ("short.txt", b"Hi.", "too short"),
])
def test_bad_input_clear_error(tmp_path, name, data, msg):
    p = tmp_path / name
    p.write_bytes(data)
    with pytest.raises(IngestError, match=msg) as ei:
        read_articles(p)
    assert str(p) in str(ei.value)
    rep = ingest_files([p], db=tmp_path / "n.duckdb")  # in a batch: a clean skip with the reason
    assert rep.added == [] and len(rep.skipped) == 1 and msg in rep.skipped[0].reason


def test_jsonl_bad_lines_skipped_with_reason(tmp_path):
    p = tmp_path / "a.jsonl"
    p.write_text(json.dumps({"id": "x1", "text": BODY, "date": "2024-11-01"}) + "\n{not json\n" +
                 json.dumps({"id": "x2"}) + "\n", encoding="utf-8")
    arts, skips = read_articles(p)
    assert [a.ext_id for a in arts] == ["x1"] and arts[0].date == "2024-11-01"
    assert [s.where for s in skips] == [f"{p} line 2", f"{p} line 3"]
    assert "not JSON" in skips[0].reason and "'text'" in skips[1].reason


def test_html_via_trafilatura():
    html = ("<html><head><title>Pact signed</title></head><body><nav>Home | World | Sport</nav><article><h1>Pact signed</h1>"
            f"<p>{BODY.splitlines()[0]}</p><p>{BODY.splitlines()[1]}</p></article><footer>Copyright</footer></body></html>")
    a = article_from_html(html, "x.html", date="2024-06-19")
    assert "defence pact" in a.text and "Copyright" not in a.text and a.date == "2024-06-19"


def test_rss_feed():
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>W</title>
    <item><title>Pact</title><link>http://x/1</link><pubDate>Wed, 19 Jun 2024 10:00:00 GMT</pubDate>
    <description>{BODY.splitlines()[0]}</description></item>
    <item><title>Empty</title><description></description></item></channel></rss>"""
    arts, skips = articles_from_feed(rss.encode(), "feed.xml")
    assert len(arts) == 1 and arts[0].date == "2024-06-19" and arts[0].title == "Pact"
    assert len(skips) == 1 and "entry 2" in skips[0].where
