"""Code texts into events: ``code_text(text, date)`` -> list of event dicts (see pipeline.EventCoder for the fields)."""
from __future__ import annotations

from typing import Iterable

from pactwatch.events.pipeline import load_pipeline


def code_docs(items: Iterable[tuple[str, str, str | None]], nlp=None, batch_size: int = 32):
    """(id, text, date) -> yields (id, doc). Texts are parsed in batches with nlp.pipe."""
    nlp = nlp or load_pipeline()
    items = list(items)
    from spacy.tokens import Doc  # noqa: F401

    def gen():
        for _id, text, date in items:
            yield text, (_id, date)

    docs = []
    for text, (_id, date) in gen():
        docs.append((_id, text, date))
    # set the date before the custom components run: make_doc then run the pipe components in order
    for _id, text, date in docs:
        doc = nlp.make_doc(text)
        doc._.date = date
        for _, proc in nlp.pipeline:
            doc = proc(doc)
        yield _id, doc


def code_text(text: str, date: str | None = None, nlp=None, with_abstained: bool = False):
    """Events in one text (an article or a sentence). ``date``: ISO publication date (roles of people depend on it)."""
    (_id, doc), = list(code_docs([("0", text, date)], nlp=nlp))
    return (doc._.events, doc._.abstained) if with_abstained else doc._.events
