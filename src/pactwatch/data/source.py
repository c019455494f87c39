"""One object the panels read tables through: the built DuckDB store when there is one, else the raw files.

    >>> from pactwatch.data.source import DataSource
    >>> src = DataSource()                  # $PACTWATCH_DATA_DIR, and the default store if it was built
    >>> states = src.table("cow_states")    # a pandas DataFrame, cached for the life of ``src``

Tables read from the files are verified against the registry's sha256 (cached by path, size and mtime; see
:mod:`pactwatch.data.readers`): an altered file is a DataError naming it. ``verify="size"`` is the escape hatch for a
data directory a user has changed on purpose (a corrected or custom copy of a dataset); the default always verifies.
Tables served by the store were verified when the store was built.
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from pactwatch.data.readers import read_table

if TYPE_CHECKING:  # pandas is imported where a table is read: a DataSource that serves a cached result needs none
    import pandas as pd


def as_file_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """Give a table read from the typed store the pandas dtypes the same table has when read from its file, so that
    every consumer sees one representation whichever backend served it: nullable integers become int64 (float64 when
    they hold missing values, as pandas reads a CSV), and DATE columns become ISO 'YYYY-MM-DD' strings (NaN if missing).
    """
    import pandas as pd

    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) and s.dtype.kind in "iu":
            df[c] = s.astype("float64") if s.isna().any() else s.astype("int64")
        elif s.dtype.kind == "M":
            df[c] = s.dt.strftime("%Y-%m-%d").astype(object).where(s.notna(), float("nan"))
    return df


class DataSource:
    def __init__(self, data_dir: str | Path | None = None, db: str | Path | None = None, *, verify: str = "sha256"):
        if verify not in ("sha256", "size"):
            raise ValueError(f"verify must be 'sha256' (the default) or 'size', not {verify!r}")
        self.data_dir = data_dir
        self.verify = verify
        self.db = Path(db) if db is not None else None
        self._cache: dict[str, pd.DataFrame] = {}
        self._derived: dict[str, object] = {}
        self._lock = threading.Lock()
        self._db_tables: set[str] | None = None

    def _store_tables(self) -> set[str]:
        if self._db_tables is None:
            self._db_tables = set()
            if self.db is not None and self.db.exists():
                import duckdb

                with duckdb.connect(str(self.db), read_only=True) as con:
                    self._db_tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        return self._db_tables

    def table(self, name: str) -> pd.DataFrame:
        """The raw table ``name`` as published (COW missing codes kept). Do not modify the returned frame in place."""
        with self._lock:
            if name not in self._cache:
                if name in self._store_tables():
                    import duckdb

                    with duckdb.connect(str(self.db), read_only=True) as con:
                        self._cache[name] = as_file_dtypes(con.execute(f'select * from "{name}"').df())
                else:
                    self._cache[name] = read_table(name, self.data_dir, verify=self.verify)
            return self._cache[name]

    def derived(self, name: str, build):
        """What ``build()`` (a pure function of this source's tables) returns, built once and kept for the life of the
        source, like :meth:`table`'s tables (e.g. the ATOP membership spells every panel starts from). Do not modify
        the returned objects in place."""
        if name not in self._derived:
            value = build()  # outside the lock: build() reads tables, which take it
            with self._lock:
                self._derived.setdefault(name, value)
        return self._derived[name]


_default: DataSource | None = None


def default_source() -> DataSource:
    """A process-wide DataSource over $PACTWATCH_DATA_DIR and the default store (built or not)."""
    global _default
    if _default is None:
        from pactwatch.paths import default_db

        _default = DataSource(db=default_db())
    return _default
