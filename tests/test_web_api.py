"""REST API and pages of the web app (FastAPI TestClient) on the shared data: cases through the case schema and path
safety, forecasts by the real engine (equal to the library's, following the server's data directory and the as-of date,
cached by the content of every input), the case page and the report, one presentation of numbers across CLI, report and
web, the ATOP alliance explorer checked against the raw member file, problem+json errors, the body limit, the event
coder and the dyad monitor (read-only)."""
from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

from pactwatch.web.app import MAX_BODY_BYTES, create_app  # noqa: E402

PROBLEM = "application/problem+json"
REPO = Path(__file__).resolve().parents[1]

AS_OF = "2026-11-26"
SIMS = 60


@pytest.fixture(scope="module")
def cases_dir(tmp_path_factory):
    """The repository's case files, a file that is not valid YAML, one that breaks the schema, a name the API cannot
    address and a symlink leading out of the folder."""
    import shutil

    root = tmp_path_factory.mktemp("web")
    d = root / "cases"
    shutil.copytree(REPO / "cases", d)
    (d / "broken.yaml").write_text("id: broken\nname: [unclosed\n", encoding="utf-8")
    (d / "no-kind.yaml").write_text("id: no-kind\nname: A case without its kind\n", encoding="utf-8")
    (d / "Not_A_Case.yaml").write_text("title: x\n", encoding="utf-8")  # a name the API cannot address: not listed
    (root / "secret.yaml").write_text("title: SECRET-OUTSIDE\n", encoding="utf-8")
    (d / "link.yaml").symlink_to(root / "secret.yaml")  # a symlink leading outside the folder
    return d


@pytest.fixture(scope="module")
def app(data_dir, cases_dir, tmp_path_factory):
    news = tmp_path_factory.mktemp("news") / "absent.duckdb"
    a = create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=news)
    a.state.web.sims = SIMS
    return a


@pytest.fixture(scope="module")
def client(app):
    with TestClient(app) as c:
        yield c


def _is_problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    p = r.json()
    assert p["status"] == status and p["title"] and p["detail"] and "type" in p
    return p


# ---------------------------------------------------------------------------------------------------------- cases

def test_cases_listed_through_the_case_schema(client, cases_dir):
    from pactwatch.scenarios.cases import load_case

    r = client.get("/api/cases")
    assert r.status_code == 200
    cases = {c["name"]: c for c in r.json()["cases"]}
    real = {p.stem for p in (REPO / "cases").glob("*.yaml")}
    assert set(cases) == real | {"broken", "no-kind"}  # not Not_A_Case, not the symlink out
    assert "SECRET-OUTSIDE" not in r.text
    c = load_case(cases_dir / "rus-prk-2024.yaml")
    a = cases["rus-prk-2024"]
    assert a["title"] == c.name and a["kind"] == "direct" and a["error"] is None
    assert [m["ccode"] for m in a["members"]] == [m.ccode for m in c.members] == [365, 731]
    assert a["in_force"] == c.in_force.value.isoformat() and a["question"] == c.question.value
    assert "not valid YAML" in cases["broken"]["error"]
    assert "kind" in cases["no-kind"]["error"]  # the schema's message, naming the field


def test_atop_case_filled_from_atop(client, src):
    c = client.get("/api/cases/egy-ussr-1971").json()
    m = src.table("atop_member")
    assert sorted(x["ccode"] for x in c["members"]) == sorted(set(m.loc[m["atopid"] == 3670, "member"].astype(int)))
    a = src.table("atop_alliance").set_index("atopid").loc[3670]
    assert c["signed"] == f"{int(a['begyr'])}-{int(a['begmo']):02d}-{int(a['begday']):02d}"
    assert c["ended"] == "1976-03-15"  # from the case file's outcome
    assert c["from_atop"] == ["members", "signed"] and c["kind"] == "atop" and c["atopid"] == 3670


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


# ---------------------------------------------------------------------------------------------------------- forecasts

def _numbers(a, b, path="$", skip=("runtime_seconds", "cache", "panels_built_at", "fitted_at", "fit_seconds")):
    """Every difference between two JSON values (numbers to 1e-12), keys in ``skip`` left out."""
    out = []
    if isinstance(a, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        for k in a:
            if k not in skip:
                out += _numbers(a[k], b[k], f"{path}.{k}", skip)
    elif isinstance(a, list):
        if len(a) != len(b):
            return [f"{path}: length {len(a)} vs {len(b)}"]
        for i, (x, y) in enumerate(zip(a, b)):
            out += _numbers(x, y, f"{path}[{i}]", skip)
    elif isinstance(a, float) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if abs(a - b) > 1e-12:
            out.append(f"{path}: {a} vs {b}")
    elif a != b:
        out.append(f"{path}: {a!r} vs {b!r}")
    return out


@pytest.fixture(scope="module")
def web_forecast(client, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # a home without a stored back-test (as every test's own home)
        mp.setenv("PACTWATCH_HOME", str(tmp_path_factory.mktemp("wfhome")))
        r = client.get("/api/cases/rus-prk-2024/forecast", params=[("scenario", "war-ends"), ("as_of", AS_OF)])
    assert r.status_code == 200, r.text
    return r.json()


def test_web_forecast_is_the_library_forecast_on_the_server_data(web_forecast, app, cases_dir, forecast_ctx):
    from pactwatch.scenarios.forecast import forecast_case

    assert web_forecast["as_of"] == AS_OF and web_forecast["n_sims"] == SIMS
    assert [s["name"] for s in web_forecast["scenarios"]] == ["status-quo", "war-ends"]
    lib = forecast_case(cases_dir / "rus-prk-2024.yaml", ["war-ends"], as_of=AS_OF, sims=SIMS, seed=0,
                        ctx=forecast_ctx).to_json()
    assert _numbers(lib, web_forecast) == []
    assert app.state.web._fc_locks == {}  # the per-query lock table is freed once the forecast is computed


def test_forecast_as_of_is_a_validated_query_parameter(client, web_forecast):
    other = client.get("/api/cases/rus-prk-2024/forecast", params=[("scenario", "war-ends"), ("as_of", "2027-06-01")])
    assert other.status_code == 200 and other.json()["as_of"] == "2027-06-01"
    assert other.json()["case"]["age_at_as_of"] > web_forecast["case"]["age_at_as_of"]
    for bad, words in (("0", "as_of"), ("2026-02-30", "as_of"), ("9999-12-31", "as_of"),
                       ("2023-01-01", "before the alliance's entry into force")):
        p = _is_problem(client.get("/api/cases/rus-prk-2024/forecast", params={"as_of": bad}), 422)
        assert words in p["detail"], (bad, p["detail"])
    _is_problem(client.get("/api/cases/rus-prk-2024/forecast", params={"scenario": "War Ends"}), 422)
    _is_problem(client.get("/api/cases/rus-prk-2024/forecast", params={"scenario": "no-such"}), 422)
    _is_problem(client.get("/api/cases/no-such-case/forecast"), 404)


def test_forecast_cache_follows_the_content_of_case_and_scenario_files(data_dir, cases_dir, tmp_path, monkeypatch):
    import shutil

    cdir = tmp_path / "cases"
    cdir.mkdir()
    shutil.copy(cases_dir / "rus-prk-2024.yaml", cdir)
    sdir = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios", sdir)
    monkeypatch.setenv("PACTWATCH_SCENARIOS_DIR", str(sdir))
    a = create_app(data_dir=data_dir, cases_dir=cdir)
    a.state.web.sims = SIMS
    st = a.state.web
    day = pd.Timestamp(AS_OF).date()
    with TestClient(a) as c:
        get = lambda: c.get("/api/cases/rus-prk-2024/forecast", params=[("scenario", "war-ends"), ("as_of", AS_OF)])  # noqa: E731
        first = get().json()
        key1 = st.forecast_key("rus-prk-2024", ["war-ends"], day)
        assert get().json() == first and len(st._fc_cache) == 1  # the same inputs: served from the cache
        # a same-path, same-size edit of a scenario file: its timing changes, so the forecast must change
        war = sdir / "war-ends.yaml"
        text = war.read_text(encoding="utf-8")
        assert "by: 2027-12-31" in text
        war.write_text(text.replace("by: 2027-12-31", "by: 2031-12-31"), encoding="utf-8")
        assert len(war.read_bytes()) == len(text.encode())
        key2 = st.forecast_key("rus-prk-2024", ["war-ends"], day)
        assert key2 != key1
        second = get().json()
        assert second["scenarios"][1]["survival"] != first["scenarios"][1]["survival"]
        # an edit of the case file's content (a note) makes a new key; the path and the scenario list are the same
        case = cdir / "rus-prk-2024.yaml"
        case.write_text(case.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        assert st.forecast_key("rus-prk-2024", ["war-ends"], day) != key2
        assert st._fc_locks == {}


def test_web_forecast_follows_the_server_data_dir(data_dir, cases_dir, tmp_path, web_forecast):
    """A copy of the data in which one table differs and which the project's data check accepts: Polity5 (a file
    pactwatch converts from the publisher's Excel, so checked by columns and row count, not bytes) with the USSR coded
    a democracy (polity2 +7) throughout. The web app served over that copy forecasts from it."""
    import shutil

    from pactwatch.data.check import check_file
    from pactwatch.data.registry import find_file

    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy, ignore=shutil.ignore_patterns("*.pdf"))
    spec = find_file("polity5")
    p = copy / spec.path
    df = pd.read_csv(p, low_memory=False)
    ussr = df["ccode"] == 364
    assert ussr.sum() > 50 and (df.loc[ussr, "polity2"] < 7).all()
    df.loc[ussr, "polity2"] = 7
    df.to_csv(p, index=False)
    st = check_file(spec, copy)
    assert st.status == "ok" and st.converted and st.rows == spec.rows  # what `pactwatch data check` accepts
    a = create_app(data_dir=copy, cases_dir=cases_dir)
    a.state.web.sims = SIMS
    with TestClient(a) as c:
        r = c.get("/api/cases/rus-prk-2024/forecast", params=[("scenario", "war-ends"), ("as_of", AS_OF)])
        assert r.status_code == 200, r.text
        other = r.json()
    fp_real, fp_copy = web_forecast["provenance"]["data"], other["provenance"]["data"]
    assert [t for t in fp_real if fp_real[t] != fp_copy[t]] == ["polity5"]  # only that table's checksum differs
    assert other["model"]["coefficients"] != web_forecast["model"]["coefficients"]
    assert other["scenarios"][0]["survival"] != web_forecast["scenarios"][0]["survival"]


def test_case_page_shows_the_report_answer_and_every_caveat(client, web_forecast):
    from pactwatch.reports import present as P
    from pactwatch.reports import report as R

    page = client.get("/cases/rus-prk-2024", params=[("scenario", "war-ends"), ("as_of", AS_OF)])
    assert page.status_code == 200, page.text
    html = page.text
    assert 'class="curve" data-scenario="war-ends"' in html and 'class="band"' in html
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())
    assert " ".join(R.answer(web_forecast)["text"].split()) in text
    for c in R.caveats(web_forecast):
        assert " ".join(c["text"].split()) in text, c["title"]
    assert '<option value="war-ends" selected>The Ukraine war ends by the end of 2027</option>' in html  # labels, not slugs
    assert "engine defaults" not in html and "[Driver chart" not in html
    # the question's resolution: criteria, dates and each scenario's probability on each date, before the answer
    assert html.index('id="resolution"') < html.index('id="answer"')
    res = P.resolution_view(web_forecast)
    assert "2029-12-31, 2034-12-31" in text and res["ends"][0]["text"] in text
    for row in res["rows"]:
        assert " ".join([row["label"], *row["cells"]]) in text
    assert 'href="/cases/rus-prk-2024/report?scenario=war-ends&amp;as_of=2026-11-26"' in html
    assert 'id="analogues"' in html and f'href="/alliances/{web_forecast["analogues"]["rows"][0]["atopid"]}"' in html
    # every default scenario: one curve each, a band only for the status quo (the table has every interval)
    full = client.get("/cases/rus-prk-2024", params={"as_of": AS_OF}).text
    fig = full.split('id="curves"')[1].split("</figure>")[0]
    n = len(client.get("/api/cases/rus-prk-2024/forecast", params={"as_of": AS_OF}).json()["scenarios"])
    assert n > 2 and fig.count('class="curve"') == n and fig.count('class="band"') == 1
    assert 'class="band" data-scenario="status-quo"' in fig
    rep = client.get("/cases/rus-prk-2024/report", params=[("scenario", "war-ends"), ("as_of", AS_OF)])
    assert rep.status_code == 200 and 'id="provenance"' in rep.text and "script-src" not in rep.headers["content-security-policy"]


def test_same_number_renders_the_same_in_cli_report_and_web(client, web_forecast):
    """The 5-year difference to the status quo and its interval, and every survival cell, read the same in the CLI's
    table, the report and the web page (one presentation module)."""
    import io

    from rich.console import Console

    from pactwatch.cli.forecast import summary_table
    from pactwatch.reports import present as P
    from pactwatch.reports import render_html

    fc = web_forecast
    d = fc["scenarios"][1]["vs_status_quo"][2]
    want_diff = P.pts_interval(d["lower"], d["upper"])
    cells = [P.pct_ci(x["point"], x["lower"], x["upper"]) for x in fc["scenarios"][1]["survival"]]
    buf = io.StringIO()
    Console(file=buf, width=400, color_system=None).print(summary_table(fc))
    cli = buf.getvalue()
    report = " ".join(unescape(re.sub(r"<[^>]+>", " ", render_html(fc))).split())
    web = unescape(client.get("/cases/rus-prk-2024", params=[("scenario", "war-ends"), ("as_of", AS_OF)]).text)
    for where, text in (("cli", cli), ("report", report), ("web", web)):
        assert want_diff in text, where
        assert P.pts(d["point"]) + " pts" in text, where
        for cell in cells:
            assert cell.split(" [")[0] in text, (where, cell)
    for where, text in (("cli", cli), ("web", web)):  # the table cells with their brackets
        for cell in cells:
            assert cell in text, (where, cell)


@pytest.mark.parametrize("v,text", [(-0.0007, "−0.1"), (-0.031, "−3"), (0.088, "+9"), (0.0, "0"), (-0.00004, "0"),
                                    (0.004, "+0.4")])
def test_points_never_round_a_change_to_zero(v, text):
    from pactwatch.reports import present as P

    assert P.pts(v) == text
    assert P.pts_interval(-0.031, v) == f"−3 to {text}"


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

def test_dyad_on_a_store_without_events_reads_without_writing(data_dir, cases_dir, tmp_path):
    import duckdb

    db = tmp_path / "empty.duckdb"
    duckdb.connect(str(db)).close()  # a store in which nothing was coded yet
    with TestClient(create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=db)) as c:
        p = _is_problem(c.get("/api/dyads/RUS/PRK"), 503)
    assert "no events table" in p["detail"]
    con = duckdb.connect(str(db), read_only=True)
    try:  # nothing was created by the read
        assert con.execute("select count(*) from information_schema.tables").fetchone()[0] == 0
    finally:
        con.close()


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


def test_dyad_request_waits_for_a_writer_in_another_process(data_dir, cases_dir, tmp_path):
    """While another process writes the news store (as `events ingest` does), a dyad request waits for the writer to
    finish and then answers from the store, instead of failing with a lock error; a writer that keeps the store past
    the wait gets a clear 503 naming the store."""
    import subprocess
    import sys
    import time

    import duckdb

    from pactwatch.events.store import ensure

    db = tmp_path / "news.duckdb"
    con = duckdb.connect(str(db))
    ensure(con)
    con.close()
    hold = ("import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "time.sleep(float(sys.argv[2])); c.close()")
    with TestClient(create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=db)) as c:
        writer = subprocess.Popen([sys.executable, "-c", hold, str(db), "2"], stdout=subprocess.PIPE, text=True)
        try:
            assert writer.stdout.readline().strip() == "locked"
            t0 = time.monotonic()
            r = c.get("/api/dyads/RUS/PRK")
            assert r.status_code == 200, r.text  # served once the writer let go
            assert time.monotonic() - t0 > 0.5
        finally:
            writer.wait(timeout=30)
        import pactwatch.web.services as S

        writer = subprocess.Popen([sys.executable, "-c", hold, str(db), "5"], stdout=subprocess.PIPE, text=True)
        old, S.READ_WAIT_SECONDS = S.READ_WAIT_SECONDS, 0.5
        try:
            assert writer.stdout.readline().strip() == "locked"
            r = c.get("/api/dyads/RUS/PRK")
            assert r.status_code == 503 and "in use by another process" in r.json()["detail"], r.text
        finally:
            S.READ_WAIT_SECONDS = old
            writer.wait(timeout=30)


def test_api_docs_render_docstrings_and_describe_paging(client):
    html = client.get("/api-docs").text
    assert "``" not in html and ":mod:`" not in html and ":func:`" not in html
    assert "<code>from_atop</code>" in html or "<code>pactwatch.forecast/2</code>" in html
    doc = client.get("/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/alliances"]["get"]["parameters"]}
    assert params["limit"].get("description") and params["offset"].get("description")
    fc = {p["name"]: p for p in doc["paths"]["/api/cases/{name}/forecast"]["get"]["parameters"]}
    assert "as_of" in fc and fc["as_of"].get("description")


def test_yaml_alias_bomb_in_the_cases_folder_is_listed_with_its_error(data_dir, tmp_path):
    """A 10-line alias bomb among the case files (9**9 nodes once expanded) is refused by the loader's limits: the case
    list answers with that file flagged and the good cases still listed, and the home page still renders."""
    import shutil

    from tests.helpers.yaml_attacks import ALIAS_BOMB

    d = tmp_path / "cases"
    shutil.copytree(REPO / "cases", d)
    (d / "bomb.yaml").write_text(ALIAS_BOMB, encoding="utf-8")
    with TestClient(create_app(data_dir=data_dir, cases_dir=d)) as c:
        r = c.get("/api/cases")
        assert r.status_code == 200
        by_name = {x["name"]: x for x in r.json()["cases"]}
        assert by_name["bomb"]["error"] and "alias" in by_name["bomb"]["error"].lower()
        assert by_name["rus-prk-2024"]["error"] is None
        assert c.get("/").status_code == 200


def test_case_page_back_test_section_comes_from_the_stored_result(client, web_forecast, forecast_data, tmp_path,
                                                                   monkeypatch):
    from tests.helpers.landmark import tiny_landmark

    from pactwatch.reports import present as P
    from pactwatch.scenarios import landmark_store as LS

    params = [("scenario", "war-ends"), ("as_of", AS_OF)]
    page = client.get("/cases/rus-prk-2024", params=params).text
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert 'id="backtest-section"' in page and "No landmark back-test is stored" in text and "pactwatch backtest" in text
    _, v = tiny_landmark(forecast_data, tmp_path / "lm")
    monkeypatch.setattr(LS, "validation", lambda *a, **k: v)  # stored after the forecast was computed and cached
    page = client.get("/cases/rus-prk-2024", params=params).text
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert 'id="backtest-table"' in page and "No landmark back-test is stored" not in text
    for x in v["landmark"]["pooled"]:
        assert P.skill_ci(x["skill"], x["skill_lower"], x["skill_upper"]) in text
    for i in v["landmark"]["illustrations"]:
        assert f'href="/alliances/{i["atopid"]}"' in page
    dev = next(x for x in v["landmark"]["pooled"] if x["split"] == "development")
    assert f"Brier skill {P.skill(dev['skill'])}" in text  # the answer paragraph quotes it too
    rep = " ".join(unescape(re.sub(r"<[^>]+>", " ", client.get("/cases/rus-prk-2024/report", params=params).text)).split())
    assert P.skill_ci(dev["skill"], dev["skill_lower"], dev["skill_upper"]) in rep


def _news_store(db):
    """A small news store: two RUS–PRK summit events (one article), a DPRK shell delivery, a US event that counts for
    no indicator."""
    import duckdb

    from pactwatch.events.store import COLUMNS, ensure
    from pactwatch.news.store import SCHEMA

    con = duckdb.connect(str(db))
    con.execute(SCHEMA)
    ensure(con)
    body = "Putin arrived in Pyongyang for a summit with Kim Jong Un. The two leaders met for talks."
    con.execute("insert into articles (article_id, title, pub_date, url, body) values (?, ?, ?, ?, ?)",
                ["a1", "Putin in Pyongyang", "2024-06-19", "https://example.org/putin-pyongyang", body])
    rows = [("e1", "2024-06-19", "RUS", "PRK", "042", 1, "Putin arrived in Pyongyang for a summit with Kim Jong Un.", "a1"),
            ("e2", "2024-06-19", "PRK", "RUS", "043", 1, "The two leaders met for talks.", "a1"),
            ("e3", "2024-10-02", "PRK", "RUS", "070", 2, "North Korea shipped artillery shells to Russia.", "a2"),
            ("e4", "2024-11-05", "USA", "PRK", "112", 3, "Washington criticised Pyongyang.", "a3")]
    for eid, d, s, t, code, q, ev, art in rows:
        vals = {c: None for c in COLUMNS}
        vals.update(event_id=eid, origin="pactwatch", event_date=d, source_country=s, target_country=t, code=code,
                    quad=q, evidence=ev, article_id=art, url=f"https://example.org/{art}")
        con.execute(f"insert into events ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
                    [vals[c] for c in COLUMNS])
    con.close()


def test_case_page_shows_what_the_news_says_from_the_store(data_dir, cases_dir, tmp_path):
    from pactwatch.monitor.indicators import load_indicators, monitor_series
    from pactwatch.news.store import connect

    db = tmp_path / "news.duckdb"
    _news_store(db)
    with TestClient(create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=db)) as c:
        page = c.get("/cases/rus-prk-2024", params={"as_of": AS_OF})
    assert page.status_code == 200, page.text
    sec = page.text.split('id="news-section"')[1].split("</section>")[0]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", sec)).split())
    assert "What the news says" in text and "4 events coded by pactwatch" in text and "2024-06 to 2024-11" in text
    # the news stops two years before the page's as-of date: said, not shown as quiet months
    assert "The latest coded news is from 2024-11, 24 months before the forecast date 2026-11-26" in text
    assert "data:image/png;base64," in sec
    # the counts are the monitor's series over the same store
    con = connect(db, read_only=True)
    try:
        series = monitor_series(con, load_indicators(cases_dir / "rus-prk-2024.yaml"))
    finally:
        con.close()
    by = {i["id"]: i for i in series["indicators"]}
    assert by["summits"]["total"] == 2 and by["arms-to-russia"]["total"] == 1
    for iid, ind in by.items():
        row = " ".join(unescape(re.sub(r"<[^>]+>", " ", sec.split(f'data-indicator="{iid}">')[1].split("</tr>")[0])).split())
        assert row.startswith(f"{ind['label']} {ind['total']} ")
    # the latest evidence, newest first, with the article's title and address from the store
    ev = " ".join(unescape(re.sub(r"<[^>]+>", " ", sec.split('id="news-evidence"')[1].split("</table>")[0])).split())
    assert ev.index("North Korea shipped artillery shells") < ev.index("Putin arrived in Pyongyang")
    assert "Putin in Pyongyang" in ev and 'href="https://example.org/a1"' in sec
    assert "Washington criticised" not in ev  # counts for no indicator (the index's events are not listed)
    assert "proposes no update" in text


def test_case_page_without_a_news_store_has_no_news_section(client):
    page = client.get("/cases/rus-prk-2024", params={"as_of": AS_OF})
    assert page.status_code == 200 and 'id="news-section"' not in page.text


def test_web_report_shows_each_proposed_update_and_how_far_it_moves_the_forecast(data_dir, cases_dir, tmp_path):
    """A ceasefire coded in the server's news store after the case's observed date: the web report's news section
    lists the proposed updates (both members' war ends) with the status-quo 5-year survival before and after."""
    import duckdb

    from pactwatch.events.store import COLUMNS, ensure
    from pactwatch.reports import present as P

    db = tmp_path / "news.duckdb"
    con = duckdb.connect(str(db))
    ensure(con)
    vals = {c: None for c in COLUMNS} | {
        "event_id": "cf1", "origin": "pactwatch", "event_date": "2026-11-27", "source_country": "RUS",
        "target_country": "UKR", "code": "0871", "quad": 2, "article_id": "a9", "url": "https://example.org/cf",
        "evidence": "Russia and Ukraine declared a ceasefire along the whole front line."}
    con.execute(f"insert into events ({', '.join(COLUMNS)}) values ({', '.join('?' * len(COLUMNS))})",
                [vals[c] for c in COLUMNS])
    con.close()
    with TestClient(create_app(data_dir=data_dir, cases_dir=cases_dir, news_db=db)) as c:
        page = c.get("/cases/rus-prk-2024", params={"as_of": AS_OF})
        rep = c.get("/cases/rus-prk-2024/report", params={"as_of": AS_OF})
    assert page.status_code == 200 and rep.status_code == 200, rep.text
    assert 'data-kind="war-ended"' in page.text.split('id="news-section"')[1]
    sec = rep.text.split('<section id="news">')[1].split("</section>")[0]
    rows = [" ".join(unescape(re.sub(r"<[^>]+>", " ", r.split("</tr>")[0])).split())
            for r in sec.split('data-kind="war-ended">')[1:]]
    assert len(rows) == 2 and "no longer at war" in rows[0] and "declared a ceasefire" in rows[0]
    cells = re.findall(r"(\d+%) (\d+%) ([+−]?[\d.]+) pts", rows[0])
    assert cells, rows[0]
    before, after, diff = cells[0]
    assert before != after and diff not in ("0", P.DASH)
