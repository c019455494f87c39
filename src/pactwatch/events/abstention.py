"""When the coder abstains: the checks a verb must pass before it is coded as an event, and component
``pactwatch_main_clause``.

:func:`abstain_reason` says why a verb is not coded (None when it may be): negated, modal/hypothetical/conditional, a
guess (hedged), a question, a purpose clause, said by the author (first/second person), under an imperative to the
reader, or under a denial, intention, opinion or negated head. The event coder (:mod:`pactwatch.events.coding`) records
the reason in ``doc._.abstained``.

``pactwatch_main_clause`` (after ``pactwatch_events``): within one sentence, events coded from a subordinate clause are
dropped into ``doc._.abstained`` when the main clause yields an event of its own (:func:`main_clause_first`).
"""
from __future__ import annotations

from spacy.language import Language

from pactwatch.events import docattrs  # noqa: F401  (registers the doc attributes)
from pactwatch.events.intent import FUTURE_AUX, OBLIGATION_AUX

MODALS = {"could", "might", "may", "would", "should", "can", "must", "shall", "will", "'ll", "wo"}
NEGATING_HEADS = {"deny", "refuse", "reject", "decline", "fail", "avoid", "stop", "refrain", "deny"}
HYPOTHETICAL_HEADS = {"threaten", "plan", "want", "hope", "seek", "consider", "propose", "offer", "intend", "try",
                      "attempt", "expect", "wish", "aim", "prepare", "urge", "ask", "call", "demand", "vow", "promise",
                      "pledge", "warn", "fear", "allow", "help"}
IMPLICATIVE = {"manage", "begin", "start", "continue", "proceed", "move", "help", "dare", "get",
               "vote", "opt", "choose", "rush", "hasten", "use", "serve", "act"}
REPORT_VERBS = {"say", "tell", "report", "state", "announce", "claim", "add", "note", "confirm", "insist", "allege",
                "write", "declare", "argue", "explain", "accuse"}
OPINION_VERBS = {"think", "believe", "assume", "seem", "appear", "suppose", "guess", "suspect", "imagine"}
#: adverbs that make a clause a guess ("Russia likely knows this", "Kim perhaps wants ...")
HEDGES = {"likely", "probably", "perhaps", "possibly", "presumably", "maybe", "conceivably", "arguably",
          "supposedly"}
AUTHOR_PRONOUNS = {"i", "we", "you", "one", "me", "us"}
#: adverbs that put a because-clause in the scope of a negation ("not just because", "or even because")
FOCUS_ADVERBS = {"even", "just", "only", "simply", "merely", "solely", "purely", "necessarily", "mainly", "primarily",
                 "chiefly", "entirely"}
#: verbs of sharing an opinion: "agrees with what Putin is attempting", "sympathises with ..."
AGREEMENT_VERBS = {"agree", "concur", "sympathize", "sympathise"}
#: adverbs that make agreement a matter of outlook, not an act ("agrees philosophically with ...")
STANCE_ADVERBS = {"philosophically", "ideologically", "morally", "intellectually", "spiritually", "instinctively"}


def abstain_reason(verb, stop_at=None, future_ok: bool = False, neg_ok: bool = False,
                   obligation_ok: bool = False) -> str | None:
    """Why ``verb`` (a spaCy token) is not coded as a realised event, or None when it may be. ``stop_at``: a head
    token the climb through governing verbs stops at (the intent verb that makes the clause a stated intention);
    ``future_ok``/``neg_ok``/``obligation_ok``: a future, negated or 'must' clause is acceptable (it is coded in an
    intent, refusal or demand family instead)."""
    kids = list(verb.children)
    if not neg_ok and any(c.dep_ == "neg" or c.lower_ in ("never", "not", "n't", "no") for c in kids):
        return "negated"
    ok = FUTURE_AUX | {"would"} if future_ok else set()
    if obligation_ok:  # "X said Y must return ...": coded as X's demand (10), the modal is what makes it one
        ok = ok | OBLIGATION_AUX
    aux = [c for c in kids if c.dep_ in ("aux", "auxpass") and c.lower_ in MODALS - ok]
    if aux:
        return f"modality ({aux[0].text})"
    hedge = [c for c in kids if c.dep_ == "advmod" and c.lower_ in HEDGES]
    if verb.dep_ == "conj" and not any(c.dep_ in ("nsubj", "nsubjpass") for c in kids):
        # "Russia likely knows this but is going along with it": the hedge covers the shared-subject conjunct
        hedge += [c for c in verb.head.children if c.dep_ == "advmod" and c.lower_ in HEDGES]
    if verb.dep_ == "xcomp" and verb.head.pos_ == "AUX":  # "Russia is likely to send ..."
        hedge += [c for c in verb.head.children if c.dep_ == "acomp" and c.lower_ in HEDGES | {"unlikely"}]
    if hedge:
        return f"hedged ({hedge[0].text}: a guess, not a report)"
    if any(c.dep_ == "mark" and c.lower_ in ("if", "unless", "whether") for c in kids):
        return "conditional"
    if verb.sent.text.rstrip().endswith("?"):
        return "question"
    if (verb.dep_ in ("xcomp", "advcl", "acl") and any(c.dep_ == "aux" and c.lower_ == "to" for c in kids)
            and verb.head.lemma_.lower() not in IMPLICATIVE and (stop_at is None or verb.head.i != stop_at.i)):
        return f"purpose of '{verb.head.text}' (to-infinitive, not realised)"
    subj = [c for c in kids if c.dep_ in ("nsubj", "nsubjpass")]
    if subj and subj[0].pos_ == "PRON" and subj[0].lower_ in AUTHOR_PRONOUNS:
        return "author or reader as subject (opinion, not an event)"
    if imperative_root(verb):
        return "under an imperative addressed to the reader (the author's voice, not an event)"
    if shared_opinion(verb):
        return "agreement of opinion with a stance, not an act"
    h, t = verb.head, verb
    hops = 0
    while t.dep_ in ("xcomp", "ccomp", "pcomp", "advcl", "conj", "acl", "relcl", "pobj", "prep") and h is not t and hops < 4:
        if stop_at is not None and h.i == stop_at.i:
            break
        hl = h.lemma_.lower()
        if t.dep_ in ("xcomp", "ccomp", "pcomp", "pobj", "prep") and hl in NEGATING_HEADS and not (
                stop_at is not None and h.i == stop_at.i):
            return f"under '{h.text}' (denied/refused, not realised)"
        if t.dep_ in ("xcomp", "ccomp") and hl in HYPOTHETICAL_HEADS:
            return f"under '{h.text}' (intended/hypothetical, not realised)"
        if t.dep_ in ("ccomp",) and hl in OPINION_VERBS:
            return f"under '{h.text}' (opinion)"
        if any(c.dep_ == "neg" for c in h.children) and t.dep_ in ("xcomp", "ccomp"):
            return f"under negated '{h.text}'"
        denied = reason_denied(t) if t.dep_ in ("advcl", "conj") else None
        if denied is not None:
            # "they aren't supporting the war ... or even because the regime agrees with it": the reason is denied
            return f"a reason denied by negated '{denied.text}'"
        if any(c.dep_ == "aux" and c.lower_ in MODALS - ok for c in h.children) and t.dep_ in ("xcomp", "conj"):
            return f"under modal '{h.text}'"
        t, h = h, h.head
        hops += 1
    return None

def reason_denied(verb):
    """The negated verb whose reason the sentence denies when ``verb`` heads a because-clause given as a reason for
    it ("the North Koreans aren't supporting the war for free, ... or even because the regime agrees with ..."), else
    None. The negated verb is the nearest clause verb before 'because' and is the because-clause's head or its
    sibling under one head (the parser attaches the because-clause to either). Climbs a conjoined reason
    ("because X agrees and supports ...") to its first conjunct."""
    t = verb
    while t.dep_ == "conj" and t.head.i != t.i and not _because(t):
        t = t.head
    mark = _because(t)
    if mark is None:
        return None
    inside = {x.i for x in t.subtree}
    before = [x for x in t.sent if x.i < mark.i and x.i not in inside and x.pos_ in ("VERB", "AUX")
              and x.dep_ not in ("aux", "auxpass")]
    if not before:
        return None
    p = before[-1]
    if p.i != t.head.i and not (p.head.i == t.head.i and p.i != p.head.i):
        return None
    if not any(c.dep_ == "neg" for c in p.children):
        return None
    # "didn't attend because Russia cancelled": the reason is given, not denied; the denial needs a sign that the
    # because-clause is in the negation's scope: a focus adverb ("not just/even/simply because") or a preceding
    # alternative ("not for free, or because ...")
    lead = [x for x in t.sent if x.i < mark.i and x.i >= max(p.i + 1, mark.i - 3)]
    focus = any(x.lower_ in FOCUS_ADVERBS for x in lead) or any(
        c.dep_ == "advmod" and c.lower_ in FOCUS_ADVERBS and c.i < mark.i for c in t.children)
    alternative = any(x.lower_ in ("or", "nor") for x in lead)
    return p if focus or alternative else None


def _because(t):
    return next((c for c in t.children if c.dep_ == "mark" and c.lower_ == "because"), None)


def shared_opinion(verb) -> bool:
    """True for agreement of outlook ("the Kim regime agrees philosophically with what Putin is attempting to do"):
    an agreement verb whose 'with' names a stance (a clause such as "what X is doing") in the simple present, or
    qualified by a stance adverb. Agreeing with a proposal in the past ("Russia agreed with what Seoul proposed") or
    with an actor stays codable."""
    if verb.lemma_.lower() not in AGREEMENT_VERBS:
        return False
    withs = [c for c in verb.children if c.dep_ == "prep" and c.lower_ == "with"]
    clause = any(o.dep_ == "pcomp" or (o.dep_ == "pobj" and o.tag_ in ("WP", "WDT"))
                 or (o.dep_ == "pobj" and any(k.dep_ in ("relcl", "acl") for k in o.children))
                 for w in withs for o in w.children)
    stance = any(c.dep_ == "advmod" and c.lower_ in STANCE_ADVERBS for c in verb.children)
    return bool(withs) and (stance or (clause and verb.tag_ in ("VBZ", "VBP")))


def imperative_root(tok) -> bool:
    """True when the sentence of ``tok`` is an imperative ("Strip away the tirades ... and what you have is ...",
    "Consider what Moscow did ..."): its root is a base-form verb opening the sentence, with no subject and no
    auxiliary. Everything said under it is the author talking to the reader."""
    r = tok.sent.root
    first = next((t for t in tok.sent if t.is_alpha), None)
    if not (r.tag_ == "VB" and first is not None and first.i == r.i
            and not any(c.dep_ in ("nsubj", "nsubjpass", "expl", "csubj", "aux", "auxpass") for c in r.children)):
        return False
    t = tok
    while t.i != r.i:
        # "Strip away the rhetoric and Russia attacked": a coordinated clause with its own subject; "Remember that
        # Russia attacked ...": a that-clause states a fact (opinion and hypothetical heads are handled elsewhere)
        if (t.dep_ == "ccomp" and t.head.pos_ in ("VERB", "AUX")) or (
                t.dep_ == "conj" and any(c.dep_ in ("nsubj", "nsubjpass") for c in t.children)):
            return False
        t = t.head
    return True



def clause_weight(verb) -> int:
    """+1 for the sentence's main clause (root, or joined to it by conj/xcomp/ccomp of a reporting verb), -1 inside a
    relative clause, participle or adverbial clause: the main clause is what the sentence reports."""
    t = verb
    for _ in range(6):
        if t.dep_ == "ROOT":
            return 1
        if t.dep_ in ("relcl", "acl", "advcl", "pcomp", "amod", "pobj"):
            return -1
        if t.dep_ == "ccomp" and t.head.lemma_.lower() not in REPORT_VERBS:
            return -1
        t = t.head
    return 0


def main_clause_first(doc, events):
    """Within one sentence, events coded from a subordinate verb (relative clause, participle, adverbial clause:
    :func:`clause_weight` -1) are dropped when the sentence's main clause yields an event of its own: the main clause
    is what the sentence reports, and the background clauses ("..., killing 20 people", "a ship captured last week")
    would otherwise stitch side events onto it. Dropped events are recorded as abstentions with the reason."""
    by_sent: dict[int, list] = {}
    for e in events:
        by_sent.setdefault(e["sentence_span"][0], []).append(e)
    keep, dropped = [], []
    char2tok = {t.idx: t for t in doc}
    for sent_events in by_sent.values():
        w = [clause_weight(char2tok[e["verb_span"][0]]) if e["verb_span"][0] in char2tok else 0 for e in sent_events]
        main = any(x >= 0 for x in w)
        for e, x in zip(sent_events, w):
            if main and x < 0:
                dropped.append({"verb": e["verb"], "reason": "subordinate clause; the main clause is coded",
                                "code": e["code"], "sentence": e["sentence"], "verb_span": e["verb_span"]})
            else:
                keep.append(e)
    keep.sort(key=lambda e: e["verb_span"][0])
    return keep, dropped



@Language.component("pactwatch_main_clause")
def main_clause(doc):
    """The main clause first (:func:`main_clause_first`) over the events the coder wrote into ``doc._.events``."""
    events, dropped = main_clause_first(doc, doc._.events or [])
    doc._.events = events
    doc._.abstained = list(doc._.abstained or []) + dropped
    return doc
