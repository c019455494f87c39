"""Code texts into events: ``code_text(text, date)`` -> list of event dicts (see pipeline.EventCoder for the fields)."""
from __future__ import annotations

from typing import Iterable

from pactwatch.events.pipeline import load_pipeline

CUSTOM = ("pactwatch_actors", "pactwatch_coref", "pactwatch_events", "pactwatch_rootmodel")


def code_docs(items: Iterable[tuple[str, str, str | None]], nlp=None, batch_size: int = 64, layer: bool = True):
    """(id, text, date) -> yields (id, doc), in input order. spaCy's own components parse the texts in batches
    (``nlp.pipe``); the article date is then set on each Doc before the pactwatch components (actors, coreference,
    events) run on it, since who holds an office depends on the date. ``layer=False``: skip the supervised root layer
    (``pactwatch_rootmodel``) even when the pipeline has it (the rules alone; used to train it)."""
    nlp = nlp or load_pipeline()
    items = list(items)
    custom = [(name, proc) for name, proc in nlp.pipeline if name in CUSTOM]
    active = [(name, proc) for name, proc in custom if layer or name != "pactwatch_rootmodel"]
    with nlp.select_pipes(disable=[name for name, _ in custom]):
        parsed = nlp.pipe(((text, (_id, date)) for _id, text, date in items), as_tuples=True, batch_size=batch_size)
        for doc, (_id, date) in parsed:
            doc._.date = date
            for _, proc in active:
                doc = proc(doc)
            yield _id, doc


def code_text(text: str, date: str | None = None, nlp=None, with_abstained: bool = False):
    """Events in one text (an article or a sentence). ``date``: ISO publication date (roles of people depend on it)."""
    (_id, doc), = list(code_docs([("0", text, date)], nlp=nlp))
    return (doc._.events, doc._.abstained) if with_abstained else doc._.events
