"""Helpers for the event-coder tests: code one hand-written text on a fixed article date."""
from __future__ import annotations

from pactwatch.events.coder import code_text

#: the article date the hand-written test sentences are coded on
D = "2024-11-01"


def events(nlp, text: str, date: str = D) -> list[dict]:
    """The coder's events in ``text`` (full dicts)."""
    return code_text(text, date, nlp)


def codes(nlp, text: str, date: str = D) -> list[tuple]:
    """(source, target, CAMEO code) of each event in ``text``."""
    return [(e["source"], e["target"], e["code"]) for e in events(nlp, text, date)]
