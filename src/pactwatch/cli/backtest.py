"""`pactwatch backtest`: the landmark back-test of the forecast (see :mod:`pactwatch.scenarios.landmark`).

Register in the app with ``app.command("backtest", help=...)(backtest_cmd)``.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, console_err, print_json
from pactwatch.cli.events import EngineOpt, SchedulerOpt, WorkersOpt, _engine
from pactwatch.errors import PactwatchError


def _floats(text: str, what: str) -> list[float]:
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise PactwatchError(f"{what}: expected comma-separated years like 5,10, got {text!r}") from None
    if not out or any(h <= 0 for h in out):
        raise PactwatchError(f"{what}: expected positive horizons in years, got {text!r}")
    return sorted(set(out))


def _f(v, nd=3, sign=False):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:+.{nd}f}" if sign else f"{v:.{nd}f}"


def _iv(x, nd=3):
    return "[" + ", ".join(_f(v, nd, sign=True) for v in x) + "]" if x else ""


def _pooled_table(split: str, h: str, r: dict, level: float) -> Table:
    p = r["pooled"]
    pct = f"{level:.0%}"
    t = Table(title=f"{split} origins, {h}-year horizon: {p['n']} alliance-origins, {p['n_alliances']} alliances, "
                    f"{p['n_events']} endings", title_justify="left")
    for c in ("method", "Brier", "BSS vs best", "log loss", "cal. intercept", "cal. slope", "AUC", "Harrell C", "Uno C"):
        t.add_column(c, justify="left" if c == "method" else "right")
    for m, s in p.get("methods", {}).items():
        name = m + (" (best baseline)" if m == p.get("best_baseline") else "")
        t.add_row(name, _f(s["brier"], 4), _f(s["brier_skill_vs_best"], 3, True), _f(s["log_loss"]),
                  _f(s["intercept"], 2), _f(s["slope"], 2), _f(s["auc"]), _f(s.get("harrell_c")), _f(s.get("uno_c")))
    if p.get("best_baseline"):
        t.caption = (f"model − best baseline ({p['best_baseline']}): Brier {_f(p['brier_diff_vs_best'], 4, True)} "
                     f"{pct} {_iv(p['brier_diff_interval'], 4)}; skill {_f(p['brier_skill_vs_best'], 3, True)} "
                     f"{_iv(p['brier_skill_interval'])}; beats the best baseline: {p['beats_best_baseline']}. "
                     f"Model calibration slope {pct} {_iv(p['model_intervals'].get('slope'), 2)}.")
        t.caption_justify = "left"
    return t


def _subgroup_table(split: str, h: str, r: dict) -> Table:
    t = Table(title=f"Subgroups, {split} origins, {h}-year horizon", title_justify="left")
    for c in ("subgroup", "n", "alliances", "endings", "model Brier", "best baseline", "its Brier", "difference [interval]",
              "beats best"):
        t.add_column(c, justify="left" if c in ("subgroup", "best baseline") else "right")
    for s in r["subgroups"].values():
        if "methods" not in s:
            t.add_row(s["label"], str(s.get("n", 0)), "", "", "", "", "", s.get("note", ""), "")
            continue
        b = s["best_baseline"]
        t.add_row(s["label"], str(s["n"]), str(s["n_alliances"]), str(s["n_events"]), _f(s["methods"]["model"]["brier"], 4),
                  b, _f(s["methods"][b]["brier"], 4),
                  f"{_f(s['brier_diff_vs_best'], 4, True)} {_iv(s['brier_diff_interval'], 4)}", s["beats_best_baseline"])
    return t


def backtest_cmd(
    start: Annotated[int, typer.Option("--start", help="First origin year.")] = 1950,
    end: Annotated[Optional[int], typer.Option("--end", help="Last origin year (default: the last each horizon allows: "
                                               "ATOP ends in 2018 and the war data the forecast needs in 2007).",
                                               show_default=False)] = None,
    step: Annotated[int, typer.Option("--step", help="Years between origins.")] = 1,
    horizons: Annotated[str, typer.Option("--horizons", help="Comma-separated horizons in years.")] = "5,10",
    n_boot: Annotated[int, typer.Option("--boot", help="Cluster-bootstrap draws (alliances resampled).")] = 200,
    dev_end: Annotated[int, typer.Option("--dev-end", help="Last development origin; later origins are scored "
                                         "separately and each look at them is counted.")] = 1990,
    later: Annotated[bool, typer.Option("--later/--no-later", help="Score the later origins (> --dev-end) too; "
                                        "every such run is counted in the ledger backtest_looks.json.")] = True,
    event: Annotated[str, typer.Option("--event", help="Event definition: any-end, atop, death, violation, fulfilment, "
                                       "replacement, other.")] = "any-end",
    level: Annotated[float, typer.Option("--level", help="Interval level.")] = 0.9,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    plots: Annotated[Optional[Path], typer.Option("--plots", help="Directory for the reliability diagrams (PNG).")] = None,
    oracle: Annotated[bool, typer.Option("--oracle/--no-oracle", help="Also score the oracle path (diagnostic).")] = True,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Refit every origin instead of using cached fits.")] = False,
    spec: Annotated[Optional[str], typer.Option("--spec", help="Model specification to back-test (default: the "
                                                "forecast's; see models.specs.CANDIDATE_SPECS). With --no-later only "
                                                "the development origins are scored.", show_default=False)] = None,
    json_out: JsonOpt = False,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Landmark back-test: at each origin, refit on what was known then, forecast every alliance in force on the
    status-quo path, and score against what happened beside four baselines. The result is stored under
    ``paths.home()/backtest/`` (specification and data hashes), where forecasts and reports find it.
    With ``--engine dask`` the origins (refit + predictions, one task each) run on a Dask cluster; the scores are
    computed here and equal the in-process run's."""
    from pactwatch.data.source import DataSource
    from pactwatch.models.specs import event_definition
    from pactwatch.paths import default_db
    from pactwatch.scenarios import landmark as L
    from pactwatch.scenarios import landmark_store as LS

    event_definition(event)
    if spec is not None:
        from pactwatch.models.specs import model_spec

        model_spec(spec)  # an unknown name fails before anything is built
    eng = _engine(engine, scheduler, workers)
    hs = _floats(horizons, "--horizons")
    if step < 1:
        raise PactwatchError(f"--step must be at least 1, got {step}")
    if n_boot < 10:
        raise PactwatchError(f"--boot must be at least 10, got {n_boot}")
    if not 0 < level < 1:
        raise PactwatchError(f"--level must be between 0 and 1, got {level}")
    src = DataSource(data_dir=data_dir, db=db if db is not None else default_db())

    def progress(msg: str) -> None:
        console_err.print(f"[dim]{msg}[/]")

    res = L.run_backtest(src, start=start, end=end, step=step, horizons=hs, n_boot=n_boot, level=level, seed=seed,
                         dev_end=dev_end, event=event, include_later=later, plots_dir=plots, use_cache=not no_cache,
                         oracle=oracle, progress=progress, engine=eng, spec=spec)
    stored = LS.save_landmark(res)
    console_err.print(f"back-test stored in {stored} (forecasts quote it when it is the default run: "
                      f"`pactwatch backtest` without options)")
    if json_out:
        print_json(res)
        return
    sp = res["spec"]
    console.print(f"[bold]Landmark back-test[/] of model '{sp.get('model_spec')}' — specification {sp['hash'][:16]} (frozen {sp['frozen_at']}), "
                  f"event '{sp['event']['name']}', horizons {', '.join(f'{h:g}' for h in sp['horizons'])} years")
    for n in res["notes"]:
        console.print(f"note: {n}")
    c = res["scores"]["counts"]
    console.print(f"alliance-origins: {c['rows']}; scored {c['scored']}; without a model prediction {c['no_model_prediction']}; "
                  f"outcome unknown {c['outcome_unknown']}")
    for k, v in res["fit_info"]["not_predicted"].items():
        console.print(f"  not predicted ({k}): {v}")
    for split, s in res["scores"]["splits"].items():
        for h, r in s["horizons"].items():
            console.print(_pooled_table(split, h, r, res["spec"].get("level", level)))
            o = r["oracle"]
            if o["n"]:
                console.print(f"  oracle path (diagnostic): Brier {_f(o['brier'], 4)} vs status quo "
                              f"{_f(o['model_brier_same_rows'], 4)} on the same {o['n']} rows")
            console.print(_subgroup_table(split, h, r))
            if r.get("plot"):
                console.print(f"  reliability diagram: {r['plot']}")
    rows = res.get("named_cases", [])
    if rows:
        t = Table(title="Named cases (Soviet/Russian bilateral treaties and the historical case files): the forecast "
                        "at the first origin after formation beside what happened (all Soviet origins in the JSON)",
                  title_justify="left")
        for col in ("ATOP", "treaty", "origin", "horizon", "model", "km_30y", "const_10y", "survived"):
            t.add_column(col)
        seen = set()
        for r in rows:
            if (r["atopid"], r["horizon"]) in seen:
                continue
            seen.add((r["atopid"], r["horizon"]))
            t.add_row(str(r["atopid"]), r["name"], str(r["origin"]), f"{r['horizon']:g}", _f(r["model"], 2),
                      _f(r["km_30y"], 2), _f(r["const_10y"], 2), {1: "yes", 0: "no"}.get(r["survived"], "–"))
        console.print(t)
    lo = res["later_origins"]
    console.print(f"later origins {lo['origins']}: {'scored in this run' if lo['scored'] else 'not scored'}; "
                  f"scored {lo['times_scored_total']} time(s) in all ({lo['ledger']})")
    t = Table(title="War-ends event study (post/pre rate ratio: years 0..+1 vs −3..−1 around a war's end)",
              title_justify="left")
    for col in ("wars", "group", "post endings/yrs", "pre endings/yrs", "rate ratio [interval]"):
        t.add_column(col)
    for r in res["event_study"]["pre_post"]:
        t.add_row("world wars" if r["world_war"] else "other wars", r["group"], f"{r['post_events']}/{r['post_years']}",
                  f"{r['pre_events']}/{r['pre_years']}", f"{_f(r['rate_ratio'], 2)} [{_f(r['lower'], 2)}, {_f(r['upper'], 2)}]")
    console.print(t)
    console.print(f"runtime {res['runtime_seconds']} s")
