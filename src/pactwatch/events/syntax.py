"""Dependency-parse helpers shared by the event coder's parts."""
from __future__ import annotations

CLAUSAL_DEPS = frozenset({"ccomp", "advcl", "relcl", "acl", "parataxis", "conj"})


def phrase_tokens(verb, deps=CLAUSAL_DEPS):
    """The verb's own phrase: its subtree without the clauses hanging off it or off its objects (``deps``)."""
    out, stack = [], [verb]
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if c.dep_ not in deps)
    return sorted(out, key=lambda t: t.i)
