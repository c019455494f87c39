"""The attributes pactwatch's spaCy components read and write on a ``Doc`` and its spans (registered on import).

- ``doc._.date``: the article date (ISO string or ``datetime.date``; see :func:`doc_date`), ``doc._.date_basis``: where
  it came from (``given``, ``file name``, ``text``, ``none``; see :func:`pactwatch.news.ingest.infer_date`);
- ``span._.actor`` on ``doc.spans["actors"]`` (component ``pactwatch_actors``), ``span._.coref`` on
  ``doc.spans["coref"]`` (``pactwatch_coref``): ``{"code", "sector", "kind", "name"}``;
- ``doc._.events`` and ``doc._.abstained``: coded events and the verbs abstained on, with the reason
  (``pactwatch_events``, ``pactwatch_main_clause``, ``pactwatch_rootmodel``).
"""
from __future__ import annotations

import datetime as dt

from spacy.tokens import Doc, Span

for _ext, _obj in (("actor", Span), ("coref", Span)):
    if not _obj.has_extension(_ext):
        _obj.set_extension(_ext, default=None)
for _ext, _dflt in (("date", None), ("date_basis", None), ("events", None), ("abstained", None)):
    if not Doc.has_extension(_ext):
        Doc.set_extension(_ext, default=_dflt)


def doc_date(doc) -> dt.date | None:
    """The article date of ``doc`` (``doc._.date``); None when unknown or unreadable: never today's date."""
    d = doc._.date
    if isinstance(d, dt.date):
        return d
    try:
        return dt.date.fromisoformat(str(d)[:10]) if d else None
    except ValueError:
        return None
