"""Coding a partitioned corpus (:mod:`pactwatch.news.corpus`) into event files, one article file at a time, in this
process or on a Dask cluster (:mod:`pactwatch.news.engine`).

Nothing lost, nothing twice:

- Each article file is one task, coded on its own and written atomically (temporary file, then rename) to
  ``events/ym=…/source=…/<article file stem>.<input12>.<coder12>.parquet`` — ``input12`` the first 12 hex digits of
  the article file's sha256, ``coder12`` of the coder version (:meth:`CoderSpec.version`: the pipeline settings, the
  spaCy model's name and version, pactwatch's version and the sha256 of any dictionary given as a file).
- A rerun skips every article file whose event file (same input hash, same coder version) exists; a task re-run by
  Dask after its worker died finds either no file (and codes it) or the whole file (and stops). When an input or the
  coder changed, the new file replaces the old one of the same article file (the old one is removed after the new one
  is in place), so the events view never holds one article file's events twice.
- Rows are in (article id, event number) order, the order of :func:`pactwatch.events.store.coded_rows`; the event
  rows equal those of the news store's coder (:func:`pactwatch.events.store.code_stored_articles`) for the same
  articles, less the ``imported_at`` time stamp (which would make two runs differ).
- An article the coder cannot take is listed with its reason in ``<event file>.failed.json`` (written before the event
  file) and counted in the report; the other articles of its file are coded. Near-duplicates are coded (the corpus does
  not link them: :mod:`pactwatch.news.corpus`).

One spaCy pipeline per worker process: :func:`pactwatch.events.pipeline.load_pipeline` keeps the pipeline in a
module-level cache keyed by its settings, so every task after a worker's first reuses it; texts go through
``nlp.pipe`` in batches (:func:`pactwatch.events.coder.code_docs`).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

from pactwatch.events.store import COLUMNS, articles_to_code, coded_rows, insert_events, mark_coded
from pactwatch.news.corpus import (ARTICLES, EVENTS, CorpusError, file_sha256, parquet_files, read_article_file,
                                   remove_stale_temps, write_json_atomic, write_table_atomic)

#: the event columns of corpus files: the event table's, without the ``imported_at`` time stamp
EVENT_COLUMNS = tuple(c for c in COLUMNS if c != "imported_at")
#: bump when the corpus coding (rows, order, columns) changes without the pipeline changing
CORPUS_CODER_REVISION = 1


def event_schema():
    import pyarrow as pa

    types = {"event_date": pa.date32(), "quad": pa.int32(), "quad_published": pa.int32(), "goldstein": pa.float64(),
             "mentions": pa.int64(), "confidence": pa.float64()}
    return pa.schema([(c, types.get(c, pa.string())) for c in EVENT_COLUMNS])


@dataclass(frozen=True)
class CoderSpec:
    """The settings of the coding pipeline (the arguments of :func:`pactwatch.events.pipeline.load_pipeline`),
    small and picklable: it travels to each worker, which loads the pipeline once and caches it by these settings."""

    model: str | None = None
    verbs: str | None = None
    people: str | None = None
    phoenix: tuple[str, ...] = ()
    events_dir: str | None = None
    root_model: bool = False
    coder: str | None = None  # a named coder of the pipeline (None: the pipeline's own)
    hybrid_model: str | None = None  # that coder's model file, when it has one

    @classmethod
    def resolved(cls, model=None, verbs=None, people=None, phoenix=(), events_dir=None, root_model=None,
                 coder=None, hybrid_model=None) -> "CoderSpec":
        """Defaults filled in here (model name, events directory, root layer), so every worker codes alike whatever
        its environment."""
        from pactwatch.events.pipeline import DEFAULT_MODEL, coder_default, root_model_default
        from pactwatch.events.refs import resolve_events_dir

        coder = coder or coder_default()  # named, so the coder version records which coder wrote the events
        if coder == "hybrid" and not hybrid_model:
            from pactwatch.events.hybrid import default_model_path

            hybrid_model = default_model_path()  # its content is in the version (below)
        return cls(model or os.environ.get("PACTWATCH_SPACY_MODEL") or DEFAULT_MODEL,
                   str(verbs) if verbs else None, str(people) if people else None,
                   tuple(str(p) for p in phoenix or ()), str(resolve_events_dir(events_dir)),
                   root_model_default() if root_model is None else bool(root_model),
                   coder or None, str(hybrid_model) if hybrid_model else None)

    def nlp(self):
        from pactwatch.events.pipeline import load_pipeline

        named = {k: v for k, v in (("coder", self.coder), ("hybrid_model", self.hybrid_model)) if v is not None}
        return load_pipeline(self.model, self.verbs, self.people, self.phoenix, events_dir=self.events_dir,
                             root_model=self.root_model, **named)

    def version(self) -> str:
        """12 hex digits naming the coder: settings, spaCy model name and version, pactwatch's version, the sha256
        of every dictionary file given and of the reference files the coder reads (the events directory's
        ``cameo``, ``dictionaries``, ``plover``, and ``gold`` when the root layer, fitted on it, is on), and
        :data:`CORPUS_CODER_REVISION`."""
        import importlib.metadata as md

        import pactwatch

        d = asdict(self)
        d.pop("events_dir")  # where the reference files are does not change the coder; their content does (below)
        try:
            d["model_version"] = md.version(self.model.replace("_", "-"))
        except md.PackageNotFoundError:
            d["model_version"] = None
        d["pactwatch"] = pactwatch.__version__
        d["revision"] = CORPUS_CODER_REVISION
        d["files"] = {p: file_sha256(Path(p)) for p in (self.verbs, self.people, *self.phoenix, self.hybrid_model)
                      if p and Path(p).is_file()}
        from pactwatch.events.refs import resolve_events_dir

        ed = Path(resolve_events_dir(self.events_dir))
        parts = ("cameo", "dictionaries", "plover") + (("gold",) if self.root_model else ())
        d["refs"] = {str(q.relative_to(ed)): file_sha256(q) for sub in parts for q in sorted((ed / sub).rglob("*"))
                     if q.is_file()}
        return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]


def event_file_for(corpus: Path, article_file: Path, input_hash: str, coder: str) -> Path:
    rel = article_file.relative_to(corpus / ARTICLES)
    return corpus / EVENTS / rel.parent / f"{article_file.stem}.{input_hash[:12]}.{coder}.parquet"


def _siblings(event_file: Path, stem: str) -> list[Path]:
    return [p for p in event_file.parent.glob(f"{stem}.*.parquet") if p != event_file] if event_file.parent.is_dir() else []


def code_articles(rows: list[dict], nlp) -> tuple[list[dict], list[dict]]:
    """(event rows, failures) for article rows (``article_id``, ``body``, ``pub_date``, ``date_basis``, ``url``),
    in the order given. An article that makes the coder raise is retried alone and, if it fails again, listed."""
    from pactwatch.events.coder import code_docs

    items = [(r["article_id"], r["body"], r["pub_date"], r["date_basis"]) for r in rows]
    url = {r["article_id"]: r["url"] or "" for r in rows}
    coded: dict[str, list[dict]] = {}
    failed = []
    try:
        for aid, doc in code_docs(items, nlp=nlp):
            coded[aid] = coded_rows(aid, doc._.events, doc._.date, url[aid])
    except Exception:
        for item in items:
            if item[0] in coded:
                continue
            try:
                (aid, doc), = code_docs([item], nlp=nlp)
                coded[aid] = coded_rows(aid, doc._.events, doc._.date, url[aid])
            except Exception as exc:
                failed.append({"article_id": item[0], "reason": f"{type(exc).__name__}: {exc}"})
    events = [e for aid, _, _, _ in items if aid in coded for e in coded[aid]]
    return events, failed


def code_partition(corpus: str, article_file: str, spec: CoderSpec, coder: str) -> dict:
    """Code one article file into its event file (see module docstring); safe to run twice. Returns what it did:
    ``status`` (``coded`` / ``done before``), articles, events, failed, seconds (wall), cpu_seconds (this process's
    CPU time), the worker's pid."""
    import pyarrow as pa

    root, src = Path(corpus), Path(article_file)
    t0, c0 = time.perf_counter(), time.process_time()
    input_hash = file_sha256(src)
    out = event_file_for(root, src, input_hash, coder)
    base = {"article_file": str(src), "event_file": str(out), "pid": os.getpid()}
    if out.exists():
        return {**base, "status": "done before", "articles": 0, "events": 0, "failed": [], "seconds": 0.0,
                "cpu_seconds": 0.0}
    rows = read_article_file(src)
    events, failed = code_articles(rows, spec.nlp())
    for e in events:
        e["event_date"] = _date(e["event_date"])
    fail_file = out.with_name(out.name + ".failed.json")
    if failed:
        write_json_atomic({"article_file": str(src), "coder": coder, "failed": failed}, fail_file)
    write_table_atomic(pa.Table.from_pylist(events, schema=event_schema()), out)
    for old in _siblings(out, src.stem):  # an earlier input or coder of this article file: replaced
        old.unlink(missing_ok=True)
        Path(str(old) + ".failed.json").unlink(missing_ok=True)
    return {**base, "status": "coded", "articles": len(rows), "events": len(events), "failed": failed,
            "seconds": round(time.perf_counter() - t0, 3), "cpu_seconds": round(time.process_time() - c0, 3)}


def _date(v):
    import datetime as dt

    return dt.date.fromisoformat(v) if isinstance(v, str) and v else (v or None)


def plan(corpus: str | Path, spec: CoderSpec) -> tuple[str, list[Path], list[Path]]:
    """(coder version, article files to code, article files already coded by this coder from the same input)."""
    root = Path(corpus)
    files = parquet_files(root, ARTICLES)
    if not files:
        raise CorpusError(f"corpus {root}: no article files under {root / ARTICLES} (ingest articles with a corpus first)")
    coder = spec.version()
    todo, done = [], []
    for f in files:
        (done if event_file_for(root, f, file_sha256(f), coder).exists() else todo).append(f)
    return coder, todo, done


def code_corpus(corpus: str | Path, spec: CoderSpec | None = None, engine=None, on_result=None) -> dict:
    """Code every article file of the corpus that has no event file for its input and this coder (see module
    docstring), in-process or on Dask. Returns counts: ``partitions`` (article files), ``coded`` (coded in this
    run), ``skipped`` (done before), ``articles``, ``events``, ``articles_failed``, the coder version, and the
    per-task records (``tasks``: pid and seconds, for throughput)."""
    from pactwatch.news.engine import run_tasks

    root = Path(corpus)
    spec = spec or CoderSpec.resolved()
    removed = remove_stale_temps(root)
    coder, todo, done = plan(root, spec)
    res = run_tasks(code_partition, [(str(root), str(f), spec, coder) for f in todo], engine, on_result=on_result)
    coded = [r for r in res if r["status"] == "coded"]
    return {"coder": coder, "partitions": len(todo) + len(done), "coded": len(coded),
            "skipped": len(done) + len(res) - len(coded), "articles": sum(r["articles"] for r in res),
            "events": sum(r["events"] for r in res),
            "articles_failed": [f for r in res for f in r["failed"]], "stale_temps_removed": len(removed),
            "tasks": res}


def read_events(corpus: str | Path):
    """All event rows of a corpus as a pandas frame sorted by event id, with the partition columns ``ym`` and
    ``source`` (for tests and small corpora; large ones are read through DuckDB, :func:`pactwatch.news.corpus.attach`)."""
    import duckdb

    from pactwatch.news.corpus import read_sql

    if not parquet_files(corpus, EVENTS):
        raise CorpusError(f"corpus {corpus}: no event files (code it first)")
    con = duckdb.connect()
    try:
        return con.execute(f"select * from {read_sql(corpus, EVENTS)} order by event_id").df()
    finally:
        con.close()


def code_file(path: str, date: str | None, spec: CoderSpec) -> dict:
    """Events of the articles in one input file (one task of coding a folder): ``{"file", "articles": [(id, date,
    date_basis, events)], "skipped": [(where, reason)]}`` (a file that cannot be read is one skip); ids and dates as :func:`pactwatch.news.ingest.read_articles`
    gives them (a record's ``ext_id``, else the file's stem)."""
    from pactwatch.events.coder import code_docs
    from pactwatch.news.ingest import IngestError, read_articles

    p = Path(path)
    try:
        arts, skips = read_articles(p, date=date)
    except IngestError as exc:  # one unreadable file in a folder is reported, the others are coded
        return {"file": str(p), "articles": [], "skipped": [(str(p), str(exc))], "pid": os.getpid()}
    items = [(a.ext_id or p.stem, a.text, a.date, a.date_basis) for a in arts]
    out = [(_id, doc._.date, doc._.date_basis, doc._.events) for _id, doc in code_docs(items, nlp=spec.nlp())]
    return {"file": str(p), "articles": out, "skipped": [(s.where, s.reason) for s in skips], "pid": os.getpid()}


def code_files(paths, date: str | None = None, spec: CoderSpec | None = None, engine=None) -> list[dict]:
    """:func:`code_file` for every file (folders recursively, in path order), in-process or on Dask; results in
    file order, so the output is the same whatever the engine."""
    from pactwatch.news.engine import run_tasks
    from pactwatch.news.ingest import iter_files

    spec = spec or CoderSpec.resolved()
    return run_tasks(code_file, [(str(f), date, spec) for f in iter_files(paths)], engine)


# ------------------------------------------------------------------------------ the news store's articles on Dask
#: stored articles per task when the news store is coded on Dask (:func:`code_stored_articles_on`)
STORE_BATCH = 64


def code_rows(rows: list[dict], spec: CoderSpec) -> dict:
    """One task: :func:`code_articles` on article rows with the worker's pipeline (loaded once per worker)."""
    events, failed = code_articles(rows, spec.nlp())
    return {"events": events, "failed": failed, "articles": len(rows), "pid": os.getpid()}


def code_stored_articles_on(con, engine, spec: CoderSpec | None = None, recode: bool = False,
                            batch: int | None = None) -> dict:
    """:func:`pactwatch.events.store.code_stored_articles` with the coding on ``engine`` (a
    :class:`pactwatch.news.engine.Engine`): the same articles (ingest order, near-duplicates left out) in tasks of
    ``batch`` articles (default :data:`STORE_BATCH`); the client, the store's one writer, inserts each task's events in article order as soon as
    the tasks before it are in, so the stored rows, counts and failures are those of the in-process run (an
    interrupted run keeps the batches inserted, and the next run codes the rest). Returns the same counts."""
    from pactwatch.news.engine import run_tasks

    spec = spec or CoderSpec.resolved()
    batch = batch or STORE_BATCH
    todo, n_dup = articles_to_code(con, recode)
    rows = [{"article_id": aid, "body": body, "pub_date": date, "url": url, "date_basis": basis}
            for aid, body, date, url, basis in todo]
    tasks = [(rows[s:s + batch], spec) for s in range(0, len(rows), batch)]
    ready: dict[int, dict] = {}
    state = {"next": 0, "added": 0, "coded": 0, "failed": []}

    def insert_in_order(i: int, res: dict) -> None:
        ready[i] = res
        while state["next"] in ready:
            r = ready.pop(state["next"])
            state["added"] += insert_events(con, r["events"])[0]
            failed_ids = {f["article_id"] for f in r["failed"]}
            n_events = Counter(e["article_id"] for e in r["events"])
            mark_coded(con, {row["article_id"]: n_events[row["article_id"]] for row in tasks[state["next"]][0]
                             if row["article_id"] not in failed_ids})
            state["coded"] += r["articles"] - len(r["failed"])
            state["failed"] += r["failed"]
            state["next"] += 1

    run_tasks(code_rows, tasks, engine, on_result=insert_in_order)
    return {"articles_coded": state["coded"], "events_added": state["added"], "near_duplicates_skipped": n_dup,
            "articles_failed": state["failed"]}
