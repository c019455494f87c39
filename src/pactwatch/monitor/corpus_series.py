"""The monthly dyad series (:func:`pactwatch.monitor.dyad.dyad_series`) over a partitioned corpus
(:mod:`pactwatch.news.corpus`), without loading the corpus.

In-process, DuckDB answers the two questions the series asks — the dyad's events, and each origin's first and last
dated event (its coverage) — from a view over the corpus's event files (``read_parquet`` of the glob, with filter
and column push-down), so memory follows the dyad's events, not the corpus.

On Dask each task answers both questions for a chunk of event files; the client puts the pieces into an in-memory
event table made of the dyad's events plus, per origin, two rows at its coverage bounds with no countries (they match
no dyad, and give the same coverage as the whole corpus), and runs the same :func:`dyad_series` on it: one definition
of the series, identical output (tested).
"""
from __future__ import annotations

from pathlib import Path

from pactwatch.monitor.dyad import dyad_series
from pactwatch.news.corpus import EVENTS, CorpusError, parquet_files, read_sql

_COLS = "origin, event_date, source_country, target_country, quad, goldstein"


def corpus_connection(corpus: str | Path):
    """An in-memory DuckDB connection whose ``events`` view is the corpus's event files."""
    import duckdb

    if not parquet_files(corpus, EVENTS):
        raise CorpusError(f"corpus {corpus}: no event files (code articles or import event files into it first)")
    con = duckdb.connect()
    con.execute(f"create view events as select * from {read_sql(corpus, EVENTS)}")
    return con


def dyad_pieces(files: list[str], a: str, b: str):
    """(the A-B events, coverage by origin) of some event files: one Dask task."""
    import duckdb

    con = duckdb.connect()
    try:
        src = "read_parquet(?, union_by_name = 1)"
        ev = con.execute(f"select {_COLS} from {src} where (source_country = ? and target_country = ?) or "
                         "(source_country = ? and target_country = ?)", [files, a, b, b, a]).df()
        cov = con.execute(f"select origin, min(event_date) lo, max(event_date) hi from {src} "
                          "where event_date is not null group by origin", [files]).df()
    finally:
        con.close()
    return ev, cov


def corpus_dyad_series(corpus: str | Path, a: str, b: str, start: str | None = None, end: str | None = None,
                       origin: str | None = None, min_size: int = 3, engine=None, files_per_task: int = 256):
    """:func:`pactwatch.monitor.dyad.dyad_series` over the corpus's events (see module docstring)."""
    if engine is None or not engine.is_dask:
        con = corpus_connection(corpus)
        try:
            return dyad_series(con, a, b, start, end, origin=origin, min_size=min_size)
        finally:
            con.close()
    import duckdb
    import pandas as pd

    from pactwatch.news.engine import run_tasks

    files = [str(f) for f in parquet_files(corpus, EVENTS)]
    if not files:
        raise CorpusError(f"corpus {corpus}: no event files (code articles or import event files into it first)")
    A, B = a.upper(), b.upper()
    chunks = [(files[i:i + files_per_task], A, B) for i in range(0, len(files), files_per_task)]
    parts = run_tasks(dyad_pieces, chunks, engine)
    ev = pd.concat([p[0] for p in parts], ignore_index=True)
    cov = pd.concat([p[1] for p in parts], ignore_index=True).groupby("origin", as_index=False).agg(
        lo=("lo", "min"), hi=("hi", "max"))
    bounds = pd.concat([cov.rename(columns={"lo": "event_date"})[["origin", "event_date"]],
                        cov.rename(columns={"hi": "event_date"})[["origin", "event_date"]]], ignore_index=True)
    con = duckdb.connect()
    try:
        con.register("_dyad", ev)
        con.register("_bounds", bounds)
        con.execute(f"create view events as select {_COLS} from _dyad union all select origin, "
                    "cast(event_date as date), null, null, null, null from _bounds")
        return dyad_series(con, A, B, start, end, origin=origin, min_size=min_size)
    finally:
        con.close()
