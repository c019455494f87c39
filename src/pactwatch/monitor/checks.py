"""Checks before reading the event table: is there anything in the store, and are the actor codes ones it can hold.

Read-only: the store is opened read-only (nothing is created when it is missing or empty).
"""
from __future__ import annotations

from pathlib import Path

from pactwatch.errors import PactwatchError


def store_status(db: str | Path | None = None) -> dict:
    """``{"path", "exists", "articles", "events", "by_origin": {origin: n}, "codes": set of actor codes}`` of the news
    store, opened read-only (a missing file or table counts as empty)."""
    from pactwatch.news.store import connect, default_news_db

    path = Path(db) if db is not None else default_news_db()
    out = {"path": str(path), "exists": path.is_file(), "articles": 0, "events": 0, "by_origin": {}, "codes": set()}
    if not out["exists"]:
        return out
    con = connect(path, read_only=True)
    try:
        tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
        if "articles" in tables:
            out["articles"] = con.execute("select count(*) from articles").fetchone()[0]
        if "events" in tables:
            rows = con.execute("select origin, count(*) from events group by origin").fetchall()
            out["by_origin"] = {o: int(n) for o, n in rows}
            out["events"] = sum(out["by_origin"].values())
            out["codes"] = {r[0] for r in con.execute(
                "select source_country from events where source_country is not null union "
                "select target_country from events where target_country is not null").fetchall()}
    finally:
        con.close()
    return out


def known_actor_codes(store_codes: set | None = None) -> set[str]:
    """Codes the event table can hold: ISO3 codes of the events country list, pactwatch's IGO codes, and any code
    already in the store (e.g. from imported GDELT events)."""
    import yaml

    from pactwatch.events.lexicon import res_text

    codes = {str(c).upper() for c in (store_codes or set())}
    codes |= {str(g["code"]).upper() for g in yaml.safe_load(res_text("igos.yaml")) or []}
    try:
        from pactwatch.events.actors import country_table

        codes |= {r["iso3"].upper() for r in country_table()}
    except PactwatchError:
        if not store_codes:
            raise
    return codes


def check_actor_codes(codes: list[str], store_codes: set | None = None) -> list[str]:
    """The codes upper-cased; an unknown one raises an error naming it (with close matches)."""
    from difflib import get_close_matches

    known = known_actor_codes(store_codes)
    out = []
    for c in codes:
        cu = str(c).strip().upper()
        if cu not in known:
            near = get_close_matches(cu, sorted(known), n=3)
            raise PactwatchError(f"unknown actor code {c!r}: not an ISO3 country code of the events country list nor a "
                                 f"known organisation code{' (did you mean ' + ', '.join(near) + '?)' if near else ''}; "
                                 "give ISO3 codes such as RUS PRK")
        out.append(cu)
    return out

