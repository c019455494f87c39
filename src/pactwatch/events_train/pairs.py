"""Fitting the hybrid coder's actor-pair model (:mod:`pactwatch.events.pairs`) on labelled real news.

Training unit: one option (a (source, target) pair of the sentence's actors, :func:`pactwatch.events.pairs.options`)
of one candidate (:func:`pactwatch.events_train.hybrid.collect_news`) of the TRAIN split whose verb lies in a gold
trigger span (``by_root``: or, for a rule candidate, any gold event of its sentence with its root); label
(:func:`is_right`): the option's dyads are gold dyads at that trigger and it leaves out none its actors have there,
compared as the scorer compares triples (a joint source ``A+B`` with no target is A->B and B->A). Gold events whose
annotator left the source empty are not scored and give no units. The candidate's "rules' pair" is its pair after
``fill_target`` when that setting is on, as :func:`pactwatch.events.hybrid.decide` sees it; the candidate's root is
the gold root (at coding time, the root the layer decided). Settings and results: docs/events-pairs.md.
"""
from __future__ import annotations

from pactwatch.events import hybrid as hy
from pactwatch.events import pairs as pr
from pactwatch.events.lexicon import root_of
from pactwatch.events.scorer import dyads


def gold_pairs(cand: dict, gold: list[dict], by_root: bool = False, table=None) -> tuple[set, str | None]:
    """(the scored (source, target) dyads of the gold events at the candidate's trigger — or, for a candidate the
    rules coded (``by_root``), of the sentence's gold events with its root when none is at its trigger — and
    their first root). Gold events without a source are not scored and count for nothing."""
    vs = cand["verb_span"]
    trig = [g for g in gold if g.get("trigger") and g["trigger"][0] < vs[1] and vs[0] < g["trigger"][1]
            and g.get("source")]
    if not trig and by_root and cand.get("origin", "rules") == "rules":
        trig = [g for g in gold if g.get("source") and root_of(g["code"], table) == cand.get("root")]
    return set(dyads(trig)), (str(trig[0]["code"])[:2] if trig else None)


def pair_dyads(pair: tuple) -> set:
    """The scorer's dyads of an option's (source key, target key)."""
    return set(dyads([{"source": pair[0], "target": pair[1]}]))


def is_right(pair: tuple, gold: set) -> bool:
    """An option is right when all its dyads are gold dyads and it leaves out no dyad its own actors have in the
    gold: the joint ``A+B`` when the gold has A->B and B->A (written either way), A->B alone when it has only that."""
    d = pair_dyads(pair)
    if not d or not d <= gold:
        return False
    return not any((b, a) in gold and (b, a) not in d for a, b in d)


def rows(news: list[dict], fill: bool = True, by_root: bool = False) -> tuple[list[dict], list[bool], list[int]]:
    """(feature dicts, labels, group ids: one per candidate) of the collected train units."""
    X, y, groups = [], [], []
    gid = 0
    for u in news:
        doc = u["doc"]
        ti = hy.tok_index(doc)
        seen = set()
        sib = pr.verb_pairs(u["cands"])
        for c in u["cands"]:
            gp, root = gold_pairs(c, u["rec"]["events"], by_root)
            if not gp or not c.get("source"):
                continue
            tok = doc[ti[c["verb_span"][0]]]
            c = hy.fill_target(c, tok.sent) if fill else c
            k = (c["verb_span"][0], pr.rules_pair_of(c, sib.get(c["verb_span"][0])))
            if k in seen:
                continue
            seen.add(k)
            opts, feats, _rp = pr.candidate_rows(tok, c, root, sib.get(c["verb_span"][0]))
            for o, f in zip(opts, feats):
                X.append(f)
                y.append(is_right(o["pair"], gp))
                groups.append(gid)
            gid += 1
    return X, y, groups


def fit(news: list[dict], C: float = 1.0, fill: bool = True, by_root: bool = False):
    """The pair model (DictVectorizer + logistic regression) fitted on :func:`rows`; None when the units have no
    positive or no negative option."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    X, y, _g = rows(news, fill, by_root)
    if len(set(y)) < 2:
        return None
    return make_pipeline(DictVectorizer(sparse=True), LogisticRegression(C=C, max_iter=3000)).fit(X, y)
