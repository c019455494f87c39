"""`pactwatch case update CASE --from-news`: the updates to the case file's observed state that the coded news
proposes, shown as a unified diff with their evidence; `--accept` writes them (atomically, comments kept).

Registered in cli/__init__.py as ``"case": (_case, ...)`` with ``_case`` returning :data:`app`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli.common import DataDirOpt, JsonOpt, console, console_err, print_json
from pactwatch.errors import PactwatchError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)


@app.command("update")
def update(case: Annotated[str, typer.Argument(help="Case name (e.g. rus-prk-2024) or path to its YAML file.")],
           from_news: Annotated[bool, typer.Option("--from-news", help="Propose updates from the coded news events in the news store.")] = False,
           accept: Annotated[bool, typer.Option("--accept", help="Write the proposed updates into the case file.")] = False,
           since: Annotated[Optional[str], typer.Option("--since", help="Only events after this day (YYYY-MM-DD; default the case's observed.date).")] = None,
           min_confidence: Annotated[Optional[float], typer.Option("--min-confidence", min=0, max=1, help="Leave out proposals below this confidence (default 0.5).")] = None,
           only: Annotated[Optional[list[str]], typer.Option("--only", help="Only proposals of this kind (repeatable): war-ended, article-4, leader-change, termination-notice, outside-alliance.")] = None,
           db: Annotated[Optional[Path], typer.Option("--db", help="News store (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")] = None,
           forecast: Annotated[bool, typer.Option("--forecast/--no-forecast", help="With --accept: rerun the status-quo forecast on the case before and after the updates and show how far they move it.")] = True,
           sims: Annotated[int, typer.Option("--sims", min=1, help="Monte Carlo draws of the rerun forecast.")] = 1000,
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="Forecast date of the rerun (default: today).")] = None,
           seed: Annotated[int, typer.Option("--seed", help="Random seed of the rerun forecast.")] = 0,
           data_dir: DataDirOpt = None,
           as_json: JsonOpt = False) -> None:
    """Show (and with --accept write) the updates to the case's observed state that the coded news proposes.

    Each is dated, with its evidence and a confidence: a war ended or a ceasefire, Art. 4 invoked, a leader change, a
    notice of termination, a new outside alliance. With --accept the file is written and the status-quo forecast
    reruns on it (before and after, same draws and seed; --no-forecast skips it)."""
    import yaml

    from pactwatch.cli.store_help import empty_store_message
    from pactwatch.monitor.checks import store_status
    from pactwatch.monitor.indicators import read_events
    from pactwatch.monitor.updates import (DEFAULT_MIN_CONFIDENCE, KINDS, apply_proposals, propose_updates,
                                           unified_diff, write_atomically)
    from pactwatch.news.ingest import parse_date
    from pactwatch.news.store import connect
    from pactwatch.scenarios.cases import load_case
    from pactwatch.scenarios.schema import Case, parse

    if not from_news:
        raise PactwatchError("say where the updates come from: --from-news (the coded events in the news store)")
    if min_confidence is None:
        min_confidence = DEFAULT_MIN_CONFIDENCE
    bad = sorted(set(only or ()) - set(KINDS))
    if bad:
        raise PactwatchError(f"--only {', '.join(bad)}: not a kind of update; use {', '.join(KINDS)}")
    if since is not None and parse_date(since) is None:
        raise PactwatchError(f"--since {since!r}: not a date; use YYYY-MM-DD")
    c = load_case(case)
    path = Path(c.__dict__["_path"])
    text = path.read_text(encoding="utf-8")
    status = store_status(db)
    empty = empty_store_message(status, origin="pactwatch")
    if empty:
        if as_json:
            print_json({"case": c.id, "file": str(path), "proposals": [], "left_out": [], "diff": "", "message": empty})
        else:
            console.print(f"no updates proposed: {empty}", highlight=False)
        return
    con = connect(status["path"], read_only=True)
    try:
        ev = read_events(con, "pactwatch")
    finally:
        con.close()
    res = propose_updates(ev, yaml.safe_load(text), since=since)
    wanted = [p for p in res["proposals"] if not only or p["kind"] in only]
    kept = [p for p in wanted if p["confidence"] >= min_confidence]
    low = [p for p in wanted if p["confidence"] < min_confidence]
    new = apply_proposals(text, kept, str(path)) if kept else text
    parse(Case, yaml.safe_load(new), f"{path} (after the proposed updates)")  # the result must still be a valid case
    diff = unified_diff(text, new, path.name)
    written = False
    rerun = None
    if accept and kept:
        write_atomically(path, new)
        written = True
        if forecast:
            from pactwatch.cli.forecast import flag_error

            if not as_json:
                console_err.print("rerunning the status-quo forecast on the case before and after the updates ...",
                                  highlight=False)
            try:
                rerun = rerun_forecast(text, new, path, as_of=as_of, sims=sims, seed=seed, data_dir=data_dir)
            except PactwatchError as exc:
                rerun = {"error": str(flag_error(exc))}
    if as_json:
        print_json({"case": c.id, "file": str(path), "since": res["since"], "proposals": kept, "left_out": low,
                    "diff": diff, "written": written, "log": res["log"], "forecast": rerun,
                    "rerun": f"pactwatch forecast {case}" if written else None})
        return
    console.print(f"{c.id}: {len(kept)} proposed update{'s' if len(kept) != 1 else ''} from news after {res['since']} "
                  f"({len(low)} below confidence {min_confidence} left out)", highlight=False)
    for entry in res["log"]:
        console.print(f"  {entry['step']}: {entry['note']}", highlight=False)
    for p in kept:
        console.print(f"\n[bold]{p['summary']}[/] ({p['kind']}, confidence {p['confidence']})")
        for e in p["evidence"]:
            span = e["sentence_span"]
            where = e.get("url") or e.get("title") or e.get("article_id")
            console.print(f"  {e['date']} {e['code']} {e['source']}->{e['target'] or '-'}: \"{(e['sentence'] or '').strip()}\"\n"
                          f"    article {str(e['article_id'])[:16]} {where}"
                          f"{f' chars {span[0]}-{span[1]}' if span else ''}", highlight=False, markup=False)
    if not kept:
        return
    console.print("")
    console.print(diff, highlight=False, markup=False)
    if written:
        console.print(f"written to {path}. The forecast now rests on the new observed state.", highlight=False)
        if rerun and "error" in rerun:
            console.print(f"the forecast could not be rerun: {rerun['error']}", highlight=False)
        elif rerun:
            console.print(f"Status-quo forecast as of {rerun['as_of']} ({rerun['sims']} draws, seed {rerun['seed']}), "
                          "probability the alliance is still in effect:", highlight=False)
            for r in rerun["rows"]:
                console.print(f"  {r['t']:g} y: {r['before_text']} before -> {r['after_text']} after "
                              f"({r['diff_text']} pts)", highlight=False)
        console.print(f"Every scenario and the report: `pactwatch forecast {case}`.", highlight=False)
    else:
        console.print(f"nothing written: check the evidence, then rerun with --accept to write these updates into {path}",
                      highlight=False)


def rerun_forecast(old_text: str, new_text: str, path: Path, *, as_of=None, sims: int = 1000, seed: int = 0,
                   data_dir: Path | None = None, ctx=None) -> dict:
    """The status-quo forecast of the case before (``old_text``) and after (``new_text``) the accepted updates, on the
    same as-of date, draws and seed: per horizon the survival before and after and the difference. ``ctx``: a fitted
    forecast context to reuse (else the model is fitted, or read from the cache, over ``data_dir``'s data)."""
    import yaml

    from pactwatch.data.source import DataSource
    from pactwatch.paths import default_db
    from pactwatch.reports import present as P
    from pactwatch.scenarios.forecast import forecast_case
    from pactwatch.scenarios.schema import Case, parse

    src = None if ctx is not None else DataSource(data_dir=data_dir, db=default_db())
    out = {}
    for when, text in (("before", old_text), ("after", new_text)):
        case = parse(Case, yaml.safe_load(text), f"{path} ({when} the updates)")
        res = forecast_case(case, ["status-quo"], as_of=as_of, source=src, sims=sims, seed=seed, ctx=ctx,
                            competing=False).to_json()
        out[when] = res
    b, a = out["before"], out["after"]
    sb = next(s for s in b["scenarios"] if s["name"] == "status-quo")["survival"]
    sa = next(s for s in a["scenarios"] if s["name"] == "status-quo")["survival"]
    rows = []
    for t, x, y in zip(b["times"], sb, sa):
        rows.append({"t": float(t), "before": x["point"], "after": y["point"], "diff": y["point"] - x["point"],
                     "before_text": P.pct_ci(x["point"], x["lower"], x["upper"]),
                     "after_text": P.pct_ci(y["point"], y["lower"], y["upper"]), "diff_text": P.pts(y["point"] - x["point"])})
    return {"as_of": b["as_of"], "sims": b["n_sims"], "seed": b["seed"], "rows": rows}
