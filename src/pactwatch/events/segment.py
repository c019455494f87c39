"""Sentence segmentation components that run before the parser: list markers and line breaks.

A list marker at the start of a line ('-North Korea, concerned ...', '• ...', '1. ...') is split off as a token and a
sentence of its own (``pactwatch_list_markers``, before tagging), so the words after it are matched and parsed as the
sentence they are; a line break ends a sentence (``pactwatch_lines``). The text is unchanged, so every character span
indexes into the input.
"""
from __future__ import annotations

import re

from spacy.language import Language


#: a list marker at the start of a line, before a word or an opening quote: a dash or bullet, or '1.' / '1)'
LIST_MARKER = re.compile(r"(?m)^[ \t]*([-\u2013\u2014\u2022*\u00b7\u2023\u25aa]|\d{1,3}[.)])(?=[ \t]*(?:[^\W\d_]|[\"'\u201c\u2018(]))")


@Language.component("pactwatch_list_markers")
def list_markers(doc):
    """A list marker at the start of a line ('-North Korea, concerned ...') becomes a token and a sentence of its own
    (the tokenizer leaves '-North' and '1.North' as one token, which hides the actor); the text is unchanged."""
    found = [(m.start(1), m.end(1)) for m in LIST_MARKER.finditer(doc.text)]
    if not found:
        return doc
    at = {t.idx: t for t in doc}
    with doc.retokenize() as retok:
        for a, b in found:
            t = at.get(a)
            if t is not None and t.text[:b - a] == doc.text[a:b] and len(t) > b - a:
                retok.split(t, [t.text[:b - a], t.text[b - a:]], heads=[(t, 0), (t, 1)])  # no arc between them
    at = {t.idx: t for t in doc}
    for a, b in found:
        nxt = next((t for t in doc[at[a].i:] if t.idx >= b and not t.is_space), None) if a in at else None
        if nxt is not None:
            at[a].is_sent_start = True
            nxt.is_sent_start = True
    return doc


@Language.component("pactwatch_lines")
def line_breaks(doc):
    """A line break ends a sentence (titles, list items and paragraphs are never stitched to the next line)."""
    for i, t in enumerate(doc[:-1]):
        if "\n" in t.text or "\n" in t.whitespace_:
            doc[i + 1].is_sent_start = True
    return doc
