"""Verb patterns: which CAMEO code a verb has in its context, from the PETRARCH-2 verb dictionary
(:func:`pactwatch.events.lexicon.verb_lexicon`) and pactwatch's own phrase rules (``resources/phrases.yaml``).

PETRARCH matches a pattern within the verb's own phrase (:func:`pactwatch.events.syntax.phrase_tokens`): words of a
clause hanging off it are not the verb's pattern. A pattern coded ``---`` means "this use is not an event" (code None).
Event nouns ("a suspension of air links") are coded by the verb they derive from (:func:`deverbal_candidates`).
"""
from __future__ import annotations

import re

from pactwatch.events.abstention import OPINION_VERBS, REPORT_VERBS
from pactwatch.events.lexicon import res_text, word_ok
from pactwatch.events.syntax import phrase_tokens

#: past forms of prefixed irregular verbs the small model leaves unlemmatised
IRREGULAR_PAST = {"retook": "retake", "retaken": "retake", "overran": "overrun", "undertook": "undertake",
                  "undertaken": "undertake", "withdrew": "withdraw", "withdrawn": "withdraw", "forbade": "forbid",
                  "forbidden": "forbid", "overthrew": "overthrow", "overthrown": "overthrow"}

#: deverbal suffixes, longest first: (noun ending, verb ending); the zero-derived noun itself ("attack") comes first
DEVERBAL = (("ification", "ify"), ("isation", "ise"), ("ization", "ize"), ("ation", "ate"), ("ation", ""),
            ("ation", "e"), ("ulsion", "el"), ("uction", "uce"), ("ception", "ceive"), ("ssion", "t"),
            ("ssion", "ss"), ("ssion", "de"), ("sion", "d"), ("sion", "de"), ("ition", "ite"), ("tion", "te"),
            ("ion", ""), ("ment", ""), ("ial", "y"), ("al", ""), ("al", "e"), ("ance", ""), ("ance", "e"),
            ("ence", ""), ("ence", "e"), ("ure", "e"), ("ure", ""), ("ery", "er"), ("ing", ""), ("ing", "e"),
            ("", "en"))


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

    rules = yaml.safe_load(res_text("phrases.yaml"))
    for r in rules:
        if not (r.get("verbs") and (r.get("objects") or r.get("subjects")) and (re.fullmatch(r"\d{3,4}", str(r.get("code", "")))
                                                         or (r.get("override") and r.get("code") is None))):
            raise ValueError(f"phrases.yaml: bad rule {r}")
    return rules


class VerbPatterns:
    """The verb dictionary and the phrase rules, matched against one verb in its parse."""

    def __init__(self, lex, phrases: list[dict]):
        self.lex = lex
        self.phrases = phrases
        self._phrase_verbs = {v for r in self.phrases for v in r["verbs"]}
        self._slot_keys: dict[int, list] = {}  # pattern -> per-slot (word forms, 4-letter stems) for the pre-filter
        self._rules_by_verb: dict[str, list] = {}
        for r in self.phrases:
            r["_rx"] = re.compile(r"\b(?:" + "|".join(re.escape(o) for o in sorted(r.get("objects") or ["\x00"], key=len, reverse=True)) + ")")
            if r.get("subjects"):
                r["_srx"] = re.compile(r"\b(?:" + "|".join(re.escape(o) for o in sorted(r["subjects"], key=len, reverse=True)) + ")")
            for v in r["verbs"]:
                self._rules_by_verb.setdefault(v, []).append(r)

    def vkey(self, tok) -> str | None:
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

    def phrase(self, verb, lemma, override: bool = False):
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

    def lookup(self, verb, exclude=frozenset()):
        """(code, pattern text) for the verb in context; (False, None) when no entry fits (e.g. missing particle).
        ``exclude``: token indices not to match patterns against (a complement clause coded on its own)."""
        lemma = self.vkey(verb)
        parts = {c.lower_ for c in verb.children if c.dep_ in ("prt", "prep", "advmod")}
        entries = [e for e in self.lex.entries(lemma) if e.particle is None or e.particle.split()[0] in parts]
        if not entries:
            ph = self.phrase(verb, lemma)
            return (ph[0], ph[1]) if ph else (False, None)
        phrasal = [e for e in entries if e.particle]
        entries = phrasal or entries
        ov = self.phrase(verb, lemma, override=True)
        if ov:
            return ov
        sent = verb.sent
        # PETRARCH matches a pattern within the verb's own phrase: words of a clause hanging off it (a that-clause,
        # relative clause, adverbial clause or coordinated verb) are not the verb's pattern ("demanded an admission
        # by Moscow that ... security forces murdered ..." is not 'DEMAND * &SECURITY'; "said it would withdraw its
        # force" is not 'SAY * WITHDRAW': the that-clause is coded, or abstained on, by its own verb)
        phrase = phrase_tokens(verb)
        # a person's name is no pattern word: "Kim Jong Un arrived" is not '&PKO *' (UN peacekeepers arrive)
        names = {i for sp in verb.doc.spans.get("actors", []) if sp._.actor.get("kind") == "person"
                 for i in range(sp.start, sp.end)}
        right = [(t.lower_, t.lemma_.lower()) for t in phrase
                 if t.i > verb.i and not t.is_punct and t.i not in exclude and t.i not in names][:14]
        left = [(t.lower_, t.lemma_.lower()) for t in sent if t.i < verb.i and t.i not in names][-8:]
        best = self.match_patterns(entries, right, left)
        if best is not None:
            return best
        ph = self.phrase(verb, lemma)
        if ph:
            return ph
        e = entries[0]
        code = e.code or self.lex.blocks.get(e.block, {}).get("code")
        return code, None

    def noun_code(self, o, verb, exclude=None):
        """(verb, code, pattern) for an event noun: the first verb it may be derived from that the dictionary knows,
        its code from that verb's patterns over the noun's own phrase (else the verb's default code); code None when
        that verb names no codable event there (residual 010 or a 'not an event' pattern). None: no such verb."""
        for cand in deverbal_candidates(o.lemma_.lower()):
            if cand == exclude or cand not in self.lex or cand in REPORT_VERBS or cand in OPINION_VERBS:
                continue
            entries = [e for e in self.lex.entries(cand) if e.particle is None]
            if not entries:
                continue
            right = [(t.lower_, t.lemma_.lower()) for t in phrase_tokens(o)
                     if t.i > o.i and not t.is_punct and t.lower_ != "of"][:14]
            left = [(t.lower_, t.lemma_.lower()) for t in phrase_tokens(o) if t.i < o.i and not t.is_punct][-8:]
            got = self.match_patterns(entries, right, left)
            if got is None:
                e = entries[0]
                got = (e.code or self.lex.blocks.get(e.block, {}).get("code"), None)
            code, pat = got
            return cand, (None if code in ("010", "01") else code), pat
        return None

    def match_patterns(self, entries, right, left):
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
                if seq_match(p.post, right) and seq_match(p.pre, left):
                    if best is None or p.size > best[0].size:
                        best = (p, e)
        if best is None:
            return None
        p = best[0]
        return p.code, (p.text or " ".join("/".join(s) for s in p.pre) + " * " + " ".join("/".join(s) for s in p.post)).strip()


def seq_match(slots, toks) -> bool:
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
