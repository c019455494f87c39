"""Choosing the forecast specification on the back-test (issue 13): the specification reaches the fit, lagged
covariates on covariate paths, the world-war exclusion, the selection rule and its committed record, the look counter."""
import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.models import evaluation as E
from pactwatch.models import specs as S
from pactwatch.scenarios import landmark as L
from pactwatch.scenarios import shocks as SH
from pactwatch.scenarios import training
from pactwatch.scenarios.schema import Shock, Timing

DOCS = Path(__file__).resolve().parents[1] / "docs"
WW = set(S.WORLD_WAR_YEARS)


@pytest.fixture(scope="module")
def noww_data(src, tmp_path_factory):
    """Forecast panels built for the lagged, world-war-excluding, era specification (no cache)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PACTWATCH_HOME", str(tmp_path_factory.mktemp("pwhome")))
        return training.build_data(src, spec="forecast-lag-noww-era", use_cache=False)[0]


def _with_spec(data, spec):
    d = dataclasses.replace(data)
    d.eval = E.EvaluationData(alliances=data.eval.alliances, years=data.eval.years, spec=spec, log=data.eval.log)
    return d


# ------------------------------------------------------------------------------------------- spec reaches the fit
def test_backtest_with_a_spec_fits_that_specs_covariates(noww_data, monkeypatch):
    seen = []
    real = L.fit

    def spy(data, *a, **k):
        fm, fi = real(data, *a, **k)
        seen.append(list(fm.covariates))
        return fm, fi

    monkeypatch.setattr(L, "fit", spy)
    res = L.run_backtest(data=noww_data, spec="forecast-lag-noww-era", start=1979, end=1980, horizons=[5.0],
                         n_boot=10, include_later=False, oracle=False, use_cache=False)
    want = [*S.SPECS["forecast-lag-noww-era"].covariates, *S.SPECS["forecast-lag-noww-era"].tv_covariates]
    assert seen and all(c == want for c in seen)
    assert "post1945" in want and "any_at_war_lag1" in want and "any_at_war" not in want
    assert res["spec"]["model_spec"] == "forecast-lag-noww-era"
    assert res["spec"]["tv_covariates"] == list(S.SPECS["forecast-lag-noww-era"].tv_covariates)
    assert res["spec"]["training_excludes_years"] == sorted(WW)
    assert res["scores"]["counts"]["scored"] > 0
    assert set(res["scores"]["splits"]) == {"development"} and res["later_origins"]["times_scored_total"] == 0
    # the frozen spec differs from the forecast's, and panels built for another spec are refused
    assert res["spec"]["hash"] != L.frozen_spec("any-end", [5.0], {5.0: [1979, 1980]}, 1990)["hash"]
    with pytest.raises(PactwatchError, match="panels built for"):
        L.run_backtest(data=noww_data, spec="forecast-lag", start=1979, end=1980, horizons=[5.0], n_boot=10,
                       include_later=False, oracle=False, use_cache=False)


def test_atop_path_lags_come_from_the_data(noww_data):
    """The back-test's path for an ATOP alliance: the first year's lag is the data's value of the year before."""
    covs = [*noww_data.eval.spec.covariates, *noww_data.eval.spec.tv_covariates]
    y = noww_data.path_years
    r = y[(y["year"] == 1975)].dropna().iloc[0]
    lag0, held = training.observed_path_inputs(noww_data, int(r["atopid"]), 1975, covs)
    prev = y[(y["atopid"] == r["atopid"]) & (y["year"] == 1974)]
    if not prev.empty:
        assert lag0["any_at_war"] == pytest.approx(float(prev["any_at_war"].iloc[0]))
    assert lag0["any_at_war"] == pytest.approx(float(r["any_at_war_lag1"]))
    assert "any_at_war" in held  # the base a lag needs later on the path is available, never overriding aggregate
    # an alliance formed in the as-of year has no earlier record: no lag0, so build_path uses the observed value
    a = noww_data.eval.alliances
    new = int(a.loc[a["begyr"] == 1975, "atopid"].iloc[0])
    lag0_new, _ = training.observed_path_inputs(noww_data, new, 1975, covs)
    assert "any_at_war" not in lag0_new


# ---------------------------------------------------------------------------------------------- lagged paths
def _members(at_war=True):
    return [SH.MemberState(ccode=365, major=True, at_war=at_war, rivals=frozenset({2})),
            SH.MemberState(ccode=731, major=False, at_war=at_war, rivals=frozenset({2}))]


def test_lagged_path_columns_move_one_year_after_the_shock():
    grid = SH.path_grid(pd.Timestamp("2024-12-04"), pd.Timestamp("2026-11-26"), 8.0)
    covs = ["wartime", "any_at_war", "any_at_war_lag1", "at_war_x_wartime_lag1", "shared_rivals_lag1"]
    war_ends = Shock(kind="war-ends", members="all", timing=Timing(relative=False, fixed=2028))
    lag0 = {"any_at_war": 0.0, "at_war_x_wartime": 0.0, "shared_rivals": 1.0}
    p = SH.build_path(grid, {"wartime": 1.0}, _members(), [war_ends], (2028,), covs, lag0=lag0).set_index("year")
    # the war-ends rule: at war in 2028, not from 2029; the lag follows one year later (from 2030)
    assert p.loc[2028, "any_at_war"] == 1 and p.loc[2029, "any_at_war"] == 0
    first_change = min(y for y in p.index if p.loc[y, "any_at_war"] != p.loc[grid.years[0], "any_at_war"])
    first_lag_change = min(y for y in p.index[1:] if p.loc[y, "any_at_war_lag1"] != p.loc[grid.years[1], "any_at_war_lag1"])
    assert first_lag_change == first_change + 1
    for y in p.index[1:]:
        assert p.loc[y, "any_at_war_lag1"] == p.loc[y - 1, "any_at_war"]
        assert p.loc[y, "at_war_x_wartime_lag1"] == p.loc[y - 1, "any_at_war"] * 1.0
    # the first year's lag is the value observed the year before the as-of year
    assert p.loc[2026, "any_at_war_lag1"] == 0.0 and p.loc[2026, "shared_rivals_lag1"] == 1.0
    assert p.attrs["notes"] == []


def test_direct_case_without_an_earlier_record_uses_the_observed_value_and_says_so():
    grid = SH.path_grid(pd.Timestamp("2024-12-04"), pd.Timestamp("2026-11-26"), 3.0)
    p = SH.build_path(grid, {"wartime": 1.0}, _members(), [], (), ["any_at_war_lag1"])
    assert p["any_at_war_lag1"].iloc[0] == 1.0
    assert any("any_at_war_lag1" in n and "2025" in n for n in p.attrs["notes"])


def test_path_refuses_a_covariate_the_case_cannot_supply():
    grid = SH.path_grid(pd.Timestamp("2024-12-04"), pd.Timestamp("2026-11-26"), 3.0)
    with pytest.raises(PactwatchError, match="shared_rival_grade"):
        SH.build_path(grid, {"wartime": 1.0}, _members(), [], (), ["any_at_war_lag1", "shared_rival_grade_lag1"])
    # a value the member states leave unknown (NA) is refused the same way, never passed on as a number
    with pytest.raises(PactwatchError, match="shared_rival_grade"):
        SH.build_path(grid, {"wartime": 1.0}, _members(), [], (), ["shared_rival_grade_lag1"],
                      held={"shared_rival_grade": float("nan")})
    # a value held from the data fills it (and never overrides one the member states produce)
    p = SH.build_path(grid, {"wartime": 1.0}, _members(), [], (), ["any_at_war", "shared_rival_grade_lag1"],
                      held={"shared_rival_grade": 2.0, "any_at_war": 0.0}, lag0={"shared_rival_grade": 1.0})
    assert list(p["shared_rival_grade_lag1"]) == [1.0, 2.0, 2.0, 2.0][:len(p)]
    assert (p["any_at_war"] == 1.0).all()


def test_scenario_check_accepts_a_lagged_model_covariate():
    sh = [Shock(kind="war-ends", members="all", timing=Timing(relative=False, fixed=2028))]
    SH.check_scenario("war-ends", sh, ["any_at_war_lag1"])
    with pytest.raises(PactwatchError, match="does not use"):
        SH.check_scenario("war-ends", sh, ["shared_rivals_lag1"])


# ----------------------------------------------------------------------------------------- world-war exclusion
def _row_years(rows, data):
    b = data.eval.alliances.set_index("atopid")["begin"].reindex(rows["atopid"]).reset_index(drop=True)
    return (b + pd.to_timedelta(rows["start"].to_numpy() * 365.25 + 0.5, unit="D")).dt.year.to_numpy()


def test_world_war_exclusion_drops_exactly_those_alliance_years_and_counts_them(noww_data):
    cutoff = 1950
    full = _with_spec(noww_data, dataclasses.replace(noww_data.eval.spec, exclude_years=()))
    r_ex, i_ex = training.training_rows(noww_data, "any-end", cutoff)
    r_all, i_all = training.training_rows(full, "any-end", cutoff)
    y_ex, y_all = _row_years(r_ex, noww_data), _row_years(r_all, noww_data)
    assert not np.isin(y_ex, list(WW)).any() and np.isin(y_all, list(WW)).sum() > 0
    k_ex = set(zip(r_ex["atopid"], y_ex))
    k_all = {k for k in zip(r_all["atopid"], y_all) if k[1] not in WW}
    assert k_ex == k_all  # nothing else dropped
    yrs = noww_data.eval.years
    assert i_ex["alliance_years_dropped_excluded_years"] == int((yrs["year"].isin(list(WW)) & (yrs["year"] <= cutoff)).sum())
    a = noww_data.eval.alliances
    n_ev = int(((a["end"].dt.year.isin(list(WW))) & (S.event_indicator(a, "any-end") == 1)).sum())
    assert i_ex["events_in_excluded_years"] == n_ev > 0
    assert "alliance_years_dropped_excluded_years" not in i_all
    assert i_ex["train_events"] <= i_all["train_events"]


# ------------------------------------------------------------------------------------- selection and its record
def _row(spec, skill5, ncov, skill10=0.0, eligible=True):
    return {"spec": spec, "n_covariates": ncov, "eligible": eligible, "5y": {"skill": skill5}, "10y": {"skill": skill10}}


def test_selection_rule_prefers_skill_then_fewer_covariates():
    rows = [_row("a", 0.030, 20), _row("b", 0.027, 18), _row("c", 0.010, 5), _row("ref", 0.5, 3, eligible=False)]
    assert L.select_spec(rows)["chosen"] == "b"  # within 0.005 of the best and fewer covariates
    assert L.select_spec([_row("a", 0.030, 20), _row("b", 0.020, 18)])["chosen"] == "a"
    assert L.select_spec([_row("a", 0.03, 18, 0.01), _row("b", 0.03, 18, 0.02)])["chosen"] == "b"
    with pytest.raises(PactwatchError, match="eligible"):
        L.select_spec([_row("ref", 0.5, 3, eligible=False)])


def test_committed_selection_record_applies_the_rule_and_names_the_forecast_spec():
    rec = json.loads((DOCS / "spec-selection.json").read_text())
    assert L.select_spec(rec["candidates"], margin=rec["margin"])["chosen"] == rec["chosen"]
    ch = S.SPECS[rec["chosen"]]
    fc = S.SPECS["forecast"]
    assert (fc.covariates, fc.tv_covariates, fc.exclude_years) == (ch.covariates, ch.tv_covariates, ch.exclude_years)
    assert training.FORECAST_SPEC == fc
    prev = S.SPECS["forecast-2026-11"]
    assert rec["previous"] == "forecast-2026-11" and "any_at_war" in prev.tv_covariates
    assert all(c["spec"] in S.SPECS for c in rec["candidates"])


def test_forecast_spec_has_no_same_year_covariate():
    """Every time-varying covariate of the forecast is measured in the year before, or known in advance."""
    bad = [c for c in S.SPECS["forecast"].tv_covariates if not c.endswith("_lag1") and c != S.ERA_COVARIATE]
    assert bad == []


def test_committed_look_record_counts_every_later_look():
    rec = json.loads((DOCS / "backtest-looks.json").read_text())
    assert rec["later_looks_total"] == len(rec["looks"]) >= 8
    assert [x["at"] for x in rec["looks"]] == sorted(x["at"] for x in rec["looks"])
    sel = json.loads((DOCS / "spec-selection.json").read_text())
    # the selection's one scoring of the later origins is in the record
    assert any(x["spec_hash"] == sel["later"]["spec_hash"] for x in rec["looks"])


def test_war_ends_moves_the_extended_war_covariates_on_the_path():
    grid = SH.path_grid(pd.Timestamp("2024-12-04"), pd.Timestamp("2026-11-26"), 8.0)
    covs = ["any_at_war_cow_ucdp_lag1", "at_war_cow_ucdp_x_wartime_lag1", "war_ended_0_2", "war_ended_0_2_lag1"]
    sh = Shock(kind="war-ends", members="all", timing=Timing(relative=False, fixed=2028))
    held = {"war_ended_0_2": 0.0}
    p = SH.build_path(grid, {"wartime": 1.0}, _members(), [sh], (2028,), covs, held=held,
                      lag0={"any_at_war_cow_ucdp": 1.0, "at_war_cow_ucdp_x_wartime": 1.0, "war_ended_0_2": 0.0})
    p = p.set_index("year")
    assert [int(p.loc[y, "war_ended_0_2"]) for y in range(2026, 2033)] == [0, 0, 1, 1, 1, 0, 0]
    assert [int(p.loc[y, "war_ended_0_2_lag1"]) for y in range(2026, 2034)] == [0, 0, 0, 1, 1, 1, 0, 0]
    assert [int(p.loc[y, "any_at_war_cow_ucdp_lag1"]) for y in range(2026, 2032)] == [1, 1, 1, 1, 0, 0]
    # not formed in wartime: the formation-war covariate does not move
    q = SH.build_path(grid, {"wartime": 0.0}, _members(), [sh], (2028,), ["war_ended_0_2"], held=held)
    assert (q["war_ended_0_2"] == 0).all()
    SH.check_scenario("war-ends", [sh], ["any_at_war_cow_ucdp_lag1", "war_ended_0_2_lag1"])
