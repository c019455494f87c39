"""Out-of-time evaluation: truncation at the cut-off, test membership, the KM baseline, hand-checked metrics, event
definitions, the CLI end to end, and the plot files."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from pactwatch.errors import PactwatchError
from pactwatch.models import evaluation as E
from pactwatch.models import metrics as M
from pactwatch.models import specs as S

CUT = 1960


@pytest.fixture(scope="module")
def data(src):
    return E.load_data(src)


@pytest.fixture(scope="module")
def raw(src):
    return src.table("atop_alliance")


# ------------------------------------------------------------------------------------------------ event definitions
def _frame(rows):
    return pd.DataFrame(rows, columns=["atopid", "event", "termmode_final", "termcaus_final", "event_atop"]).astype(
        {"termmode_final": "Int64", "termcaus_final": "Int64"})


def test_termination_cause_by_hand():
    al = _frame([
        (1, 0, None, None, 0),  # in effect
        (2, 1, 3, 4, 1),        # broken before its scheduled end -> violation
        (3, 1, 1, 3, 1),        # not renewed -> fulfilment/expiry
        (4, 1, 5, 3, 1),        # moot -> fulfilment/expiry
        (5, 1, 2, 1, 1),        # replaced by a new agreement
        (6, 1, 1, 1, 1),        # not renewed, but the cause is replacement -> replacement
        (7, 1, 4, 2, 0),        # loss of independence -> other
        (8, 1, 6, 7, 1),        # war lost -> other
    ])
    assert S.termination_cause(al).tolist() == [0, 1, 2, 2, 3, 3, 4, 4]
    al["cause"] = S.termination_cause(al)
    assert S.event_indicator(al, "death").tolist() == [0, 1, 1, 1, 0, 0, 1, 1]
    assert S.event_indicator(al, "any-end").tolist() == [0, 1, 1, 1, 1, 1, 1, 1]
    assert S.event_indicator(al, "atop").tolist() == [0, 1, 1, 1, 1, 1, 0, 1]
    assert S.event_indicator(al, "replacement").tolist() == [0, 0, 0, 0, 1, 1, 0, 0]
    assert S.event_indicator(al, "violation").tolist() == [0, 1, 0, 0, 0, 0, 0, 0]
    with pytest.raises(PactwatchError, match="unknown event definition"):
        S.event_indicator(al, "ended")
    bad = _frame([(9, 1, None, None, 1)])
    with pytest.raises(PactwatchError, match="without a usable termmode"):
        S.termination_cause(bad)


def test_event_definitions_on_atop(data, raw):
    a = data.alliances
    ended = raw["ineffect"] == 0
    assert S.event_indicator(a, "any-end").sum() == ended.sum()
    assert S.event_indicator(a, "atop").sum() == (ended & raw["term"].isin([1, 2, 3])).sum()
    # member-level 'replaced by a new agreement' coincides with ATOP's alliance-level term = 3 (renegotiation)
    t3 = raw.set_index("atopid").loc[a["atopid"], "term"].to_numpy() == 3
    assert ((a["cause"] == 3).to_numpy() == (t3 & (a["event"] == 1).to_numpy())).all()
    assert S.event_indicator(a, "death").sum() == ended.sum() - (a["cause"] == 3).sum()
    # the causes partition the endings
    assert sum(S.event_indicator(a, k).sum() for k in ("violation", "fulfilment", "replacement", "other")) == ended.sum()


# -------------------------------------------------------------------------------------------------------- the split
def test_truncation_at_cutoff_is_real(data, raw):
    sp = E.split_at(data, CUT, "any-end")
    cut = pd.Timestamp(f"{CUT}-12-31")
    tr = sp.train.merge(data.alliances[["atopid", "end"]], on="atopid")
    assert (tr["begyr"] <= CUT).all()
    stop = tr["begin"] + pd.to_timedelta(np.round(tr["duration"] * 365.25), unit="D")
    assert (stop <= cut).all()  # no follow-up after 31 Dec of the cut-off year
    assert (tr.loc[tr["event"] == 1, "end"] <= cut).all()  # no event after the cut-off
    later = tr["end"].isna() | (tr["end"] > cut)
    assert (tr.loc[later, "event"] == 0).all()
    # censored at the cut-off: duration = cut - begin exactly
    exp = (cut - tr.loc[later, "begin"]).dt.days / 365.25
    assert np.allclose(tr.loc[later, "duration"], exp)
    # independent count of training events from the raw file: ended on or before 31 Dec CUT, formed by CUT
    comp = data.alliances[list(data.spec.covariates)].notna().all(axis=1)
    ids = set(data.alliances.loc[comp, "atopid"])
    r = raw[raw["atopid"].isin(ids) & (raw["begyr"] <= CUT)]
    end_ym = r["endyr"] * 100 + r["endmo"]
    assert sp.info["train_events"] == int(((r["ineffect"] == 0) & (end_ym <= CUT * 100 + 12)).sum())
    # alliance-year rows: nothing after the cut-off, events only on an alliance's last row
    tv = sp.train_tv.merge(sp.train[["atopid", "begin", "duration"]], on="atopid")
    assert (tv["begin"] + pd.to_timedelta(np.round(tv["stop"] * 365.25), unit="D") <= cut).all()
    assert (tv["stop"] <= tv["duration"] + 1e-9).all() and (tv["stop"] > tv["start"]).all()
    last = ~tv.duplicated("atopid", keep="last")
    assert (tv.loc[~last, "event"] == 0).all()
    assert tv["event"].sum() + sp.info["tv_events_lost_missing"] + sp.info["tv_events_without_row"] == sp.info["train_events"]


def test_test_set_is_exactly_the_alliances_formed_after_cutoff(data):
    for cut in (CUT, 1989):
        sp = E.split_at(data, cut)
        a = data.alliances
        comp = a[list(data.spec.covariates)].notna().all(axis=1)
        after = a["begyr"] > cut
        assert set(sp.test["atopid"]) == set(a.loc[after & comp, "atopid"])
        assert sp.info["test_excluded_incomplete"] == int((after & ~comp).sum())
        assert not set(sp.test["atopid"]) & set(sp.train["atopid"])
        # test outcomes are those to the data's end (31 Dec 2018)
        t = sp.test.merge(a[["atopid", "duration_years", "event"]], on="atopid", suffixes=("", "_a"))
        assert np.allclose(t["duration"], t["duration_years"]) and (t["event"] == t["event_a"]).all()


def test_bad_cutoffs_and_models(data):
    with pytest.raises(E.EvaluationError, match="cut-off"):
        E.split_at(data, 2018)
    with pytest.raises(E.EvaluationError, match="cut-off"):
        E.split_at(data, 1700)
    with pytest.raises(PactwatchError, match="unknown event"):
        E.split_at(data, 1989, "breakup")
    with pytest.raises(E.EvaluationError, match="unknown model"):
        E.evaluate_split(data, 1989, models=["km", "deepsurv"], n_boot=0)


# -------------------------------------------------------------------------------------------- metrics and baseline
def test_km_baseline_c_is_half_and_rolling_summary(data):
    res = E.evaluate_rolling(data, [CUT, 1989], models=["km", "cox"], n_boot=20)
    assert res["cutoffs"] == [CUT, 1989]
    for s in res["splits"]:
        km = next(r for r in s["models"] if r["model"] == "km")
        assert km["harrell_c"] == pytest.approx(0.5)
        assert km["uno_c"] == pytest.approx(0.5)
        assert km["mean_auc"] == pytest.approx(0.5)
        assert len(s["calibration"]["km"]) == 1  # one prediction for everyone: one calibration bin
        cox = next(r for r in s["models"] if r["model"] == "cox")
        assert cox["better_point"] == (cox["ibs"] < km["ibs"] and cox["uno_c"] > km["uno_c"])
        # the verdict follows the intervals, not the point estimates
        assert cox["beats_baseline"] == (cox["delta_ibs_hi"] < 0 and cox["delta_uno_c_lo"] > 0)
        assert cox["verdict"] == E.verdict((cox["delta_ibs_lo"], cox["delta_ibs_hi"]),
                                           (cox["delta_uno_c_lo"], cox["delta_uno_c_hi"]))
        assert len(s["calibration"]["cox"]) == 10
        assert cox["delta_ibs_lo"] <= cox["delta_ibs"] + 0.05 and cox["delta_ibs_hi"] >= cox["delta_ibs"] - 0.05
    summ = {r["model"]: r for r in res["summary"]}
    per = [next(r for r in s["models"] if r["model"] == "cox") for s in res["splits"]]
    assert summ["cox"]["mean_ibs"] == pytest.approx(np.mean([r["ibs"] for r in per]))
    assert summ["cox"]["beats_baseline"] == sum(bool(r["beats_baseline"]) for r in per)


def _tiny():
    """Six training alliances (formed 1950-1954), four test alliances (formed 1961-1964); covariate x."""
    rows = [
        # atopid, begin, end (None = in effect), x
        (1, "1950-01-01", "1952-01-01", 1.0),
        (2, "1950-01-01", "1955-01-01", 1.0),
        (3, "1951-01-01", "1958-06-30", 0.0),
        (4, "1952-01-01", "1965-01-01", 0.0),   # ends after the cut-off: censored at 31 Dec 1960 in training
        (5, "1953-01-01", None, 0.0),
        (6, "1954-01-01", "1957-01-01", 1.0),
        (7, "1961-01-01", "1961-07-01", 1.0),
        (8, "1962-01-01", "1975-01-01", 0.0),
        (9, "1963-01-01", None, 0.0),
        (10, "1964-01-01", "1971-01-01", 1.0),
    ]
    a = pd.DataFrame(rows, columns=["atopid", "begin", "end", "x"])
    a["begin"] = pd.to_datetime(a["begin"])
    a["end"] = pd.to_datetime(a["end"])
    a["begyr"] = a["begin"].dt.year
    a["event"] = a["end"].notna().astype("int64")
    a["event_atop"] = a["event"]
    a["cause"] = a["event"] * 1
    a["duration_years"] = (a["end"].fillna(E.DATA_END) - a["begin"]).dt.days / 365.25
    years = pd.DataFrame({"atopid": pd.Series(dtype="int64"), "year": pd.Series(dtype="int64")})
    spec = S.ModelSpec("tiny", "one covariate", ("x",), ())
    return E.EvaluationData(alliances=a, years=years, spec=spec)


def test_tiny_synthetic_split_and_metrics_by_hand():
    d = _tiny()
    sp = E.split_at(d, 1960)
    tr = sp.train.set_index("atopid")
    assert list(tr.index) == [1, 2, 3, 4, 5, 6] and list(sp.test["atopid"]) == [7, 8, 9, 10]
    yrs = lambda a, b: (pd.Timestamp(b) - pd.Timestamp(a)).days / 365.25  # noqa: E731
    assert tr.loc[4, "duration"] == pytest.approx(yrs("1952-01-01", "1960-12-31")) and tr.loc[4, "event"] == 0
    assert tr.loc[5, "duration"] == pytest.approx(yrs("1953-01-01", "1960-12-31")) and tr.loc[5, "event"] == 0
    assert tr["event"].tolist() == [1, 1, 1, 0, 0, 1]
    res = E.evaluate_split(d, 1960, models=["km"], n_boot=0)
    km = res["models"][0]
    # training KM by hand: events by 5 years at ~2.0 (6 at risk), ~3.0 (5 at risk), ~5.0 (4 at risk)
    s5 = (1 - 1 / 6) * (1 - 1 / 5) * (1 - 1 / 4)
    # Brier at 5 by hand, G from the test alliances (only alliance 9 is censored, at 56 years: G = 1 before it)
    te = sp.test
    dd, ee = te["duration"].to_numpy(), te["event"].to_numpy()
    assert dd.min() < 1  # scikit-survival wants the grid (from 1 year) inside the test follow-up
    case = (dd <= 5) & (ee == 1)
    ctrl = dd > 5
    b5 = np.mean(np.where(case, s5**2, 0) + np.where(ctrl, (1 - s5) ** 2, 0))
    assert km["brier_5"] == pytest.approx(b5)
    assert km["harrell_c"] == pytest.approx(0.5) and km["uno_c"] == pytest.approx(0.5)
    # calibration: one bin, predicted = 1 - S_KM(5), observed = share of test alliances ended by 5 years (no censoring)
    cal = res["calibration"]["km"][0]
    assert cal["predicted"] == pytest.approx(1 - s5)
    assert cal["observed"] == pytest.approx(case.mean())
    # horizon: the longest training follow-up (alliance 4, censored at 8.997 years) is the binding limit
    assert res["horizon"] == 8 == int(min(20, np.floor(np.quantile(dd, 0.9)), np.floor(tr["duration"].max())))


def test_ipcw_ibs_matches_scikit_survival():
    rng = np.random.default_rng(3)
    d = rng.exponential(10, 80) + 0.1
    c = rng.uniform(0, 25, 80)
    e = (d <= c).astype(float)
    t = np.minimum(d, c)
    times = np.arange(1.0, 9.0)
    surv = np.exp(-np.outer(times, rng.uniform(0.05, 0.2, 80)))
    y = (t, e)
    assert E.ipcw_ibs(y, surv, times) == pytest.approx(M.integrated_brier(y, y, surv, times)["integrated_brier"], rel=1e-12)


# ---------------------------------------------------------------------------------------------------- CLI and plots
def _app():
    from pactwatch.cli.evaluate import evaluate

    app = typer.Typer()
    app.command("evaluate")(evaluate)
    app.command("noop")(lambda: None)
    return app


def test_cli_json_end_to_end_with_plots(data_dir, tmp_path):
    out = tmp_path / "plots"
    r = CliRunner().invoke(_app(), ["evaluate", "--train-end", "1975", "--models", "km,cox,forest", "--forest-trees", "20",
                                    "--n-boot", "10", "--plots", str(out), "--json", "--data-dir", str(data_dir)])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["cutoff"] == 1975 and res["event"]["name"] == "any-end"
    names = [m["model"] for m in res["models"]]
    assert names == ["km", "cox", "forest"]
    for m in res["models"]:
        assert "error" not in m
        assert "beats_baseline" in m
        assert 0 <= m["ibs"] <= 1 and 0 <= m["uno_c"] <= 1
    assert res["info"]["train_formed"].endswith("-1975") and res["info"]["test_formed"].startswith("1976-")
    files = sorted(out.iterdir())
    assert {f.name for f in files} == {f"{s}.{x}" for s in ("survival_by_group", "calibration_1975", "time_auc_1975")
                                       for x in ("png", "svg")}
    for f in files:
        if f.suffix == ".png":
            assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f.stat().st_size > 10_000
        else:
            root = ET.parse(f).getroot()
            assert root.tag.endswith("svg")


def test_cli_bad_input(data_dir):
    r = CliRunner().invoke(_app(), ["evaluate", "--rolling", "1945,abc", "--data-dir", str(data_dir)])
    assert r.exit_code != 0 and "--rolling" in str(r.exception)
    r = CliRunner().invoke(_app(), ["evaluate", "--models", "km,svm", "--data-dir", str(data_dir)])
    assert r.exit_code != 0 and "unknown" in str(r.exception)


def test_verdict_is_not_yes_when_an_interval_includes_zero():
    # issue 12: Cox PH was "beats baseline: yes" on ΔUno C +0.001 [−0.134, +0.129] (and a lower IBS)
    assert E.verdict((-0.02, -0.001), (-0.134, 0.129)) == "not distinguishable"
    assert E.verdict((-0.02, 0.01), (0.01, 0.2)) == "not distinguishable"
    assert E.verdict((-0.02, -0.001), (0.01, 0.2)) == "yes"
    assert E.verdict((0.001, 0.02), (-0.1, 0.2)) == "no"
    assert E.verdict((-0.02, 0.01), (-0.2, -0.01)) == "no"
    assert E.verdict(None, None) == "no interval"
    assert E.verdict((float("nan"), 0.1), (0.1, 0.2)) == "no interval"


def test_evaluate_table_does_not_say_yes_when_the_interval_includes_zero():
    from pactwatch.cli.evaluate import _models_table
    from rich.console import Console

    row = {"model": "cox", "label": "Cox PH", "harrell_c": 0.52, "uno_c": 0.51, "ibs": 0.10, "brier_5": 0.1,
           "brier_10": 0.1, "mean_auc": 0.5, "cal_error_5y": 0.01, "delta_ibs": -0.01, "delta_ibs_lo": -0.02,
           "delta_ibs_hi": -0.001, "delta_uno_c": 0.001, "delta_uno_c_lo": -0.134, "delta_uno_c_hi": 0.129,
           "better_point": True, "beats_baseline": False, "verdict": "not distinguishable"}
    km = {**row, "model": "km", "label": "Kaplan–Meier", "verdict": None, "beats_baseline": None}
    info = {"train_alliances": 1, "train_formed": "x", "train_events": 1, "train_follow_up_ends": "x",
            "test_alliances": 1, "test_formed": "x", "test_events": 1, "test_follow_up_ends": "x"}
    con = Console(width=400, record=True)
    con.print(_models_table({"cutoff": 1989, "info": info, "event": {"name": "any-end"}, "horizon": 10,
                             "models": [km, row]}))
    line = next(x for x in con.export_text().splitlines() if x.startswith("│ Cox PH"))
    assert "not distinguishable" in line and "yes" not in line


def test_split_without_the_test_side_check(data):
    # no alliance formed after 2005 ended by 2018 under 'any-end': evaluate refuses the cut-off ...
    with pytest.raises(E.EvaluationError, match="test set"):
        E.split_at(data, 2005)
    # ... but the training side (all a fit uses) can be built, and equals the checked split's where both exist
    sp = E.split_at(data, 2005, check_test=False)
    assert sp.info["test_checked"] is False and sp.train["begyr"].max() <= 2005 and sp.train["event"].sum() > 0
    a, b = E.split_at(data, 1989), E.split_at(data, 1989, check_test=False)
    pd.testing.assert_frame_equal(a.train, b.train)
    pd.testing.assert_frame_equal(a.train_tv, b.train_tv)
