"""The hybrid coder's learned actor-pair choice: which (source, target) an accepted candidate event has.

The rule coder's source/target finders (or, for broad candidates, the first two actors of the sentence, and the
``fill_target`` fallback) give every candidate one pair; they are often wrong or missing. This component lists the
alternative pairs the sentence's actors allow (:func:`options`) and scores each with a logistic model fitted on the
labelled train news (:mod:`pactwatch.events_train.pairs`):

- the actors are the sentence's actor and coreference mentions (``doc.spans["actors"]``, ``doc.spans["coref"]``)
  with a resolved code, one per country/IGO as the scorer counts them (:func:`pactwatch.events.scorer.actor3`; the
  mention nearest the trigger stands for its country);
- the options are every ordered pair of two of them, each alone with no target, and each two of them as a joint
  source with no target ("Russia and North Korea signed ...": the labels write ``A+B`` and no target), plus the rules'
  own pair (marked by the feature ``rules_pair``);
- features (:func:`pair_features`): whether it is the rules' pair / source / target, each actor's grammatical relation
  to the trigger (subject, object, agent, the preposition of a prepositional object, possessive, the speaker of a
  reporting verb, outside the trigger's clause), its order and token distance to the trigger, its sector and kind,
  coordination of the two members of a joint source, passive voice, the candidate's root crossed with the relations.

:func:`choose` gives the best option and its probability; :func:`pactwatch.events.hybrid.decide` (setting ``pairs``)
takes it when its probability is at least ``pairs_t`` and keeps the rules' pair otherwise.
"""
from __future__ import annotations

from pactwatch.events.actor_mentions import sentence_mentions
from pactwatch.events.scorer import actor3

#: the countries of a sentence considered (the nearest to the trigger): bounds the options (n² + n + n(n-1)/2)
MAX_ACTORS = 5
PRONOUNS = {"he", "she", "it", "they", "his", "her", "its", "their", "him", "them"}
SPEECH = {"say", "tell", "announce", "state", "report", "add", "claim", "accuse", "call", "warn", "write", "note"}


def key3(code: str | None) -> str:
    """The scorer's identity of an actor code: its country/IGO part(s), joined by '+' ('' for none)."""
    return "+".join(dict.fromkeys(actor3(code)))


def sentence_actors(sent) -> list[tuple]:
    """(span, actor dict, via_coref) of the sentence's mentions with a resolved single-country code, in text order."""
    return [(sp, a, c) for sp, a, c in sentence_mentions(sent) if a and a.get("code") and len(actor3(a["code"])) == 1]


def relation(m, tok) -> str:
    """The grammatical relation of mention span ``m`` to trigger token ``tok``: 'nsubj', 'dobj', 'prep_to', 'agent',
    'poss>nsubj' ... when ``m`` lies under the trigger (the dependency of the trigger's child on the path, with the
    preposition's word, and 'poss' when the mention is a possessor inside that phrase); 'above' when the trigger lies
    inside the mention's phrase; 'speaker' when ``m`` is the subject of a reporting verb governing the trigger;
    'head_<dep>' when it depends on the trigger's head; else 'out'."""
    r = m.root
    path, h = [r], r
    while h.head.i != h.i and h.i != tok.i:
        h = h.head
        path.append(h)
    if h.i == tok.i and r.i != tok.i:
        child = path[-2]
        d = child.dep_
        if d == "prep":
            d = f"prep_{child.lower_}"
        elif d == "agent":
            d = "agent"
        poss = "poss>" if any(p.dep_ == "poss" for p in path[:-2]) or r.dep_ == "poss" else ""
        if d.startswith("prep_") and len(path) > 3 and path[-3].dep_ == "pobj":
            # 'with the leader of Russia': the prepositional object's own modifiers
            inner = path[-4].dep_ if len(path) > 4 else ""
            return f"{poss}{d}{'>' + inner if inner in ('prep', 'poss', 'compound', 'amod') else ''}"
        return f"{poss}{d}"
    if m.start <= tok.i < m.end or any(a.i == r.i for a in tok.ancestors if m.start <= a.i < m.end):
        return "above"
    anc = list(tok.ancestors)
    for a in anc[:3]:
        if a.lemma_.lower() in SPEECH and r.head.i == a.i and r.dep_ in ("nsubj", "nsubjpass"):
            return "speaker"
    if tok.head.i != tok.i and r.head.i == tok.head.i:
        return f"head_{r.dep_}"
    return "out"


def _bucket(n: int) -> str:
    return "1" if n <= 1 else "2-3" if n <= 3 else "4-7" if n <= 7 else "8-15" if n <= 15 else "16+"


def _cc(code3: str) -> str:
    return code3 if code3 in ("RUS", "PRK", "IGO", "USA", "UKR", "KOR", "CHN") else "other"


def mention_features(p: str, m, a: dict, tok) -> dict:
    rel = relation(m, tok)
    d = m.root.i - tok.i
    f = {f"{p}rel={rel}": 1.0, f"{p}side={'before' if d < 0 else 'after'}": 1.0,
         f"{p}dist={_bucket(abs(d))}": 1.0, f"{p}sec={a.get('sector') or ''}": 1.0,
         f"{p}kind={a.get('kind') or ''}": 1.0, f"{p}cc={_cc(key3(a['code']))}": 1.0}
    if m.text.lower() in PRONOUNS:
        f[f"{p}pronoun"] = 1.0
    return f


def coordinated(m1, m2) -> bool:
    """Whether two mentions are conjuncts of one phrase ("Russia and North Korea", "Kim and Putin"; also as
    modifiers of one noun: "North Korean and Russian leaders")."""
    lo, hi = sorted([m1, m2], key=lambda m: m.start)
    return hi.root.dep_ == "conj" and lo.start <= hi.root.head.i < lo.end


def options(tok, cand: dict, rules_pair: tuple) -> list[dict]:
    """The pair options of a candidate (see the module docstring): dicts ``{"pair": (source key, target key),
    "s": [(span, actor)], "t": (span, actor) | None}``; ``rules_pair`` (source key, target key) is always one (with the
    candidate's own spans when the sentence's mentions do not give it)."""
    acts = sentence_actors(tok.sent)
    best: dict = {}
    for sp, a, _c in acts:
        k = key3(a["code"])
        dist = abs(sp.root.i - tok.i)
        if k not in best or dist < best[k][0]:
            best[k] = (dist, sp, a)
    near = sorted(best.items(), key=lambda kv: kv[1][0])[:MAX_ACTORS]
    ms = {k: (v[1], v[2]) for k, v in near}
    keys = list(ms)
    out = []
    for s in keys:
        out.append({"pair": (s, ""), "s": [ms[s]], "t": None})
        for t in keys:
            if t != s:
                out.append({"pair": (s, t), "s": [ms[s]], "t": ms[t]})
    for i, s in enumerate(keys):
        for t in keys[i + 1:]:
            a, b = sorted([s, t])
            out.append({"pair": (f"{a}+{b}", ""), "s": [ms[a], ms[b]], "t": None})
    if rules_pair[0] and rules_pair not in {o["pair"] for o in out}:
        out.append({"pair": rules_pair, "s": [], "t": None, "rules_only": True})
    return out


def rules_pair_of(cand: dict, siblings: set | None = None) -> tuple:
    """(source key, target key) of a candidate as the scorer sees it; a joint source with no target is ``A+B``, and
    so is a pair A->B whose reverse B->A the rules also wrote for the same verb (``siblings``: the pairs of the
    candidates at the verb; the rule coder writes a joint event as the two directed copies)."""
    s, t = key3(cand.get("source")), key3(cand.get("target"))
    if "+" in s and not t:
        s = "+".join(sorted(s.split("+")))
    elif siblings and t and (t, s) in siblings:
        s, t = "+".join(sorted([s, t])), ""
    return s, t


def verb_pairs(cands) -> dict:
    """verb start -> the set of (source key, target key) of the candidates at that verb (for :func:`rules_pair_of`)."""
    out: dict = {}
    for c in cands:
        out.setdefault(c["verb_span"][0], set()).add((key3(c.get("source")), key3(c.get("target"))))
    return out


def pair_features(tok, cand: dict, opt: dict, rules_pair: tuple, root: str | None) -> dict:
    """Features of one option (see the module docstring)."""
    s_key, t_key = opt["pair"]
    f = {"bias": 1.0}
    if opt["pair"] == rules_pair:
        f["rules_pair"] = 1.0
        f[f"rules_pair_from={cand.get('actors_from') or cand.get('origin')}"] = 1.0
    if s_key == rules_pair[0]:
        f["rules_src"] = 1.0
    if t_key and t_key == rules_pair[1]:
        f["rules_tgt"] = 1.0
    if opt.get("rules_only"):
        f["rules_only"] = 1.0
    passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in tok.children)
    lem = tok.lemma_.lower()
    rels = []
    if len(opt["s"]) == 2:
        f["joint"] = 1.0
        (m1, a1), (m2, a2) = opt["s"]
        for m, a in opt["s"]:
            f.update({k: f.get(k, 0.0) + 0.5 for k in mention_features("j_", m, a, tok)})
        if coordinated(m1, m2):
            f["joint_coordinated"] = 1.0
        rels = [relation(m1, tok), relation(m2, tok)]
        f[f"joint_rels={'|'.join(sorted(rels))}"] = 1.0
        f[f"joint_root={root}"] = 1.0
        f[f"joint_v={lem}"] = 1.0
    elif opt["s"]:
        m, a = opt["s"][0]
        f.update(mention_features("s_", m, a, tok))
        rels.append(relation(m, tok))
        f[f"s_rel_root={rels[0]}_{root}"] = 1.0
        f[f"s_rel_pass={rels[0]}_{passive}"] = 1.0
        f[f"s_rel_v={rels[0]}_{lem}"] = 1.0
    if opt["t"] is not None:
        m, a = opt["t"]
        f.update(mention_features("t_", m, a, tok))
        tr = relation(m, tok)
        f[f"t_rel_root={tr}_{root}"] = 1.0
        f[f"t_rel_pass={tr}_{passive}"] = 1.0
        f[f"t_rel_v={tr}_{lem}"] = 1.0
        if rels:
            f[f"st_rels={rels[0]}|{tr}"] = 1.0
            f["s_first"] = float(opt["s"][0][0].start < m.start)
            if coordinated(opt["s"][0][0], m):  # "Russia and North Korea signed ...": one joint source, not A->B
                f["st_coordinated"] = 1.0
                f[f"st_coordinated_v={lem}"] = 1.0
    elif len(opt["s"]) < 2:
        f["t_none"] = 1.0
        f[f"t_none_root={root}"] = 1.0
    # no feature of the pair's countries together: on train it learns "RUS<->PRK" as a prior, which on dev takes the
    # DPRK as the target of UN vetoes and US statements (docs/events-pairs.md); each actor's own country stays
    f[f"passive={passive}"] = 1.0
    return f


def candidate_rows(tok, cand: dict, root: str | None, siblings: set | None = None
                   ) -> tuple[list[dict], list[dict], tuple]:
    """(options, their feature dicts, the rules' pair) of one candidate at trigger ``tok``."""
    rp = rules_pair_of(cand, siblings)
    opts = options(tok, cand, rp)
    return opts, [pair_features(tok, cand, o, rp, root) for o in opts], rp


def ranked(model, tok, cand: dict, root: str | None, siblings: set | None = None):
    """([(option, probability)] best first, the rules' pair) under a fitted pair model (a scikit-learn classifier
    with ``predict_proba`` over :func:`pair_features` dicts, classes False/True)."""
    opts, X, rp = candidate_rows(tok, cand, root, siblings)
    if not opts:
        return [], rp
    P = model.predict_proba(X)[:, list(model.classes_).index(True)]
    order = sorted(range(len(opts)), key=lambda j: -P[j])
    return [(opts[j], float(P[j])) for j in order], rp


def choose(model, tok, cand: dict, root: str | None, siblings: set | None = None):
    """(best option, its probability, the rules' pair); (None, 0.0, rules' pair) without options."""
    rk, rp = ranked(model, tok, cand, root, siblings)
    return (rk[0][0], rk[0][1], rp) if rk else (None, 0.0, rp)


def apply(e: dict, opt: dict) -> list[dict]:
    """The event ``e`` with the source/target of option ``opt`` (codes and spans of its mentions): one event, or for
    a joint source the two directed copies A->B and B->A, as the rule coder writes a joint event."""
    def one(sm, tm):
        (m, a) = sm
        x = {**e, "source": a["code"], "source_sector": a.get("sector", ""), "source_text": m.text,
             "source_span": [m.start_char, m.end_char]}
        if tm is None:
            x.update({"target": None, "target_sector": None, "target_text": None, "target_span": None})
        else:
            (tm_, ta) = tm
            x.update({"target": ta["code"], "target_sector": ta.get("sector", ""), "target_text": tm_.text,
                      "target_span": [tm_.start_char, tm_.end_char]})
        return x

    s = opt["s"]
    if len(s) == 2:
        return [one(s[0], s[1]), one(s[1], s[0])]
    return [one(s[0], opt["t"])]
