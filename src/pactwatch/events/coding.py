"""Component ``pactwatch_events``: verb -> CAMEO code and who did it to whom, over the actor and coreference spans.

The code comes from the verb dictionary and phrase rules (:mod:`pactwatch.events.patterns`), or from the event noun a
light verb takes ("launched an attack on"); a stated intention, threat, appeal, demand or refusal goes into its CAMEO
family (:mod:`pactwatch.events.intent`). Source = grammatical subject (agent of a passive), target = object or a
prepositional object (:mod:`pactwatch.events.roles`). The coder abstains (records why in ``doc._.abstained``) when the
verb is negated, modal/hypothetical/conditional, a question, under a denial, said by the author (first/second person),
has no actor as source, or the only code is the residual "make statement" (010)
(:func:`pactwatch.events.abstention.abstain_reason`). Reported speech ("X said that Y attacked Z") is coded with mode
``reported`` and ``reported_by``.

Each event is a dict: source/target (code, sector, text, character span), code, root, name, quad and penta class,
Goldstein score, PLOVER event and mode, mode (asserted/reported), reported_by, verb, pattern, sentence (text and
span), verb span and confidence.
"""
from __future__ import annotations

from spacy.language import Language

from pactwatch.events import docattrs  # noqa: F401  (registers the doc attributes)
from pactwatch.events.abstention import REPORT_VERBS, abstain_reason, clause_weight
from pactwatch.events.actors import build_table, load_places
from pactwatch.events.intent import FUTURE_AUX, INTENT_ADJS, INTENT_NOUNS, INTENT_VERBS, OBLIGATION_AUX, transform
from pactwatch.events.lexicon import cameo_codes, code_info, verb_lexicon
from pactwatch.events.patterns import VerbPatterns, load_phrases
from pactwatch.events.roles import Roles, members

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
#: intent verbs that, with an event noun as object, perform it ("undertook a mediation mission") rather than state
#: an intention ("undertook to mediate")
PERFORMING_VERBS = {"undertake", "complete", "launch", "begin", "start"}
#: object nouns that never name a codable event of their own
NOT_EVENT_NOUNS = {"statement", "comment", "remark", "speech", "announcement", "report", "claim", "note", "decision",
                   "plan", "intention", "effort", "attempt", "move", "step", "measure", "progress", "government",
                   "force", "forces", "deal", "position", "policy", "change", "development", "situation",
                   "case", "point", "call", "demand", "request", "appeal", "offer", "proposal", "promise", "pledge",
                   "threat", "warning", "order", "question", "view", "concern", "hope", "fear", "need"}

#: objects that make a seize-family verb (CAMEO 17: "extract", "seize", "grab", "take") figurative: a quantity ("as
#: much as he can", "everything"), a concession or benefit, or a chance; none is property taken by coercion
FIGURATIVE_GAINS = {"much", "more", "most", "everything", "something", "anything", "what", "all", "lot", "maximum",
                    "concession", "benefit", "advantage", "gain", "promise", "pledge", "commitment", "guarantee",
                    "support", "assistance", "help", "aid", "favour", "favor", "price", "value", "leverage",
                    "opportunity", "chance", "initiative", "moment", "momentum", "attention", "spotlight", "headline"}

#: objects that make giving or providing a matter of information ("gave more detail, telling reporters that ..."):
#: to another actor it is CAMEO 064 (share intelligence or information); with no actor to receive it, a statement
INFORMATION_NOUNS = {"detail", "details", "information", "info", "account", "briefing", "update", "fact", "news",
                     "intelligence", "data", "explanation", "clarification", "figure", "estimate"}

#: verbs of arriving somewhere: with a destination in another country than the arriver's, CAMEO 042 (make a visit)
ARRIVAL_VERBS = {"arrive", "reach", "land", "disembark"}
#: prepositions that name where one arrives ("arrived at/in", "landed in/at/on"); 'reach' takes its object
ARRIVAL_PREPS = {"at", "in", "on"}
#: nouns of a group that visits for its state ("a Russian delegation arrived in Wonsan")
VISITOR_NOUNS = {"delegation", "mission", "entourage", "visitor", "envoy", "team"}
#: nouns of a place that, with 'the' and no name ("reached the spaceport"), refer to the place named last before
PLACE_NOUNS = {"spaceport", "cosmodrome", "airport", "airfield", "station", "port", "city", "town", "capital",
               "base", "facility", "site", "venue", "resort", "region", "harbour", "harbor", "border", "complex"}


@Language.factory("pactwatch_events", default_config={"verbs": None, "goldstein": "gdelt", "allow_statement": False,
                                                     "events_dir": None})
def make_events(nlp, name, verbs, goldstein, allow_statement, events_dir):
    return EventCoder(verbs, goldstein, allow_statement, events_dir)


class EventCoder:
    """Codes every verb of a Doc (events into ``doc._.events``, abstentions with their reason into
    ``doc._.abstained``). ``goldstein``: 'gdelt' or 'icews' weights; ``allow_statement``: code the residual 'make
    statement' (010) too."""

    def __init__(self, verbs=None, goldstein="gdelt", allow_statement=False, events_dir=None):
        self.codes = cameo_codes(events_dir)
        self.events_dir = events_dir
        self.patterns = VerbPatterns(verb_lexicon(verbs, events_dir), load_phrases())
        self.lex = self.patterns.lex
        self.roles = Roles(build_table(events_dir=events_dir).agents)
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
            if tok.pos_ not in ("VERB",):
                continue
            if self.patterns.vkey(tok) is None:  # "landed in Pyongyang": an arrival the dictionary lacks
                res = self._arrival(tok, None, None, idx) if tok.lemma_.lower() in ARRIVAL_VERBS else None
            else:
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
        # the next component, pactwatch_main_clause, drops subordinate-clause events where the main clause codes
        doc._.events = events
        doc._.abstained = abstained
        return doc

    # -- coding one verb

    def _code_verb(self, verb, idx):
        code, pattern = self.patterns.lookup(verb)
        if not pattern and self.patterns.vkey(verb) in LIGHT_VERBS:
            nom = self._nominal(verb, idx)
            if nom is not None:
                code, pattern = nom
        if self.patterns.vkey(verb) in ASPECTUAL_VERBS:
            got = self._noun_subject_event(verb, idx)
            if got is not None:
                return got
        arrival = self._arrival(verb, code, pattern, idx)
        if arrival is not None:
            return arrival
        if code is False:
            return None  # verb not in lexicon with this particle
        ctx = self._intent_context(verb) if code else None
        if ctx is not None:
            fam, head, how = ctx
            if head is not None and head.pos_ == "VERB" and self.patterns.vkey(head) is not None:
                hc, hp = self.patterns.lookup(head, exclude=set(t.i for t in verb.subtree))
                if hp and hc:  # the head's own word pattern is more specific: it codes the event
                    return ("abstain", self._abst(verb, f"covered by the pattern of '{head.text}'", code))
            new = transform(fam, code, self.codes)
            if new is None and how == "modal-unless":
                new = "130"  # a conditional threat of a non-conflict action (withdrawing help): root-level threaten
            if new is not None:
                why = abstain_reason(verb, stop_at=verb.head if " noun " in how else head,
                                           future_ok=how.startswith("modal"),
                                           neg_ok=(how == "modal-neg"), obligation_ok=(how == "must"))
                if why is None and head is not None:
                    gov = head if head.pos_ in ("VERB", "AUX") else head.head
                    why = abstain_reason(gov)
                if why:
                    return ("abstain", self._abst(verb, why, new))
                if head is not None:
                    self._claimed[head.i] = verb.i
                tag = f"{how}: '{head.text if head is not None else 'will'}' + {code}"
                return self.emit(verb, new, (pattern + "; " if pattern else "") + tag, idx, ctx)
        if (code and code[:2] != "03" and INTENT_VERBS.get(self.patterns.vkey(verb)) == "03"
                and any(c.dep_ == "xcomp" and any(a.dep_ == "aux" and a.lower_ == "to" for a in c.children)
                        for c in verb.children)):
            # "agreed to undertake joint exercises", "decided to ...": a commitment to a future action is CAMEO 03
            # (express intent), never the head verb's own code ("agree" -> 050); when the action itself has a code
            # the complement codes the event and this verb is claimed by it
            code, pattern = "030", f"intent: '{verb.text}' + to-infinitive"
        why = abstain_reason(verb)
        if code is None:
            return ("abstain", self._abst(verb, f"verb use is not an event ({pattern})" if pattern else "verb has no code without a matching pattern"))
        if code in ("010", "01") and not pattern and not self.allow_statement:
            return ("abstain", self._abst(verb, "residual 'make statement': no more specific code"))
        if why:
            return ("abstain", self._abst(verb, why, code))
        if code[:2] == "06" and any(c.dep_ == "dobj" and c.lemma_.lower() in INFORMATION_NOUNS for c in verb.children):
            if self.roles.target(verb, idx) is None:
                return ("abstain", self._abst(verb, "information given with no actor to receive it: a statement, "
                                                    "not material cooperation", code))
            code, pattern = "064", (pattern + "; " if pattern else "") + "information to an actor"
        if code[:2] == "17" and figurative_gain(verb):
            return ("abstain", self._abst(verb, "a gain or concession obtained (figurative), not property seized",
                                          code))
        return self.emit(verb, code, pattern, idx, None)


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
            hl = (self.patterns.vkey(h) or hl) if h.pos_ == "VERB" else hl
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

    def _arrival(self, verb, code, pattern, idx):
        """An arrival at a place (:data:`ARRIVAL_VERBS`: "Kim arrived at Vostochny", "reached the spaceport",
        "landed in Pyongyang"): CAMEO 042 make a visit, source = the arriver, target = the state the place lies in
        (:meth:`destination`); an arrival within the arriver's own state ("Putin arrived at Vostochny") is no visit
        and is not coded. None when this does not apply (another verb; a dictionary pattern that codes the arrival
        as something else, such as troops or aid arriving; no known place; no single actor of a person or
        government as arriver): the verb is then coded as usual."""
        if (self.patterns.vkey(verb) or verb.lemma_.lower()) not in ARRIVAL_VERBS:
            return None
        if pattern and code and code[:2] != "04":  # "&MILITARY * [072]", "(WITH AID) [070]": the dictionary's
            return None
        dest = self.destination(verb, idx)
        if dest is None:
            return None
        src = self.roles.source(verb, idx)
        if src is None or src[1].get("code") is None or len(members(src)) > 1:
            return None
        ent = src[1]
        if ent.get("kind") != "person" and not _visitor(verb, src, self.roles):
            return None
        why = abstain_reason(verb)
        if why:
            return ("abstain", self._abst(verb, why, "042"))
        if ent["code"] == dest[1]["code"]:
            return ("abstain", self._abst(verb, f"arrival within its own state ({dest[0].text}, {ent['code']}): "
                                                "not a visit", "042"))
        return self.emit(verb, "042", f"arrival: {dest[0].text} ({dest[1]['code']})", idx, None, target=dest)

    def destination(self, verb, idx):
        """Where an arrival verb says its subject arrived, as (span, entity, False) with the entity a state
        (``kind`` place), else None: the object of 'reach' or the object of 'at'/'in'/'on'; it names a state itself
        or inside it ("a cosmodrome in Russia's Far East", "the North Korean capital", "Pyongyang International
        Airport"), or a place of the place table (:func:`pactwatch.events.actors.load_places`: "Vostochny",
        "the Knevichi airfield in Vladivostok"); "the spaceport" with no name is the place the article named last
        before the sentence."""
        nps = [c for c in verb.children if c.dep_ == "dobj"] if verb.lemma_.lower() == "reach" else [
            o for c in verb.children if c.dep_ == "prep" and c.lower_ in ARRIVAL_PREPS
            for o in c.children if o.dep_ == "pobj"]
        places = load_places()
        for np in nps:
            toks = _place_tokens(np)
            for t in toks:
                if t.i in idx and not idx[t.i][2] and idx[t.i][1].get("kind") in ("country", "capital", "demonym"):
                    sp, ent = idx[t.i][0], idx[t.i][1]
                    return (sp, {"code": ent["code"], "sector": "", "kind": "place", "name": ent["name"]}, False)
            doc = np.doc
            for t in toks:
                j = t.i  # a hyphenated name is one word: "Komsomolsk-on-Amur"
                while j + 1 < len(doc) and doc[j].whitespace_ == "" and not doc[j + 1].is_space:
                    j += 1
                for k in range(j, t.i - 1, -1):
                    code = places.get(doc[t.i:k + 1].text.lower())
                    if code is not None:
                        sp = doc[t.i:k + 1]
                        return (sp, {"code": code, "sector": "", "kind": "place", "name": sp.text}, False)
            if np.lemma_.lower() in PLACE_NOUNS and any(c.dep_ == "det" and c.lower_ == "the" for c in np.children):
                before = [t for t in np.doc[:verb.sent.start] if t.lower_ in places]
                if before:
                    t = before[-1]
                    return (np.doc[np.i:np.i + 1], {"code": places[t.lower_], "sector": "", "kind": "place",
                                                    "name": t.text}, False)
        return None

    def emit(self, verb, code, pattern, idx, ctx, noun=None, target=None):
        reported_by = self.roles.reported_by(verb, idx) if not (ctx and ctx[2] == "must") else None
        fam, head, how = ctx if ctx else (None, None, None)
        if noun is not None:  # the event is the noun: its modifiers / 'by' phrase name the doer
            by = [o for c in noun.children if c.dep_ == "prep" and c.lower_ == "by" for o in c.children if o.dep_ == "pobj"]
            mods = [t for c in noun.children if c.dep_ in ("amod", "compound", "poss", "nmod") and c.i < noun.i
                    for t in c.subtree]
            src = (self.roles.joint(by[0], idx) if by else None) or next(
                (r for r in (self.roles.joint(t, idx) for t in mods if t.i in idx) if r), None)
            tgts = [o for c in noun.children if c.dep_ == "prep" and c.lower_ in ("against", "on", "with", "in", "upon")
                    for o in c.children if o.dep_ == "pobj"]
            tgt = next((r for r in (self.roles.joint(t, idx) for t in tgts) if r), None)
        elif how == "must" or (fam in ("02", "10") and how and how.endswith("ccomp")):
            # "X demanded that Y renounce ...", "X said Y must ...": X -> Y
            src = self.roles.source(head, idx)
            tgt = self.roles.subject(verb, idx) or self.roles.target(verb, idx)
        elif how and " noun " in how:  # "Japan made a pledge to send aid to Haiti": the pledge's maker -> Haiti
            src = self.roles.source(head, idx)
            tgt = self.roles.target(verb, idx) or self.roles.target(head, idx)
        elif fam in ("02", "10"):
            src = self.roles.source(head, idx)
            tgt = self.roles.target(head, idx) or self.roles.target(verb, idx)
        else:
            src = self.roles.source(verb, idx)
            tgt = self.roles.target(verb, idx)
            if tgt is None and head is not None and head.pos_ == "VERB":
                tgt = self.roles.target(head, idx)
        if target is not None:  # the caller found it (the state of an arrival's destination)
            tgt = target
        if src is None:
            return ("abstain", self._abst(verb, "no actor as source", code))
        info = code_info(code, self.codes)
        if info is None:
            return ("abstain", self._abst(verb, f"code {code} not in the CAMEO table", code))
        conf = 0.75 if pattern else 0.55
        conf += 0.1 * clause_weight(verb)
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
        srcs = members(src)
        tgts = members(tgt) if tgt is not None else [None]
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

    def _abst(self, verb, reason, code=None):
        return {"verb": verb.text, "reason": reason, "code": code, "sentence": verb.sent.text,
                "verb_span": [verb.idx, verb.idx + len(verb.text)]}

    def _nominal(self, verb, idx):
        """(code, 'noun: ...') when a light verb's object noun names the event ("announced a suspension of air links
        with Serbia" -> the code of 'suspend' + 'air links'; "launched an attack on" -> 'attack'), else None. The noun
        must be a common noun derived from a verb the dictionary codes (:func:`deverbal_candidates`); the noun's
        own words after it are matched against that verb's patterns. Under a demand, appeal, threat, promise or
        refusal verb the action goes into that CAMEO family (``transform``), or nothing is coded."""
        lemma = self.patterns.vkey(verb)
        objs = [c for c in verb.children if c.dep_ == "dobj"]
        if lemma in ("call", "appeal", "press", "push", "ask"):  # "called for the release of"
            objs += [o for c in verb.children if c.dep_ == "prep" and c.lower_ == "for"
                     for o in c.children if o.dep_ == "pobj"]
        for o in objs:
            if o.pos_ != "NOUN" or o.i in idx or self.roles.sector_of(o):
                continue
            n = o.lemma_.lower()
            if n in NOT_EVENT_NOUNS or o.lower_ in NOT_EVENT_NOUNS:
                continue
            got = self.patterns.noun_code(o, verb, exclude=lemma)
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

    def _noun_subject_event(self, verb, idx):
        """An event named by the subject of an aspectual verb ("Palestinian riots against Israeli policies are
        continuing", "fighting between X and Y erupted"): the noun's code; source = an actor among the noun's
        modifiers or its 'by' phrase, target = an actor after 'against'/'on'/'with'/'in' the noun. None when the
        subject is not such a noun (the verb is then coded as usual)."""
        subj = [c for c in verb.children if c.dep_ == "nsubj"]
        if not subj or subj[0].pos_ != "NOUN" or subj[0].i in idx or self.roles.sector_of(subj[0]):
            return None
        o = subj[0]
        if o.lemma_.lower() in NOT_EVENT_NOUNS:
            return None
        got = self.patterns.noun_code(o, verb)
        if got is None or got[1] is None:
            return None
        cand, code, pat = got
        pattern = f"noun subject: {o.text} ({cand}{' ' + pat if pat else ''}) + {verb.text}"
        why = abstain_reason(verb)
        if why:
            return ("abstain", self._abst(verb, why, code))
        return self.emit(verb, code, pattern, idx, None, noun=o)


def figurative_gain(verb) -> bool:
    """True when a seize-family verb takes a quantity, a concession/benefit or a chance as its object ("extracting as
    much from Moscow as he possibly can", "extracted concessions from Seoul", "seized the initiative"): CAMEO 171
    (seize or damage property) is material conflict over property, which these are not."""
    objs = [c for c in verb.children if c.dep_ in ("dobj", "attr", "oprd")]
    return any(o.lemma_.lower() in FIGURATIVE_GAINS or o.lower_ in FIGURATIVE_GAINS for o in objs)


def _visitor(verb, src, roles) -> bool:
    """Whether the arriver can make a visit: the subject names the state or body itself ("North Korea", "Pyongyang's
    delegation" with a non-military agent word: "the North Korean leader", "a Russian delegation"), not a military
    group ("North Korean troops") or a thing ("Russian missiles landed in ...", "a train arrived at ...")."""
    v = verb
    for _ in range(4):
        subj = next((c for c in v.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is not None or v.dep_ not in ("conj", "xcomp", "advcl") or v.head.i == v.i:
            break
        v = v.head
    if subj is None:
        return False
    if src[0].start <= subj.i < src[0].end:
        return src[1].get("sector") != "MIL"
    if subj.lemma_.lower() in VISITOR_NOUNS:
        return True
    sector = roles.sector_of(subj)
    return bool(sector) and sector != "MIL"


def _place_tokens(np):
    """The tokens of a destination phrase that can name where it is: the phrase, its compounds and its 'in'/'of'/'at'
    phrases ("the railway station of the Vostochny Cosmodrome in Outer Manchuria"), not a 'for'/'with' phrase or a
    clause hanging off it ("for the meeting with Putin")."""
    out, stack = [], [np]
    while stack:
        t = stack.pop()
        out.append(t)
        for c in t.children:
            if c.dep_ in ("relcl", "acl", "advcl", "ccomp", "punct", "cc", "conj", "appos"):
                continue
            if c.dep_ == "prep" and c.lower_ not in ("in", "of", "at", "near", "outside"):
                continue
            stack.append(c)
    return sorted(out, key=lambda t: t.i)
