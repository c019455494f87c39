"""The landmark back-test (pactwatch.scenarios.landmark): no leakage, the forecast's own code path, baselines,
outcomes, origins, the ledger and the CLI."""
import copy
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.models import evaluation as E
from pactwatch.scenarios import landmark as L
from pactwatch.scenarios import shocks as SH
from pactwatch.scenarios import training
from pactwatch.scenarios.cases import resolve
from pactwatch.scenarios.engine import Engine

T = 1970


def _altered_after(data, T: int, seed: int = 0):
    """A copy of the forecast data in which every record after 31 Dec T is changed: later end dates moved or removed,
    alliance-years after T scrambled, alliances formed after T dropped and new ones formed after T added."""
    rng = np.random.default_rng(seed)
    cut = pd.Timestamp(year=T, month=12, day=31)
    d = copy.copy(data)
    a = data.eval.alliances.copy()
    late_end = a["end"] > cut
    # endings after T: half never end, half end at another date after T (still after T)
    flip = late_end & (rng.random(len(a)) < 0.5)
    a.loc[flip, "end"] = pd.NaT
    a.loc[flip, "event"] = 0
    a.loc[late_end & ~flip, "end"] = cut + pd.Timedelta(days=40)
    a.loc[late_end & ~flip, "event"] = 1
    a = a[a["begin"] <= cut]
    new = a.sample(15, random_state=seed).copy()
    new["atopid"] = new["atopid"] + 900000
    new["begin"] = cut + pd.Timedelta(days=200)
    new["begyr"] = T + 1
    new["end"] = cut + pd.Timedelta(days=900)
    new["event"] = 1
    a = pd.concat([a, new], ignore_index=True)
    y = data.eval.years.copy()
    y = y[y["atopid"].isin(a["atopid"])]
    late = y["year"] > T
    for c in training.TIME_VARYING:
        y.loc[late, c] = rng.integers(0, 3, int(late.sum())).astype(float)
    ny = pd.DataFrame({"atopid": np.repeat(new["atopid"].to_numpy(), 2), "year": np.tile([T + 1, T + 2], len(new))})
    for c in training.TIME_VARYING:
        ny[c] = 1.0
    y = pd.concat([y, ny], ignore_index=True)
    d.eval = E.EvaluationData(alliances=a.reset_index(drop=True), years=y.reset_index(drop=True), spec=data.eval.spec,
                              log=data.eval.log)
    d.fingerprint = {**data.fingerprint, "altered": "yes"}
    return d


def _same_fit(f1, f2):
    np.testing.assert_allclose(f1.coef, f2.coef, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(f1.variance, f2.variance, rtol=1e-8, atol=1e-12)
    pd.testing.assert_series_equal(f1.baseline, f2.baseline)
    assert f1.max_time == f2.max_time


def test_fit_at_origin_unchanged_when_records_after_origin_change(forecast_data):
    f0, _ = training.fit(forecast_data, "any-end", cutoff=T, use_cache=False)
    alt = _altered_after(forecast_data, T)
    f1, _ = training.fit(alt, "any-end", cutoff=T, use_cache=False)
    _same_fit(f0, f1)
    # removing every record after T entirely gives the same fit too
    a = forecast_data.eval.alliances
    cut = pd.Timestamp(year=T, month=12, day=31)
    gone = copy.copy(forecast_data)
    aa = a[a["begin"] <= cut].copy()
    later = aa["end"] > cut
    aa.loc[later, "end"] = pd.NaT
    aa.loc[later, "event"] = 0
    # evaluation.split_at (which training.fit goes through) refuses a cut-off with no later alliance that ends, so one
    # placeholder alliance formed after T stays (a copy of an early one, with no alliance-years)
    ph = aa.dropna(subset=list(training.FORMATION)).iloc[[0]]
    ph = ph.assign(atopid=999999, begin=cut + pd.Timedelta(days=10), begyr=T + 1, end=cut + pd.Timedelta(days=20), event=1)
    aa = pd.concat([aa, ph], ignore_index=True)
    yy = forecast_data.eval.years
    gone.eval = E.EvaluationData(alliances=aa.reset_index(drop=True),
                                 years=yy[(yy["year"] <= T) & yy["atopid"].isin(aa["atopid"])].reset_index(drop=True),
                                 spec=forecast_data.eval.spec, log=forecast_data.eval.log)
    f2, _ = training.fit(gone, "any-end", cutoff=T, use_cache=False)
    _same_fit(f0, f2)
    # and the baselines at T see nothing after T either
    tg = L.in_force_at(forecast_data, T)
    b0, _ = L.baselines_at(forecast_data, T, tg, [5.0, 10.0], "any-end")
    b1, _ = L.baselines_at(alt, T, tg, [5.0, 10.0], "any-end")
    pd.testing.assert_frame_equal(b0, b1)


def test_leakage_check_can_fail(forecast_data):
    """The comparison above is sensitive: changing a record *before* the origin changes the fit."""
    f0, _ = training.fit(forecast_data, "any-end", cutoff=T, use_cache=False)
    d = copy.copy(forecast_data)
    a = forecast_data.eval.alliances.copy()
    cut = pd.Timestamp(year=T, month=12, day=31)
    i = a.index[(a["begin"] < cut - pd.Timedelta(days=3000)) & (a["end"] > cut)][0]
    a.loc[i, "end"] = cut - pd.Timedelta(days=100)
    a.loc[i, "event"] = 1
    d.eval = E.EvaluationData(alliances=a, years=forecast_data.eval.years, spec=forecast_data.eval.spec,
                              log=forecast_data.eval.log)
    f1, _ = training.fit(d, "any-end", cutoff=T, use_cache=False)
    assert not np.allclose(f0.coef, f1.coef)


def test_prediction_equals_the_forecast_status_quo(forecast_data):
    from pactwatch.scenarios import forecast as F
    from pactwatch.scenarios.cases import load_scenarios, resolve
    from pactwatch.scenarios.schema import Case

    fm, _ = training.fit(forecast_data, "any-end", cutoff=1975, use_cache=False)
    day = L.as_of_date(1975)
    for aid in (3440, 3670):  # USSR–DPRK 1961, USSR–Egypt 1971, both in force on 31 Dec 1975
        got = L.predict_alliance_at(forecast_data, fm, aid, day, [5.0, 10.0], oracle=True)
        rc = resolve(Case(id="x", name="x", kind="atop", atopid=aid), forecast_data, day)
        res, a0 = F.run_scenarios(rc, fm, load_scenarios(), ["status-quo"], as_of=day, horizon=10.0, n_sims=50,
                                  level=0.9, seed=0, times=(5.0, 10.0),
                                  path_inputs=training.path_inputs(forecast_data, rc, day, fm.covariates))
        want = {s["t"]: s["point"] for s in res[0]["survival"]}
        assert got["a0"] == pytest.approx(a0)
        assert got["status_quo"][5.0] == pytest.approx(want[5.0], rel=1e-12)
        assert got["status_quo"][10.0] == pytest.approx(want[10.0], rel=1e-12)
        assert 0 < got["oracle"][5.0] <= 1
    # an origin after the war data's end cannot be resolved from the data: a clear error, not a guess
    with pytest.raises(PactwatchError, match="after the war data end"):
        L.predict_alliance_at(forecast_data, fm, 4940, L.as_of_date(2009), [5.0])


def _tiny():
    al = pd.DataFrame({
        "atopid": [1, 2, 3, 4, 5],
        "begin": pd.to_datetime(["1950-01-01", "1950-01-01", "1958-01-01", "1955-01-01", "1961-06-01"]),
        "end": pd.to_datetime(["1952-01-01", "1965-01-01", None, "1959-01-01", None]),
        "event": [1, 1, 0, 1, 0], "event_atop": [1, 1, 0, 1, 0], "cause": [1, 1, 0, 1, 0],
        "defense": [1, 1, 0, 0, 1], "offense": [0] * 5, "neutral": [0, 0, 1, 1, 0], "nonagg": [0] * 5, "consul": [0] * 5})
    al["begyr"] = al["begin"].dt.year
    return SimpleNamespace(eval=SimpleNamespace(alliances=al))


def test_baselines_on_a_tiny_frame():
    d = _tiny()
    tg = L.in_force_at(d, 1960)  # alliances 2 (age 11, defence) and 3 (age 3, neutrality)
    assert tg["atopid"].tolist() == [2, 3]
    b, info = L.baselines_at(d, 1960, tg, [5.0], "any-end")
    y = lambda a, b_: (pd.Timestamp(b_) - pd.Timestamp(a)).days / 365.25
    # reference at 1960 (alliance 5 formed later is invisible): events at ages 2.0 (id 1) and 4.0 (id 4);
    # alliance 2 censored at 11.0, alliance 3 censored at 3.0
    assert info["reference_alliances"] == 4 and info["reference_events"] == 2
    a3 = y("1958-01-01", "1960-12-31")
    # km_all for alliance 3 (age ~3): event at age ~4.0 with {2, 4} at risk -> 1/2
    assert b.loc[1, "km_all_5"] == pytest.approx(0.5)
    # alliance 2 (age ~11): nobody at risk after it -> undefined, set to 1 and counted
    assert b.loc[0, "km_all_5"] == 1.0 and info["baseline_undefined"]["km_all"] == 1
    # class: neutrality alliances {3, 4}: event at 4.0 with only 4 at risk after age a3 (3 censored at a3) -> 0
    assert b.loc[1, "km_class_5"] == pytest.approx(0.0)
    # constant hazard, 1951-1960: event of 4 (1959) and 1 (1952, within the window); exposure from 1 Jan 1951
    expo = y("1951-01-01", "1952-01-01") + y("1951-01-01", "1960-12-31") + a3 + y("1955-01-01", "1959-01-01")
    assert info["recent_10y_events"] == 2
    assert b.loc[0, "const_10y_5"] == pytest.approx(np.exp(-2 / expo * 5))
    # last 30 years (from 1 Jan 1931) includes all of them here
    assert b.loc[1, "km_30y_5"] == pytest.approx(0.5)


def test_outcomes_known_and_survival():
    d = _tiny()
    tg = L.in_force_at(d, 1960)
    o = L.outcomes_at(tg, 1960, 3.0, "any-end")
    assert o["survived"].tolist() == [1.0, 1.0] and o["known"].all()  # both in force on 31 Dec 1963
    o5 = L.outcomes_at(tg, 1960, 5.0, "any-end")
    assert o5["survived"].tolist() == [0.0, 1.0]  # alliance 2 ended on 1 Jan 1965, before 31 Dec 1965
    o10 = L.outcomes_at(tg, 1960, 10.0, "any-end")
    assert o10["survived"].tolist() == [0.0, 1.0] and o10["event_in_window"].tolist() == [1, 0]
    assert o10["time"].iloc[0] == pytest.approx((pd.Timestamp("1965-01-01") - pd.Timestamp("1960-12-31")).days / 365.25)
    # an ending that is not an event (a replacement under 'death') before the horizon: outcome unknown, censored
    tg2 = tg.assign(cause=[3, 0])
    o2 = L.outcomes_at(tg2, 1960, 10.0, "death")
    assert (not o2["known"].iloc[0]) and np.isnan(o2["survived"].iloc[0]) and o2["event_in_window"].iloc[0] == 0


def test_origins_respect_the_data_ends():
    o, notes = L.origins_for([5.0, 10.0], 1950, None, 1)
    assert o[5.0][0] == 1950 and o[5.0][-1] == 2007 and o[10.0][-1] == 2007
    assert any("2008–2013" in n and "COW inter-state war data end in 2007" in n for n in notes)
    assert any(n.startswith("horizon 10: origin 2008 dropped") for n in notes)
    o2, _ = L.origins_for([5.0], 1950, 1990, 5)
    assert o2[5.0] == [1950, 1955, 1960, 1965, 1970, 1975, 1980, 1985, 1990]
    with pytest.raises(PactwatchError):
        L.origins_for([5.0], 1950, None, 0)


def test_spec_hash_is_stable_and_sensitive():
    o, _ = L.origins_for([5.0], 1960, 1962, 1)
    a, b = L.frozen_spec("any-end", [5.0], o, 1990), L.frozen_spec("any-end", [5.0], o, 1990)
    assert a["hash"] == b["hash"] and len(a["hash"]) == 64
    assert L.frozen_spec("death", [5.0], o, 1990)["hash"] != a["hash"]
    assert L.frozen_spec("any-end", [5.0], o, 1980)["hash"] != a["hash"]


def test_ledger_counts_looks_and_rejects_a_broken_file():
    o, _ = L.origins_for([5.0], 1960, 1962, 1)
    spec = L.frozen_spec("any-end", [5.0], o, 1990)
    assert L.read_ledger()["later_looks_total"] == 0
    L.record_look(spec, [1991, 2007])
    d = L.record_look(spec, [1991, 2007])
    # this machine's two looks, on top of the project's committed record of every look (docs/backtest-looks.json)
    n0 = len(L.project_looks())
    assert n0 >= 8 and d["later_looks_total"] == n0 + 2 and d["looks_this_spec"] == 2
    L.ledger_path().write_text("{not json")
    with pytest.raises(PactwatchError, match="ledger"):
        L.read_ledger()


def test_cli_backtest_json_counts_the_later_look(data_dir, tmp_path):
    import typer
    from typer.testing import CliRunner

    from pactwatch.cli.backtest import backtest_cmd

    app = typer.Typer()
    app.command("backtest")(backtest_cmd)
    app.command("other")(lambda: None)
    r = CliRunner().invoke(app, ["backtest", "--start", "1979", "--end", "1980", "--horizons", "5", "--boot", "10",
                                 "--dev-end", "1979", "--json", "--plots", str(tmp_path / "p"), "--no-oracle",
                                 "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert set(out["scores"]["splits"]) == {"development", "later"}
    assert out["scores"]["splits"]["development"]["origins"] == [1979, 1979]
    assert out["later_origins"]["times_scored_total"] == len(L.project_looks()) + 1
    assert (tmp_path / "p" / "reliability_development_5y.png").exists()
    p = out["scores"]["splits"]["later"]["horizons"]["5"]["pooled"]
    assert p["beats_best_baseline"] in ("yes", "no", "not distinguishable")
    assert p["best_baseline"] in L.BASELINES
    assert json.loads(L.ledger_path().read_text())["later_looks_total"] == len(L.project_looks()) + 1
    # the result is stored under its specification and data (what forecasts quote when it is the default run)
    from pactwatch.scenarios import landmark_store as LS

    stored = LS.load_landmark(out["spec"]["hash"], out["data"]["hash"])
    assert stored is not None and stored["spec"] == out["spec"] and str(LS.store_dir()) in r.stderr


def test_backtest_prediction_equals_forecast_case_as_of_the_origin(forecast_data):
    """Done-when (issue 12): the back-test's prediction for an alliance at an origin is the forecast that
    ``forecast_case`` makes for that alliance as of that date with the model refitted on what was known then."""
    from pactwatch.scenarios import forecast as F
    from pactwatch.scenarios.schema import Case

    T = 1975
    frame, info = L.landmark_frame(forecast_data, {5.0: [T], 10.0: [T]}, use_cache=False, oracle=False)
    ctx = F.context(event="any-end", cutoff=T, use_cache=False, data=forecast_data)
    assert ctx.model.info["train_years"][1] == T
    day = L.as_of_date(T)
    for aid in (3440, 3670):  # USSR–DPRK 1961, USSR–Egypt 1971, both in force on 31 Dec 1975
        case = Case(id=f"atop-{aid}", name=f"ATOP {aid}", kind="atop", atopid=aid)
        res = F.forecast_case(case, ["status-quo"], as_of=day, sims=50, horizon=10.0, ctx=ctx)
        want = {p.t: p.point for p in res.scenario("status-quo").survival}
        for h in (5.0, 10.0):
            row = frame[(frame["atopid"] == aid) & (frame["horizon"] == h)]
            assert len(row) == 1
            assert row["model"].iloc[0] == pytest.approx(want[h], rel=1e-12, abs=1e-15)
            assert row["a0"].iloc[0] == pytest.approx(res.case.age_at_as_of)
        got = L.predict_alliance_at(forecast_data, ctx.model, aid, day, [5.0])
        assert got["status_quo"][5.0] == pytest.approx(want[5.0], rel=1e-12)
    # a different origin's model gives a different forecast (the equality is not trivial)
    ctx2 = F.context(event="any-end", cutoff=1985, use_cache=False, data=forecast_data)
    other = F.forecast_case(Case(id="a", name="a", kind="atop", atopid=3440), ["status-quo"], as_of=day, sims=50,
                            ctx=ctx2).scenario("status-quo").survival
    row = frame[(frame["atopid"] == 3440) & (frame["horizon"] == 5.0)]["model"].iloc[0]
    assert abs(next(p.point for p in other if p.t == 5.0) - row) > 1e-6


def test_backtest_prediction_equals_forecast_case_for_an_alliance_at_war(forecast_data):
    """An alliance with a member at war at the origin (the Sino-Soviet treaty of 1950, ATOP 3200, on 31 Dec 1951:
    China in the Korean War): the back-test's prediction is the forecast's status quo, with its war-end timing
    computed on that date from the COW wars that had ended by then, mixed over the forecast's default timing
    draws — not the path held at war for the whole horizon."""
    from pactwatch.scenarios import forecast as F
    from pactwatch.scenarios.schema import Case

    T, aid = 1951, 3200
    frame, _ = L.landmark_frame(forecast_data, {5.0: [T], 10.0: [T]}, use_cache=False, oracle=False)
    row = frame[frame["atopid"] == aid]
    assert row["member_at_war_at_origin"].all()
    ctx = F.context(event="any-end", cutoff=T, use_cache=False, data=forecast_data)
    day = L.as_of_date(T)
    res = F.forecast_case(Case(id=f"atop-{aid}", name=f"ATOP {aid}", kind="atop", atopid=aid), ["status-quo"],
                          as_of=day, horizon=10.0, ctx=ctx, competing=False)
    sq = res.scenario("status-quo")
    want = {p.t: p.point for p in sq.survival}
    for h in (5.0, 10.0):
        got = row[row["horizon"] == h]["model"].iloc[0]
        assert got == pytest.approx(want[h], rel=1e-12, abs=1e-15)
    # the timing: the Korean War's age on the origin, a rate from the wars ended by 1951 only, reported with its basis
    from pactwatch.models import war_duration as W

    b = sq.timing_basis[0]
    assert b["status"] == "at-war" and "Korean" in b["war_used"]["war"] and b["as_of"] == "1951-12-31"
    sp = W.from_source()
    ended = sp[(sp["end"] <= day.date()) & (sp["years"] >= b["age"])]
    assert b["n_wars"] == len(ended) and b["exposure_years"] == pytest.approx((ended["years"] - b["age"]).sum())
    assert 0 < sq.shocks[0]["timing"]["p_per_year"] == b["p_per_year"] < 1
    assert sq.n_distinct_paths > 1
    # and it is not the path held at war for the horizon (what the back-test predicted before)
    rc = resolve(Case(id="a", name="a", kind="atop", atopid=aid), forecast_data, day)
    grid = SH.path_grid(rc.in_force, day, 5.0)
    covs = list(ctx.model.covariates)
    from pactwatch.scenarios.training import path_inputs

    lag0, held_values = path_inputs(forecast_data, rc, day, covs)
    held = SH.build_path(grid, rc.formation, rc.states, [], (), covs, lag0=lag0, held=held_values)
    assert held["any_at_war_cow_ucdp_lag1"].eq(1).all()
    eng = Engine(ctx.model, grid.a0, 5.0)
    beta = ctx.model.coef[None, :]
    S = eng.survival(beta, eng.baseline(beta, None), held[list(ctx.model.covariates)].to_numpy(float)[None],
                     grid.bounds)[:, 0]
    assert abs(S[int(np.argmin(np.abs(eng.grid - 5.0)))] - want[5.0]) > 1e-3


def test_war_already_over_at_the_origin_ends_in_the_origin_year(forecast_data):
    """On 31 Dec 1953 the Korean War (COW: ended 27 Jul 1953) is over although its participants are coded at war in
    1953: the status quo's war end falls in the origin year, with probability one."""
    from pactwatch.scenarios.cases import load_scenarios
    from pactwatch.scenarios.schema import Case
    from pactwatch.scenarios.war_timing import resolve_timings

    day = L.as_of_date(1953)
    rc = resolve(Case(id="a", name="a", kind="atop", atopid=3200), forecast_data, day)
    assert any(s.at_war for s in rc.states)
    shocks, _, bases = resolve_timings(load_scenarios()["status-quo"].shocks, rc, day)
    assert bases[0]["status"] == "ended" and shocks[0].timing.fixed == 0


def test_origins_after_2004_are_scored_for_five_years(forecast_data):
    # evaluate refuses a cut-off after 2004 (no later alliance ended by 2018); the forecast's refit does not need that
    fm, _ = training.fit(forecast_data, "any-end", cutoff=2006, use_cache=False)
    assert fm.info["train_years"][1] == 2006
    o, notes = L.origins_for([5.0], 1950, None, 1)
    assert o[5.0][-1] == 2007 and 2005 in o[5.0]


def test_stored_result_round_trip_and_the_forecast_validation(forecast_data, tmp_path):
    from tests.helpers.landmark import tiny_landmark

    from pactwatch.scenarios import landmark_store as LS
    from pactwatch.scenarios.result import Validation

    res, v = tiny_landmark(forecast_data, tmp_path / "home")
    Validation.model_validate(v)
    assert v["status"] == "stored" and v["spec_hash"] == res["spec"]["hash"]
    assert v["data_hash"] == L.fingerprint_hash(forecast_data.fingerprint) == res["data"]["hash"]
    lm = v["landmark"]
    p5 = res["scores"]["splits"]["development"]["horizons"]["5"]["pooled"]
    dev = next(s for s in lm["pooled"] if s["split"] == "development")
    assert dev["skill"] == p5["brier_skill_vs_best"] and [dev["skill_lower"], dev["skill_upper"]] == p5["brier_skill_interval"]
    assert dev["beats_best_baseline"] == p5["beats_best_baseline"] and dev["best_baseline"] == p5["best_baseline"]
    assert dev["calibration_slope"] == p5["methods"]["model"]["slope"]
    assert {s["split"] for s in lm["pooled"]} == {"development", "later"} and lm["later_looks_this_spec"] == 1
    assert set(lm["subgroup_of"]) == set(L.SUBGROUPS)
    assert {i["atopid"] for i in lm["illustrations"]} >= {3440, 3675}  # named Soviet treaties in force in 1979
    ill = next(i for i in lm["illustrations"] if i["atopid"] == 3440)
    assert ill["origin"] == 1979 and ill["survived"] == 1  # USSR–DPRK 1961 lasted to 1996
    row = next(r for r in res["soviet_bilateral"] if r["atopid"] == 3440 and r["origin"] == 1979)
    assert ill["model"] == row["model"] and ill["baselines"]["km_30y"] == row["km_30y"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PACTWATCH_HOME", str(tmp_path / "home"))
        f = LS.store_path(res["spec"]["hash"], forecast_data.fingerprint)
        assert f.exists() and not [x for x in f.parent.iterdir() if x.name.endswith(".tmp")]
        assert LS.load_landmark(res["spec"]["hash"], forecast_data.fingerprint) == json.loads(f.read_text())
        # other data or another specification: nothing stored
        assert LS.load_landmark(res["spec"]["hash"], {**forecast_data.fingerprint, "atop": "changed"}) is None
        assert LS.load_landmark("0" * 64, forecast_data.fingerprint) is None
        # not stored under the current default specification: the validation says how to compute it
        v2 = LS.validation("any-end", forecast_data.fingerprint)
        assert v2["status"] == "not computed" and "pactwatch backtest" in v2["message"] and v2["landmark"] is None
        # a damaged stored file is an error naming it, and the file is left in place
        f.write_text("{broken")
        with pytest.raises(PactwatchError, match=str(f.name)):
            LS.load_landmark(res["spec"]["hash"], forecast_data.fingerprint)
        assert f.read_text() == "{broken"
