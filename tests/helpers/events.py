"""Helpers for the event-coder tests: code one hand-written text on a fixed article date."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from pactwatch.events.coder import code_text

#: the article date the hand-written test sentences are coded on
D = "2024-11-01"


def events(nlp, text: str, date: str = D) -> list[dict]:
    """The coder's events in ``text`` (full dicts)."""
    return code_text(text, date, nlp)


def codes(nlp, text: str, date: str = D) -> list[tuple]:
    """(source, target, CAMEO code) of each event in ``text``."""
    return [(e["source"], e["target"], e["code"]) for e in events(nlp, text, date)]


class AcceptByFeature:
    """A stand-in for the hybrid's acceptance model: P(event) = ``p[value]`` for the candidate's feature
    ``<prefix><value>`` (``v=`` the word's lemma, ``src=`` the source's code), else ``default``."""
    classes_ = np.array([False, True])

    def __init__(self, p, default=0.9, prefix="v="):
        self.p, self.default, self.prefix = p, default, prefix

    def predict_proba(self, X):
        n = len(self.prefix)
        qs = [self.p.get(next((k[n:] for k in f if k.startswith(self.prefix)), ""), self.default) for f in X]
        return np.array([[1 - q, q] for q in qs])


def store_with_a_ceasefire(db: Path) -> None:
    """A news store at ``db`` holding one coded event: Russia and Ukraine declare a ceasefire (0871) on 2026-12-01."""
    from pactwatch.events.store import insert_events
    from pactwatch.news.store import connect

    con = connect(db)
    insert_events(con, [{"event_id": "pw:a:0", "origin": "pactwatch", "event_date": "2026-12-01",
                         "source_country": "RUS", "target_country": "UKR", "code": "0871", "root": "08", "quad": 2,
                         "goldstein": 9.0, "confidence": 0.8, "article_id": "a", "url": "https://example.org/a",
                         "evidence": "Russia and Ukraine declared a ceasefire on Monday."}])
    con.close()
