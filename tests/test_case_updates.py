"""News -> case state: short articles reporting a ceasefire and an Art. 4 invocation, coded by the event coder, give
the matching proposed updates to the case's observed state with their evidence; an opinion piece gives none; hedged
and retrospective sentences give none; accepting writes a valid case file that keeps its comments."""
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pactwatch.monitor.updates import apply_proposals, propose_updates, unified_diff

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "rus-prk-2024.yaml"
ISO = {365: "RUS", 731: "PRK"}

CEASEFIRE = """Russia and Ukraine declare ceasefire along the front line

MOSCOW, Dec 1 (wire) - Russia and Ukraine declared a ceasefire on Monday after talks in Istanbul.
Russia signed a ceasefire agreement with Ukraine on Monday, officials in Moscow said.
The truce took effect at midnight.
"""
ARTICLE4 = """North Korea asks Russia for military help under the treaty

PYONGYANG, Dec 3 (wire) - North Korea asked Russia for military assistance under Article 4 of their mutual defence treaty on Wednesday.
Kim Jong Un appealed to Russia for military aid after clashes on the border, KCNA said.
"""
OPINION = """Opinion: What if the war ends?

A ceasefire between Russia and Ukraine might one day come, but nobody should expect it soon.
If North Korea were attacked, it could perhaps ask Russia for military assistance under Article 4, analysts speculate.
Russia would never renounce the treaty, in my view.
"""


def _case():
    return yaml.safe_load(CASE.read_text(encoding="utf-8"))


def _coded(tmp_path, nlp, files: dict):
    from pactwatch.events.store import code_stored_articles
    from pactwatch.monitor.indicators import read_events
    from pactwatch.news.store import connect, ingest_files

    d = tmp_path / "articles"
    d.mkdir()
    for name, text in files.items():
        (d / name).write_text(text, encoding="utf-8")
    db = tmp_path / "news.duckdb"
    ingest_files([d], db=db)
    con = connect(db)
    try:
        res = code_stored_articles(con, nlp=nlp)
        assert not res["articles_failed"]
        ev = read_events(con)
        bodies = dict(con.execute("select article_id, body from articles").fetchall())
    finally:
        con.close()
    return ev, bodies


def test_ceasefire_and_article4_articles_propose_updates(tmp_path, nlp):
    ev, bodies = _coded(tmp_path, nlp, {"2026-12-01-ceasefire.txt": CEASEFIRE, "2026-12-03-article4.txt": ARTICLE4})
    res = propose_updates(ev, _case(), iso3=ISO)
    by = {(p["kind"], p["member"], tuple(p["path"])): p for p in res["proposals"]}
    war = by[("war-ended", 365, ("observed", "members", 365, "at_war"))]
    assert war["value"]["at_war"] == 0 and war["date"] == "2026-12-01" and war["value"]["since"] == "2026-12-01"
    assert 0.5 <= war["confidence"] <= 0.95
    # the DPRK fights the same war (its war's name contains Russia's): proposed too, with less confidence
    dprk = by[("war-ended", 731, ("observed", "members", 731, "at_war"))]
    assert dprk["value"]["at_war"] == 0 and dprk["confidence"] < war["confidence"]
    art4 = by[("article-4", 731, ("events",))]
    assert art4["date"] == "2026-12-03" and "Art. 4" in art4["value"]["what"]
    # Russia is already at war: no at_war change proposed for it from the Art. 4 appeal
    assert not any(p["kind"] == "article-4" and p["path"][0] == "observed" for p in res["proposals"])
    for p in (war, art4):
        assert p["evidence"]
        for e in p["evidence"]:
            s0, s1 = e["sentence_span"]
            assert bodies[e["article_id"]][s0:s1] == e["sentence"]
            assert e["code"] and e["date"] >= p["date"]
    assert any("ceasefire" in e["sentence"] for e in war["evidence"])
    assert any("Article 4" in e["sentence"] for e in art4["evidence"])
    assert {p["kind"] for p in res["proposals"]} == {"war-ended", "article-4"}


def test_opinion_piece_proposes_nothing(tmp_path, nlp):
    ev, _ = _coded(tmp_path, nlp, {"2026-12-04-opinion.txt": OPINION})
    assert propose_updates(ev, _case(), iso3=ISO)["proposals"] == []


def _ev(i, date, s, t, code, sentence):
    return {"event_id": f"pw:a:{i}", "origin": "pactwatch", "event_date": date, "source_country": s,
            "target_country": t, "code": code, "quad": 2, "goldstein": 0.0, "confidence": 0.8, "article_id": f"a{i}",
            "url": None, "evidence": sentence, "title": None, "sentence_start": pd.NA, "sentence_end": pd.NA}


def test_hedged_retrospective_and_old_events_propose_nothing():
    ev = pd.DataFrame([
        _ev(1, "2026-12-05", "RUS", "UKR", "0871", "Russia might declare a ceasefire with Ukraine."),
        _ev(2, "2026-12-05", "RUS", "UKR", "0871", "Russia declared a ceasefire with Ukraine last June."),
        _ev(3, "2026-01-05", "RUS", "UKR", "0871", "Russia declared a ceasefire with Ukraine."),  # before observed.date
        _ev(4, "2026-12-06", "PRK", "RUS", "026", "North Korea invited Russia to talks on military cooperation."),
    ])
    res = propose_updates(ev, _case(), iso3=ISO)
    assert res["proposals"] == []
    steps = {e["step"]: e["rows"] for e in res["log"]}
    assert steps["hedged"] == 1 and steps["retrospective"] == 1 and steps["since"] == 1


def test_leader_change_termination_and_outside_alliance():
    ev = pd.DataFrame([
        _ev(1, "2026-12-05", "PRK", None, "010", "North Korean leader Kim Jong Un has died, state media said."),
        _ev(2, "2026-12-06", "RUS", "PRK", "161", "Russia gave notice to terminate the partnership treaty with North Korea."),
        _ev(3, "2026-12-07", "RUS", "CHN", "057", "Russia and China signed a mutual defence treaty in Beijing."),
    ])
    res = propose_updates(ev, _case(), iso3=ISO)
    got = {(p["kind"], p["member"]): p for p in res["proposals"]}
    assert got[("leader-change", 731)]["path"] == ["observed", "members", 731, "leader_change_this_year"]
    assert got[("termination-notice", 365)]["path"] == ["events"] and got[("termination-notice", 365)]["confidence"] == 0.8
    ally = got[("outside-alliance", 365)]
    assert ally["value"]["value"] == 1 and "CHN" in ally["value"]["note"]


def test_apply_keeps_comments_and_gives_a_valid_case():
    from pactwatch.scenarios.schema import Case, parse

    ev = pd.DataFrame([_ev(1, "2026-12-01", "RUS", "UKR", "0871", "Russia declared a ceasefire with Ukraine.")])
    text = CASE.read_text(encoding="utf-8")
    res = propose_updates(ev, yaml.safe_load(text), iso3=ISO)
    new = apply_proposals(text, res["proposals"])
    case = parse(Case, yaml.safe_load(new), "updated")
    assert case.observed.members[365].at_war.at_war == 0 and case.observed.members[731].at_war.at_war == 0
    assert str(case.observed.date) == "2026-12-01"
    comments = [ln for ln in text.splitlines() if ln.lstrip().startswith("#")]
    assert comments and all(c in new.splitlines() for c in comments)
    diff = unified_diff(text, new)
    assert "-        at_war: 1" in diff and "+        at_war: 0" in diff
    # untouched parts are byte-identical: only the lines of the observed block change
    changed = [ln for ln in diff.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert all(("at_war" in ln or "since" in ln or "source" in ln or "uncertain" in ln or "note" in ln
                or "date:" in ln) for ln in changed), changed


def test_opinion_sentences_coded_as_events_still_propose_nothing():
    """The rule coder codes no event in the opinion piece, so the test above does not reach the update rules; a
    coder that does code its sentences (as a learned one may) must still get no proposal: each is hedged or
    hypothetical, and the log counts them."""
    sents = [s.strip() for s in OPINION.splitlines()[2:] if s.strip()]
    assert len(sents) == 3
    ev = pd.DataFrame([
        _ev(1, "2026-12-04", "RUS", "UKR", "0871", sents[0]),   # "A ceasefire ... might one day come"
        _ev(2, "2026-12-04", "PRK", "RUS", "0232", sents[1]),   # "If North Korea were attacked, it could perhaps ask"
        _ev(3, "2026-12-04", "RUS", "PRK", "161", sents[2]),    # "Russia would never renounce the treaty"
    ])
    res = propose_updates(ev, _case(), iso3=ISO)
    assert res["proposals"] == []
    steps = {e["step"]: e["rows"] for e in res["log"]}
    assert steps.get("hedged", 0) == 3, res["log"]
    # the same sentences stated as facts do propose: the test would see a rule that stopped firing
    facts = pd.DataFrame([
        _ev(1, "2026-12-04", "RUS", "UKR", "0871", "Russia and Ukraine declared a ceasefire on Monday."),
        _ev(2, "2026-12-04", "PRK", "RUS", "0232", "North Korea asked Russia for military assistance under Article 4."),
    ])
    assert {p["kind"] for p in propose_updates(facts, _case(), iso3=ISO)["proposals"]} == {"war-ended", "article-4"}
