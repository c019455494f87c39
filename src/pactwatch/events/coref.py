"""Component ``pactwatch_coref``: pronouns (he/his/she/they/their/it/its) and "the two leaders"/"both men"/"the two
countries" resolved to the latest fitting actors earlier in the article (``doc.spans["actors"]``), into
``doc.spans["coref"]`` with ``span._.coref``."""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Span

from pactwatch.events import docattrs  # noqa: F401  (registers the span/doc attributes)

PLURAL_REFS = {("two", "leaders"), ("both", "leaders"), ("both", "men"), ("two", "men"), ("two", "countries"),
               ("both", "countries"), ("two", "powers"), ("both", "powers"), ("two", "sides"), ("both", "sides"),
               ("two", "nations"), ("both", "nations"), ("two", "governments"), ("both", "governments")}


@Language.factory("pactwatch_coref")
def make_coref(nlp, name):
    return CorefResolver()


class CorefResolver:
    """Within-article reference: pronouns and 'the two leaders' to the latest fitting actor mentions before them."""

    def __call__(self, doc):
        actors = list(doc.spans.get("actors", []))
        out = []
        for tok in doc:
            low = tok.lower_
            ent = None
            prev = [a for a in actors if a.end <= tok.i]
            if low in ("he", "him", "his", "she", "her", "himself", "herself"):
                ent = next((a._.actor for a in reversed(prev) if a._.actor["kind"] == "person"), None)
            elif low in ("it", "its", "itself"):
                ent = next((a._.actor for a in reversed(prev) if a._.actor["kind"] in ("country", "capital", "igo")
                            or _names_body(a) or _names_country(a)), None)
                if tok.dep_ == "expl" or (tok.head.lemma_ == "be" and low == "it"):
                    ent = None
            elif low in ("they", "them", "their", "themselves"):
                codes = _last_distinct(prev, 2, sentence_of=tok)
                if codes:
                    ent = {"code": "+".join(sorted(c["code"] for c in codes)), "sector": "", "kind": "group",
                           "name": " and ".join(c["name"] for c in codes), "members": codes}
            elif tok.i > 0 and (doc[tok.i - 1].lower_, low) in PLURAL_REFS:
                codes = _last_distinct(prev, 2)
                if len(codes) == 2:
                    ent = {"code": "+".join(sorted(c["code"] for c in codes)), "sector": "GOV" if low in ("leaders", "men", "governments") else "",
                           "kind": "group", "name": " and ".join(c["name"] for c in codes), "members": codes}
            if ent:
                start = tok.i - 1 if tok.i > 0 and (doc[tok.i - 1].lower_, low) in PLURAL_REFS else tok.i
                sp = Span(doc, start, tok.i + 1, label="COREF")
                sp._.coref = ent
                out.append(sp)
        doc.spans["coref"] = out
        return doc


def _names_country(sp) -> bool:
    """A demonym-table entry used as a noun phrase of its own names the country ('The U.S. said it would ...',
    'the UK ... it'): a proper noun heading a subject or object, not a modifier of another noun."""
    if sp._.actor.get("kind") != "demonym":
        return False
    r = sp.root
    return r.pos_ == "PROPN" and r.dep_ in ("nsubj", "nsubjpass", "dobj", "pobj")


def _names_body(sp) -> bool:
    """A demonym that modifies a singular noun names a body of that country ('the Nigerian union', 'the Serbian
    parliament'): 'it' later in the article can refer to it."""
    if sp._.actor.get("kind") != "demonym":
        return False
    h = sp.root.head
    return sp.root.dep_ in ("amod", "compound") and h.pos_ in ("NOUN", "PROPN") and h.tag_ in ("NN", "NNP")


def _last_distinct(prev, n, sentence_of=None):
    out, seen = [], set()
    for a in reversed(prev):
        if sentence_of is not None and a.sent.start < sentence_of.sent.start and a.sent != sentence_of.sent:
            # 'they' reaches back to the previous sentence at most
            if a.sent.end < sentence_of.sent.start - 60:
                break
        c = a._.actor["code"]
        if c not in seen:
            seen.add(c)
            out.append(a._.actor)
        if len(out) == n:
            break
    return out
