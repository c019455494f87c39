"""`pactwatch main`: the README's main job — the North Korea–Russia report.

1. Finds the data (``--data-dir``, $PACTWATCH_DATA_DIR, or a ``shared/data`` folder beside the repository); with none,
   downloads it from the publishers into ``<home>/data``; builds (or confirms up to date) the DuckDB store.
2. Forecasts the case :data:`MAIN_CASE` (``cases/rus-prk-2024.yaml``, the 2024 Russia–DPRK treaty) under every default
   scenario (Monte Carlo, ``--sims`` draws, seed ``--seed``, as of ``--as-of`` or today) and runs the back-test over
   the historical cases (both through :func:`pactwatch.reports.run.forecast_and_report`).
3. Writes the self-contained HTML report (default ``<home>/reports/rus-prk-2024.html``, ``--report PATH``) and prints
   the forecast's summary table and the report's path. ``--json`` prints the store summary, the report path and the
   forecast (its ``validation`` holds the back-test) as one JSON object instead.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, console_err, print_json
from pactwatch.errors import DataError, DataMissingError, PactwatchError


def _find_or_fetch(data_dir: Path | None) -> Path:
    from pactwatch.data.registry import resolve_data_dir

    try:
        return resolve_data_dir(data_dir, search_shared=True)
    except DataMissingError:
        if data_dir is not None:
            raise
    from pactwatch.data.fetch import fetch
    from pactwatch.paths import home

    target = home() / "data"
    console.print(f"No data directory found; downloading the datasets from their publishers into {target} ...")
    try:
        # One small dataset first, without long retries, so an offline machine gets a prompt answer.
        fetch(target, ["cow-states-2016"], retries=1, backoff=0.2, timeout=20)
    except DataError as exc:
        raise DataMissingError(
            f"no datasets found and the publishers could not be reached ({str(exc).splitlines()[-1].strip()}).\n"
            "Either point pactwatch at a directory that holds them (--data-dir DIR or PACTWATCH_DATA_DIR=DIR), or run "
            f"`pactwatch data fetch --data-dir {target}` on a machine with network access (a mirror: --base-url URL)."
        ) from None
    fetch(target)
    return target


MAIN_CASE = "rus-prk-2024"


def _store_summary(root: Path, result) -> dict:
    from pactwatch.data.registry import registry
    from pactwatch.data.store import store_summary

    rows = store_summary(result.db)
    per: dict[str, dict] = defaultdict(lambda: {"tables": 0, "rows": 0})
    for r in rows:
        if r.get("dataset"):
            per[r["dataset"]]["tables"] += 1
            per[r["dataset"]]["rows"] += int(r["rows"])
    reg = registry()
    return {
        "data_dir": str(root),
        "db": str(result.db),
        "build": result.status,
        "seconds": round(result.seconds, 2),
        "skipped": [{"file": f, "reason": why} for f, why in result.skipped],
        "datasets": [
            {"key": k, "name": reg[k].name, "version": reg[k].version, "coverage": reg[k].coverage, **per[k]}
            for k in reg if k in per
        ],
    }


def _news_monitor(root: Path, quiet: bool) -> dict:
    """The news side of the main job: `pactwatch monitor` over the news folder ($PACTWATCH_NEWS_ARTICLES, else
    ``<data>/../articles/rus-prk-news/articles`` beside the data directory) when it holds articles, or a plain
    statement that there are none (the monitor is then not run)."""
    from pactwatch.cli.monitor import default_articles_dir, default_articles_origin, run_monitor
    from pactwatch.news.folders import article_files
    from pactwatch.paths import home

    arts = default_articles_dir(root)
    how = f"`pactwatch monitor {MAIN_CASE} --articles DIR` reads a folder of articles"
    if not arts.is_dir():
        return {"status": "no articles", "message": f"no news articles: {default_articles_origin()} {arts} does not "
                f"exist; {how}"}
    files, _ = article_files([arts])
    if not files:
        return {"status": "no articles", "message": f"no news articles: {default_articles_origin()} {arts} holds no "
                f"article files; {how}"}
    if not quiet:
        console_err.print(f"news: coding the {len(files)} article files in {arts} (first run about 10 s; later runs "
                          "reuse the store)")
    mon = run_monitor(MAIN_CASE, articles=[arts], out=home() / "monitor" / MAIN_CASE,
                      progress=None if quiet else (lambda m: console_err.print(f"[dim]news: {m} ...[/]")))
    mon.pop("series", None)  # the full series with evidence is in mon["json"]
    return mon


def _print_monitor(mon: dict) -> None:
    console.print("\n[bold]What the news says[/]")
    if mon.get("status") != "ok":
        console.print(mon.get("message", "no events"))
        return
    cov = mon.get("coverage") or ["?", "?"]
    console.print(f"{mon.get('events_read', 0)} coded events, {cov[0]} to {cov[1]}; "
                  f"indicator series: {mon.get('json')}" + (f", plot {mon['plot']}" if mon.get("plot") else ""))
    for i in mon.get("indicators", []):
        cps = ", ".join(str(c) for c in i.get("change_points") or []) or "none"
        console.print(f"  {i['label']}: {i['total']} in {i['months_with_events']} months; change points: {cps}")
    props = mon.get("proposals") or []
    console.print(f"Proposed updates to the case from the news: {len(props) or 'none'}"
                  + (" (`pactwatch case update rus-prk-2024 --from-news` shows them)" if props else ""))


def main_job(
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
    report: Annotated[Optional[Path], typer.Option("--report", help="Where to write the HTML report (default: "
                      "<home>/reports/rus-prk-2024.html).", dir_okay=False)] = None,
    sims: Annotated[int, typer.Option("--sims", help="Monte Carlo draws for the forecast (and the back-test, up to "
                    "1000).")] = 1000,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Forecast date (default: today).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
    backtest: Annotated[bool, typer.Option("--backtest", help="First run the landmark back-test (`pactwatch backtest` "
                        "with its defaults: 7–16 min) so that the report quotes the model's track record; without it "
                        "the report quotes a stored back-test of the same specification and data, or says there is "
                        "none.")] = False,
) -> None:
    """The main job: find or download the data, build the store, forecast the North Korea–Russia alliance under every
    default scenario and write the HTML report."""
    from pactwatch.data.source import DataSource
    from pactwatch.data.store import build_store
    from pactwatch.paths import home
    from pactwatch.cli.forecast import flag_error
    from pactwatch.reports.run import forecast_and_report
    from pactwatch.scenarios import forecast as F
    from pactwatch.scenarios.cases import load_scenarios

    root = _find_or_fetch(data_dir)
    result = build_store(root, db, progress=not json_out)
    summary = _store_summary(root, result)
    if not json_out:
        t = Table(title=f"pactwatch store: {result.db} ({result.status}, {result.seconds:.1f} s)")
        for col in ("dataset", "version", "coverage", "tables", "rows"):
            t.add_column(col, justify="right" if col in ("tables", "rows") else "left")
        for d in summary["datasets"]:
            t.add_row(d["key"], d["version"], d["coverage"], str(d["tables"]), f"{d['rows']:,}")
        console.print(t)
        console.print(f"data: {root}")

    src = DataSource(data_dir=root, db=result.db)
    if backtest:
        from pactwatch.scenarios import landmark as L
        from pactwatch.scenarios import landmark_store as LS

        stored = LS.save_landmark(L.run_backtest(src, progress=lambda m: console_err.print(f"[dim]back-test: {m}[/]")))
        console_err.print(f"back-test stored in {stored}")
    mon = _news_monitor(root, json_out)  # before the report, which shows what the news says
    allsc = load_scenarios()
    names = F.default_scenarios(allsc)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=console_err, transient=True,
                  disable=json_out and not console_err.is_terminal) as prog:
        task = prog.add_task("forecast: panels and model", total=len(set(names) | {"status-quo"}))

        def step(desc):
            prog.update(task, advance=1 if desc in allsc else 0, description=desc)

        try:
            run = forecast_and_report(MAIN_CASE, names, as_of=as_of, sims=sims, seed=seed, source=src, progress=step,
                                      report=report if report is not None else home() / "reports" / f"{MAIN_CASE}.html",
                                      news=mon)
        except PactwatchError as exc:
            raise flag_error(exc) from None
    res, path = run.result.to_json(), run.report
    from pactwatch.scenarios import ledger

    ledger.append(ledger.entry_from_result(res))  # the headline forecast, scored once its outcome is recorded
    if json_out:
        print_json({**summary, "report": str(path), "forecast": res, "monitor": mon})
        return
    from pactwatch.cli.forecast import summary_table
    from pactwatch.reports.report import answer, question

    c = res["case"]
    console.print(f"\n[bold]{question(res)['text']}[/]")
    from pactwatch.reports.present import resolution_lines

    for line in resolution_lines(res):
        console.print(line, highlight=False, markup=False)
    console.print(f"{c['name']}, in force {c['in_force']}; age {c['age_at_as_of']:.1f} years on {res['as_of']}; "
                  f"event '{res['event']['name']}'.")
    console.print(summary_table(res))
    console.print(answer(res)["text"])
    _print_monitor(mon)
    console.print(f"\n[bold]Report:[/] {path}")
    console.print("Drivers, analogues, back-test, caveats and provenance are in the report; "
                  "`pactwatch forecast --list` lists the other cases and scenarios.")
