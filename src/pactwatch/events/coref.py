"""Component ``pactwatch_coref``: pronouns (he/his/she/they/their/it/its) and "the two leaders"/"both men"/"the two
countries" resolved to fitting actors earlier in the article (``doc.spans["actors"]``), into ``doc.spans["coref"]``
with ``span._.coref``.

he/his/she/her: a person named (or already referred to by a pronoun) earlier in the pronoun's own sentence, the latest
one; else, for a pronoun in subject position ("He ...", "His envoy ..."), the most salient person of the nearest
earlier sentence that mentions one (:func:`salience`): the subject of the main clause over a person in an object or a
subordinate clause ("... because the Kim regime agrees with what Putin is attempting to do. He's offering ..." -> Kim);
for other pronouns the latest person. An object pronoun never refers to the subject of its own clause ("Putin hosted
Kim. Shoigu greeted him": not Shoigu). it/they and "the two leaders": the latest fitting actors."""
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
        people: list[tuple[Span, dict]] = [(a, a._.actor) for a in actors if a._.actor["kind"] == "person"]
        # a surname the tables cannot resolve is still a person: "he" after it is that unknown person (code None),
        # not another person named before
        people += [(u, {"code": None, "sector": "", "kind": "person", "name": u.text})
                   for u in doc.spans.get("unresolved_people", [])]
        people.sort(key=lambda p: p[0].start)
        for tok in doc:
            low = tok.lower_
            ent = None
            prev = [a for a in actors if a.end <= tok.i]
            if low in ("he", "him", "his", "she", "her", "himself", "herself"):
                ent = person_antecedent(tok, people)
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
                if ent.get("kind") == "person":  # "He ... his ... he": later pronouns can refer back through it
                    people.append((sp, ent))
        doc.spans["coref"] = out
        return doc


#: dependency labels that open a clause below the one their head is in
CLAUSE_DEPS = {"ccomp", "advcl", "relcl", "acl", "pcomp", "xcomp", "csubj", "csubjpass", "parataxis", "appos"}
OBJECT_PRONOUNS = {"him", "her", "himself", "herself"}


def person_antecedent(tok, people):
    """The person a he/him/his/she/her token refers to, from ``people`` ((span, entity) of person mentions and of
    pronouns already resolved to one, in text order), or None. Within the pronoun's own sentence: the latest person
    before it (an object pronoun skipping the subject of its own clause). Else, in the nearest earlier sentence that
    mentions a person: the most salient (:func:`salience`)."""
    before = [(sp, e) for sp, e in people if sp.end <= tok.i]
    if not before:
        return None
    sent = tok.sent
    here = [(sp, e) for sp, e in before if sp.start >= sent.start]
    if tok.lower_ in OBJECT_PRONOUNS or (tok.lower_ == "her" and tok.dep_ != "poss"):
        subj = _clause_subject(tok)
        here = [(sp, e) for sp, e in here if subj is None or not (sp.start <= subj.i < sp.end)]
    if here and _in_subject(tok) and _depth(tok) > 0:
        # "Kim met Shoigu after he arrived", "Putin said Kim was glad when he met Shoigu": a subject pronoun in a
        # subordinate clause takes the subject of the nearest clause above it, else its latest person
        up = [(i, sp, e) for i, (sp, e) in enumerate(here) if salience(sp)[0] < _depth(tok)]
        if up:
            return min(up, key=lambda c: (salience(c[1])[1], -salience(c[1])[0], -c[0]))[2]
    if here:
        return here[-1][1]
    earlier = [(sp, e) for sp, e in before if sp.start < sent.start]
    if not earlier:
        return None
    if not _in_subject(tok):  # "Shoigu greeted him": an object pronoun keeps to the latest person
        return earlier[-1][1]
    last_sent = earlier[-1][0].sent.start
    cands = [(i, sp, e) for i, (sp, e) in enumerate(earlier) if sp.sent.start == last_sent]
    return min(cands, key=lambda c: (*salience(c[1]), -c[0]))[2]


def _depth(tok) -> int:
    """Clause boundaries between a token and its sentence's root (see :func:`salience`)."""
    depth, t = 0, tok
    for _ in range(30):
        if t.dep_ == "ROOT" or t.head.i == t.i:
            break
        if t.dep_ in CLAUSE_DEPS:
            depth += 1
        t = t.head
    return depth


def _in_subject(tok) -> bool:
    """A pronoun that is a subject ("He offered"), or the possessor in a subject ("His envoy arrived")."""
    t = tok
    while t.dep_ in ("poss", "compound") and t.head.i != t.i:
        t = t.head
    return t.dep_ in ("nsubj", "nsubjpass")


def salience(sp) -> tuple[int, int]:
    """(clause depth, not a subject) of a mention, lower = more salient: how many clause boundaries lie between the
    mention and its sentence's root, and 0 when the noun phrase it is in ("the Kim regime", "Putin's envoy") is the
    subject of its clause."""
    np = sp.root
    while np.dep_ in ("compound", "poss", "amod", "nmod", "appos", "conj") and np.head.i != np.i:
        np = np.head
    subject = 0 if np.dep_ in ("nsubj", "nsubjpass") else 1
    return _depth(np), subject


def _clause_subject(tok):
    """The subject of the clause a pronoun is an object in ("Shoigu greeted him" -> Shoigu), else None."""
    v = tok.head
    while v.dep_ in ("prep", "agent", "dative") and v.head.i != v.i:
        v = v.head
    if tok.dep_ == "pobj" and tok.head.dep_ == "prep" and tok.head.head.pos_ in ("NOUN", "PROPN"):
        return None  # "a meeting with him": no clause of its own
    return next((c for c in v.children if c.dep_ in ("nsubj", "nsubjpass")), None)


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
