"""A news corpus that partitions: articles (and, beside them, coded and imported events) as Parquet files in
Hive-style folders by month and source, for corpora too large for one DuckDB file or one machine.

Layout (``DIR`` is the corpus)::

    DIR/articles/ym=2024-11/source=reuters.com/part-<ids16>.parquet      one article a row, keyed by content hash
    DIR/events/ym=2024-11/source=reuters.com/part-<ids16>.<in12>.<coder12>.parquet   pactwatch events of that file
    DIR/events/ym=2024-11/source=gdelt1/<file>.<in12>.parquet                        imported GDELT/ICEWS events

- ``ym``: the publication month ``YYYY-MM`` (``unknown`` when the article has no date); ``source``: the host of the
  article's URL (``www.`` dropped), else the label the caller gives (by default the name of the input file or folder),
  lower-cased, characters other than letters, digits, ``.``, ``-`` and ``_`` replaced by ``-``.
- An article file holds one ingest batch of one partition; its name is a hash of the sorted article ids it holds, so
  writing the same batch again writes nothing. ``article_id`` is the sha256 of the normalised body
  (:attr:`pactwatch.news.ingest.Article.content_hash`); an article already in the corpus (any partition) is not
  written again (counted as unchanged). Near-duplicates (the same wire story with edits) are *not* linked here, unlike
  the DuckDB news store (:mod:`pactwatch.news.store`): a corpus counts each distinct text once, not each story.
- Every file is written whole or not at all: to ``<name>.tmp-<host>-<pid>`` beside it, then renamed (atomic on one
  file system). A writer killed mid-file leaves only a temporary file, which no reader globs (``*.parquet``) and the
  next writer on that host removes when its process is gone (:func:`remove_stale_temps`).

Readers: :func:`attach` creates DuckDB views ``corpus_articles`` and ``corpus_events`` over the globs
(``read_parquet('DIR/articles/**/*.parquet', hive_partitioning = 1)``), so the news store, or any DuckDB connection,
queries a corpus without loading it.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import urlparse

from pactwatch.errors import PactwatchError
from pactwatch.news.ingest import Article, Skip

ARTICLES = "articles"
EVENTS = "events"
UNKNOWN_MONTH = "unknown"
HIVE_TYPES = "{'ym': 'VARCHAR', 'source': 'VARCHAR'}"
ARTICLE_FIELDS = ("article_id", "title", "byline", "pub_date", "date_basis", "url", "input", "ext_id", "n_chars", "body")


class CorpusError(PactwatchError):
    """A corpus directory or one of its files cannot be used."""

    exit_code = 2


def article_schema():
    import pyarrow as pa

    return pa.schema([("article_id", pa.string()), ("title", pa.string()), ("byline", pa.string()),
                      ("pub_date", pa.date32()), ("date_basis", pa.string()), ("url", pa.string()),
                      ("input", pa.string()), ("ext_id", pa.string()), ("n_chars", pa.int32()), ("body", pa.string())])


def slug(value: str) -> str:
    """A partition value: lower-case, only ``[a-z0-9._-]`` (others -> ``-``), at most 80 characters; never empty."""
    s = re.sub(r"[^a-z0-9._-]+", "-", (value or "").lower()).strip("-.")[:80]
    return s or "unknown"


def source_of(art: Article, label: str | None = None) -> str:
    """The ``source`` partition of an article: its URL's host, else ``label``, else the name of the file it came
    from (see module docstring)."""
    host = urlparse(art.url).hostname if art.url else None
    if host:
        return slug(host[4:] if host.startswith("www.") else host)
    if label:
        return slug(label)
    return slug(Path(art.source).stem) if art.source and not art.source.startswith("<") else "unknown"


def month_of(date: str | None) -> str:
    return date[:7] if date else UNKNOWN_MONTH


def ids_hash(ids: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(ids)).encode()).hexdigest()[:16]


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# -- atomic files -------------------------------------------------------------------------------------------------

def temp_path(path: Path) -> Path:
    return path.with_name(f"{path.name}.tmp-{socket.gethostname()}-{os.getpid()}")


_TMP = re.compile(r"\.tmp-(?P<host>.+)-(?P<pid>\d+)$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def remove_stale_temps(root: Path) -> list[Path]:
    """Delete the temporary files under ``root`` left by writers on this host whose process is gone (a worker killed
    mid-write). Those of live processes and of other hosts are left alone. Returns the files removed."""
    host = socket.gethostname()
    gone = []
    if not root.is_dir():
        return gone
    for p in root.rglob("*.tmp-*"):
        m = _TMP.search(p.name)
        if m and m["host"] == host and not _alive(int(m["pid"])):
            p.unlink(missing_ok=True)
            gone.append(p)
    return gone


def write_table_atomic(table, path: Path) -> None:
    """Write a pyarrow table to ``path`` as Parquet: a temporary file beside it, flushed, then renamed over it."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        pq.write_table(table, tmp, compression="zstd")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_json_atomic(obj, path: Path) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    tmp.write_text(json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


# -- reading ------------------------------------------------------------------------------------------------------

def glob_of(corpus: str | Path, part: str) -> str:
    return str(Path(corpus) / part / "**" / "*.parquet")


def parquet_files(corpus: str | Path, part: str) -> list[Path]:
    root = Path(corpus) / part
    return sorted(root.rglob("*.parquet")) if root.is_dir() else []


def partition_values(path: Path) -> dict[str, str]:
    """``{'ym': ..., 'source': ...}`` from a file's Hive folders."""
    out = {}
    for p in path.parts:
        if "=" in p:
            k, v = p.split("=", 1)
            out[k] = v
    return out


def read_sql(corpus: str | Path, part: str) -> str:
    """The DuckDB table expression over one half of a corpus (``articles`` or ``events``)."""
    g = glob_of(corpus, part).replace("'", "''")
    return f"read_parquet('{g}', hive_partitioning = 1, hive_types = {HIVE_TYPES}, union_by_name = 1)"


def attach(con, corpus: str | Path) -> list[str]:
    """Create (or replace) the views ``corpus_articles`` and ``corpus_events`` over the corpus on a DuckDB connection
    (the news store's or an in-memory one); a half with no files yet gets no view. Returns the views made."""
    root = Path(corpus)
    if not root.is_dir():
        raise CorpusError(f"corpus {root}: no such directory")
    made = []
    for part in (ARTICLES, EVENTS):
        if parquet_files(root, part):
            con.execute(f"create or replace temp view corpus_{part} as select * from {read_sql(root, part)}")
            made.append(f"corpus_{part}")
    return made


def stored_ids(corpus: str | Path) -> set[str]:
    """Every article id already in the corpus (reads the ``article_id`` column only)."""
    if not parquet_files(corpus, ARTICLES):
        return set()
    import duckdb

    con = duckdb.connect()
    try:
        return {r[0] for r in con.execute(f"select article_id from {read_sql(corpus, ARTICLES)}").fetchall()}
    finally:
        con.close()


# -- writing articles ---------------------------------------------------------------------------------------------

@dataclass
class CorpusReport:
    """What one write to a corpus did: article ids added / already present, files written, inputs skipped."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    date_basis: dict[str, int] = field(default_factory=dict)
    stale_temps_removed: int = 0

    def summary(self) -> dict:
        return {"added": len(self.added), "unchanged": len(self.unchanged), "near_duplicates": 0,
                "skipped": len(self.skipped), "date_basis": dict(self.date_basis), "files_written": len(self.files),
                "stale_temps_removed": self.stale_temps_removed,
                "skip_reasons": [f"{s.where}: {s.reason}" for s in self.skipped]}


def write_articles(articles: list[Article], corpus: str | Path, label: str | None = None,
                   skips: list[Skip] | None = None) -> CorpusReport:
    """Add articles to the corpus, one file per (month, source) partition of this batch, rows in article-id order.
    An article whose id is in the corpus already, or earlier in this batch, is counted unchanged and not written.
    Undated articles (``date_basis`` None) are dated as the news store dates them (:func:`date_article`)."""
    import pyarrow as pa

    from pactwatch.news.ingest import date_article

    root = Path(corpus)
    root.mkdir(parents=True, exist_ok=True)
    rep = CorpusReport(skipped=list(skips or []))
    rep.stale_temps_removed = len(remove_stale_temps(root))
    seen = stored_ids(root)
    groups: dict[tuple[str, str], dict[str, dict]] = {}
    for art in articles:
        aid = art.content_hash
        if aid in seen:
            rep.unchanged.append(aid)
            continue
        seen.add(aid)
        if art.date_basis is None:
            from dataclasses import replace

            art = date_article(replace(art))
        key = (month_of(art.date), source_of(art, label))
        groups.setdefault(key, {})[aid] = {
            "article_id": aid, "title": art.title, "byline": art.byline,
            "pub_date": dt.date.fromisoformat(art.date) if art.date else None, "date_basis": art.date_basis,
            "url": art.url or None, "input": art.source or None, "ext_id": art.ext_id or None,
            "n_chars": len(art.text), "body": art.text}
        rep.added.append(aid)
        rep.date_basis[art.date_basis] = rep.date_basis.get(art.date_basis, 0) + 1
    schema = article_schema()
    for (ym, src), rows in sorted(groups.items()):
        ordered = [rows[k] for k in sorted(rows)]
        path = root / ARTICLES / f"ym={ym}" / f"source={src}" / f"part-{ids_hash(rows)}.parquet"
        if path.exists():
            continue
        write_table_atomic(pa.Table.from_pylist(ordered, schema=schema), path)
        rep.files.append(str(path))
    return rep


def read_files(paths: list[Path]) -> tuple[list[Article], list[Skip]]:
    """Articles of some input files (one task of a parallel ingest): a file that cannot be read is a Skip."""
    from pactwatch.news.ingest import IngestError, read_articles

    arts, skips = [], []
    for p in paths:
        try:
            a, s = read_articles(p)
        except IngestError as exc:
            skips.append(Skip(str(p), str(exc)))
            continue
        arts.extend(a)
        skips.extend(s)
    return arts, skips


def read_inputs(paths, engine=None, files_per_task: int = 64) -> tuple[list[Article], list[Skip]]:
    """Read every input file (folders recursively), in-process or spread over a Dask cluster in chunks of
    ``files_per_task`` files (reading and HTML extraction are the costly part); articles come back in file order."""
    from pactwatch.news.engine import run_tasks
    from pactwatch.news.ingest import iter_files

    files = list(iter_files(paths))
    chunks = [(files[i:i + files_per_task],) for i in range(0, len(files), files_per_task)]
    arts, skips = [], []
    for a, s in run_tasks(read_files, chunks, engine):
        arts.extend(a)
        skips.extend(s)
    return arts, skips


def ingest_to_corpus(paths, corpus: str | Path, label: str | None = None, engine=None) -> CorpusReport:
    """Read the input files (see :func:`read_inputs`) and add their articles to the corpus. ``label``: the
    ``source`` partition of articles without a URL (default: the name of each input file)."""
    arts, skips = read_inputs(paths, engine)
    return write_articles(arts, corpus, label=label, skips=skips)


def read_article_file(path: Path) -> list[dict]:
    """The rows of one article file, in article-id order; CorpusError names the file when it is not one."""
    import pyarrow.parquet as pq

    try:
        t = pq.read_table(path, columns=["article_id", "body", "pub_date", "date_basis", "url"])
    except Exception as exc:  # pyarrow raises several types for a damaged or foreign file
        raise CorpusError(f"{path}: not a corpus article file ({exc})") from None
    rows = t.to_pylist()
    rows.sort(key=lambda r: r["article_id"])
    for r in rows:
        r["pub_date"] = r["pub_date"].isoformat() if r["pub_date"] else None
    return rows
