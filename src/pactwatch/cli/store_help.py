"""What to tell a user whose news store has no events, and how to fill it (shared by `dyad`, `monitor` and
`case update`)."""
from __future__ import annotations


def fill_help(articles_hint: str = "DIR") -> str:
    """How to fill the event table, in commands."""
    return (f"fill it from news with `pactwatch events ingest {articles_hint}` (text, HTML, RSS/Atom or JSON Lines "
            "files) then `pactwatch events store` (codes the stored articles), or in one step with "
            f"`pactwatch monitor CASE --articles {articles_hint}` (or `--feed URL`); or import GDELT/ICEWS event "
            "files with `pactwatch events import FILE`")


def empty_store_message(status: dict, origin: str | None = None) -> str | None:
    """A plain message when the store (or the origin's part of it) holds no events, else None."""
    if not status["exists"]:
        return f"no news store at {status['path']}: there are no events yet; {fill_help()}"
    n = status["by_origin"].get(origin, 0) if origin else status["events"]
    if n:
        return None
    what = f"no events of origin {origin!r}" if origin else "no events"
    have = (f" (it holds {status['articles']} articles not yet coded: run `pactwatch events store`)"
            if status["articles"] and not status["events"] else "")
    others = (f"; origins present: {', '.join(f'{o} ({k})' for o, k in sorted(status['by_origin'].items()))}"
              if origin and status["events"] else "")
    return f"the news store {status['path']} has {what}{have}{others}; {fill_help()}"
