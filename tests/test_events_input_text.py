"""Text as the event coder takes it (issue 11): lone surrogate characters are cleaned where text enters, and a text
longer than spaCy's limit (1,000,000 characters) is coded in pieces cut at line ends, so one over-long stored article
never blocks `events store` for the others. The limit is lowered on the test pipeline so the texts stay small."""
from __future__ import annotations

import pytest

from pactwatch.events.coder import code_docs, code_text, pieces
from tests.helpers.events import D

PARAS = ["Russia attacked Ukraine on Monday.",
         "North Korea sent troops to Russia. Kim Jong-un met Vladimir Putin in Pyongyang.",
         "China and Iran signed a trade agreement in Beijing."]


@pytest.fixture
def small_limit(nlp, monkeypatch):
    """The session pipeline with spaCy's text-length limit lowered to 150 characters for one test."""
    monkeypatch.setattr(nlp, "max_length", 150)
    return nlp


@pytest.mark.parametrize("text", ["Russia attacked Ukraine \ud800 on Monday.", "Russia \udc80 attacked Ukraine on Monday.",
                                  "Russia attacked Ukraine on Monday.\ud83d"])
def test_lone_surrogates_do_not_crash_the_coder(nlp, text):
    events = code_text(text, D, nlp)
    assert [(e["source"], e["target"], e["root"]) for e in events] == [("RUS", "UKR", "19")]
    assert text[slice(*events[0]["verb_span"])] == "attacked"  # one character for one: offsets index the text given


def test_pieces_cover_the_text_and_cut_at_line_ends():
    text = "\n".join(PARAS * 4)
    got = pieces(text, 100)
    assert got[0][0] == 0 and got[-1][1] == len(text)
    assert all(a == b for (_, a), (b, _) in zip(got, got[1:]))
    assert all(e - s <= 100 for s, e in got)
    assert all(text[e - 1] == "\n" for _, e in got[:-1])
    one_line = "word " * 50
    assert all(e - s <= 30 for s, e in pieces(one_line, 30)) and "".join(one_line[s:e] for s, e in pieces(one_line, 30)) == one_line


def test_text_over_the_limit_is_coded_in_pieces_with_offsets_into_the_whole(small_limit):
    nlp = small_limit
    text = "\n".join(PARAS * 3)
    assert len(text) > nlp.max_length
    (_id, doc), = code_docs([("long", text, D)], nlp=nlp)
    assert doc.text == text and doc._.date == D
    per_para = [e for p in PARAS * 3 for e in code_text(p, D, nlp)]
    assert [(e["source"], e["target"], e["code"]) for e in doc._.events] == \
        [(e["source"], e["target"], e["code"]) for e in per_para] and doc._.events
    for e in doc._.events:
        assert text[slice(*e["verb_span"])] == e["verb"]
        assert text[slice(*e["sentence_span"])] == e["sentence"]
        assert text[slice(*e["source_span"])] == e["source_text"]


def test_one_over_long_stored_article_does_not_block_the_others(small_limit, tmp_path):
    from pactwatch.events.store import code_stored_articles
    from pactwatch.news import connect, ingest
    from pactwatch.news.ingest import Article

    nlp = small_limit
    long_body = "\n".join(PARAS * 3)
    short_body = "China condemned Japan on Tuesday."
    con = connect(tmp_path / "n.duckdb")
    try:
        ingest([Article(text=long_body, date=D), Article(text=short_body, date=D)], con=con)
        res = code_stored_articles(con, nlp=nlp)
        assert res["articles_coded"] == 2 and res["articles_failed"] == []
        rows = con.execute("select article_id, source_country, target_country, code from events "
                           "where origin = 'pactwatch'").fetchall()
        assert ("CHN", "JPN") in {(r[1], r[2]) for r in rows}
        assert len({r[0] for r in rows}) == 2
        assert code_stored_articles(con, nlp=nlp)["articles_coded"] == 0  # a rerun has nothing left to do
    finally:
        con.close()


def test_an_article_the_coder_fails_on_is_reported_and_the_rest_coded(nlp, tmp_path, monkeypatch):
    from pactwatch.events import coding
    from pactwatch.events.store import code_stored_articles
    from pactwatch.news import connect, ingest
    from pactwatch.news.ingest import Article

    real = coding.EventCoder.__call__

    def fragile(self, doc):
        if "Atlantis" in doc.text:
            raise RuntimeError("cannot code Atlantis")
        return real(self, doc)

    monkeypatch.setattr(coding.EventCoder, "__call__", fragile)
    con = connect(tmp_path / "n.duckdb")
    try:
        ingest([Article(text="Atlantis attacked Ukraine on Monday.", date=D),
                Article(text="China condemned Japan on Tuesday.", date=D)], con=con)
        res = code_stored_articles(con, nlp=nlp)
        assert res["articles_coded"] == 1 and len(res["articles_failed"]) == 1
        assert "cannot code Atlantis" in res["articles_failed"][0]["reason"]
        assert con.execute("select count(*) from events where source_country = 'CHN'").fetchone()[0] == 1
    finally:
        con.close()
