"""`pactwatch forecast`: scenario forecasts of an alliance's survival (and the historical back-test).

Register in the app with ``app.command("forecast", help=...)(forecast)``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, console_err, print_json
from pactwatch.cli.events import EngineOpt, SchedulerOpt, WorkersOpt, _engine
from pactwatch.errors import PactwatchError
from pactwatch.reports import present as P
from pactwatch.scenarios.result import as_json


#: Library terms in error messages -> this command's flags.
FLAGS = {"as_of": "--as-of", "as-of date": "--as-of", "sims": "--sims", "number of Monte Carlo draws": "--sims",
         "random seed": "--seed", "horizon": "--horizon", "report path": "--report", "interval level": "--level",
         "k analogues": "--k"}


def flag_error(exc: PactwatchError) -> PactwatchError:
    """The library's error with its leading parameter name (``as_of: ...``) written as this command's flag."""
    msg = str(exc)
    for term, flag in FLAGS.items():
        if msg.startswith(term):
            try:
                return type(exc)(flag + msg[len(term):])
            except TypeError:  # an error class with another constructor: keep it as it is
                return exc
    return exc


def render(res) -> None:
    res = as_json(res)
    c = res["case"]
    if c.get("question"):
        console.print(f"[bold]{c['question']}[/]", highlight=False)
    for line in P.resolution_lines(res):
        console.print(line, highlight=False, markup=False)
    console.print(f"[bold]{c['name']}[/] ({c['id']}), in force {c['in_force']}; age {c['age_at_as_of']:.1f} years on "
                  f"{res['as_of']}. Event '{res['event']['name']}': {res['event']['description']}.")
    console.print(summary_table(res))
    ct = competing_table(res)
    if ct is not None:
        console.print(ct)
    _render_details(res)


def competing_table(res) -> Table | None:
    """Each cause's cumulative incidence and 'ends for any reason but replacement' (status quo and war ends; cells
    written by :func:`pactwatch.reports.present.competing_table`); None when the result has none."""
    res = as_json(res)
    tab = P.competing_table(res)
    if tab is None:
        return None
    t = Table(title=f"How it would end: probability of having ended by each cause t years after {res['as_of']} "
                    f"(competing risks; {P.level_text(res['level'])} intervals)", title_justify="left")
    t.add_column("scenario / cause")
    for c in tab["columns"]:
        t.add_column(c, justify="right")
    for s in tab["scenarios"]:
        t.add_row(f"[bold]{s['label']}[/]", *[""] * len(tab["columns"]))
        for r in s["rows"]:
            t.add_row(f"  {r['label']}", *r["cells"])
        t.add_row("  [bold]any reason but replacement[/]", *s["not_replaced"])
        t.add_row(f"  [dim]ends at all (1 − survival, {tab['event']})[/]", *[f"[dim]{x}[/]" for x in s["any_end"]])
    return t


def summary_table(res) -> Table:
    """The scenario table: survival at each horizon with intervals, median remaining, Δ vs status quo, base rate
    (cells written by :func:`pactwatch.reports.present.scenario_table`, as in the report and the web page)."""
    res = as_json(res)
    lvl = P.level_text(res["level"])
    tab = P.scenario_table(res)
    t = Table(title=f"Probability the alliance is still in effect t years after {res['as_of']} (given it is now); "
                    f"{lvl} intervals from {res['n_sims']} Monte Carlo draws", title_justify="left")
    t.add_column("scenario")
    for x in res["times"]:
        t.add_column(f"{x:g} y", justify="right")
    t.add_column("median remaining", justify="right")
    t.add_column(f"Δ {tab['t_diff']:g} y vs status quo", justify="right")
    for row in tab["rows"]:
        t.add_row(row["label"], *row["survival"], row["median"], row["diff"])
    br = res["base_rate"]
    t.add_row(f"[dim]base rate: KM, {br['n_alliances']} similar alliances[/]",
              *[f"[dim]{cell}[/]" for cell in tab["base_rate"]], "", "")
    return t


def _render_details(res: dict) -> None:
    c = res["case"]
    br = res["base_rate"]
    console.print(f"[dim]Base-rate filters: {br['filters']}" + (f" (relaxed: {', '.join(br['relaxed'])})" if br["relaxed"] else "")
                  + f"; {br['at_risk_at_age']} of them were still in effect at age {br['conditional_on_age']:.1f}.[/]")
    sq = res["scenarios"][0]
    d = Table(title=f"Drivers ({sq['label']}): value now vs the typical alliance-year (training median)",
              title_justify="left")
    for col in ("covariate", "now", "typical", "coef", "log-hazard", "Δ 5-y survival"):
        d.add_column(col, justify="left" if col == "covariate" else "right")
    for r in sq["drivers"][:10]:
        d.add_row(r["label"], f"{r['value_now']:.3g}", f"{r['reference']:.3g}", f"{r['coef']:+.2f}",
                  f"{r['log_hazard']:+.2f}", f"{P.pts(r['delta_s5'], 1)} pts")
    console.print(d)
    an = res["analogues"]
    a = Table(title=f"Historical analogues: the {an['k']} ATOP alliances most similar at formation", title_justify="left")
    for col in ("atopid", "members", "began", "ended", "years", "how it ended", "distance"):
        a.add_column(col, justify="right" if col in ("years", "distance", "atopid") else "left")
    for r in an["rows"]:
        mem = "–".join(r["members"][:4]) + (f" +{len(r['members']) - 4}" if len(r["members"]) > 4 else "")
        a.add_row(str(r["atopid"]), mem, r["begin"], r["end"] or "in effect 2018", f"{r['years']:.1f}" +
                  ("" if r["ended"] else "+"), r["how_ended"] or "–", f"{r['distance']:.2f}")
    console.print(a)
    m = res["model"]
    console.print(f"[dim]Model: time-varying Cox ({m['spec']}), {m['info']['n_alliances']} alliances, "
                  f"{m['info']['n_events']} events, alliance-years {m['info']['train_years'][0]}–"
                  f"{m['info']['train_years'][1]}; SEs {m['se_type']}; fit cache {m['cache'].get('fit_cache')}.[/]")
    for n in res["notes"]:
        console.print(f"[dim]• {n}[/]")
    if c["uncertain_values"]:
        console.print(f"[dim]• Case values marked uncertain: {', '.join(c['uncertain_values'])}.[/]")
    txt = P.coding_sentence(res)
    if txt:
        console.print(f"[dim]• {txt}[/]")
        for w in P.swing_rows(res):
            console.print(f"[dim]  {w['path']} {w['change']} (weight {w['weight']}): {w['at_alternative']}, "
                          f"{w['swing']} ({w['interval']})[/]")


def render_backtest(res) -> None:
    res = as_json(res)
    t = Table(title=f"Back-test: forecast at formation with data up to the formation year (event '{res['event']}')",
              title_justify="left")
    for col in ("case", "formed", "trained on", "lasted", "5 y: predicted / base rate / actual",
                "10 y: predicted / base rate / actual"):
        t.add_column(col)
    for r in res["cases"]:
        cells = []
        for x in r["by_t"]:
            act = "?" if x["actual_survived"] is None else ("in effect" if x["actual_survived"] else "ended")
            cells.append(f"{P.pct_ci(x['predicted'], x['lower'], x['upper'])} / {P.pct(x['base_rate'])} / {act}")
        t.add_row(r["case"], r["formed"], f"{r['train_alliances']} alliances, ≤ {r['train_years'][1]}",
                  f"{r['duration_years']:.1f} y" + ("" if r["ended"] else "+"), *cells)
    console.print(t)
    from pactwatch.reports.report import small_backtest_reference

    for b in res["brier"]:
        if b["model"] is None:
            console.print(f"Brier at {b['t']:g}: no cases")
            continue
        ref = small_backtest_reference(b)
        base = f"base rate {b['base_rate']:.3f}, " if b["base_rate"] is not None else ""
        console.print(f"Brier at {b['t']:g} years over {b['n_cases']} cases: model {b['model']:.3f} ({base}always "
                      f"saying 50% 0.250): {'better' if ref['beats'] else 'no better'} than {ref['best_label']}; "
                      "too few cases to validate anything (`pactwatch backtest` is the track record)")
    console.print(f"[dim]{res['note']}[/]")


def forecast(
    case: Annotated[Optional[str], typer.Argument(help="Case name (cases/NAME.yaml) or path to a case file.")] = None,
    scenario: Annotated[Optional[list[str]], typer.Option("--scenario", "-s", help="Scenario name (repeatable; "
                        "default: every default scenario). The status quo is always included.")] = None,
    horizon: Annotated[float, typer.Option("--horizon", help="Years ahead.")] = 10.0,
    sims: Annotated[int, typer.Option("--sims", help="Monte Carlo draws.")] = 1000,
    event: Annotated[str, typer.Option("--event", help="Event definition: any-end, atop, death, violation, fulfilment, "
                                       "replacement, other.")] = "any-end",
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Forecast date (default: today).")] = None,
    level: Annotated[float, typer.Option("--level", help="Interval level.")] = 0.9,
    k: Annotated[int, typer.Option("--k", help="Historical analogues to list.")] = 8,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    backtest: Annotated[bool, typer.Option("--backtest", help="Run the back-test over the historical cases instead.")] = False,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Rebuild panels and refit instead of using the cache.")] = False,
    no_competing: Annotated[bool, typer.Option("--no-competing", help="Skip the competing-risk forecast (each cause's "
                            "cumulative incidence and 'ends for any reason but replacement').")] = False,
    list_: Annotated[bool, typer.Option("--list", help="List cases and scenarios.")] = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="Also write a self-contained HTML report (charts, "
                      "analogues, back-test, caveats, provenance) to this file.", dir_okay=False)] = None,
    json_out: JsonOpt = False,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    engine: EngineOpt = None,
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
) -> None:
    """Survival of an alliance under scenarios (Monte Carlo over parameters and shock timing), base rate, analogues.

    With ``--engine dask`` the Monte Carlo's baseline and survival arithmetic runs on a Dask cluster in chunks of
    draws (every random number is still drawn here): the same numbers; it pays only for large --sims (docs/scale.md)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from pactwatch.data.source import DataSource
    from pactwatch.paths import default_db
    from pactwatch.reports.run import BACKTEST_MAX_SIMS, forecast_and_report
    from pactwatch.scenarios import backtest as BT
    from pactwatch.scenarios import forecast as F
    from pactwatch.scenarios.cases import list_names, load_scenarios

    if list_:
        sc = load_scenarios()
        out = {"cases": list_names("cases"), "scenarios": {n: s.label for n, s in sc.items()},
               "default_scenarios": F.default_scenarios(sc)}
        if json_out:
            print_json(out)
        else:
            console.print("cases: " + ", ".join(out["cases"]))
            for n, lab in out["scenarios"].items():
                console.print(f"scenario {n}: {lab}")
        return
    if backtest and report is not None:
        raise PactwatchError("--report writes a case forecast's report; use it with a CASE, not with --backtest "
                             "(the report includes the back-test)")
    eng = _engine(engine, scheduler, workers)
    if backtest and eng.is_dask:
        raise PactwatchError("--engine dask applies to a case forecast's Monte Carlo, not to --backtest (the four "
                             "named cases; `pactwatch backtest --engine dask` runs the landmark back-test on Dask)")
    if not backtest and case is None:
        raise PactwatchError("give a CASE (e.g. rus-prk-2024), or --backtest, or --list")
    src = DataSource(data_dir=data_dir, db=db if db is not None else default_db())
    written = None
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console_err, transient=True, disable=json_out and not console_err.is_terminal) as prog:
        try:
            if backtest:
                names = BT.backtest_cases()
                task = prog.add_task("back-test", total=len(names))
                res = BT.backtest(names, event=event, n_sims=min(sims, BACKTEST_MAX_SIMS), level=level, seed=seed,
                                  src=src, use_cache=not no_cache,
                                  progress=lambda d: prog.update(task, advance=1 if d in names else 0, description=d))
            else:
                allsc = load_scenarios()
                n = len(set(scenario or F.default_scenarios(allsc)) | {"status-quo"})
                task = prog.add_task("Monte Carlo", total=n)

                def step(desc):
                    prog.update(task, advance=1 if desc in allsc else 0, description=desc)

                run = forecast_and_report(case, scenario, horizon=horizon, as_of=as_of, sims=sims, event=event,
                                          level=level, seed=seed, k_analogues=k, source=src, use_cache=not no_cache,
                                          report=report, progress=step, competing=not no_competing, engine=eng)
                res, written = run.result, run.report
        except PactwatchError as exc:
            raise flag_error(exc) from None
    res = as_json(res)
    if json_out:
        print_json(res)
    elif backtest:
        render_backtest(res)
    else:
        render(res)
    if report is not None and not backtest:
        console_err.print(f"report: {written}")
