"""Who did it to whom: the source and target actors of a verb, from the actor and coreference spans
(``doc.spans["actors"]``, ``doc.spans["coref"]``) and the dependency parse. Source = grammatical subject (the agent of a
passive; the 'by' phrase of an attack noun), climbing from 'agreed to send' to the governing verb's subject; target =
object or a prepositional object; "Kim and Putin" is a joint actor (:func:`members`). A subject that names an actor
missing from the dictionaries is kept unresolved (code None, its words), never guessed into a country.

An actor is a triple ``(span, entity, via_coref)``; ``idx`` maps token index -> such a triple
(:meth:`pactwatch.events.coding.EventCoder.actor_index`).
"""
from __future__ import annotations

from pactwatch.events.abstention import AUTHOR_PRONOUNS, REPORT_VERBS
from pactwatch.events.syntax import phrase_tokens

QUANTITY_NOUNS = {"hundreds", "thousands", "dozens", "scores", "millions", "tens", "group", "groups", "crowd",
                  "band", "number", "majority", "some", "many", "most", "all", "one", "two", "three", "several"}
ACTOR_PREPS = {"to", "with", "against", "on", "at", "from", "into", "toward", "towards", "about", "over", "for", "in",
               "upon", "between"}
# Nouns naming an attack; as the subject of a verb ("the bombing killed"), their 'by' phrase is the doer.
ATTACK_NOUNS = {"attack", "bombing", "strike", "airstrike", "raid", "shelling", "assault", "offensive",
                "bombardment", "ambush", "blast", "explosion", "rocket", "missile", "shell", "fire", "gunfire"}


def members(x):
    """A joint actor ('Kim and Putin') as its member actors, each (span, entity, via_coref)."""
    ent = x[1]
    if ent.get("kind") == "group" and ent.get("members"):
        return [(x[0], m, x[2]) for m in ent["members"]]
    return [x]


class Roles:
    """Source and target finders over one parse. ``agents``: agent (sector) word -> CAMEO agent code
    (:attr:`pactwatch.events.actors.ActorTable.agents`)."""

    def __init__(self, agents: dict[str, str]):
        self.agents = agents

    def reported_by(self, verb, idx):
        h, t = verb.head, verb
        hops = 0
        while h is not t and hops < 3:
            if t.dep_ == "ccomp" and h.lemma_.lower() in REPORT_VERBS:
                return self.actor_of_np([c for c in h.children if c.dep_ == "nsubj"], idx) or (None, {"code": None}, False)
            if t.dep_ not in ("conj", "ccomp", "xcomp"):
                break
            t, h = h, h.head
            hops += 1
        return None

    def actor_of_np(self, heads, idx):
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
            sec = self.sector_of(hd)
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
                            r = self.actor_of_np([o], idx)
                            if r:
                                return r
        return None

    def joint(self, head, idx):
        first = self.actor_of_np([head], idx)
        if first is None:
            return None
        members = [first]
        stack = [c for c in head.children if c.dep_ == "conj"]
        while stack and len(members) < 6:  # "Russia, China and Iran": conj chains
            c = stack.pop(0)
            r = self.actor_of_np([c], idx)
            if r and all(r[1]["code"] != m[1]["code"] for m in members):
                members.append(r)
            stack += [d for d in c.children if d.dep_ == "conj"]
        if len(members) == 1:
            return first
        ents = [m[1] for m in members]
        span = head.doc[min(m[0].start for m in members):max(m[0].end for m in members)]
        return (span, {"code": "+".join(sorted(e["code"] for e in ents)), "sector": "", "kind": "group",
                       "name": " and ".join(e["name"] for e in ents), "members": ents}, any(m[2] for m in members))

    def source(self, verb, idx):
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
                    got = self.joint(by[0], idx) or self.unresolved(by[0])
                    if got:
                        return got
            if subj:
                return self.joint(subj[0], idx) or self.unresolved(subj[0])
            agent = [c for c in v.children if c.dep_ == "agent"]
            if agent:
                pobj = [o for o in agent[0].children if o.dep_ == "pobj"]
                return (self.joint(pobj[0], idx) or self.unresolved(pobj[0])) if pobj else None
            if any(c.dep_ == "nsubjpass" for c in v.children):
                # passive without an agent: who did it is not said, unless the attack it happened in names its
                # doer ("was killed in an air strike by Israel", "murdered in an attack on a patrol by ...")
                att = [o for c in v.children if c.dep_ == "prep" and c.lower_ in ("in", "during")
                       for o in c.children if o.dep_ == "pobj" and o.lemma_.lower() in ATTACK_NOUNS]
                by = [o for a in att for c in phrase_tokens(a) if c.dep_ == "prep" and c.lower_ == "by"
                      for o in c.children if o.dep_ == "pobj"]
                return (self.joint(by[0], idx) or self.unresolved(by[0])) if by else None
            if v.dep_ in ("xcomp", "conj", "advcl", "acomp") and v.head is not v:
                v = v.head
                continue
            if v.dep_ in ("acl", "relcl") and v.head is not v:
                return self.actor_of_np([v.head], idx)
            break
        return None

    def sector_of(self, head) -> str:
        """Agent (sector) word of a noun phrase: its head noun ('rebels') or a modifier ('opposition parties')."""
        for t in [head] + [c for c in head.children if c.dep_ in ("compound", "amod") and c.i < head.i]:
            sec = self.agents.get(t.lower_) or self.agents.get(t.lemma_.lower())
            if sec:
                return sec
        return ""

    def subject(self, verb, idx):
        subj = [c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")]
        return self.joint(subj[0], idx) if subj else None

    def unresolved(self, head):
        """A subject that names an actor missing from the dictionaries ('the Taliban', 'Amnesty International',
        'opposition activists'): kept with code None and its text, so the event type is not lost; never guessed
        into a country. Only proper-noun phrases and known agent nouns qualify; pronouns never do."""
        if head.pos_ == "PRON" or head.lower_ in AUTHOR_PRONOUNS:
            return None
        if head.lower_ in QUANTITY_NOUNS:  # "hundreds of protesters", "a group of prisoners": the 'of' noun
            inner = [o for c in head.children if c.dep_ == "prep" and c.lower_ == "of" for o in c.children
                     if o.dep_ == "pobj"]
            if inner:
                return self.unresolved(inner[0])
        sector = self.sector_of(head)
        if head.pos_ != "PROPN" and not sector:
            return None
        if head.ent_type_ in ("DATE", "TIME", "GPE", "LOC", "MONEY", "PERCENT", "CARDINAL"):
            return None
        left = min([head.i] + [c.left_edge.i for c in head.children if c.dep_ in ("compound", "amod", "det", "poss", "nmod") and c.i < head.i])
        right = max([head.i] + [c.right_edge.i for c in head.children if c.dep_ == "compound" and c.i > head.i])
        span = head.doc[left:right + 1]
        return (span, {"code": None, "sector": sector or "", "kind": "unresolved", "name": span.text}, False)

    def target(self, verb, idx):
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
            r = self.joint(o, idx)
            if r:
                return r
        return None
