"""Fitting the hybrid coder's actor-pair model (:mod:`pactwatch.events.pairs`) on labelled real news.

Training unit: one option (a (source, target) pair of the sentence's actors, :func:`pactwatch.events.pairs.options`)
of one candidate (:func:`pactwatch.events_train.hybrid.collect_news`) of the TRAIN split whose verb lies in a gold
trigger span; label: whether the option is the (source, target) of a gold event at that trigger (actors compared as
the scorer does, a joint source ``A+B`` with no target as one option). Gold events whose annotator left the source
empty are not scored and give no units. The candidate's "rules' pair" is its pair after ``fill_target`` when that
setting is on, as :func:`pactwatch.events.hybrid.decide` sees it; the candidate's root is the gold root (at coding
time, the root the layer decided).
"""
from __future__ import annotations

from pactwatch.events import hybrid as hy
from pactwatch.events import pairs as pr


def filled(doc, tok, cand: dict) -> dict:
    """The candidate with ``fill_target`` applied (:func:`pactwatch.events.hybrid.decide`): no target -> the next
    other actor of its sentence."""
    if cand.get("target") is not None or not cand.get("source"):
        return cand
    other = [(sp, a) for sp, a in hy._sentence_actors(tok.sent) if a["code"] != cand["source"]]
    if not other:
        return cand
    sp, a = other[0]
    return {**cand, "target": a["code"], "target_sector": a.get("sector", ""), "target_text": sp.text,
            "target_span": [sp.start_char, sp.end_char]}


def gold_pairs(cand: dict, gold: list[dict]) -> tuple[set, str | None]:
    """(the scored (source, target) pairs of the gold events at the candidate's trigger, their first root)."""
    vs = cand["verb_span"]
    trig = [g for g in gold if g.get("trigger") and g["trigger"][0] < vs[1] and vs[0] < g["trigger"][1]
            and g.get("source")]
    return {pr.rules_pair_of(g) for g in trig}, (str(trig[0]["code"])[:2] if trig else None)


def rows(news: list[dict], fill: bool = True) -> tuple[list[dict], list[bool], list[int]]:
    """(feature dicts, labels, group ids: one per candidate) of the collected train units."""
    X, y, groups = [], [], []
    gid = 0
    for u in news:
        doc = u["doc"]
        ti = hy.tok_index(doc)
        seen = set()
        sib = pr.verb_pairs(u["cands"])
        for c in u["cands"]:
            gp, root = gold_pairs(c, u["rec"]["events"])
            if not gp or not c.get("source"):
                continue
            tok = doc[ti[c["verb_span"][0]]]
            c = filled(doc, tok, c) if fill else c
            k = (c["verb_span"][0], pr.rules_pair_of(c, sib.get(c["verb_span"][0])))
            if k in seen:
                continue
            seen.add(k)
            opts, feats, _rp = pr.candidate_rows(tok, c, root, sib.get(c["verb_span"][0]))
            for o, f in zip(opts, feats):
                X.append(f)
                y.append(o["pair"] in gp)
                groups.append(gid)
            gid += 1
    return X, y, groups


def fit(news: list[dict], C: float = 1.0, fill: bool = True):
    """The pair model (DictVectorizer + logistic regression) fitted on :func:`rows`; None when the units have no
    positive or no negative option."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y, _g = rows(news, fill)
    if len(set(y)) < 2:
        return None
    return make_pipeline(DictVectorizer(sparse=True), LogisticRegression(C=C, max_iter=3000)).fit(X, y)
