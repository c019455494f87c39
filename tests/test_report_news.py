"""The report's "What the news says" section: the indicator series of the last 24 months, the latest evidence with
article title, date and address, and the updates the news proposes with how far each moves the status-quo forecast
(rerun with the case changed in memory); without news a plain sentence saying none was read and how to add some."""
import re
from html import unescape

import pytest
import yaml

from pactwatch.monitor.summary import NewsSummary, from_monitor, summarize
from pactwatch.reports import present as P
from pactwatch.reports import render_html
from pactwatch.reports.news import with_effects
from pactwatch.scenarios import forecast as F
from pactwatch.scenarios.cases import load_case
from pactwatch.scenarios.schema import Case, parse

AS_OF = "2026-11-26"


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.fixture(scope="module")
def result(forecast_ctx, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PACTWATCH_HOME", str(tmp_path_factory.mktemp("fchome")))
        return F.forecast_case("rus-prk-2024", sims=100, as_of=AS_OF, ctx=forecast_ctx).to_json()


def _series(n_months: int = 30) -> dict:
    """An indicator series as indicator_series returns it: 30 months, summits in two months, one change point."""
    months = [f"{2024 + (k + 5) // 12}-{(k + 5) % 12 + 1:02d}" for k in range(n_months)]
    ev_old = {"event_id": "e-old", "date": f"{months[0]}-10", "code": "036", "source": "RUS", "target": "PRK",
              "title": "Old visit", "url": "https://example.org/old", "sentence": "Putin met Kim long ago."}
    ev_new = {"event_id": "e-new", "date": f"{months[-2]}-03", "code": "042", "source": "PRK", "target": "RUS",
              "title": "Kim goes to Moscow", "url": "https://example.org/kim-moscow",
              "sentence": "Kim Jong Un arrived in Moscow for talks with Putin."}
    summits, index = [], []
    for k, m in enumerate(months):
        ev = [ev_old] if k == 0 else [ev_new, dict(ev_new, event_id="e-new2")] if k == n_months - 2 else []
        summits.append({"month": m, "n": len(ev), "value": float(len(ev)), "change_point": k == n_months - 2,
                        "evidence": ev})
        index.append({"month": m, "n": len(ev), "value": 1.0 if ev else None, "change_point": False, "evidence": ev})
    return {"months": months, "coverage": [months[0], months[-1]], "events_read": 3, "indicators": [
        {"id": "summits", "label": "Summits and high-level visits", "measure": "count", "total": 3,
         "change_points": [months[-2]], "series": summits},
        {"id": "index", "label": "Cooperation–conflict index", "measure": "index", "total": 3, "change_points": [],
         "series": index}]}


def _war_ended() -> list[dict]:
    """A ceasefire as propose_updates reports it: Russia's war ends, and the DPRK's war in the same war."""
    ev = {"event_id": "e-cf", "date": "2026-11-20", "code": "0871", "source": "RUS", "target": "UKR",
          "title": "Ceasefire agreed", "url": "https://example.org/ceasefire",
          "sentence": "Russia and Ukraine declared a ceasefire on Thursday.", "confidence": 0.8}
    return [{"kind": "war-ended", "member": m, "path": ["observed", "members", m, "at_war"],
             "value": {"at_war": 0, "war": war, "since": "2026-11-20", "source": "news"},
             "date": "2026-11-20", "confidence": conf, "summary": f"{name}: no longer at war from 2026-11-20",
             "evidence": [ev]}
            for m, war, conf, name in ((365, "Russia–Ukraine war", 0.8, "Russia"),
                                       (731, "Russia–Ukraine war (Kursk)", 0.64, "North Korea"))]


def test_summary_keeps_the_last_24_months_and_the_latest_evidence():
    s = summarize(_series(), _war_ended())
    assert len(s.months) == 24 and s.months[-1] == _series()["months"][-1]
    summ = s.indicators[0]
    assert summ.total == 3 and summ.shown == 2  # the old event is outside the months shown
    assert summ.change_points == [_series()["months"][-2]]
    assert [e.event_id for e in s.latest] == ["e-new2", "e-new"]  # index events are not listed twice
    assert s.latest[0].indicators == ["Summits and high-level visits"]
    assert s.proposals[0].kind == "war-ended" and s.proposals[0].evidence[0].url == "https://example.org/ceasefire"
    assert from_monitor({"status": "no events", "message": "the store is empty"}).status == "none"


def test_report_shows_the_news_with_its_numbers(result, forecast_ctx):
    s = with_effects(summarize(_series(), _war_ended()), result, ctx=forecast_ctx)
    eff = s.proposals[0].effect
    assert eff is not None and s.proposals[0].effect_error is None
    # the effect is the forecast of the case with the update made by hand, on the same draws and seed
    case = load_case("rus-prk-2024")
    data = yaml.safe_load(open(case.__dict__["_path"], encoding="utf-8"))
    for m in (365, 731):
        data["observed"]["members"][m]["at_war"] = {"at_war": 0, "war": "w", "since": "2026-11-20", "source": "news"}
    changed = F.forecast_case(parse(Case, data, "changed"), ["status-quo"], sims=100, as_of=AS_OF,
                              ctx=forecast_ctx).to_json()
    i5 = P.index_of(result["times"], 5.0)
    sq = next(x for x in result["scenarios"] if x["name"] == "status-quo")
    assert eff.before == pytest.approx(sq["survival"][i5]["point"])
    assert eff.after == pytest.approx(changed["scenarios"][0]["survival"][i5]["point"])
    assert eff.diff != 0  # the members' wars are a covariate: ending them moves the forecast
    assert s.proposals[1].effect.after == eff.after and "applied together" in eff.note
    assert s.combined is None  # one piece of news: nothing more to combine
    html = render_html(result, news=s)
    sec = _text(html.split('<section id="news">')[1].split("</section>")[0])
    assert "What the news says" in sec
    assert "data:image/png;base64," in html.split('<section id="news">')[1].split("</section>")[0]
    assert "Kim Jong Un arrived in Moscow for talks with Putin." in sec and "Kim goes to Moscow" in sec
    assert "https://example.org/kim-moscow" in sec and "Putin met Kim long ago." not in sec
    assert f"{s.months[0]} to {s.months[-1]}" in sec
    row = _text(html.split('data-kind="war-ended"')[1].split("</tr>")[0])
    assert P.pct(eff.before) in row and P.pct(eff.after) in row and f"{P.pts(eff.diff)} pts" in row
    assert P.pct(0.8) in row and "Russia and Ukraine declared a ceasefire" in row
    assert "Russia: no longer at war from 2026-11-20" in sec and "North Korea: no longer at war" in sec
    assert P.pct(0.64) in sec


def test_report_without_news_says_none_was_read(result):
    sec = _text(render_html(result).split('<section id="news">')[1].split("</section>")[0])
    assert "No news was read for this report" in sec and "pactwatch monitor" in sec
    sec = _text(render_html(result, news=from_monitor({"status": "no events", "message": "the store is empty"}))
                .split('<section id="news">')[1].split("</section>")[0])
    assert "No news was read for this report (the store is empty)" in sec
    assert isinstance(summarize({"months": [], "indicators": []}), NewsSummary)


def test_evidence_gets_title_address_and_publisher_from_the_folder_index(tmp_path):
    """Articles ingested from files keep no address: the evidence takes it, the title and the publisher from the
    folder's index.jsonl, as the shared Russia–DPRK folder has one."""
    import json

    import duckdb

    from pactwatch.events.store import COLUMNS, ensure
    from pactwatch.monitor.summary import add_article_metadata
    from pactwatch.news.store import SCHEMA

    folder = tmp_path / "news" / "articles"
    folder.mkdir(parents=True)
    (folder / "2025-09-03-putin-kim.txt").write_text("text", encoding="utf-8")
    (tmp_path / "news" / "index.jsonl").write_text(json.dumps(
        {"file": "2025-09-03-putin-kim.txt", "url": "https://example.org/putin-kim", "title": "Putin meets Kim",
         "publisher": "Example Wire"}) + "\n", encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    con.execute(SCHEMA)
    ensure(con)
    con.execute("insert into articles (article_id, title, url, source) values ('a1', 'BEIJING – lead sentence', '', ?)",
                [str(folder / "2025-09-03-putin-kim.txt")])
    vals = {c: None for c in COLUMNS} | {"event_id": "e-new", "origin": "pactwatch", "article_id": "a1"}
    con.execute(f"insert into events ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
                [vals[c] for c in COLUMNS])
    s = add_article_metadata(summarize(_series()), con)
    e = next(x for x in s.latest if x.event_id == "e-new")
    assert (e.title, e.url, e.publisher) == ("Putin meets Kim", "https://example.org/kim-moscow", "Example Wire")
    other = next(x for x in s.latest if x.event_id == "e-new2")  # not in the store: unchanged
    assert other.title == "Kim goes to Moscow" and other.publisher is None


def test_report_says_how_far_the_news_ends_before_the_forecast_date(result):
    """News that stops months before the forecast date is said to stop there: the empty months are unread, not
    quiet. News up to the as-of month says nothing of the kind."""
    from pactwatch.reports.news import news_gap

    old = summarize(_series(21), [])  # 2024-06 .. 2026-02; the forecast is as of 2026-11-26
    assert old.coverage[1] == "2026-02"
    sec = _text(render_html(result, news=old).split('<section id="news">')[1].split("</section>")[0])
    assert "The latest coded news is from 2026-02, 9 months before the forecast date 2026-11-26" in sec
    assert "not the same as no events" in sec
    recent = summarize(_series(30), [])  # up to 2026-11
    sec = _text(render_html(result, news=recent).split('<section id="news">')[1].split("</section>")[0])
    assert "The latest coded news is from" not in sec
    assert news_gap("2026-10", "2026-11-26") is None and news_gap("2026-09", "2026-11-26")["months"] == 2
