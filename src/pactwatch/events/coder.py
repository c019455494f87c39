"""Code texts into events: ``code_text(text, date)`` -> list of event dicts (fields: see
:mod:`pactwatch.events.coding`)."""
from __future__ import annotations

from typing import Iterable

from pactwatch.events.pipeline import CUSTOM, load_pipeline

__all__ = ["CUSTOM", "code_docs", "code_text"]


#: a text longer than the spaCy pipeline's limit (``nlp.max_length``, 1,000,000 characters) is coded in pieces of at
#: most this many characters, cut at line ends (:func:`pieces`)
PIECE_CHARS = 100_000
_SPANS = ("sentence_span", "verb_span", "source_span", "target_span")


def code_docs(items: Iterable[tuple], nlp=None, batch_size: int = 64, layer: bool = True):
    """(id, text, date) or (id, text, date, date_basis) -> yields (id, doc), in input order. spaCy's own components
    parse the texts in batches (``nlp.pipe``); the article date is then set on each Doc (``doc._.date``, and
    ``doc._.date_basis``: the item's basis, ``given`` for a date without one) before the pactwatch components (actors,
    coreference, events, main clause, root layer) run on it, since who holds an office depends on the date. An item
    without a date is dated by the latest full date in its text (basis ``text``) or left undated (``none``; see
    :func:`pactwatch.news.ingest.infer_date`), never as of today. ``layer=False``: skip the supervised root layer
    (``pactwatch_rootmodel``) even when the pipeline has it (the rules alone; used to train it).

    Text enters through :func:`pactwatch.news.ingest.clean_text` (lone surrogates -> U+FFFD, offsets unchanged). A
    text longer than ``nlp.max_length`` is parsed and coded in pieces cut at line ends (:func:`pieces`), each piece on
    its own (a pronoun or a surname at the start of a piece does not reach back into the one before), and yielded as
    one Doc of the whole text whose events and abstentions carry character offsets into the whole text."""
    from pactwatch.news.ingest import clean_text

    nlp = nlp or load_pipeline()
    items = list(items)
    custom = [(name, proc) for name, proc in nlp.pipeline if name in CUSTOM]
    active = [(name, proc) for name, proc in custom if layer or name != "pactwatch_rootmodel"]
    limit = nlp.max_length

    def feed():
        for _id, text, date, *rest in items:
            text = clean_text(text)
            date, basis = _date_of(text, date, rest)
            spans = [(0, len(text))] if len(text) <= limit else pieces(text, min(PIECE_CHARS, limit))
            for j, (a, b) in enumerate(spans):
                yield text[a:b], (_id, date, basis, j, len(spans), a)

    done: list[tuple[int, object]] = []
    with nlp.select_pipes(disable=[name for name, _ in custom]):
        for doc, (_id, date, basis, j, n, offset) in nlp.pipe(feed(), as_tuples=True, batch_size=batch_size):
            doc._.date = date
            doc._.date_basis = basis
            for _, proc in active:
                doc = proc(doc)
            if n == 1:
                yield _id, doc
                continue
            done.append((offset, doc))
            if j == n - 1:
                yield _id, _joined(done, date, basis)
                done = []


def pieces(text: str, size: int) -> list[tuple[int, int]]:
    """(start, end) character ranges that cover ``text`` in order, each at most ``size`` long: cut after the last line
    break in range, else after the last sentence end ('. ', '? ', '! '), else after the last space, else at ``size``."""
    out, a, n = [], 0, len(text)
    while n - a > size:
        window = text[a:a + size]
        cut = window.rfind("\n") + 1
        if cut <= 0:
            cut = max(window.rfind(". "), window.rfind("? "), window.rfind("! ")) + 2
        if cut <= 1:
            cut = window.rfind(" ") + 1
        if cut <= 0:
            cut = size
        out.append((a, a + cut))
        a += cut
    out.append((a, n))
    return out


def _shifted(rec: dict, offset: int) -> dict:
    out = dict(rec)
    for k in _SPANS:
        if out.get(k):
            out[k] = [out[k][0] + offset, out[k][1] + offset]
    return out


def _joined(done: list, date, basis):
    """One Doc of the whole text from its coded pieces (offset, doc): events and abstentions shifted to the whole text."""
    import warnings

    from spacy.tokens import Doc

    with warnings.catch_warnings():  # W101: the pieces' doc-level attributes are not merged; they are set below
        warnings.filterwarnings("ignore", message=r"\[W101\]")
        doc = Doc.from_docs([d for _, d in done], ensure_whitespace=False)
    doc._.date = date
    doc._.date_basis = basis
    doc._.events = [_shifted(e, off) for off, d in done for e in (d._.events or [])]
    doc._.abstained = [_shifted(a, off) for off, d in done for a in (d._.abstained or [])]
    return doc


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
