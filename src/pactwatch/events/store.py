"""The event table in the news store: pactwatch's own coded events and imported GDELT / ICEWS events side by side.

Table ``events`` [one event: who did what to whom on which day, as one coder recorded it]:

- ``event_id``: unique per origin (``gdelt1:<GLOBALEVENTID>``, ``gdelt2:…``, ``icews:<Event ID>``,
  ``pw:<article_id>:<n>``); importing the same file twice changes nothing.
- ``origin``: ``pactwatch``, ``gdelt1``, ``gdelt2`` or ``icews``. Counts across origins are not comparable (different
  source texts, dictionaries and duplicate rules): analyse one origin at a time.
- ``event_date``: the day the event happened (GDELT ``SQLDATE``; ICEWS ``Event Date``; pactwatch: the article's
  publication date, NULL when unknown).
- ``source_country`` / ``target_country``: three-letter country part of the actor (ISO3 for pactwatch and ICEWS —
  ICEWS country names are mapped through the pactwatch country table, unmapped names are NULL and counted in the import
  report; the CAMEO country code for GDELT, which equals ISO3 for nearly all states); IGOs keep their pactwatch code;
  NULL = no actor or not a state.
- ``code``/``root``/``quad``/``goldstein``: CAMEO event code (text, leading zeros kept), root, quad class 1–4 (1 verbal
  cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict) from the root by one rule for every
  origin, that of the CAMEO code table (01–05, 06–08, 09–13, 14–20), Goldstein score as the origin published it (ICEWS:
  its ``Intensity``). ``quad_published``: the origin's own quad class where it publishes one (GDELT ``QuadClass``,
  which puts 09 *investigate* in material cooperation and 14 *protest* in verbal conflict: 01–05, 06–09, 10–14, 15–20);
  NULL for ICEWS and pactwatch.
- ``mentions``: GDELT NumMentions (NULL elsewhere); ``url``/``article_id``/``evidence``: where the event came from.

Table ``coded_articles`` [one stored article the pactwatch coder has coded]: ``article_id``, ``events`` (how many it
gave, 0 included), ``coded_at``. An article is coded once: one in which the coder finds no event is not coded again
on the next run (articles stored with events before this table existed count as coded too).
"""
from __future__ import annotations

import datetime as dt

from pactwatch.errors import DataError

SCHEMA = """
create table if not exists events (
    event_id varchar primary key, origin varchar, event_date date,
    source_actor varchar, source_country varchar, source_sector varchar, source_name varchar,
    target_actor varchar, target_country varchar, target_sector varchar, target_name varchar,
    code varchar, root varchar, quad integer, quad_published integer, goldstein double, mentions integer, confidence double,
    article_id varchar, url varchar, evidence varchar, file varchar, imported_at timestamp);
create table if not exists coded_articles (article_id varchar primary key, events integer, coded_at timestamp);
"""

COLUMNS = ("event_id", "origin", "event_date", "source_actor", "source_country", "source_sector", "source_name",
           "target_actor", "target_country", "target_sector", "target_name", "code", "root", "quad", "quad_published", "goldstein",
           "mentions", "confidence", "article_id", "url", "evidence", "file", "imported_at")

ROOT_QUAD = {f"{r:02d}": (1 if r <= 5 else 2 if r <= 8 else 3 if r <= 13 else 4) for r in range(1, 21)}
GDELT_ROOT_QUAD = {f"{r:02d}": (1 if r <= 5 else 2 if r <= 9 else 3 if r <= 14 else 4) for r in range(1, 21)}


def quad_of(code: str | None) -> int | None:
    """Quad class from a CAMEO code's root (None for a code that is not CAMEO)."""
    return ROOT_QUAD.get((code or "")[:2])


def ensure(con) -> None:
    con.execute(SCHEMA)


def insert_events(con, rows: list[dict]) -> tuple[int, int]:
    """Insert event dicts (keys from COLUMNS); rows whose event_id is already stored are left alone.
    Returns (added, already present). One transaction: all rows or none."""
    ensure(con)
    if not rows:
        return 0, 0
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    ids = [r["event_id"] for r in rows]
    if len(set(ids)) != len(ids):
        seen, dup = set(), None
        for i in ids:
            if i in seen:
                dup = i
                break
            seen.add(i)
        raise DataError(f"event id {dup} occurs twice in one batch: the input repeats an event")
    import pandas as pd

    df = pd.DataFrame([{c: (r.get(c) if c != "imported_at" else now) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    for c in ("quad", "quad_published", "mentions"):
        df[c] = df[c].astype("Int64")
    for c in ("goldstein", "confidence"):
        df[c] = df[c].astype("Float64")
    df["event_date"] = pd.to_datetime(df["event_date"], errors="raise").dt.date
    con.execute("begin transaction")
    try:
        con.register("_pw_new_events", df)
        present = {r[0] for r in con.execute(
            "select e.event_id from events e join _pw_new_events n using (event_id)").fetchall()}
        con.execute("insert into events select * from _pw_new_events n where not exists "
                    "(select 1 from events e where e.event_id = n.event_id)")
        con.unregister("_pw_new_events")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    new = [r for r in rows if r["event_id"] not in present]
    return len(new), len(present)


def coded_rows(article_id: str, events: list[dict], date: str | None, url: str = "") -> list[dict]:
    """pactwatch coder output for one article -> event-table rows (joint actors were already split by the coder)."""
    out = []
    for n, e in enumerate(events):
        out.append({
            "event_id": f"pw:{article_id}:{n}", "origin": "pactwatch", "event_date": (date or None),
            "source_actor": e["source"], "source_country": e["source"], "source_sector": e.get("source_sector") or None,
            "source_name": e.get("source_text"), "target_actor": e.get("target"), "target_country": e.get("target"),
            "target_sector": e.get("target_sector") or None, "target_name": e.get("target_text"),
            "code": e["code"], "root": e["root"], "quad": e["quad"], "quad_published": None, "goldstein": e["goldstein"],
            "mentions": None,
            "confidence": e.get("confidence"), "article_id": article_id, "url": url or None,
            "evidence": e.get("sentence"), "file": None,
        })
    return out


def articles_to_code(con, recode: bool = False) -> tuple[list[tuple], int]:
    """(the stored articles :func:`code_stored_articles` codes, as (article_id, body, pub_date text, url,
    date_basis) in ingest order; the number of near-duplicates it leaves out). ``recode``: pactwatch's events are
    dropped first, so every article is to code."""
    ensure(con)
    if recode:
        con.execute("delete from events where origin = 'pactwatch'")
        con.execute("delete from coded_articles")
    todo = con.execute(
        "select article_id, body, cast(pub_date as varchar), url, date_basis from articles a where duplicate_of is null "
        "and not exists (select 1 from events e where e.origin = 'pactwatch' and e.article_id = a.article_id) "
        "and not exists (select 1 from coded_articles c where c.article_id = a.article_id) "
        "order by ingested_at").fetchall()
    n_dup = con.execute("select count(*) from articles where duplicate_of is not null").fetchone()[0]
    return todo, n_dup


def mark_coded(con, events_by_article: dict[str, int]) -> None:
    """Record articles as coded by the pactwatch coder (article id -> number of events it gave, 0 included)."""
    ensure(con)
    for aid, n in events_by_article.items():
        con.execute("insert or replace into coded_articles values (?, ?, current_timestamp)", [aid, int(n)])


def code_stored_articles(con, nlp=None, recode: bool = False) -> dict:
    """Code every stored article that is not a near-duplicate (``duplicate_of is null``) into the event table.
    ``recode``: drop and redo pactwatch events of articles already coded. Returns counts and ``articles_failed``
    (article id and reason of each article the coder could not code: one such article never blocks the others, and
    it is tried again on the next run)."""
    from pactwatch.events.coder import code_docs

    todo, n_dup = articles_to_code(con, recode)
    added = 0
    meta = {aid: url for aid, _, _, url, _ in todo}
    # the date's basis as recorded at ingest (file name / text / given); rows stored before it was kept: 'given'
    items = [(aid, body, date, basis) for aid, body, date, _, basis in todo]
    done: set[str] = set()
    failed: list[dict] = []
    def store(aid, doc):
        nonlocal added
        added += insert_events(con, coded_rows(aid, doc._.events, doc._.date, meta[aid]))[0]
        mark_coded(con, {aid: len(doc._.events)})
        done.add(aid)

    try:
        for aid, doc in code_docs(items, nlp=nlp):
            store(aid, doc)
    except Exception:  # one article the coder cannot take: code the rest one by one, report the ones that fail
        for item in items:
            if item[0] in done:
                continue
            try:
                (aid, doc), = code_docs([item], nlp=nlp)
                store(aid, doc)
            except Exception as exc:
                failed.append({"article_id": item[0], "reason": f"{type(exc).__name__}: {exc}"})
    return {"articles_coded": len(done), "events_added": added, "near_duplicates_skipped": n_dup,
            "articles_failed": failed}
