"""Forecasts on the real data: rus-prk-2024 end to end, scenario directions from the fitted model, analogues against a
brute-force search, and a back-test that sees no data after the case's formation year."""
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pactwatch.scenarios import forecast as F
from pactwatch.scenarios.analogues import FEATURES, analogues
from pactwatch.scenarios.backtest import backtest
from pactwatch.scenarios.cases import load_case, resolve
from pactwatch.scenarios.result import SCHEMA, ForecastResult, json_schema
from pactwatch.scenarios.training import training_rows

REPO = Path(__file__).resolve().parents[1]

AS_OF = "2026-11-26"


@pytest.fixture(scope="module")
def typed(forecast_ctx):
    return F.forecast_case("rus-prk-2024", sims=200, as_of=AS_OF, ctx=forecast_ctx)


@pytest.fixture(scope="module")
def result(typed):
    return typed.to_json()


def test_rus_prk_end_to_end(result, forecast_ctx):
    r = result
    assert r["schema"] == SCHEMA and r["as_of"] == AS_OF and r["times"] == [1.0, 3.0, 5.0, 10.0]
    json.dumps(r, allow_nan=False)  # JSON-ready, no NaN
    assert r["case"]["age_at_as_of"] == pytest.approx((pd.Timestamp(AS_OF) - pd.Timestamp("2024-12-04")).days / 365.25)
    names = [s["name"] for s in r["scenarios"]]
    assert names[0] == "status-quo"
    assert {"war-ends", "us-retrenchment", "trilateral-strengthens", "leader-change", "power-shift"} <= set(names)
    now = r["covariates"]["now"]
    # TSS (to 2020, carried as a hand value) lists no rival Russia and the DPRK share: 0 shared rivals (the US and
    # Japan as DPRK rivals are an analyst judgement, kept out of the data-coded covariate)
    assert now["any_at_war_cow_ucdp_lag1"] == 1 and now["shared_rivals_lag1"] == 0 and now["asymmetric"] == 1 and now["defense"] == 1
    assert now["bilateral"] == 1 and now["dem_share"] == 0 and now["renounce_clause"] == 1
    for s in r["scenarios"]:
        pts = [x["point"] for x in s["survival"]]
        assert all(b <= a + 1e-12 for a, b in zip(pts, pts[1:]))
        for x in s["survival"]:
            assert 0 <= x["lower"] <= x["point"] <= x["upper"] <= 1
        assert len(s["drivers"]) == len(forecast_ctx.model.covariates)
    br = r["base_rate"]
    assert br["n_alliances"] >= 20 and all(x["estimate"] is not None for x in br["survival"])
    assert len(r["analogues"]["rows"]) == 8


def _sq(r, name, t=5.0):
    s = next(s for s in r["scenarios"] if s["name"] == name)
    return next(x["point"] for x in s["survival"] if x["t"] == t)


def test_scenario_directions_follow_fitted_signs(result, forecast_ctx):
    coef = dict(zip(forecast_ctx.model.covariates, forecast_ctx.model.coef))
    base = _sq(result, "status-quo")
    # war ends (the forecast specification lags war one year and adds "the formation war ended 0-2 years ago"):
    # the lagged war status and its interaction with wartime formation go 1 -> 0, war_ended_0_2_lag1 0 -> 1 for three
    # years; the net direction depends on the fitted coefficients together, so the path is checked, not a sign
    assert result["covariates"]["now"]["at_war_cow_ucdp_x_wartime_lag1"] == 1
    we = next(s for s in result["scenarios"] if s["name"] == "war-ends")
    assert we["path"][-1]["any_at_war_cow_ucdp_lag1"] == 0 and we["path"][-1]["at_war_cow_ucdp_x_wartime_lag1"] == 0
    assert any(p["war_ended_0_2_lag1"] == 1 for p in we["path"])
    # US retrenchment: the US is no shared TSS rival, so shared_rivals stays 0 on the path (the model cannot see it);
    # trilateral: 0 -> 2 (South Korea and Japan become rivals of both)
    us = next(s for s in result["scenarios"] if s["name"] == "us-retrenchment")
    assert all(p["shared_rivals_lag1"] == 0 for p in us["path"])
    tri = next(s for s in result["scenarios"] if s["name"] == "trilateral-strengthens")
    assert tri["path"][-1]["shared_rivals_lag1"] == 2
    assert np.sign(_sq(result, "trilateral-strengthens") - base) == -np.sign(coef["shared_rivals_lag1"])
    assert np.sign(_sq(result, "leader-change") - base) == -np.sign(coef["any_leader_change_lag1"])


def _brute(forecast_data, x, exclude, k):
    a = forecast_data.eval.alliances.copy()
    a["post1945"] = (a["begyr"] >= 1945).astype(float)
    a = a[a["atopid"] != exclude].dropna(subset=list(FEATURES))
    d2 = pd.Series(0.0, index=a.index)
    for f in FEATURES:
        sd = a[f].std(ddof=0)
        if sd > 0:
            d2 += ((a[f] - x[f]) / sd) ** 2
    a["d"] = np.sqrt(d2)
    return a.sort_values(["d", "atopid"]).head(k)


@pytest.mark.parametrize("name, when", [("rus-prk-2024", AS_OF), ("ussr-prk-1961", "1961-07-06")])
def test_analogues_are_true_k_nearest(forecast_data, name, when):
    rc = resolve(load_case(name), forecast_data, pd.Timestamp(when))
    an = analogues(forecast_data, rc, k=8)
    ids = [r["atopid"] for r in an["rows"]]
    assert rc.atopid not in ids
    ref = _brute(forecast_data, an["case_features"], rc.atopid, 8)
    assert ids == ref["atopid"].tolist()
    assert np.allclose([r["distance"] for r in an["rows"]], ref["d"].to_numpy())
    if rc.atopid is not None:  # an ATOP case's own features are its ATOP formation values
        row = forecast_data.eval.alliances.set_index("atopid").loc[rc.atopid]
        assert an["case_features"]["defense"] == row["defense"] and an["case_features"]["shared_rival"] == row["shared_rival"]


def test_published_schema_is_the_generated_one():
    committed = json.loads((REPO / "docs" / "forecast.schema.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(json_schema())), \
        "docs/forecast.schema.json is stale: regenerate it from pactwatch.scenarios.result.json_schema()"


def test_real_result_validates_against_the_published_schema(typed, result):
    jsonschema_rs = pytest.importorskip("jsonschema_rs")
    schema = json.loads((REPO / "docs" / "forecast.schema.json").read_text(encoding="utf-8"))
    v = jsonschema_rs.validator_for(schema)
    assert not list(v.iter_errors(result))
    # the schema is not vacuous: a result missing a field, or with a survival point out of type, fails
    broken = json.loads(json.dumps(result))
    del broken["scenarios"][0]["survival"][0]["upper"]
    assert list(v.iter_errors(broken))
    broken = json.loads(json.dumps(result))
    broken["provenance"]["seed"] = "zero"
    assert list(v.iter_errors(broken))
    # the JSON form reads back into the same typed result
    assert ForecastResult.model_validate(result) == typed


def test_provenance_names_data_model_and_run(typed, forecast_ctx):
    p = typed.provenance
    assert p.as_of == AS_OF and p.seed == 0 and p.n_sims == 200
    assert p.data == forecast_ctx.data.fingerprint and p.data and all(len(v) == 64 for v in p.data.values())
    assert p.model_version == F.model_version() and p.model_version.startswith("forecast-")
    assert len(p.case_sha256) == 64 and {"status-quo", "war-ends"} <= set(p.scenarios_sha256)


def test_library_errors_speak_library_terms(forecast_ctx):
    from pactwatch.errors import PactwatchError

    for kwargs, term in (({"as_of": "not a date"}, "as-of date"), ({"sims": 3}, "Monte Carlo draws"),
                         ({"horizon": 100}, "horizon"), ({"seed": -1}, "random seed")):
        with pytest.raises(PactwatchError) as e:
            F.forecast_case("rus-prk-2024", ctx=forecast_ctx, **{"as_of": AS_OF, **kwargs})
        assert term in str(e.value) and "--" not in str(e.value)


def test_backtest_uses_no_later_data(forecast_data):
    res = backtest(["ussr-prk-1961", "egy-ussr-1971"], n_sims=100, data=forecast_data, use_cache=False).to_json()
    al = forecast_data.eval.alliances.set_index("atopid")
    for c in res["cases"]:
        Y = c["cutoff"]
        assert Y == al.loc[c["atopid"], "begyr"]
        assert c["train_years"][1] <= Y
        rows, info = training_rows(forecast_data, cutoff=Y, exclude=[c["atopid"]])
        yrs = (al["begin"].reindex(rows["atopid"]).reset_index(drop=True)
               + pd.to_timedelta(rows["start"].to_numpy() * 365.25 + 0.5, unit="D")).dt.year
        assert yrs.max() <= Y
        assert c["atopid"] not in set(rows["atopid"])
        assert al.loc[rows["atopid"].unique(), "begyr"].max() <= Y
        ended = rows.loc[rows["event"] == 1, "atopid"]
        assert (al.loc[ended, "end"] <= pd.Timestamp(year=Y, month=12, day=31)).all()
    # outcomes from ATOP and the Brier score recomputed by hand
    by = {c["case"]: c for c in res["cases"]}
    assert [x["actual_survived"] for x in by["ussr-prk-1961"]["by_t"]] == [1.0, 1.0]
    assert [x["actual_survived"] for x in by["egy-ussr-1971"]["by_t"]] == [0.0, 0.0]
    for k, b in enumerate(res["brier"]):
        pr = [(c["by_t"][k]["predicted"] - c["by_t"][k]["actual_survived"]) ** 2 for c in res["cases"]]
        assert b["model"] == pytest.approx(np.mean(pr)) and b["n_cases"] == 2


def test_cli_json_and_errors(forecast_ctx, monkeypatch, tmp_path, data_dir):
    import typer
    from typer.testing import CliRunner

    from pactwatch.cli.forecast import forecast

    monkeypatch.setattr(F, "context", lambda *a, **k: forecast_ctx)
    app = typer.Typer()
    app.command("forecast")(forecast)
    app.command("noop")(lambda: None)
    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "-s", "war-ends", "--sims", "40", "--as-of", AS_OF,
                                 "--json", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert [s["name"] for s in out["scenarios"]] == ["status-quo", "war-ends"] and out["n_sims"] == 40
    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "--sims", "40", "--as-of", AS_OF, "--data-dir",
                                 str(data_dir), "-s", "war-ends"])
    assert r.exit_code == 0 and "Status quo" in r.stdout and "Historical analogues" in r.stdout
    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "-s", "no-such", "--data-dir", str(data_dir)])
    assert r.exit_code != 0 and "unknown scenario" in str(r.exception)
    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "--as-of", "2023-01-01", "--data-dir", str(data_dir)])
    assert "before the alliance's entry into force" in str(r.exception)
    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "--as-of", "someday", "--data-dir", str(data_dir)])
    assert r.exit_code != 0 and str(r.exception).startswith("--as-of: expected a date")  # the CLI names its flag
