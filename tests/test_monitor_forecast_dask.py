"""`monitor` and the forecast's Monte Carlo on a Dask local cluster of two worker processes (issue 15): the monitor's
store, series, evidence and proposals equal the in-process run; the forecast's numbers equal the in-process ones to
the last digit (every random number is drawn in the driver; the workers do only the baseline and survival
arithmetic, in chunks reassembled in draw order)."""
from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from pactwatch.news import engine as NE  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CASE = REPO / "cases" / "rus-prk-2024.yaml"
AS_OF = "2026-11-26"


from tests.helpers.dask_cluster import cluster, engine  # noqa: E402,F401 - module-scoped fixtures


@pytest.fixture
def dask_calls(monkeypatch):
    """Counts the run_tasks calls that went to Dask (so an equality cannot come from both runs staying here)."""
    calls = []
    real = NE.run_tasks

    def counting(fn, args, engine=None, **k):
        if engine is not None and engine.is_dask:
            calls.append((fn.__name__, len(list(args))))
        return real(fn, args, engine, **k)

    monkeypatch.setattr(NE, "run_tasks", counting)
    return calls


# ------------------------------------------------------------------------------------------------------- forecast
def _without_runtime(res) -> dict:
    from pactwatch.scenarios.result import as_json

    out = as_json(res)
    out.pop("runtime_seconds")
    return out


def test_forecast_on_dask_equals_in_process_to_the_last_digit(forecast_ctx, engine, dask_calls, monkeypatch):
    from pactwatch.scenarios import engine as E
    from pactwatch.scenarios import forecast as F

    monkeypatch.setattr(E, "MC_CHUNK", 256)  # 600 draws: three tasks each for the baseline and every scenario
    kw = dict(as_of=AS_OF, sims=600, seed=3, ctx=forecast_ctx)
    local = _without_runtime(F.forecast_case("rus-prk-2024", **kw))
    assert not dask_calls
    dask = _without_runtime(F.forecast_case("rus-prk-2024", engine=engine, **kw))
    n_sc = len(local["scenarios"])
    assert n_sc >= 2 and dask_calls.count(("_baseline_task", 3)) == 1
    assert dask_calls.count(("_survival_task", 3)) == n_sc
    assert local == dask  # every number, every interval, every driver
    lo = local["scenarios"][0]["survival"][2]
    assert lo["lower"] < lo["point"] < lo["upper"]  # the comparison covers real intervals


def test_forecast_with_a_worker_killed_midway_gives_the_same_numbers(forecast_ctx, engine, monkeypatch):
    """A worker killed with SIGKILL between two scenarios, holding draws kept on the cluster for the scenarios to
    come: the forecast completes with every number equal to the in-process one."""
    from pactwatch.scenarios import engine as E
    from pactwatch.scenarios import forecast as F

    monkeypatch.setattr(E, "MC_CHUNK", 256)
    kw = dict(as_of=AS_OF, sims=600, seed=5, ctx=forecast_ctx)
    local = _without_runtime(F.forecast_case("rus-prk-2024", **kw))
    real, calls, killed = F.survival_draws, [], {}

    def kill_before_the_third(*a, **k):
        calls.append(1)
        mc = k["engine"]
        if len(calls) == 3:
            futures = [f for pair in mc.memo["mc-draws"][3] for f in pair]
            holder = sorted({w for ws in mc.client.who_has(futures).values() for w in ws})[0]
            pids = mc.client.run(os.getpid)
            os.kill(pids[holder], signal.SIGKILL)
            killed.update(addr=holder, pid=pids[holder])
        return real(*a, **k)

    monkeypatch.setattr(F, "survival_draws", kill_before_the_third)
    dask = _without_runtime(F.forecast_case("rus-prk-2024", engine=engine, **kw))
    assert killed and len(calls) == len(local["scenarios"])
    with distributed.Client(engine.scheduler) as client:
        assert killed["pid"] not in client.run(os.getpid).values()  # that process is gone (its nanny started a new one)
    assert local == dask


def test_baseline_draws_use_the_stream_as_in_process(forecast_ctx, engine):
    """The Poisson event counts come from the driver's stream in the in-process order and leave it in the same
    state (later draws from it are unchanged); the baselines are identical."""
    from pactwatch.scenarios import engine as E
    from pactwatch.scenarios import shocks as SH
    from pactwatch.scenarios.cases import load_case, resolve

    fm = forecast_ctx.model
    rc = resolve(load_case("rus-prk-2024"), forecast_ctx.data, pd.Timestamp(AS_OF))
    grid = SH.path_grid(rc.in_force, pd.Timestamp(AS_OF), 10.0)
    eng = E.Engine(fm, grid.a0, 10.0)
    r1, r2 = np.random.default_rng(7), np.random.default_rng(7)
    b1, b2 = E.draw_betas(fm, 700, r1), E.draw_betas(fm, 700, r2)
    want = eng.baseline(b1, r1)
    with NE.session(engine) as mc:
        got = E.baseline_draws(eng, b2, r2, engine=mc, chunk=512)  # two blocks of 256 per task, then the rest
        assert np.array_equal(want, got) and want.shape == (len(eng.u), 700)
        assert r1.bit_generator.state == r2.bit_generator.state
        # survival over a path array that is not C-ordered (as the scenario paths are): same bits on the workers
        Zu = np.stack([np.asfortranarray(z) for z in np.random.default_rng(1).normal(0, 1, (3, len(grid.bounds) - 1, fm.p))])
        assert not (Zu.flags.c_contiguous or Zu.flags.f_contiguous)
        inv = np.random.default_rng(2).integers(0, 3, 700)
        S = E.survival_draws(eng, b1, want, Zu, inv, grid.bounds, engine=mc, chunk=300)
    assert np.array_equal(S, eng.survival(b1, want, Zu[inv], grid.bounds))


def test_cli_forecast_checks_the_engine_flags(monkeypatch):
    from typer.testing import CliRunner

    from pactwatch.cli import app

    r = CliRunner().invoke(app, ["forecast", "rus-prk-2024", "--workers", "2"])
    assert r.exit_code != 0 and "--engine dask" in str(r.exception) + r.output
    r = CliRunner().invoke(app, ["forecast", "--backtest", "--engine", "dask", "--workers", "2"])
    assert r.exit_code != 0 and "not to --backtest" in str(r.exception) + r.output


# -------------------------------------------------------------------------------------------------------- monitor
NEWS = {  # dated after the case's observed date, so that they can propose updates
    "2026-12-03-lavrov-visit.txt": "Lavrov visits Pyongyang\n\nRussian Foreign Minister Sergei Lavrov visited "
    "Pyongyang on Wednesday.\nKim Jong Un hosted Lavrov in Pyongyang and praised Russia.\n",
    "2026-12-05-ceasefire.txt": "Ceasefire agreed\n\nRussia declared a ceasefire with Ukraine on Friday.\n"
    "Russia and Ukraine signed a ceasefire agreement in Istanbul.\n",
    "2026-12-06-appeal.txt": "Appeal to Pyongyang\n\nRussia asked North Korea for military assistance under "
    "Article 4 of the treaty.\n",
}


@pytest.fixture
def articles(data_dir, tmp_path):
    shared = data_dir.parent / "articles" / "rus-prk-news" / "articles"
    if not shared.is_dir():
        pytest.skip(f"no shared articles folder {shared}")
    d = tmp_path / "articles"
    d.mkdir()
    for f in sorted(shared.glob("*.txt"))[:8]:
        shutil.copy(f, d / f.name)
    for name, text in NEWS.items():
        (d / name).write_text(text, encoding="utf-8")
    return d


def _events(db: Path, sql: str = "select * exclude (imported_at) from events order by event_id") -> pd.DataFrame:
    from pactwatch.news.store import connect

    con = connect(db, read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def test_monitor_on_dask_equals_in_process(articles, tmp_path, events_dir, engine, dask_calls, monkeypatch):
    from pactwatch.cli.monitor import run_monitor
    from pactwatch.events import corpus as C

    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    monkeypatch.setenv("PACTWATCH_ROOT_MODEL", "0")
    monkeypatch.setattr(C, "STORE_BATCH", 3)  # 11 articles: four coding tasks
    runs = {}
    for kind, eng in (("inprocess", None), ("dask", engine)):
        runs[kind] = run_monitor(str(CASE), articles=[articles], db=tmp_path / f"{kind}.duckdb",
                                 out=tmp_path / f"out-{kind}", min_confidence=0.0, engine=eng)
    a, b = runs["inprocess"], runs["dask"]
    assert ("read_files", 1) in dask_calls and ("code_rows", 4) in dask_calls
    assert a["status"] == "ok" and a["ingest"]["added"] == 11 and a["coded"]["articles_coded"] == 11
    for k in ("ingest", "coded", "coverage", "events_read", "indicators", "series", "proposals", "proposals_since",
              "log"):
        assert a[k] == b[k], k
    assert sum(i["total"] for i in a["indicators"]) > 0 and a["proposals"]  # series and proposals with content
    ev_a, ev_b = _events(tmp_path / "inprocess.duckdb"), _events(tmp_path / "dask.duckdb")
    assert len(ev_a) > 20
    pd.testing.assert_frame_equal(ev_a, ev_b, check_exact=True)
    marks = "select article_id, events from coded_articles order by article_id"
    marks_a = _events(tmp_path / "inprocess.duckdb", marks)
    assert len(marks_a) == 11
    pd.testing.assert_frame_equal(marks_a, _events(tmp_path / "dask.duckdb", marks), check_exact=True)
    files = lambda kind: (tmp_path / f"out-{kind}" / "indicators.json").read_text(encoding="utf-8")  # noqa: E731
    assert files("inprocess").replace("inprocess.duckdb", "X") == files("dask").replace("dask.duckdb", "X")
    # a second run codes nothing new on either engine
    again = run_monitor(str(CASE), articles=[articles], db=tmp_path / "dask.duckdb", out=tmp_path / "out-dask",
                        min_confidence=0.0, engine=engine)
    assert again["coded"]["articles_coded"] == 0 and again["series"] == b["series"]


def test_cli_monitor_passes_the_engine(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    import pactwatch.cli.monitor as M
    from pactwatch.cli import app

    seen = {}

    def fake(*a, **k):  # only the engine handed over is checked here
        seen["engine"] = k["engine"]
        raise SystemExit(0)

    monkeypatch.setattr(M, "run_monitor", fake)
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--engine", "dask", "--workers", "2"])
    assert r.exit_code == 0, r.output
    assert seen["engine"].is_dask and seen["engine"].workers == 2
    r = CliRunner().invoke(app, ["monitor", str(CASE), "--scheduler", "tcp://x:1"])
    assert r.exit_code != 0 and "--engine dask" in str(r.exception) + r.output
