"""The embedded DuckDB store: every registered table, loaded once, typed, with its provenance.

``build_store`` reads each registered table file (``table:`` set, kind csv / csv.gz / dta) through
:func:`pactwatch.data.readers.read_table`, so every check a reader makes (size, columns, ragged rows, version column,
row count) applies, and writes it to a DuckDB file as table ``<table>``. Values are kept as published (COW missing
codes such as -9 stay -9: the panel steps turn them into NA explicitly). Only the storage types change:

- a float column whose every non-missing value is whole (``ccode`` 2.0, ``year`` 1816.0 in the R conversions)
  becomes BIGINT (missing stays NULL);
- a text column whose every non-missing value is an ISO date (YYYY-MM-DD) becomes DATE; other text stays VARCHAR.

Two more tables describe the store: ``provenance`` (one row per loaded file: dataset, version, file, sha256, rows,
columns, loaded_at, pactwatch_version) and ``datasets`` (the registry's key, name, version, citation, licence,
homepage, coverage). Every data table carries a ``COMMENT ON TABLE`` with its dataset name, version and citation.

The build is atomic: it writes ``<db>.tmp-<pid>`` and renames it over ``<db>`` only when every table loaded, so a
failed or interrupted build leaves the previous store as it was and no temporary file behind. A build that was killed
outright (SIGKILL, power cut) cannot clean up: the next build removes the ``<db>.tmp-<pid>`` and ``.wal`` files of
processes that no longer run (:func:`pactwatch.data.tempfiles.remove_stale`). When the store's provenance already
lists the same files with the same sha256 (and the same pactwatch version), nothing is done.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pactwatch.data.readers import cached_sha256, read_table, sha256_file
from pactwatch.data.registry import FileSpec, registry, resolve_data_dir
from pactwatch.data.tempfiles import remove_stale, temp_name
from pactwatch.errors import DataError, DataMissingError

TABLE_KINDS = ("csv", "csv.gz", "dta")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INT64_LIMIT = 2.0**53  # whole floats beyond this are not exactly representable: keep them as DOUBLE


@dataclass
class BuildResult:
    """``status`` is "built" or "up to date". ``tables`` lists (table, rows); ``skipped`` lists (file, reason)."""

    db: Path
    status: str
    tables: list[tuple[str, int]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def loadable_files(datasets: list[str] | None = None) -> list[FileSpec]:
    """Registered table files that go into the store (documents and headerless files are not tables)."""
    reg = registry()
    keys = list(reg) if datasets is None else datasets
    unknown = [k for k in keys if k not in reg]
    if unknown:
        raise DataError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(reg)}")
    return [f for k in keys for f in reg[k].files if f.is_table and f.kind in TABLE_KINDS]


def _plan(root: Path, datasets: list[str] | None) -> tuple[list[FileSpec], list[tuple[str, str]]]:
    """Files to load, and optional files skipped because absent. A missing required file is an error."""
    load, skipped, missing = [], [], []
    reg = registry()
    for spec in loadable_files(datasets):
        if (root / spec.path).exists():
            load.append(spec)
        elif reg[spec.dataset].optional:
            skipped.append((spec.path, f"absent (optional dataset {spec.dataset})"))
        else:
            missing.append(spec.path)
    if missing:
        raise DataMissingError(
            f"{len(missing)} required dataset file(s) missing from {root}: {', '.join(missing[:10])}"
            f"{' …' if len(missing) > 10 else ''}. Run `pactwatch data fetch --data-dir {root}` or `pactwatch data check`."
        )
    return load, skipped


def _store_provenance(db: Path) -> dict[str, tuple[str, str]] | None:
    """{file: (sha256, pactwatch_version)} from an existing store, or None when it cannot be read."""
    if not db.exists():
        return None
    import duckdb

    try:
        with duckdb.connect(str(db), read_only=True) as con:
            rows = con.execute("select file, sha256, pactwatch_version from provenance").fetchall()
    except duckdb.Error:
        return None
    return {f: (s, v) for f, s, v in rows}


def tidy_types(df: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Storage types for the store (values unchanged): whole floats -> Int64, clean text stays text.

    Returns the frame and the names of the columns that hold ISO dates (cast to DATE in SQL, which handles
    years outside pandas' nanosecond range).
    """
    out = df.copy()
    date_cols = []
    for c in out.columns:
        s = out[c]
        if pd.api.types.is_float_dtype(s):
            v = s.dropna().to_numpy()
            if len(v) and np.all(np.isfinite(v)) and np.all(v == np.round(v)) and np.all(np.abs(v) < _INT64_LIMIT):
                out[c] = s.astype("Int64")
        elif pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            nonnull = s.dropna()
            if len(nonnull) and all(isinstance(x, str) for x in nonnull):
                uniq = pd.unique(nonnull)
                if all(_ISO_DATE.match(x) for x in uniq) and _all_valid_dates(uniq):
                    date_cols.append(c)
                out[c] = s.astype("string")
            elif len(nonnull):
                # Mixed Python objects (e.g. from a .dta): store their text, keep missing as NULL.
                out[c] = s.map(lambda x: x if x is None or (isinstance(x, float) and np.isnan(x)) else str(x)).astype("string")
    return out, date_cols


def _all_valid_dates(values) -> bool:
    try:
        for x in values:
            dt.date.fromisoformat(x)
    except ValueError:
        return False
    return True


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def build_store(
    data_dir: str | Path | None = None,
    db: str | Path | None = None,
    force: bool = False,
    progress: bool = True,
    datasets: list[str] | None = None,
) -> BuildResult:
    """Load every registered table (or those of ``datasets``) into the DuckDB file ``db`` (default: paths.default_db()).

    Raises DataError (naming the file) when any file to load is missing or bad; the previous store is then kept.
    """
    import duckdb
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from pactwatch import __version__
    from pactwatch.paths import default_db

    t0 = time.perf_counter()
    root = resolve_data_dir(data_dir)
    db = Path(db) if db is not None else default_db()
    remove_stale(db)  # temporary files of builds that were killed
    load, skipped = _plan(root, datasets)

    # Up to date? Same files, same bytes, same pactwatch.
    current = {spec.path: cached_sha256(root / spec.path) for spec in load}
    if not force:
        prev = _store_provenance(db)
        if prev is not None and set(prev) == set(current) and all(
            prev[f] == (current[f], __version__) for f in current
        ):
            with duckdb.connect(str(db), read_only=True) as con:
                tables = con.execute("select table_name, rows from provenance order by table_name").fetchall()
            return BuildResult(db, "up to date", [(t, int(r)) for t, r in tables], skipped, time.perf_counter() - t0)

    tmp = temp_name(db)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        _remove_db_files(tmp)
        duckdb.connect(str(tmp)).close()
    except (OSError, duckdb.Error) as exc:
        _remove_db_files(tmp)
        raise DataError(f"{db}: cannot write the store there ({str(exc).splitlines()[0]})") from None
    reg = registry()
    loaded: list[tuple[str, int]] = []
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    prog = Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=Console(stderr=True), disable=not progress, transient=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute("""create table provenance (dataset varchar, version varchar, file varchar, table_name varchar,
                           sha256 varchar, rows bigint, columns integer, column_names varchar[], loaded_at timestamp,
                           pactwatch_version varchar)""")
            con.execute("""create table datasets (key varchar, name varchar, version varchar, citation varchar,
                           licence varchar, homepage varchar, coverage varchar, optional boolean, loaded boolean)""")
            with prog:
                task = prog.add_task("loading", total=len(load))
                for spec in load:
                    prog.update(task, description=spec.table)
                    df = read_table(spec, root, verify="sha256")  # converted files: columns and rows instead
                    if sha256_file(root / spec.path) != current[spec.path]:
                        raise DataError(f"{root / spec.path}: changed while the store was being built; run the build again")
                    _load_table(con, spec, df)
                    ds = reg[spec.dataset]
                    con.execute(f"comment on table {_q(spec.table)} is {_lit(f'{ds.name}, version {ds.version}. {ds.citation}')}")
                    con.execute("insert into provenance values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                [spec.dataset, ds.version, spec.path, spec.table, current[spec.path], len(df),
                                 df.shape[1], [str(c) for c in df.columns], now, __version__])
                    loaded.append((spec.table, len(df)))
                    prog.advance(task)
            loaded_sets = {spec.dataset for spec in load}
            keys = list(reg) if datasets is None else datasets
            for k in keys:
                d = reg[k]
                con.execute("insert into datasets values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            [d.key, d.name, d.version, d.citation, d.licence, d.homepage, d.coverage, d.optional,
                             k in loaded_sets])
            con.execute("checkpoint")
        finally:
            con.close()
        with contextlib.suppress(FileNotFoundError):
            Path(f"{db}.wal").unlink()  # a stale WAL of an older store must not be replayed onto the new one
        os.replace(tmp, db)
    finally:
        _remove_db_files(tmp)
    return BuildResult(db, "built", loaded, skipped, time.perf_counter() - t0)


def _remove_db_files(path: Path) -> None:
    for p in (path, Path(f"{path}.wal")):
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            p.unlink()


def _load_table(con, spec: FileSpec, df: pd.DataFrame) -> None:
    lower = [str(c).lower() for c in df.columns]
    dups = sorted({c for c in lower if lower.count(c) > 1})
    if dups:
        raise DataError(f"{spec.path}: column names that differ only in case ({', '.join(dups)}) cannot be stored in DuckDB")
    typed, date_cols = tidy_types(df)
    con.register("_pactwatch_load", typed)
    try:
        select = ", ".join(
            f"cast({_q(str(c))} as date) as {_q(str(c))}" if c in date_cols else _q(str(c)) for c in typed.columns
        )
        con.execute(f"create table {_q(spec.table)} as select {select} from _pactwatch_load")
    finally:
        con.unregister("_pactwatch_load")


def store_summary(db: str | Path | None = None) -> list[dict]:
    """One dict per stored table: table, dataset, version, rows, columns, file, sha256, loaded_at."""
    import duckdb

    from pactwatch.paths import default_db

    db = Path(db) if db is not None else default_db()
    if not db.exists():
        raise DataMissingError(f"{db}: no store there. Build it first (`pactwatch data build`).")
    try:
        with duckdb.connect(str(db), read_only=True) as con:
            cur = con.execute("""select table_name as "table", dataset, version, rows, columns, file, sha256, loaded_at
                                 from provenance order by dataset, table_name""")
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]
    except duckdb.Error as exc:
        raise DataError(f"{db}: not a pactwatch store ({str(exc).splitlines()[0]}). Rebuild it (`pactwatch data build`, forced).") from None
