"""Articles and their sentences in a DuckDB file, keyed by content hash.

Tables (unit of analysis in brackets):
- ``articles`` [one distinct article text]: ``article_id`` = sha256 of the normalised body, so re-ingesting the same text
  (from any file or outlet) changes nothing; ``pub_date`` with ``date_basis`` saying where it came from (``given``:
  the input's metadata; ``file name``; ``text``: the latest full date the article mentions; ``none``: NULL date,
  unknown; see :func:`pactwatch.news.ingest.infer_date`); ``duplicate_of`` links a near-duplicate (the same wire story with small edits,
  estimated word-5-gram Jaccard >= ``NEAR_DUP_JACCARD``) to the first stored copy, so counts can use
  ``duplicate_of is null`` and never count one story twice. NULL date = publication date unknown (basis ``none``;
  NULL basis: stored before the basis was recorded).
- ``sentences`` [one sentence of one article]: character spans into the stored body.
- ``article_bands``: MinHash LSH band keys used to find near-duplicate candidates.
- ``news_events`` [one coded event]: see :func:`pactwatch.events.store`.

Each article is written in its own transaction: an interruption leaves either the whole article or nothing.
The default file is ``<home>/news.duckdb`` ($PACTWATCH_NEWS_DB), separate from the dataset store, which
``pactwatch data build`` replaces wholesale.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import struct
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from pactwatch.errors import PactwatchError
from pactwatch.news.ingest import Article, Skip

NEAR_DUP_JACCARD = 0.8
N_PERM = 64
BANDS = 16  # 16 bands x 4 rows: pairs with Jaccard 0.8 are candidates with probability ~0.99996
_MASK = (1 << 61) - 1

SCHEMA = """
create table if not exists articles (
    article_id varchar primary key, title varchar, byline varchar, pub_date date, url varchar, source varchar,
    ext_id varchar, n_chars integer, n_sentences integer, duplicate_of varchar, similarity double,
    body varchar, ingested_at timestamp);
create table if not exists sentences (
    article_id varchar, sent_no integer, start_char integer, end_char integer, text varchar, sent_hash varchar,
    primary key (article_id, sent_no));
create table if not exists article_bands (band varchar, article_id varchar);
alter table articles add column if not exists date_basis varchar;
"""
ARTICLE_COLUMNS = ("article_id", "title", "byline", "pub_date", "url", "source", "ext_id", "n_chars", "n_sentences",
                   "duplicate_of", "similarity", "body", "ingested_at", "date_basis")


def default_news_db() -> Path:
    from pactwatch.paths import home

    return Path(os.environ.get("PACTWATCH_NEWS_DB") or home() / "news.duckdb")


#: how long a writer waits for readers of the news store to finish before giving up (seconds)
LOCK_WAIT_SECONDS = 5.0


class StoreBusyError(PactwatchError):
    """The news store is locked by another process (DuckDB allows one writing process, or readers only)."""

    exit_code = 4


def connect(db: str | Path | None = None, read_only: bool = False, wait: float | None = None):
    """A DuckDB connection to the news store (default :func:`default_news_db`). Writers (``read_only=False``) create
    the tables; readers should open short-lived read-only connections and close them, since DuckDB lets one process
    write only while no other process has the file open. A store locked by another process is retried for ``wait``
    seconds (default :data:`LOCK_WAIT_SECONDS`), then :class:`StoreBusyError` names the store and the holder."""
    import duckdb

    path = Path(db) if db is not None else default_news_db()
    if read_only and not path.is_file():
        raise PactwatchError(f"news store {path}: no such file (ingest articles first)")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
    delay = 0.05
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.Error as exc:
            if "lock" not in str(exc).lower():
                raise PactwatchError(f"news store {path}: cannot open it ({exc})") from None
            if time.monotonic() >= deadline:
                holder = re.search(r"Conflicting lock is held in (.*?\(PID \d+\))", str(exc))
                raise StoreBusyError(
                    f"news store {path} is in use by another process"
                    f"{' (' + holder.group(1).strip() + ')' if holder else ''}; it can be written only while no other "
                    "process has it open: try again when that process has finished (a server reading the store "
                    "opens it only for the moment of each request)") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
    if not read_only:
        con.execute(SCHEMA)
    return con


_SENT = re.compile(r"[^\n]+?(?:[.!?]+[\"'’”)\]]*(?=\s+[\"'“‘(]?[A-Z0-9-])|$)", re.M)


def split_sentences(text: str) -> list[tuple[int, int, str]]:
    """Sentences as (start, end, text): breaks at line ends and at ./!/? before a capital. Abbreviations such as
    'U.S. Defense' may split a sentence; the event coder re-parses whole articles with spaCy, so this only indexes."""
    out = []
    abbrev = re.compile(r"(?:\b[A-Z]\.){1,3}$|\b(?:Mr|Mrs|Ms|Dr|Gen|Sen|Rep|St|Lt|Col|Gov|Jan|Feb|Aug|Sept|Oct|Nov|Dec)\.$")
    for line in re.finditer(r"[^\n]+", text):
        start = line.start()
        pieces = []
        for m in re.finditer(r"[.!?]+[\"'’”)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])", line.group()):
            end = m.end()
            if abbrev.search(line.group()[: m.start() + 1].rstrip()):
                continue
            pieces.append(end)
        prev = 0
        for end in pieces + [len(line.group())]:
            seg = line.group()[prev:end]
            s = seg.strip()
            if s:
                lead = len(seg) - len(seg.lstrip())
                out.append((start + prev + lead, start + prev + lead + len(s), s))
            prev = end
    return out


def shingles(text: str, k: int = 5) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    if len(words) < k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i:i + k]) for i in range(len(words) - k + 1)}


def _perms():
    rng = [int.from_bytes(hashlib.sha256(f"pw{i}".encode()).digest()[:16], "big") for i in range(2 * N_PERM)]
    return [((rng[2 * i] % (_MASK - 1)) + 1, rng[2 * i + 1] % _MASK) for i in range(N_PERM)]


_PERMS = _perms()


def minhash(sh: set[str]) -> list[int]:
    base = [struct.unpack("<Q", hashlib.blake2b(s.encode(), digest_size=8).digest())[0] for s in sh] or [0]
    return [min((a * x + b) & _MASK for x in base) for a, b in _PERMS]


def band_keys(sig: list[int]) -> list[str]:
    r = N_PERM // BANDS
    return [f"{i}:" + hashlib.blake2b(str(sig[i * r:(i + 1) * r]).encode(), digest_size=8).hexdigest()
            for i in range(BANDS)]


@dataclass
class IngestReport:
    """What one ingest call did: counts and, per input record, what happened."""

    added: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    near_duplicates: list[tuple[str, str, float]] = field(default_factory=list)  # (new id, first copy, jaccard)
    skipped: list[Skip] = field(default_factory=list)
    date_basis: dict[str, int] = field(default_factory=dict)  # added articles by where their date came from
    notes: list[str] = field(default_factory=list)  # what the input folders left out and why (news.folders)

    def summary(self) -> dict:
        return {"added": len(self.added), "unchanged": len(self.unchanged),
                "near_duplicates": len(self.near_duplicates), "skipped": len(self.skipped),
                "date_basis": dict(self.date_basis),
                "skip_reasons": [f"{s.where}: {s.reason}" for s in self.skipped], "notes": list(self.notes)}


def ingest(articles: list[Article], db=None, con=None, skips: list[Skip] | None = None) -> IngestReport:
    """Store articles (and their sentences). Same content hash -> nothing changes; near-duplicate -> stored and linked.
    An article whose date was not decided on reading (``date_basis`` None) is dated here by
    :func:`pactwatch.news.ingest.date_article` (its own date, else the latest full date in its text)."""
    from pactwatch.news.ingest import date_article

    own = con is None
    con = con or connect(db)
    rep = IngestReport(skipped=list(skips or []))
    try:
        for art in articles:
            aid = art.content_hash
            if art.date_basis is None:
                art = date_article(replace(art))  # a copy: the caller's article is left as it was
            if con.execute("select 1 from articles where article_id = ?", [aid]).fetchone():
                rep.unchanged.append(aid)
                continue
            sh = shingles(art.text)
            sig = minhash(sh)
            keys = band_keys(sig)
            dup, sim = _near_duplicate(con, keys, sh)
            sents = split_sentences(art.text)
            con.execute("begin transaction")
            try:
                con.execute(f"insert into articles ({', '.join(ARTICLE_COLUMNS)}) values ({', '.join('?' * len(ARTICLE_COLUMNS))})",
                            [aid, art.title, art.byline, art.date, art.url, art.source, art.ext_id, len(art.text),
                             len(sents), dup, sim, art.text, dt.datetime.now(dt.timezone.utc).replace(tzinfo=None),
                             art.date_basis])
                _insert_sentences(con, aid, sents)
                con.executemany("insert into article_bands values (?, ?)", [[k, aid] for k in keys])
                con.execute("commit")
            except BaseException:
                con.execute("rollback")
                raise
            rep.added.append(aid)
            rep.date_basis[art.date_basis] = rep.date_basis.get(art.date_basis, 0) + 1
            if dup:
                rep.near_duplicates.append((aid, dup, sim))
    finally:
        if own:
            con.close()
    return rep


def _insert_sentences(con, aid, sents):
    con.executemany("insert into sentences values (?, ?, ?, ?, ?, ?)",
                    [[aid, i, s, e, t, hashlib.sha256(t.encode()).hexdigest()[:16]] for i, (s, e, t) in enumerate(sents)])


def _near_duplicate(con, keys: list[str], sh: set[str]) -> tuple[str | None, float | None]:
    rows = con.execute(
        "select distinct b.article_id, a.body, a.duplicate_of, a.ingested_at from article_bands b "
        "join articles a using (article_id) where b.band in (select unnest(?)) order by a.ingested_at", [keys]).fetchall()
    best = (None, None)
    for aid, body, dup_of, _ in rows:
        other = shingles(body)
        j = len(sh & other) / max(1, len(sh | other))
        if j >= NEAR_DUP_JACCARD and (best[1] is None or j > best[1]):
            best = (dup_of or aid, round(j, 4))
    return best


def ingest_files(paths, db=None) -> IngestReport:
    """Read and store every file (directories recursively, or the files their ``index.jsonl`` catalogue names:
    :func:`pactwatch.news.folders.article_files`, whose notes on what it left out go into the report). A file that
    cannot be read is skipped with its reason."""
    from pactwatch.news.corpus import read_files
    from pactwatch.news.folders import article_files

    files, notes = article_files(paths)
    arts, skips = read_files(files)
    rep = ingest(arts, db=db, skips=skips)
    rep.notes = notes
    return rep
