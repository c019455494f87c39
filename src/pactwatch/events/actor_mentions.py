"""Component ``pactwatch_actors``: actor mentions (countries by name/demonym/capital, IGOs, dated people, optional
Phoenix entries; tables in :mod:`pactwatch.events.actors`) into ``doc.spans["actors"]``; each span's ``_.actor`` is
``{"code", "sector", "kind", "name"}``. A person's surname alone ("Austin", "Kim") resolves only after a full mention
earlier in the same article; one that does not is kept in ``doc.spans["unresolved_people"]`` (no actor, but a person
a pronoun can refer to). Who holds an office depends on the article date (``doc._.date``); with no date a person
resolves only when all their roles are one actor (never as of today).
"""
from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Span
from spacy.util import filter_spans

from pactwatch.events.actors import build_table, short_name
from pactwatch.events.docattrs import doc_date


@Language.factory("pactwatch_actors", default_config={"people": None, "phoenix": [], "events_dir": None})
def make_actors(nlp, name, people, phoenix, events_dir):
    return ActorRecognizer(nlp, people, tuple(phoenix), events_dir)


class ActorRecognizer:
    def __init__(self, nlp, people=None, phoenix=(), events_dir=None):
        self.table = build_table(people, phoenix, events_dir)
        self.lower = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.exact = PhraseMatcher(nlp.vocab, attr="ORTH")
        self.keys: dict[str, str] = {}
        lower_pats, exact_pats = [], []
        for text in self.table.phrases:
            if text.startswith("@short:"):
                continue
            short = len(text) <= 5 and text.upper() == text
            key = text if short else text.lower()
            self.keys.setdefault(key, text)
            (exact_pats if short else lower_pats).append(text)
        self.lower.add("ACTOR", list(nlp.tokenizer.pipe(lower_pats)))
        self.exact.add("ACTOR", list(nlp.tokenizer.pipe(exact_pats)))
        self.short = {}
        for text, ents in self.table.phrases.items():
            if text.startswith("@short:"):
                self.short.setdefault(text[7:], []).extend(ents)

    def __call__(self, doc):
        date = doc_date(doc)
        if doc._.date_basis is None:
            doc._.date_basis = "given" if date else "none"
        spans = []
        for _, s, e in list(self.lower(doc)) + list(self.exact(doc)):
            spans.append(Span(doc, s, e, label="ACTOR"))
        out, unknown = [], []
        seen_people: list[dict] = []
        short_spans = [Span(doc, t.i, t.i + 1, label="ACTOR") for t in doc if t.text in self.short and t.pos_ == "PROPN"]
        for sp in sorted(filter_spans(spans + short_spans), key=lambda s: s.start):
            ent = None
            if sp.text in self.short and len(sp) == 1 and sp.text not in self.table.phrases:
                # surname alone: the latest fully named person with this short name, earlier in the article
                for p in reversed(seen_people):
                    if short_name(p["name"]) == sp.text:
                        ent = p
                        break
            else:
                key = self.keys.get(sp.text) or self.keys.get(sp.text.lower())
                ent = self.table.resolve(key, date) if key else None
            if ent is None:
                if sp.text in self.short and len(sp) == 1:
                    # a surname no earlier full mention resolves ("the Kim regime" with no Kim named before):
                    # kept apart, so a later "he" can refer to this unknown person rather than to another one
                    unknown.append(sp)
                continue
            if ent["kind"] == "person":
                seen_people.append(ent)
            if _is_false_friend(sp):
                continue
            ent = dict(ent)
            if ent["kind"] in ("country", "demonym", "capital"):  # an agent word next to it sets the sector
                sec = self._sector(sp)
                if sec:
                    ent["sector"] = sec
            sp._.actor = ent
            out.append(sp)
        doc.spans["actors"] = out
        doc.spans["unresolved_people"] = unknown
        return doc

    def _sector(self, sp: Span) -> str:
        """Agent word the mention modifies ('North Korean troops' -> MIL) or that modifies the mention."""
        head = sp.root.head if sp.root.dep_ in ("amod", "compound", "poss", "nmod") else None
        cands = []
        if head is not None:
            cands.append(head)
            cands += [c for c in head.children if c.dep_ in ("compound", "amod") and c.i not in range(sp.start, sp.end)]
        for t in cands:
            s = self.table.agents.get(t.lower_) or self.table.agents.get(t.lemma_.lower())
            if s:
                return s
        return ""


def _is_false_friend(sp: Span) -> bool:
    """'Washington Post', 'Chicago Tribune' and the like are not the state."""
    nxt = sp.doc[sp.end] if sp.end < len(sp.doc) else None
    return nxt is not None and nxt.text in ("Post", "Times", "Tribune", "Journal", "Institute", "University", "Review")


def sentence_mentions(sent) -> list[tuple]:
    """(span, actor dict, via coreference) of a sentence's actor mentions (``doc.spans["actors"]``) and resolved
    references (``doc.spans["coref"]``, from the ``pactwatch_coref`` component), in text order; the actor dict may
    lack a code (an unresolved mention)."""
    doc = sent.doc
    got = [(sp, sp._.actor, False) for sp in doc.spans.get("actors", []) if sent.start <= sp.start < sent.end]
    got += [(sp, sp._.coref, True) for sp in doc.spans.get("coref", []) if sent.start <= sp.start < sent.end]
    return sorted(got, key=lambda x: x[0].start)
