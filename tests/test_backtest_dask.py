"""The landmark back-test on a Dask local cluster of two worker processes (issue 15): the per-origin refits and
predictions run as one task per origin, and the result (every per-row prediction, every score) equals the in-process
run."""
from __future__ import annotations

import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from pactwatch.news.engine import make_engine  # noqa: E402
from pactwatch.scenarios import landmark as L  # noqa: E402

ORIGINS = dict(start=1965, end=1975, step=5, horizons=(5.0, 10.0))


def _without_timings(res: dict) -> dict:
    res = dict(res)
    res.pop("runtime_seconds")
    res["spec"] = {k: v for k, v in res["spec"].items() if k != "frozen_at"}
    return res


def test_backtest_on_dask_equals_in_process(forecast_data, monkeypatch):
    frames = {}
    real = L.landmark_frame

    def keep(*a, **k):
        frames[k["engine"].kind] = out = real(*a, **k)
        return out

    monkeypatch.setattr(L, "landmark_frame", keep)
    kw = dict(**ORIGINS, n_boot=10, dev_end=1975, include_later=False, use_cache=False, oracle=True, data=forecast_data)
    local = L.run_backtest(engine=make_engine("inprocess"), **kw)
    dask = L.run_backtest(engine=make_engine("dask", workers=2), **kw)
    (f1, i1), (f2, i2) = frames["inprocess"], frames["dask"]
    assert sorted(f1["origin"].unique()) == [1965, 1970, 1975]
    assert f1["model"].notna().sum() > 100  # the comparison covers real predictions
    pd.testing.assert_frame_equal(f1, f2, check_exact=True)
    assert i1 == i2
    assert _without_timings(local) == _without_timings(dask)


def test_origin_task_reports_a_failed_fit_instead_of_raising(forecast_data):
    # an origin before any alliance-year: the fit cannot be made; the task says so and the run goes on
    r = L.origin_rows(forecast_data, 1816, [5.0], "any-end", False, False)
    assert "error" in r["info"] and r["rows"] == []


def test_cli_backtest_passes_the_engine_and_checks_its_flags(monkeypatch):
    import typer
    from typer.testing import CliRunner

    from pactwatch.cli.backtest import backtest_cmd

    seen = {}

    def fake_run(src, **k):  # stop before any work: only the engine handed over is checked here
        seen["engine"] = k["engine"]
        raise SystemExit(0)

    monkeypatch.setattr(L, "run_backtest", fake_run)
    app = typer.Typer()
    app.command("backtest")(backtest_cmd)
    app.command("other")(lambda: None)
    r = CliRunner().invoke(app, ["backtest", "--engine", "dask", "--workers", "3"])
    assert r.exit_code == 0, r.output
    assert seen["engine"].is_dask and seen["engine"].workers == 3
    r = CliRunner().invoke(app, ["backtest", "--workers", "3"])
    assert r.exit_code != 0 and "--engine dask" in str(r.exception)
    r = CliRunner().invoke(app, ["backtest"])
    assert not seen["engine"].is_dask
