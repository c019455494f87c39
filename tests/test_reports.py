"""The HTML forecast report on the real rus-prk-2024 forecast: self-contained (nothing fetched, images embedded, no
script), the answer paragraph and tables carry the result's numbers, caveats and provenance are derived from the
model, case and data, values are escaped, and bad input gives a clear error."""
import json
import re
from html import unescape

import pytest
from tests.helpers.landmark import tiny_landmark
from tests.helpers.report import embedded_images, external_resources, scan, scenario_row
from scipy import stats

from pactwatch.data.registry import find_file
from pactwatch.errors import PactwatchError
from pactwatch.reports import render_html, render_report
from pactwatch.reports import present as P
from pactwatch.reports import report as R
from pactwatch.reports.charts import driver_rows
from pactwatch.scenarios import forecast as F

AS_OF = "2026-11-26"


@pytest.fixture(scope="module")
def typed(forecast_ctx, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # a home without a stored back-test, whatever the user's holds
        mp.setenv("PACTWATCH_HOME", str(tmp_path_factory.mktemp("fchome")))
        return F.forecast_case("rus-prk-2024", sims=100, as_of=AS_OF, ctx=forecast_ctx)


@pytest.fixture(scope="module")
def result(typed):
    return typed.to_json()


@pytest.fixture(scope="module")
def landmark(forecast_data, tmp_path_factory):
    """A small stored landmark back-test and the validation a forecast gets from it: (result, validation)."""
    return tiny_landmark(forecast_data, tmp_path_factory.mktemp("lmhome"))


@pytest.fixture(scope="module")
def bt(landmark):
    return landmark[1]


@pytest.fixture(scope="module")
def html(result, bt, tmp_path_factory):
    p = render_report(result, tmp_path_factory.mktemp("rep") / "sub" / "r.html", validation=bt)
    assert p.exists() and p.stat().st_size > 50_000
    return p.read_text(encoding="utf-8")


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_report_is_self_contained(html):
    assert external_resources(html) == []
    s = scan(html)
    assert "script" not in s.tags and "link" not in s.tags and "iframe" not in s.tags
    imgs = embedded_images(html)
    # survival, drivers, competing risks and (the case lists coding alternatives) the coding-sensitivity chart
    assert len(imgs) == 4 and all(b.startswith(b"\x89PNG\r\n\x1a\n") and len(b) > 10_000 for b in imgs)
    # publisher addresses appear as plain text in the provenance section only
    for m in re.finditer(r"https?://", html):
        assert html.rfind('id="provenance"', 0, m.start()) != -1, html[m.start() - 80:m.start() + 40]


def test_the_question_and_every_scenario_with_its_numbers(html, result):
    text = _text(html)
    assert "What happens to the North Korea–Russia alliance when the Ukraine war ends, or US policy changes?" in text
    assert result["case"]["question_source"].split("'")[0].strip() in text
    for s in result["scenarios"]:
        row = _text(scenario_row(html, s["name"]))
        assert s["label"] in row
        for x in s["survival"]:
            assert f"{100 * x['point']:.0f}% {100 * x['lower']:.0f}%–{100 * x['upper']:.0f}%" in row
        if s["name"] != "status-quo":
            d = s["vs_status_quo"][2]
            assert R.pts(d["point"]) + " pts" in row
    br = result["base_rate"]["survival"][2]
    assert f"{100 * br['estimate']:.0f}% [{100 * br['lower']:.0f}%–{100 * br['upper']:.0f}%]" in text


def test_answer_is_generated_from_the_numbers(result, bt):
    a = R.answer(result, bt)
    text, facts = a["text"], a["facts"]
    sq = result["scenarios"][0]
    assert sq["name"] == "status-quo"
    s5 = sq["survival"][2]
    assert s5["t"] == 5.0
    assert f"a {100 * s5['point']:.0f}% chance (90% interval {100 * s5['lower']:.0f}%–{100 * s5['upper']:.0f}%)" in text
    # the scenario that moves 5-year survival most, found independently
    best = max(result["scenarios"][1:], key=lambda s: abs(s["vs_status_quo"][2]["point"]))
    d = best["vs_status_quo"][2]
    assert facts["largest"]["name"] == best["name"]
    assert (f"“{best['label']}” moves 5-year survival most: it {'raises' if d['point'] > 0 else 'lowers'} it by "
            f"{R.pts_abs(d['point'])} percentage points (90% interval {R.pts(d['lower'])} to {R.pts(d['upper'])})") in text
    # on the real data, under the forecast specification chosen on the back-test (war lagged one year, "the formation
    # war ended 0-2 years ago"), ending the war lowers survival (docs/forecast-spec.md)
    we = next(s for s in result["scenarios"] if s["name"] == "war-ends")
    assert we["vs_status_quo"][2]["point"] < 0
    # scenarios whose difference interval includes zero are named as such, and only those
    null = [s["name"] for s in result["scenarios"][1:] if s is not best
            and s["vs_status_quo"][2]["lower"] <= 0 <= s["vs_status_quo"][2]["upper"]]
    assert facts.get("no_clear_effect", []) == null
    br = result["base_rate"]
    assert f"of {br['n_alliances']} similar alliances" in text and f"{100 * br['survival'][2]['estimate']:.0f}%" in text
    # the track record comes second, right after the forecast, with the skill figures of the stored back-test
    dev = next(x for x in bt["landmark"]["pooled"] if x["split"] == "development" and x["horizon"] == 5.0)
    assert facts["backtest"] == dev
    sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z“])", text)
    second = sentences[1]
    assert f"Brier skill {P.skill(dev['skill'])}, 90% interval {P.skill(dev['skill_lower'])} to " \
           f"{P.skill(dev['skill_upper'])}" in second
    assert ("did not beat the best baseline" in second or "did worse than" in second) == (dev["beats_best_baseline"] != "yes")
    later = next(x for x in bt["landmark"]["pooled"] if x["split"] == "later")
    assert f"on the later origins {later['origins'][0]}" in text and P.skill(later["skill"]) in text
    # different numbers give a different paragraph (nothing is hand-written)
    r2 = json.loads(json.dumps(result))
    r2["scenarios"][0]["survival"][2].update(point=0.4321, lower=0.3, upper=0.55)
    assert "a 43% chance (90% interval 30%–55%)" in R.answer(r2)["text"]


def test_driver_intervals_are_wald_intervals_of_the_contribution(result):
    rows = driver_rows(result, max_rows=100)
    z = stats.norm.ppf(0.95)
    se = {c["covariate"]: c["se"] for c in result["model"]["coefficients"]}
    assert rows and all(abs(r["value_now"] - r["reference"]) > 0 for r in rows)
    for r in rows:
        dx = r["value_now"] - r["reference"]
        assert r["log_hazard"] == pytest.approx(r["coef"] * dx)
        assert r["upper"] - r["lower"] == pytest.approx(2 * z * se[r["covariate"]] * abs(dx))
        assert r["lower"] <= r["log_hazard"] <= r["upper"]


def test_caveats_come_from_the_model_case_and_scenarios(html, result, bt):
    cv = {c["title"]: c["text"] for c in R.caveats(result, bt)}
    tw = f"Training window ends in {result['model']['info']['train_years'][1]}"  # 2011 with the chosen specification
    assert tw in cv and str(result["model"]["info"]["tv_rows_dropped_missing"]) in cv[tw]
    assert "Shared-rival coding" in cv and "observed.members.731.rivals" in cv["Shared-rival coding"]
    assert "What the status quo assumes" in cv and "constant yearly chance" in cv["What the status quo assumes"]
    assert "any-end" in cv["Event definition"]
    assert cv["Track record"].startswith("The landmark back-test (specification " + bt["spec_hash"][:12])
    assert f"{bt['landmark']['counts']['scored']:,} alliance-origins" in cv["Track record"]
    unc = [k for k in cv if k.endswith("case values are judgements or secondary reporting")]
    assert unc == [f"{len(result['case']['uncertain_values'])} case values are judgements or secondary reporting"]
    text = _text(html)
    for path in result["case"]["uncertain_values"]:
        assert path in text
    # each uncertain value's source comes from the case file
    u = {x["path"]: x for x in R.uncertain_values(result)}
    assert "TSS rivalries" in u["observed.members.731.rivals"]["source"]
    assert u["observed.members.731.rivals"]["value"] == [732]  # TSS 2020; the US/Japan judgement only in the note


def test_provenance_names_datasets_with_sha256_model_and_run(html, result):
    text = _text(html)
    prov = R.provenance(result)
    assert {d["table"] for d in prov["datasets"]} == set(result["model"]["data"])
    for d in prov["datasets"]:
        assert d["sha256"] == result["model"]["data"][d["table"]] and d["sha256"] in text
        assert d["registry_match"] is (d["sha256"] == find_file(d["table"]).sha256) and d["registry_match"]
    import pactwatch

    for s in (f"pactwatch {pactwatch.__version__}", AS_OF, "100 (seed 0", "ATOP", "5.1", "fitted",
              result["model"]["info"]["fitted_at"], result["event"]["description"]):
        assert s in text, s
    assert prov["case"]["sha256"] and prov["case"]["sha256"] in text


def test_report_from_the_typed_result_is_the_report_from_its_json(typed, result, bt):
    from pactwatch.scenarios.result import Validation

    typed2 = typed.model_copy(update={"validation": Validation.model_validate(bt)})
    strip = lambda h: re.sub(r"<dd>[^<]*T\d\d:\d\d:\d\d[^<]*</dd>", "", h)  # noqa: E731 - generated-at time
    assert strip(render_html(typed2)) == strip(render_html(result, bt))


def test_values_are_escaped(result, bt):
    r2 = json.loads(json.dumps(result))
    r2["case"]["name"] = "<script>alert(1)</script> & Co"
    r2["scenarios"][1]["label"] = '"><img src=https://evil.example/x.png>'
    h = render_html(r2, bt)
    assert "<script>" not in h and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in h
    assert external_resources(h) == [] and "&#34;&gt;&lt;img src=https://evil.example/x.png&gt;" in h
    assert len(embedded_images(h)) == 4  # survival, competing risks, drivers, coding sensitivity


def test_bad_input_is_named(result, bt, tmp_path):
    with pytest.raises(PactwatchError, match="pactwatch.forecast/2"):
        render_report({"schema": "something/else"}, tmp_path / "x.html")
    bad = dict(bt, landmark=dict(bt["landmark"], event="death"))
    with pytest.raises(PactwatchError, match="same event definition"):
        render_report(result, tmp_path / "x.html", validation=bad)
    with pytest.raises(PactwatchError, match="pactwatch.backtest/1"):  # the old 4-case back-test is not a validation
        render_report(result, tmp_path / "x.html", validation={"schema": "pactwatch.backtest/1", "cases": []})
    with pytest.raises(PactwatchError, match="is a directory"):
        render_report(result, tmp_path, validation=bt)
    r2 = dict(result)
    r2.pop("base_rate")
    with pytest.raises(PactwatchError, match="'base_rate'"):
        render_report(r2, tmp_path / "x.html")
    # without a stored back-test the report says so, and how to compute it (the test home has none)
    assert result["validation"]["status"] == "not computed"
    h = _text(render_html(result))
    assert "No landmark back-test is stored" in h and "pactwatch backtest" in h and "No back-test" in h
    assert "How far to trust this is unknown" in R.answer(result)["text"].split(". ")[1]


def test_the_resource_scan_finds_what_a_browser_would_fetch():
    page = ('<html><head><style>body{background:url("https://a.example/b.png")} @import "x.css";</style>'
            '<link rel="stylesheet" href="//cdn.example/s.css"></head><body><img src="http://a.example/i.png">'
            '<img src="data:image/png;base64,iVBORw0KGgo="><p>see https://www.atopdata.org/ (text)</p></body></html>')
    found = external_resources(page)
    assert len(found) == 4 and any("cdn.example" in f for f in found) and any("i.png" in f for f in found)
    assert any("url(https://a.example/b.png)" in f for f in found) and any("@import" in f for f in found)


def test_formatting_helpers():
    assert R.pct(0.789) == "79%" and R.pct(None) == "–"
    assert R.pts(0.088) == "+9" and R.pts(-0.0013) == "−0.1" and R.pts(0.0) == "0" and R.pts(-0.03) == "−3"
    assert R.median_text({"point": None, "lower": None, "upper": None, "horizon": 10.0}) == "> 10 y"
    assert R.median_text({"point": None, "lower": 8.23, "upper": None, "horizon": 10.0}) == "> 10 y [8.2, > 10]"
    assert R.median_text({"point": 6.25, "lower": 4.1, "upper": 9.0, "horizon": 10.0}) == "6.2 y [4.1, 9.0]"


def test_cli_report_option(forecast_ctx, bt, monkeypatch, tmp_path, data_dir):
    import typer
    from typer.testing import CliRunner

    from pactwatch.cli.forecast import forecast
    from pactwatch.scenarios import landmark_store as LS

    monkeypatch.setattr(F, "context", lambda *a, **k: forecast_ctx)
    monkeypatch.setattr(LS, "validation", lambda *a, **k: bt)  # as if the back-test were stored
    app = typer.Typer()
    app.command("forecast")(forecast)
    app.command("noop")(lambda: None)
    out = tmp_path / "deep" / "rep.html"
    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "-s", "war-ends", "--sims", "40", "--as-of", AS_OF,
                                 "--json", "--report", str(out), "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    from pactwatch.scenarios.result import Validation

    # the back-test the report shows is the result's validation (in its typed JSON form)
    assert res["validation"] == Validation.model_validate(bt).model_dump(mode="json")
    h = out.read_text(encoding="utf-8")
    assert bt["landmark"]["pooled"][0]["best_baseline_label"] in _text(h)
    assert external_resources(h) == [] and "40 (seed 0" in _text(h)
    for s in res["scenarios"]:
        row = _text(scenario_row(h, s["name"]))
        assert f"{100 * s['survival'][2]['point']:.0f}%" in row
    r = CliRunner().invoke(app, ["forecast", "--backtest", "--report", str(out), "--data-dir", str(data_dir)])
    assert r.exit_code != 0 and "not with --backtest" in str(r.exception)


def test_small_backtest_is_compared_with_the_better_of_base_rate_and_a_constant_half():
    # the 4-case back-test of issue 12: Brier 0.440 is worse than always saying 50% (0.25), whatever the base rate
    bad = {"t": 5.0, "n_cases": 4, "model": 0.440, "base_rate": 0.45}
    assert R.small_backtest_reference(bad) == {"best": 0.25, "best_label": "always saying 50%", "beats": False}
    assert R.small_backtest_reference({**bad, "base_rate": 0.2})["best_label"] == "the base rate"
    assert R.small_backtest_reference({**bad, "model": 0.1})["beats"] is True
    assert R.small_backtest_reference({**bad, "base_rate": None})["best"] == 0.25


def test_backtest_section_replaces_the_four_case_table(html, bt):
    text = _text(html)
    assert 'id="backtest-table"' in html and "brier-table" not in html
    for x in bt["landmark"]["pooled"]:
        assert P.skill_ci(x["skill"], x["skill_lower"], x["skill_upper"]) in text
        assert P.VERDICT_WORDS[x["beats_best_baseline"]] in text
    # the subgroup table holds every subgroup and, in the Soviet row, the named treaties as illustrations
    for lab in bt["landmark"]["subgroup_labels"].values():
        assert lab in text
    for i in bt["landmark"]["illustrations"]:
        assert f"ATOP {i['atopid']} {i['name']} (formed {i['formed']})" in text
    # the Soviet/Russian treaties sit in their subgroup's rows; China–DPRK 1961 (a case file) in a row of its own
    tabs = P.backtest_tables(bt)
    ill: dict = {}
    for r in tabs["subgroups"]["5"]:  # development and later rows
        ill.setdefault(r["key"], set()).update(i["atopid"] for i in r["illustrations"])
    assert 3440 in ill["soviet_bilateral_since_1945"] and 3445 not in ill["soviet_bilateral_since_1945"]
    assert ill["other_named"] == {3445}


def test_answer_says_first_when_the_model_does_not_beat_the_best_baseline(result, bt):
    v = json.loads(json.dumps(bt))
    dev = next(x for x in v["landmark"]["pooled"] if x["split"] == "development")
    for verdict, words in (("not distinguishable", "did not beat the best baseline"), ("no", "did worse than"),
                           ("yes", "beat the best baseline")):
        dev["beats_best_baseline"] = verdict
        second = re.split(r"(?<=[.!?])\s+(?=[A-Z“])", R.answer(result, v)["text"])[1]
        assert words in second
        assert second.startswith("Read it with caution") == (verdict != "yes")


def test_small_backtest_printout_compares_with_always_saying_half(capsys):
    """`pactwatch forecast --backtest` (the four named cases) never calls the model better than the base rate when
    always saying 50% scores better than both: the printout names the best reference and says "no better"."""
    from pactwatch.cli.forecast import render_backtest

    res = {"event": "any-end", "cases": [], "note": "four cases",
           "brier": [{"t": 5.0, "n_cases": 4, "model": 0.440, "base_rate": 0.539},
                     {"t": 10.0, "n_cases": 4, "model": 0.2, "base_rate": 0.4}]}
    render_backtest(res)
    out = " ".join(capsys.readouterr().out.split())
    assert "model 0.440 (base rate 0.539, always saying 50% 0.250): no better than always saying 50%" in out
    assert "model 0.200 (base rate 0.400, always saying 50% 0.250): better than always saying 50%" in out


def test_report_opens_with_the_question_and_its_resolution(html, result):
    """The first section is the question, then how it is resolved (criteria, continuation, dates) with each
    scenario's probability on each date, before the answer and the scenario table."""
    import numpy as np

    res = result["case"]["resolution"]
    assert res and res["dates"] == ["2029-12-31", "2034-12-31"]
    pos = {k: html.index(k) for k in ('id="question"', 'id="resolution"', 'id="resolution-ends"',
                                      'id="resolution-table"', 'id="answer"', 'id="scenarios"')}
    assert list(pos) == sorted(pos, key=pos.get), pos
    body = html[html.index("<main>"):]
    assert body.index('id="question"') < body.index("<h2") + 200  # nothing before the question
    text = _text(html[pos['id="resolution"']:pos['id="answer"']])
    for c in res["ends"] + res["continues"]:
        assert " ".join(c["text"].split()) in text
    assert "2029-12-31, 2034-12-31" in text and "understates survival" in text  # any-end vs "a successor treaty continues"
    for s in result["scenarios"]:
        pts_ = s["at_resolution"]
        assert [p["date"] for p in pts_] == res["dates"] and all(p["within_horizon"] for p in pts_)
        for p in pts_:  # read off the curve, in the library
            assert p["point"] == pytest.approx(np.interp(p["t"], s["curve"]["t"], s["curve"]["point"]))
        cells = [P.pct_ci(p["point"], p["lower"], p["upper"]) for p in pts_]
        assert f"{s['label']} {' '.join(cells)}" in text, (s["label"], cells)
    sq = R.status_quo(result)
    assert sq["at_resolution"][0]["point"] >= sq["at_resolution"][1]["point"]
