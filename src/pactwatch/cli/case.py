"""`pactwatch case update CASE --from-news`: the updates to the case file's observed state that the coded news
proposes, shown as a unified diff with their evidence; `--accept` writes them (atomically, comments kept).

Registered in cli/__init__.py as ``"case": (_case, ...)`` with ``_case`` returning :data:`app`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli.common import JsonOpt, console, print_json
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
           as_json: JsonOpt = False) -> None:
    """Show (and with --accept write) the updates to the case's observed state that the coded news proposes.

    Each is dated, with its evidence and a confidence: a war ended or a ceasefire, Art. 4 invoked, a leader change, a
    notice of termination, a new outside alliance."""
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
    if accept and kept:
        write_atomically(path, new)
        written = True
    if as_json:
        print_json({"case": c.id, "file": str(path), "since": res["since"], "proposals": kept, "left_out": low,
                    "diff": diff, "written": written, "log": res["log"],
                    "rerun": f"pactwatch forecast {c.id}" if written else None})
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
        console.print(f"written to {path}. The forecast now rests on the new observed state: rerun it with "
                      f"`pactwatch forecast {c.id}`.", highlight=False)
    else:
        console.print(f"nothing written: check the evidence, then rerun with --accept to write these updates into {path}",
                      highlight=False)
