"""Partnership indicators: the case file's definitions parse (and the case still validates), events count by code
prefix, direction and word filters, months without events are 0, a planted shift is a change point, every count is
linked to its evidence (article, sentence span in the stored body), and the plot is written only when there is
something to plot."""
from pathlib import Path

import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.monitor.indicators import (indicator_series, load_indicators, match, parse_indicators,
                                          plot_indicators, read_events)

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "rus-prk-2024.yaml"

DEFS = [
    {"id": "arms", "label": "arms", "why": "test definition", "events": [
        {"codes": ["06", "07"], "source": ["PRK"], "target": ["RUS"], "keywords": ["shell", "missile"],
         "exclude": ["troop"]}]},
    {"id": "visits", "label": "visits", "why": "test definition", "events": [
        {"codes": ["042", "043"], "source": ["RUS", "PRK"], "target": ["RUS", "PRK"], "both_directions": True}]},
    {"id": "index", "label": "index", "why": "test definition", "measure": "index", "events": [
        {"codes": ["0", "1", "2"], "source": ["RUS", "PRK"], "target": ["RUS", "PRK"]}]},
]


def _ev(i, date, s, t, code, quad, sentence, article="a1"):
    return {"event_id": f"pw:{article}:{i}", "origin": "pactwatch", "event_date": date, "source_country": s,
            "target_country": t, "code": code, "quad": quad, "goldstein": 0.0, "confidence": 0.8,
            "article_id": article, "url": f"https://example.org/{article}", "evidence": sentence}


def _table():
    rows = [
        _ev(1, "2024-01-10", "PRK", "RUS", "062", 2, "North Korea shipped artillery shells to Russia."),
        _ev(2, "2024-01-20", "PRK", "RUS", "070", 2, "Pyongyang delivered missiles to Moscow."),
        _ev(3, "2024-01-21", "RUS", "PRK", "062", 2, "Russia sent shells to North Korea."),        # wrong direction
        _ev(4, "2024-01-22", "PRK", "RUS", "062", 2, "North Korea sent troops with shells."),      # excluded word
        _ev(5, "2024-01-23", "PRK", "RUS", "062", 2, "North Korea sent food to Russia."),          # no keyword
        _ev(6, "2024-03-05", "PRK", "RUS", "043", 1, "Kim hosted Shoigu in Pyongyang."),
        _ev(7, "2024-03-06", "RUS", "PRK", "042", 1, "Lavrov visited Pyongyang."),
        _ev(8, "2024-03-07", "RUS", "PRK", "111", 3, "Moscow criticised Pyongyang."),
        _ev(9, None, "PRK", "RUS", "070", 2, "Undated missiles."),
        _ev(10, "2024-02-01", "USA", "CHN", "042", 1, "Another dyad's visit."),
    ]
    return pd.DataFrame(rows)


def test_case_file_defines_the_preregistered_indicators():
    inds = load_indicators(CASE)
    ids = [i.id for i in inds]
    assert {"summits", "arms-to-russia", "troops", "tech-energy-economy", "diplomatic-cover", "frictions",
            "coop-conflict-index"} == set(ids)
    assert all(i.why and i.events for i in inds)
    from pactwatch.scenarios.cases import load_case

    assert len(load_case(CASE).indicators) == len(inds)  # the case schema accepts the section


def test_bad_definition_names_the_field():
    with pytest.raises(PactwatchError, match=r"indicators: field 'indicators.0.events.0.codes': .*'6a'"):
        parse_indicators([{"id": "x", "label": "x", "why": "why", "events": [{"codes": ["6a"]}]}])
    with pytest.raises(PactwatchError, match="repeated"):
        parse_indicators([DEFS[0], DEFS[0]])


def test_counts_by_code_direction_and_words():
    inds = parse_indicators(DEFS)
    ev = _table()
    assert list(ev.loc[match(ev, inds[0]), "event_id"]) == ["pw:a1:1", "pw:a1:2", "pw:a1:9"]
    res = indicator_series(ev, inds)
    assert res["months"] == ["2024-01", "2024-02", "2024-03"]
    by = {i["id"]: i for i in res["indicators"]}
    assert [p["n"] for p in by["arms"]["series"]] == [2, 0, 0]  # undated one left out
    assert [p["n"] for p in by["visits"]["series"]] == [0, 0, 2]  # both directions, not the USA-CHN visit
    idx = by["index"]["series"]
    assert idx[1]["value"] is None and idx[1]["n"] == 0  # no events: NA, not neutral
    assert idx[2]["value"] == pytest.approx(1 / 3, abs=1e-4)  # (2 coop - 1 conflict) / 3
    assert idx[0]["value"] == pytest.approx(1.0)
    assert any(e["step"] == "undated" and e["rows"] == 1 for e in res["log"])
    ev0 = by["arms"]["series"][0]["evidence"]
    assert [e["event_id"] for e in ev0] == ["pw:a1:1", "pw:a1:2"]
    assert ev0[0]["sentence"] == "North Korea shipped artillery shells to Russia." and ev0[0]["code"] == "062"
    assert ev0[0]["url"] == "https://example.org/a1" and ev0[0]["article_id"] == "a1"


def test_planted_shift_in_counts_is_a_change_point():
    inds = parse_indicators(DEFS[:1])
    rows, k = [], 0
    for m in range(1, 13):  # 2 shipments a month in 2023, none in the first half of 2024 ... then 6 a month
        n = 2 if m <= 6 else 6
        for j in range(n + (m % 2)):
            k += 1
            rows.append(_ev(k, f"2023-{m:02d}-{j + 1:02d}", "PRK", "RUS", "062", 2, "Shells were shipped."))
    res = indicator_series(pd.DataFrame(rows), inds)
    assert res["indicators"][0]["change_points"] == ["2023-07"]
    flat = [r for r in rows if r["event_date"] < "2023-07"]
    assert indicator_series(pd.DataFrame(flat), inds)["indicators"][0]["change_points"] == []


def test_store_events_carry_the_sentence_span(tmp_path):
    from pactwatch.events.store import insert_events
    from pactwatch.news.ingest import article_from_text
    from pactwatch.news.store import connect, ingest

    body = "Talks in Pyongyang.\nNorth Korea shipped artillery shells to Russia, officials said.\nMore later."
    con = connect(tmp_path / "n.duckdb")
    art = article_from_text(body, "x.txt", date="2024-05-02")
    ingest([art], con=con)
    aid = art.content_hash
    sent = "North Korea shipped artillery shells to Russia, officials said.\n"
    insert_events(con, [_ev(1, "2024-05-02", "PRK", "RUS", "062", 2, sent, article=aid)])
    ev = read_events(con)
    con.close()
    stored_body = body  # stored as given (clean text)
    s0, s1 = int(ev.loc[0, "sentence_start"]), int(ev.loc[0, "sentence_end"])
    assert stored_body[s0:s1] == sent.strip()
    res = indicator_series(ev, parse_indicators(DEFS[:1]))
    e = res["indicators"][0]["series"][0]["evidence"][0]
    assert e["sentence_span"] == [s0, s1] and e["article_id"] == aid


def test_plot_written_only_with_events(tmp_path):
    inds = parse_indicators(DEFS)
    res = indicator_series(_table(), inds)
    png = plot_indicators(res, tmp_path / "i.png")
    assert png is not None and png.stat().st_size > 1000
    empty = indicator_series(_table().iloc[9:10], inds)  # only the USA-CHN event: nothing matches
    assert all(i["total"] == 0 for i in empty["indicators"])
    assert plot_indicators(empty, tmp_path / "none.png") is None and not (tmp_path / "none.png").exists()


def test_indicator_plot_counts_start_at_zero_in_whole_numbers(tmp_path, monkeypatch):
    """The monitor's PNG: a count panel's axis runs from 0 in whole events (no 0.5 events), and a panel without
    events keeps 0..1 (not a -0.04..0.04 axis around nothing)."""
    import matplotlib.figure

    from pactwatch.monitor.indicators import plot_indicators

    figs = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", lambda self, *a, **k: (figs.append(self), real(self, *a, **k)))
    months = [f"2025-{m:02d}" for m in range(1, 7)]
    counts = {"busy": [0, 2, 1, 0, 3, 0], "quiet": [0] * 6}
    res = {"months": months, "indicators": [
        {"id": i, "label": i, "measure": "count", "total": sum(n), "change_points": [],
         "series": [{"month": m, "n": k, "value": float(k), "change_point": False, "evidence": []}
                    for m, k in zip(months, n)]} for i, n in counts.items()]}
    assert plot_indicators(res, tmp_path / "i.png") is not None
    axes = {ax.get_title().split(" (")[0]: ax for ax in figs[0].axes if ax.get_visible()}
    for name, n in counts.items():
        lo, hi = axes[name].get_ylim()
        assert lo == 0 and hi >= max(1, max(n))
        ticks = [t for t in axes[name].get_yticks() if lo <= t <= hi]
        assert ticks and all(float(t).is_integer() for t in ticks), (name, ticks)
