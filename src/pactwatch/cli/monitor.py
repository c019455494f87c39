"""`pactwatch monitor CASE --articles DIR | --feed URL`: news -> news store -> coded events -> the case's indicator
series (JSON and a PNG), and how many updates to the case the news proposes.

Registered in cli/__init__.py as ``"monitor": (_monitor, ...)`` with ``_monitor`` returning :func:`monitor`.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli.common import JsonOpt, console, print_json
from pactwatch.cli.events import EngineOpt, SchedulerOpt, WorkersOpt, _engine
from pactwatch.errors import PactwatchError


def default_articles_dir(data_dir: Path | None = None) -> Path | None:
    """The dev/CI default articles folder: ``$PACTWATCH_NEWS_ARTICLES`` when set, else
    ``<data>/../articles/rus-prk-news/articles`` for the data directory ``data_dir`` (default $PACTWATCH_DATA_DIR;
    None when neither is set)."""
    env = os.environ.get("PACTWATCH_NEWS_ARTICLES")
    if env:
        return Path(env)
    d = data_dir or os.environ.get("PACTWATCH_DATA_DIR")
    return Path(d).parent / "articles" / "rus-prk-news" / "articles" if d else None


def default_articles_origin() -> str:
    """Where :func:`default_articles_dir` came from, for messages."""
    return "$PACTWATCH_NEWS_ARTICLES" if os.environ.get("PACTWATCH_NEWS_ARTICLES") else "the default folder"


def _read_feed(url: str):
    from pactwatch.news.ingest import articles_from_feed

    p = Path(url)
    if p.is_file():
        return articles_from_feed(p.read_bytes(), str(p))
    if not url.startswith(("http://", "https://")):
        raise PactwatchError(f"--feed {url!r}: not a file and not an http(s) URL")
    import httpx

    try:
        r = httpx.get(url, timeout=30, follow_redirects=True)
        r.raise_for_status()
    except httpx.HTTPError as exc:
        raise PactwatchError(f"--feed {url}: cannot fetch it ({exc})") from None
    return articles_from_feed(r.content, url)


def _n(k: int, noun: str) -> str:
    return f"{k} {noun}{'' if k == 1 else 's'}"


def _once(reason: str) -> str:
    """'FILE: FILE: why' (the reader's message names the file too) as 'FILE: why'."""
    where, _, why = reason.partition(": ")
    return f"{where}: {why[len(where) + 2:]}" if why.startswith(f"{where}: ") else reason


def _out_dir(out: Path | None, case_id: str) -> Path:
    if out is not None:
        return out
    from pactwatch.paths import home

    return Path(home()) / "monitor" / case_id


def run_monitor(case: str, articles: list[Path] | None = None, feed: list[str] | None = None, db: Path | None = None,
                out: Path | None = None, months: int = 24, min_confidence: float | None = None, engine=None,
                progress=None) -> dict:
    """What `pactwatch monitor` does, as a function for other commands (the main job): ingest and code ``articles``
    (files/folders; default the shared folder when neither articles nor feeds are given) and ``feed`` (URLs or files),
    write ``indicators.json`` and ``indicators.png`` under ``out`` and return a summary: ``status`` ('ok' or
    'no events', with ``message``), ``notes``, ``ingest``, ``coded``, ``json``, ``plot``, ``coverage``,
    ``indicators`` (per indicator: total, months with events, change points), ``series`` (the full series with
    evidence) and ``proposals`` (updates to the case at or above ``min_confidence``). ``engine``: where the files
    are read and the new articles coded (a :class:`pactwatch.news.engine.Engine`, e.g. ``make_engine("dask",
    workers=2)``; default in-process): the store is written here either way and the outputs are the same.
    ``progress``: called with a line of text as each stage starts (reading, storing, coding, series).
    A folder with an ``index.jsonl`` catalogue is read as :func:`pactwatch.news.folders.article_files` says
    (only the articles it names); what is left out is in ``notes``."""
    import yaml

    from pactwatch.cli.store_help import empty_store_message
    from pactwatch.news.folders import article_files
    from pactwatch.monitor.checks import store_status
    from pactwatch.monitor.indicators import monitor_series, parse_indicators, plot_indicators, read_events
    from pactwatch.monitor.updates import DEFAULT_MIN_CONFIDENCE, propose_updates
    from pactwatch.news.store import connect, ingest, ingest_files
    from pactwatch.scenarios.cases import load_case

    min_confidence = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    c = load_case(case)
    path = Path(c.__dict__["_path"])
    if not c.indicators:
        raise PactwatchError(f"{path}: the case defines no indicators (add an 'indicators:' section; see "
                             "cases/rus-prk-2024.yaml)")
    inds = parse_indicators(c.indicators, str(path))
    notes: list[str] = []
    sources: list[Path] = list(articles or [])
    if not articles and not feed:
        d = default_articles_dir()
        if d is not None and d.is_dir():
            sources = [d]
            notes.append(f"articles: {default_articles_origin()} {d}")
        else:
            notes.append("no articles given (--articles DIR or --feed URL)" +
                         (f" and {default_articles_origin()} {d} does not exist" if d else
                          " and $PACTWATCH_DATA_DIR is unset"))
    for p in sources:
        if not p.exists():
            raise PactwatchError(f"--articles {p}: no such file or folder")
    say = progress or (lambda _msg: None)
    files, file_notes = article_files(sources)
    notes.extend(file_notes)
    ingest_rep = None
    coded = None
    if sources or feed:
        from pactwatch.cli.events import _nlp, _spec
        from pactwatch.events.store import code_stored_articles
        from pactwatch.news.engine import Engine, session

        with session(engine or Engine()) as eng:  # one cluster for reading and coding
            rep = None
            if files:
                say(f"reading and storing {len(files)} article file{'s' if len(files) != 1 else ''}")
            if files and eng.is_dask:
                from pactwatch.news.corpus import read_inputs

                arts, skips = read_inputs(files, eng)  # files read and parsed on the workers; stored here
                rep = ingest(arts, db=db, skips=skips)
            elif files:
                rep = ingest_files(files, db=db)
            reps = [rep] if rep else []
            for url in feed or []:
                say(f"reading the feed {url}")
                arts, skips = _read_feed(url)
                reps.append(ingest(arts, db=db, skips=skips))
            summaries = [r.summary() for r in reps]
            added_ids = {a for r in reps for a in r.added}
            ingest_rep = {k: sum(s[k] for s in summaries) for k in ("added", "unchanged", "near_duplicates", "skipped")}
            ingest_rep["skip_reasons"] = [r for s in summaries for r in s["skip_reasons"]]
            say(f"coding the stored articles not coded yet ({ingest_rep['added']} new)")
            con = connect(db)
            try:
                from pactwatch.events.store import articles_to_code

                # stored on an earlier run but not coded then (the coder failed on them, or a store from before the
                # coded_articles table held them without an event): they are coded now
                again = sum(1 for t in articles_to_code(con)[0] if t[0] not in added_ids)
                if eng.is_dask:
                    from pactwatch.events.corpus import code_stored_articles_on

                    coded = code_stored_articles_on(con, eng, _spec(None, None, None, None, None, None))
                else:
                    coded = code_stored_articles(con, nlp=_nlp(None, None, None, None))
                coded["coded_again"] = again
            finally:
                con.close()
    status = store_status(db)
    empty = empty_store_message(status, origin="pactwatch")
    result: dict = {"case": c.id, "store": status["path"], "notes": notes, "ingest": ingest_rep, "coded": coded}
    if empty:
        result.update({"status": "no events", "message": empty, "indicators": [], "json": None, "plot": None,
                       "series": None, "proposals": []})
        return result
    say("indicator series, change points and proposed updates")
    con = connect(status["path"], read_only=True)
    try:
        series = monitor_series(con, inds, origin="pactwatch")
        ev = read_events(con, "pactwatch")
    finally:
        con.close()
    case_data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        props = propose_updates(ev, case_data)
    except PactwatchError as exc:
        props = {"proposals": [], "since": None, "log": [{"step": "error", "rows": 0, "note": str(exc)}]}
    kept = [p for p in props["proposals"] if p["confidence"] >= min_confidence]
    od = _out_dir(out, c.id)
    od.mkdir(parents=True, exist_ok=True)
    jpath = od / "indicators.json"
    full = {"case": c.id, "generated_from": status["path"], **series}
    jpath.write_text(json.dumps(full, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
    ppath = plot_indicators(series, od / "indicators.png", last=months, title=f"{c.name}: indicators from the news")
    if ppath is None:
        stale = od / "indicators.png"
        if stale.exists():
            stale.unlink()  # no plot of nothing, and no older plot left looking current
        notes.append(f"no plot: no indicator has an event in the last {months} months of the series")
    result.update({"status": "ok", "json": str(jpath), "plot": str(ppath) if ppath else None,
                   "coverage": series["coverage"], "events_read": series["events_read"],
                   "indicators": [{k: i[k] for k in ("id", "label", "measure", "total", "change_points")} |
                                  {"months_with_events": sum(1 for p in i["series"] if p["n"])}
                                  for i in series["indicators"]],
                   "proposals_since": props.get("since"), "proposed_updates": len(kept),
                   "log": series["log"], "series": series, "proposals": kept})
    return result


def monitor(case: Annotated[str, typer.Argument(help="Case name (e.g. rus-prk-2024) or path to its YAML file.")],
            articles: Annotated[Optional[list[Path]], typer.Option("--articles", help="Article files or folders to ingest and code (repeatable). Default: $PACTWATCH_DATA_DIR/../articles/rus-prk-news/articles when it exists.")] = None,
            feed: Annotated[Optional[list[str]], typer.Option("--feed", help="RSS/Atom feed URL or file to ingest and code (repeatable).")] = None,
            db: Annotated[Optional[Path], typer.Option("--db", help="News store (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")] = None,
            out: Annotated[Optional[Path], typer.Option("--out", help="Folder for indicators.json and indicators.png (default ~/.pactwatch/monitor/CASE).")] = None,
            months: Annotated[int, typer.Option("--months", min=1, help="Months shown in the plot (the last N).")] = 24,
            as_json: JsonOpt = False, engine: EngineOpt = None, scheduler: SchedulerOpt = None,
            workers: WorkersOpt = None) -> None:
    """Ingest and code the news, then write the case's indicator series (JSON with evidence, and a PNG).

    With --engine dask the article files are read and the new articles coded on a Dask cluster (--workers N: a local
    one; --scheduler ADDRESS: a running one); the store, series, evidence and proposals are those of the in-process run.

    Monthly counts per indicator with change points, each month with its evidence sentences and articles; counts the
    updates to the case the news proposes (review them with `pactwatch case update CASE --from-news`)."""
    from pactwatch.cli.common import console_err

    def progress(msg: str) -> None:
        if not as_json or console_err.is_terminal:
            console_err.print(f"[dim]monitor: {msg} ...[/]", highlight=False)

    result = run_monitor(case, articles, feed, db, out, months, engine=_engine(engine, scheduler, workers),
                         progress=progress)
    if as_json:
        print_json({k: v for k, v in result.items() if k not in ("series",)})
        return
    for n in result["notes"]:
        console.print(n, highlight=False)
    ingest_rep, coded = result["ingest"], result["coded"]
    if ingest_rep:
        console.print(f"ingested: added {ingest_rep['added']}, unchanged {ingest_rep['unchanged']}, near-duplicates "
                      f"{ingest_rep['near_duplicates']}, skipped {ingest_rep['skipped']}; coded "
                      f"{coded['articles_coded'] - coded.get('coded_again', 0)} new articles ({coded['events_added']} "
                      "events)" + (f"; {_n(coded['coded_again'], 'article')} stored earlier but not coded then "
                                   f"{'was' if coded['coded_again'] == 1 else 'were'} coded now"
                                   if coded.get("coded_again") else ""), highlight=False)
        for r in ingest_rep["skip_reasons"]:
            console.print(f"  skipped {_once(r)}", highlight=False)
        for f in coded["articles_failed"]:
            console.print(f"  not coded: article {f['article_id']}: {f['reason']}", highlight=False)
    if result["status"] != "ok":
        console.print(f"no coded news events for {result['case']}: {result['message']}", highlight=False)
        return
    from rich.table import Table

    lo, hi = result["coverage"]
    t = Table(title=f"{result['case']}: indicators from {result['events_read']} coded events, {lo} to {hi}")
    for col in ("indicator", "events", "months with events", "change points"):
        t.add_column(col)
    for i in result["indicators"]:
        t.add_row(i["label"], str(i["total"]), str(i["months_with_events"]), ", ".join(i["change_points"]) or "-")
    console.print(t)
    for entry in result["log"]:
        if entry["step"] != "indicator":  # rows left out of the series, counted
            console.print(f"  {entry['step']}: {entry['note']}", highlight=False)
    console.print(f"series and evidence: {result['json']}" + (f"\nplot: {result['plot']}" if result["plot"] else ""),
                  highlight=False)
    n = result["proposed_updates"]
    review = f"pactwatch case update {case} --from-news" + (f" --db {db}" if db is not None else "")
    console.print(f"{n} proposed update{'s' if n != 1 else ''} to the case from news after {result['proposals_since']}"
                  + (f": review with `{review}`" if n else ""), highlight=False)
