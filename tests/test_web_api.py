"""REST API of the web app (FastAPI TestClient): cases and path safety, the ATOP alliance explorer checked against the raw
member file, problem+json errors, the body limit, the event coder, the dyad monitor and the forecast seam (with a
stand-in engine, since the real one is built separately)."""
from __future__ import annotations

import sys
import types

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from pactwatch.web.app import MAX_BODY_BYTES, create_app  # noqa: E402

PROBLEM = "application/problem+json"

CASE_A = """\
title: Russia–DPRK Comprehensive Strategic Partnership (test copy)
members:
  - {ccode: 365, name: Russia, iso3: RUS}
  - {ccode: 731, name: North Korea, iso3: PRK}
signed: 2024-06-19
in_force: 2024-12-04
scenarios: [war-ends, leader-change]
"""
CASE_B = """\
title: USSR–Egypt 1971
atopid: 3720
members: [365, 651]
dates: {signed: 1971-05-27, ended: 1976-03-15}
"""


@pytest.fixture(scope="module")
def cases_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    d = root / "cases"
    d.mkdir()
    (d / "rus-prk-test.yaml").write_text(CASE_A, encoding="utf-8")
    (d / "egy-ussr-1971.yaml").write_text(CASE_B, encoding="utf-8")
    (d / "atop-only.yaml").write_text("name: Egypt-USSR 1971\nkind: atop\natopid: 3670\n", encoding="utf-8")
    (d / "broken.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    (d / "Not_A_Case.yaml").write_text("title: x\n", encoding="utf-8")  # a name the API cannot address: not listed
    (root / "secret.yaml").write_text("title: SECRET-OUTSIDE\n", encoding="utf-8")
    (d / "link.yaml").symlink_to(root / "secret.yaml")  # a symlink leading outside the folder
    return d


@pytest.fixture(scope="module")
def client(data_dir, cases_dir, tmp_path_factory):
    news = tmp_path_factory.mktemp("news") / "absent.duckdb"
    app = create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=news)
    with TestClient(app) as c:
        yield c


def _is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    p = r.json()
    assert p["status"] == status and p["title"] and p["detail"] and "type" in p
    return p


# ---------------------------------------------------------------------------------------------------------- cases

def test_cases_listed_from_files(client):
    r = client.get("/api/cases")
    assert r.status_code == 200
    cases = {c["name"]: c for c in r.json()["cases"]}
    assert set(cases) == {"atop-only", "broken", "egy-ussr-1971", "rus-prk-test"}  # not Not_A_Case, not the symlink out
    assert "SECRET-OUTSIDE" not in r.text
    a = cases["rus-prk-test"]
    assert [m["ccode"] for m in a["members"]] == [365, 731] and [m["iso3"] for m in a["members"]] == ["RUS", "PRK"]
    assert a["signed"] == "2024-06-19" and a["in_force"] == "2024-12-04" and a["scenarios"] == ["war-ends", "leader-change"]
    b = cases["egy-ussr-1971"]
    assert b["atopid"] == 3720 and [m["ccode"] for m in b["members"]] == [365, 651]
    assert b["signed"] == "1971-05-27" and b["ended"] == "1976-03-15"
    assert "not valid YAML" in cases["broken"]["error"]
    assert "Not_A_Case" not in cases


def test_atop_case_filled_from_atop(client, src):
    c = client.get("/api/cases/atop-only").json()
    m = src.table("atop_member")
    assert sorted(x["ccode"] for x in c["members"]) == sorted(set(m.loc[m["atopid"] == 3670, "member"].astype(int)))
    a = src.table("atop_alliance").set_index("atopid").loc[3670]
    assert c["signed"] == f"{int(a['begyr'])}-{int(a['begmo']):02d}-{int(a['begday']):02d}"
    assert c["ended"].startswith(f"{int(a['endyr'])}-{int(a['endmo']):02d}")
    assert c["from_atop"] == ["members", "signed", "ended"] and c["title"] == "Egypt-USSR 1971"


@pytest.mark.parametrize("name", [
    "../secret", "..%2fsecret", "%2e%2e%2fsecret", "%2E%2E%2Fsecret", "..%252fsecret", "..", "%2e%2e", "..%5csecret",
    "cases%2f..%2f..%2fsecret", "secret%00", "RUS-PRK", "a.b", "%20", "link",
])
def test_case_names_cannot_leave_the_folder(client, name):
    for url in (f"/api/cases/{name}", f"/api/cases/{name}/forecast"):
        r = client.get(url)
        assert r.status_code in (404, 422), (url, r.status_code, r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        assert "SECRET-OUTSIDE" not in r.text
    r = client.get(f"/cases/{name}")
    assert "SECRET-OUTSIDE" not in r.text
    assert r.status_code in (404, 422) or not r.url.path.startswith("/cases/")  # '/cases/..' is the client's '/'



def test_symlink_out_of_folder_is_not_served(client):
    p = _is_problem(client.get("/api/cases/link"), 404)
    assert "not in the cases folder" in p["detail"]


def test_invalid_case_name_message(client):
    p = _is_problem(client.get("/api/cases/Bad_Name"), 422)
    assert "name" in p["detail"]


def test_forecast_without_engine_is_503(client, monkeypatch):
    monkeypatch.setitem(sys.modules, "pactwatch.scenarios", None)  # import fails as if not installed
    p = _is_problem(client.get("/api/cases/rus-prk-test/forecast"), 503)
    assert "pactwatch.scenarios" in p["detail"]
    _is_problem(client.get("/api/cases/no-such-case/forecast"), 404)  # the case is checked before the engine
    page = client.get("/cases/rus-prk-test")
    assert page.status_code == 200 and 'id="curves-slot"' in page.text and "not installed" in page.text


def _fake_engine(calls):
    """A stand-in forecast engine with the real one's result shape ("pactwatch.forecast/1"): S(t) = exp(-h t) with h
    depending on the scenario; records its calls."""
    import math

    mod = types.ModuleType("pactwatch.scenarios")
    hazards = {"war-ends": 0.30, "leader-change": 0.10}

    def forecast(case, scenarios=None):
        calls.append((str(case), scenarios))
        out = []
        for s in scenarios or ["war-ends"]:
            h = hazards[s]
            t = [i * 0.5 for i in range(21)]
            S = lambda x, k=1.0: math.exp(-k * h * x)  # noqa: E731
            out.append({"name": s, "label": s.replace("-", " ").title(),
                        "curve": {"t": t, "point": [S(x) for x in t], "lower": [S(x, 1.3) for x in t],
                                  "upper": [S(x, 0.7) for x in t]},
                        "survival": [{"t": y, "point": S(y), "lower": S(y, 1.3), "upper": S(y, 0.7)} for y in (1.0, 5.0, 10.0)],
                        "median_remaining": {"point": math.log(2) / h if math.log(2) / h <= 10 else None, "lower": None,
                                             "upper": None, "beyond_horizon": math.log(2) / h > 10, "horizon": 10.0},
                        "drivers": [{"covariate": "any_at_war", "label": "A member at war", "delta_s5": -h},
                                    {"covariate": "rival", "label": "Shared rival", "delta_s5": 0.05}]})
        return {"scenarios": out, "analogues": {"k": 1, "rows": [{"atopid": 3720, "years": 4.8, "ended": True,
                                                                   "members": ["RUS", "EGY"], "distance": 1.5}]},
                "notes": ["a caveat"], "level": 0.9, "n_sims": 100}

    mod.forecast = forecast
    mod.scenario_names = lambda: list(hazards)
    return mod


def test_forecast_through_the_adapter(client, monkeypatch, cases_dir):
    from pactwatch.web import api

    calls = []
    monkeypatch.setitem(sys.modules, "pactwatch.scenarios", _fake_engine(calls))
    api._fc_cache.clear()
    r = client.get("/api/cases/rus-prk-test/forecast", params=[("scenario", "war-ends"), ("scenario", "leader-change")])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["case"] == "rus-prk-test" and [s["name"] for s in body["scenarios"]] == ["war-ends", "leader-change"]
    assert calls == [(str((cases_dir / "rus-prk-test.yaml").resolve()), ["war-ends", "leader-change"])]
    client.get("/api/cases/rus-prk-test/forecast", params=[("scenario", "war-ends"), ("scenario", "leader-change")])
    assert len(calls) == 1  # cached per case file version and scenario list
    _is_problem(client.get("/api/cases/rus-prk-test/forecast", params={"scenario": "War Ends"}), 422)

    # the case page draws one curve per scenario and changes with the picker
    p1 = client.get("/cases/rus-prk-test", params={"scenario": "war-ends"}).text
    p2 = client.get("/cases/rus-prk-test", params={"scenario": "leader-change"}).text
    assert 'class="curve" data-scenario="war-ends"' in p1 and 'data-scenario="leader-change"' not in p1.split('id="curves"')[1].split("</figure>")[0]
    assert 'class="curve" data-scenario="leader-change"' in p2
    assert 'class="band"' in p1 and 'id="analogues"' in p1 and 'href="/alliances/3720"' in p1
    assert '<option value="leader-change" selected>' in p2
    home = client.get("/").text
    assert "S(1 y) = 0.74" in home and "(0.68–0.81)" in home  # exp(-0.3) = 0.741, band exp(-0.39)..exp(-0.21)
    assert "A member at war" in p1 and "a caveat" in p1 and "S(5&nbsp;y)" in p1
    import re

    assert re.search(r">\s*2\.3\s*<", p1.split('id="survival-table"')[1])  # median remaining ln 2 / 0.3 = 2.31 years
    api._fc_cache.clear()


# ---------------------------------------------------------------------------------------------------------- alliances

def _raw_member_ids(src, ccodes, year=None):
    """ATOP alliances with one of ``ccodes`` as a member (in ``year`` if given), straight from the member file."""
    m = src.table("atop_member")
    m = m[m["member"].isin(ccodes)]
    if year is not None:
        ex = m["yrexit"].where(m["yrexit"] != 0, 2018)
        m = m[(m["yrent"] <= year) & (ex >= year)]
    return set(m["atopid"].astype(int))


def _all_ids(client, **params):
    r = client.get("/api/alliances", params={**params, "limit": 500})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == len(body["results"])
    return body, {a["atopid"] for a in body["results"]}


def test_search_by_member_and_year_matches_member_file(client, src):
    body, ids = _all_ids(client, member="365", year=2010)
    assert body["matched_states"] == [{"ccode": 365, "name": "Russia"}]
    assert ids == _raw_member_ids(src, [365], 2010) and len(ids) > 5
    _, ids_abb = _all_ids(client, member="RUS", year=2010)
    assert ids_abb == ids
    _, all_rus = _all_ids(client, member="365")
    assert all_rus == _raw_member_ids(src, [365])


def test_search_by_name_matches_every_state_with_it(client, src):
    body, ids = _all_ids(client, member="korea")
    st = src.table("cow_states")
    expect = sorted(set(st.loc[st["statenme"].str.contains("korea", case=False), "ccode"].astype(int)))
    assert [s["ccode"] for s in body["matched_states"]] == expect == [730, 731, 732]
    assert ids == _raw_member_ids(src, expect)


def test_search_by_obligation_and_year(client, src):
    a = src.table("atop_alliance")
    end = a["endyr"].where(a["ineffect"] == 0, 2018)
    expect = set(a.loc[(a["defense"] == 1) & (a["begyr"] <= 1950) & (end >= 1950), "atopid"].astype(int))
    body, ids = _all_ids(client, obligation="defense", year=1950)
    assert ids == expect and body["count"] == len(expect)
    assert all("defense" in r["obligations"] for r in body["results"])


def test_search_paging(client):
    full = client.get("/api/alliances", params={"obligation": "consul", "limit": 500}).json()
    p2 = client.get("/api/alliances", params={"obligation": "consul", "limit": 10, "offset": 10}).json()
    assert p2["count"] == full["count"] and [r["atopid"] for r in p2["results"]] == [r["atopid"] for r in full["results"][10:20]]


def test_alliance_detail_against_raw_files(client, src):
    r = client.get("/api/alliances/3260")  # SEATO (Manila Pact)
    assert r.status_code == 200
    d = r.json()
    raw_m = src.table("atop_member")
    raw_m = raw_m[raw_m["atopid"] == 3260]
    assert len(d["members"]) == len(raw_m)
    assert sorted({m["ccode"] for m in d["members"]}) == sorted(set(raw_m["member"].astype(int)))
    raw_a = src.table("atop_alliance").set_index("atopid").loc[3260]
    assert d["lifetime"]["begin"] == f"{int(raw_a['begyr'])}-{int(raw_a['begmo']):02d}-{int(raw_a['begday']):02d}"
    prov = {p["code"]: p["value"] for p in d["provisions"]}
    for k in ("defense", "consul", "milcon", "organ1"):
        assert prov[k] == float(raw_a[k])
    # a member that left: its exit date and cause are those of the member file
    left = [m for m in d["members"] if not m["in_effect"]]
    assert left and all(m["exit"] and m["termcaus_label"] for m in left)
    assert d["lifetime"]["in_effect"] == bool(raw_a["ineffect"] == 1)


def test_ended_alliance_lifetime(client, src):
    a = src.table("atop_alliance")
    row = a[(a["ineffect"] == 0) & a["endday"].notna()].iloc[0]
    d = client.get(f"/api/alliances/{int(row['atopid'])}").json()
    assert d["lifetime"]["end"] == f"{int(row['endyr'])}-{int(row['endmo']):02d}-{int(row['endday']):02d}"
    days = (pd.Timestamp(d["lifetime"]["end"]) - pd.Timestamp(d["lifetime"]["begin"])).days
    assert d["lifetime"]["duration_days"] == days and d["lifetime"]["event"] == 1


@pytest.mark.parametrize("params,status,words", [
    ({"year": 1700}, 422, "year"), ({"year": "abc"}, 422, "year"), ({"obligation": "alliance"}, 422, "obligation"),
    ({"member": "Atlantis"}, 404, "Atlantis"), ({"member": "99999"}, 404, "99999"), ({"limit": 0}, 422, "limit"),
])
def test_search_errors_are_problems(client, params, status, words):
    p = _is_problem(client.get("/api/alliances", params=params), status)
    assert words in p["detail"]


def test_unknown_alliance_404(client):
    p = _is_problem(client.get("/api/alliances/1"), 404)
    assert "atopid 1" in p["detail"]
    _is_problem(client.get("/api/alliances/abc"), 422)


# ---------------------------------------------------------------------------------------------------------- generic

def test_read_only_and_unknown_routes(client):
    for method in ("put", "delete", "patch"):
        p = _is_problem(getattr(client, method)("/api/cases"), 405)
        assert "read-only" in p["detail"]
    _is_problem(client.get("/api/nothing-here"), 404)


def test_body_limit_413(client):
    p = _is_problem(client.post("/api/events/code", content=b"x" * (MAX_BODY_BYTES + 1),
                                headers={"content-type": "application/json"}), 413)
    assert f"{MAX_BODY_BYTES:,}" in p["detail"]

    def chunks():  # no Content-Length: counted while reading
        for _ in range(12):
            yield b"y" * 100_000

    _is_problem(client.post("/api/events/code", content=chunks(), headers={"content-type": "application/json"}), 413)


def test_security_headers_and_no_external_assets(client):
    for url in ("/", "/alliances", "/reader", "/api-docs", "/alliances/3260"):
        r = client.get(url)
        assert r.status_code == 200
        assert "default-src 'self'" in r.headers["content-security-policy"]
        for attr in ('src="http', "src='http", 'href="http', "src=\"//", "href=\"//"):
            assert attr not in r.text, (url, attr)


def test_openapi_errors_are_problems(client):
    doc = client.get("/openapi.json").json()
    assert "/api/alliances" in doc["paths"] and not any(p.startswith("/cases") for p in doc["paths"])
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for code, resp in op["responses"].items():
                if int(code) >= 400:
                    assert list(resp["content"]) == [PROBLEM], (path, code)


# ---------------------------------------------------------------------------------------------------------- events

@pytest.fixture(scope="module")
def events_client(data_dir, cases_dir):
    import os
    from pathlib import Path

    env = os.environ.get("PACTWATCH_EVENTS_DIR")
    p = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "events"
    if not p.is_dir():
        if os.environ.get("CI"):
            pytest.fail("events reference files missing in CI")
        pytest.skip("events reference files not available")
    with TestClient(create_app(data_dir=data_dir, cases_dir=cases_dir, events_dir=p)) as c:
        yield c


def test_code_events_spans_point_into_the_text(events_client):
    text = ("Moscow's troops attacked Ukrainian positions near Kharkiv. "
            "Kim Jong-un met Vladimir Putin in Pyongyang on Tuesday.")
    r = events_client.post("/api/events/code", json={"text": text, "date": "2024-11-01"})
    assert r.status_code == 200, r.text
    ev = r.json()["events"]
    assert [(e["source"], e["target"], e["root"]) for e in ev] == [("RUS", "UKR", "19"), ("PRK", "RUS", "04")]
    for e in ev:
        assert text[e["verb_span"][0]:e["verb_span"][1]] == e["verb"]
        assert text[e["source_span"][0]:e["source_span"][1]] == e["source_text"]
    assert r.json()["chars"] == len(text)


@pytest.mark.parametrize("body,words", [
    ({"text": ""}, "text"), ({"text": " \n "}, "text"), ({"text": "x", "date": "2024-02-30"}, "date"),
    ({"text": "x", "date": "1 May"}, "date"),
    ({"text": "x", "extra": 1}, "extra"), ({}, "text"),
])
def test_code_events_bad_input(events_client, body, words):
    p = _is_problem(events_client.post("/api/events/code", json=body), 422)
    assert words in p["detail"]


def test_code_events_not_json(events_client):
    _is_problem(events_client.post("/api/events/code", content=b"{not json", headers={"content-type": "application/json"}), 422)


def test_reader_page_highlights(events_client):
    text = "Moscow's troops attacked Ukrainian positions near Kharkiv."
    r = events_client.post("/reader", data={"text": text, "date": "2024-11-01"})
    assert r.status_code == 200
    assert '<mark class="src" data-events="1" title="event 1: source">Moscow<sup' in r.text
    assert '<mark class="verb" data-events="1" title="event 1: action">attacked<sup' in r.text
    assert "Use conventional military force" in r.text
    up = events_client.post("/reader", files={"file": ("a.txt", text.encode(), "text/plain")}, data={"date": "2024-11-01"})
    assert up.status_code == 200 and "attacked<sup" in up.text
    bad = events_client.post("/reader", files={"file": ("a.txt", b"\xff\xfe\x00bad", "text/plain")})
    assert bad.status_code == 422 and "not UTF-8" in bad.text


def test_highlight_keeps_every_character():
    import re

    from pactwatch.web.pages import highlight

    text = "A <b> & B's C met D."
    events = [{"source_span": [0, 1], "target_span": [13, 14], "verb_span": [15, 18]},
              {"source_span": [0, 12], "target_span": [19, 20], "verb_span": [15, 18]}]  # overlapping spans
    html = str(highlight(text, events))
    plain = re.sub(r"<sup[^>]*>.*?</sup>", "", html)
    plain = re.sub(r"<[^>]+>", "", plain)
    import html as h

    assert h.unescape(plain) == text
    assert "<b>" not in html  # escaped
    assert 'class="src" data-events="1 2"' in html and 'class="verb" data-events="1 2"' in html


# ---------------------------------------------------------------------------------------------------------- dyads

def test_dyad_without_store_is_503(client):
    p = _is_problem(client.get("/api/dyads/RUS/PRK"), 503)
    assert "news store" in p["detail"] or "monitor" in p["detail"]
    _is_problem(client.get("/api/dyads/rus/PRK"), 422)
    _is_problem(client.get("/api/dyads/RUS/RUS"), 404)
    _is_problem(client.get("/api/dyads/RUS/PRK", params={"from": "2024-13"}), 422)


def test_dyad_series_from_a_store(data_dir, cases_dir, tmp_path):
    pytest.importorskip("pactwatch.monitor.dyad")
    import duckdb

    from pactwatch.events.store import COLUMNS, ensure

    db = tmp_path / "news.duckdb"
    con = duckdb.connect(str(db))
    ensure(con)
    rows = [("e1", "2024-06-19", "RUS", "PRK", 1, 3.0), ("e2", "2024-06-20", "PRK", "RUS", 2, 7.0),
            ("e3", "2024-08-02", "RUS", "PRK", 4, -10.0), ("e4", "2024-08-03", "USA", "PRK", 3, -4.0)]
    for eid, d, s, t, q, g in rows:
        vals = {c: None for c in COLUMNS}
        vals.update(event_id=eid, origin="pactwatch", event_date=d, source_country=s, target_country=t, quad=q, goldstein=g)
        con.execute(f"insert into events ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})", [vals[c] for c in COLUMNS])
    con.close()
    with TestClient(create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=db)) as c:
        r = c.get("/api/dyads/RUS/PRK")
        assert r.status_code == 200, r.text
        body = r.json()
    months = {str(m.get("month") or m.get("period"))[:7]: m for m in body["months"] if m.get("origin") == "pactwatch"}
    assert months["2024-06"]["n"] == 2 and months["2024-08"]["n"] == 1 and months["2024-07"]["n"] == 0
    assert months["2024-06"]["index"] == pytest.approx(1.0) and months["2024-08"]["index"] == pytest.approx(-1.0)
    assert [e["event_date"][:10] for e in body["recent_events"]] == ["2024-08-02", "2024-06-20", "2024-06-19"]
