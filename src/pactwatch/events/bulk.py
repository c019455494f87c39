"""GDELT / ICEWS bulk import into a partitioned corpus (:mod:`pactwatch.news.corpus`): many daily files -> Parquet
under ``events/ym=YYYY-MM/source=<origin>/``, one file per (input file, month), in this process or on Dask.

Each input file is one task and passes the checks of :mod:`pactwatch.events.importers` (layout recognised from the
file, every row checked; the first bad row stops that file with a DataError naming file and line, and nothing of that
file is written). Its rows are split by event month and written atomically to ``<layout>-<sha12>.parquet``, ``sha12``
the first 12 hex digits of the input file's sha256: importing the same file again (under any name) finds the files
and writes nothing; a run killed between two months of one file writes the missing month on the rerun. Rows keep the
order of the input file. The ``file`` column keeps the input path.

GDELT event ids are unique within an origin, so two different files should not share one; when they do (overlapping
downloads) the report counts the repeated ids (``duplicate_event_ids``), which the corpus keeps: query with
``distinct event_id`` or import non-overlapping files.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from pactwatch.events.corpus import event_schema
from pactwatch.news.corpus import EVENTS, file_sha256, month_of, read_sql, remove_stale_temps, write_table_atomic


def import_file_partitioned(path: str, corpus: str, layout: str | None = None) -> dict:
    """One GDELT/ICEWS file into the corpus (see module docstring); safe to run twice. Returns the import report
    (:class:`pactwatch.events.importers.ImportReport` fields) with ``files_written`` and ``files_present``."""
    import pyarrow as pa

    from pactwatch.events.importers import read_event_file

    p = Path(path)
    rows, rep = read_event_file(p, layout)
    found = rep.layout
    sha = file_sha256(p)[:12]
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in rows:
        r["event_date"] = dt.date.fromisoformat(r["event_date"]) if r["event_date"] else None
        groups.setdefault((month_of(r["event_date"] and r["event_date"].isoformat()), r["origin"]), []).append(r)
    written, present = [], []
    schema = event_schema()
    for (ym, origin), g in sorted(groups.items()):
        out = Path(corpus) / EVENTS / f"ym={ym}" / f"source={origin}" / f"{found}-{sha}.parquet"
        if out.exists():
            present.append(str(out))
            continue
        write_table_atomic(pa.Table.from_pylist(g, schema=schema), out)
        written.append(str(out))
    rep.added = sum(len(g) for (ym, o), g in groups.items()
                    if str(Path(corpus) / EVENTS / f"ym={ym}" / f"source={o}" / f"{found}-{sha}.parquet") in written)
    rep.already_present = rep.rows - rep.added
    return {**rep.to_dict(), "files_written": written, "files_present": present}


def import_to_corpus(files, corpus: str | Path, layout: str | None = None, engine=None) -> dict:
    """Import every file (one task each, in-process or on Dask); then count event ids repeated across the corpus's
    imported events (one DuckDB aggregate over the Parquet files, not a load). Returns ``{"files": [reports],
    "rows", "added", "already_present", "duplicate_event_ids"}``."""
    from pactwatch.news.engine import run_tasks

    root = Path(corpus)
    root.mkdir(parents=True, exist_ok=True)
    remove_stale_temps(root)
    reps = run_tasks(import_file_partitioned, [(str(f), str(root), layout) for f in files], engine)
    origins = sorted({"gdelt2" if r["layout"] == "gdelt2" else "icews" if r["layout"] == "icews" else "gdelt1"
                      for r in reps})
    dup = 0
    if origins:
        import duckdb

        con = duckdb.connect()
        try:
            dup = con.execute(f"select count(*) - count(distinct event_id) from {read_sql(root, EVENTS)} "
                              "where origin in (select unnest(?))", [origins]).fetchone()[0]
        finally:
            con.close()
    return {"files": reps, "rows": sum(r["rows"] for r in reps), "added": sum(r["added"] for r in reps),
            "already_present": sum(r["already_present"] for r in reps), "duplicate_event_ids": int(dup)}
