"""Code texts into events: ``code_text(text, date)`` -> list of event dicts (fields: see
:mod:`pactwatch.events.coding`)."""
from __future__ import annotations

from typing import Iterable

from pactwatch.events.pipeline import CUSTOM, load_pipeline

__all__ = ["CUSTOM", "code_docs", "code_text"]


def code_docs(items: Iterable[tuple], nlp=None, batch_size: int = 64, layer: bool = True):
    """(id, text, date) or (id, text, date, date_basis) -> yields (id, doc), in input order. spaCy's own components
    parse the texts in batches (``nlp.pipe``); the article date is then set on each Doc (``doc._.date``, and
    ``doc._.date_basis``: the item's basis, ``given`` for a date without one) before the pactwatch components (actors,
    coreference, events, main clause, root layer) run on it, since who holds an office depends on the date. An item without a date is dated by
    the latest full date in its text (basis ``text``) or left undated (``none``; see
    :func:`pactwatch.news.ingest.infer_date`), never as of today. ``layer=False``: skip the supervised root layer
    (``pactwatch_rootmodel``) even when the pipeline has it (the rules alone; used to train it)."""
    nlp = nlp or load_pipeline()
    items = list(items)
    custom = [(name, proc) for name, proc in nlp.pipeline if name in CUSTOM]
    active = [(name, proc) for name, proc in custom if layer or name != "pactwatch_rootmodel"]
    with nlp.select_pipes(disable=[name for name, _ in custom]):
        parsed = nlp.pipe(((text, (_id, *_date_of(text, date, rest))) for _id, text, date, *rest in items),
                          as_tuples=True, batch_size=batch_size)
        for doc, (_id, date, basis) in parsed:
            doc._.date = date
            doc._.date_basis = basis
            for _, proc in active:
                doc = proc(doc)
            yield _id, doc


def _date_of(text: str, date: str | None, rest: list) -> tuple[str | None, str]:
    """(date, basis) of one item: its own date (basis from the item, else ``given``), else inferred from the text."""
    if date:
        return date, (rest[0] if rest and rest[0] else "given")
    from pactwatch.news.ingest import infer_date

    return infer_date(text)


def code_text(text: str, date: str | None = None, nlp=None, with_abstained: bool = False):
    """Events in one text (an article or a sentence). ``date``: ISO publication date (roles of people depend on it)."""
    (_id, doc), = list(code_docs([("0", text, date)], nlp=nlp))
    return (doc._.events, doc._.abstained) if with_abstained else doc._.events
