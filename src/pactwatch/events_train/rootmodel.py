"""Fitting and cross-validating the supervised CAMEO root layer (:mod:`pactwatch.events.rootmodel`).

Kept outside the runtime package: coding text never imports this module. The layer at coding time only loads the
model this module fitted and cached (:func:`pactwatch.events.rootmodel.load_cached`).

Trained ONLY on the ``dev`` halves (:func:`pactwatch.events.scorer.split_of`) of the gold sets ``plover_gsr`` and
``cameo_codebook_examples`` found in the events reference directory (``gold/``); the ``test`` halves are never read
for training. Unit of training: one distinct gold sentence (the PLOVER and codebook copies of a sentence count once),
label = the root of its first gold CAMEO code, features = those of the verb the rule coder coded (else the verb it
abstained on, else the sentence's root verb). Thresholds and C were chosen by :func:`cross_validate` (docs/events.md).
"""
from __future__ import annotations

import pickle
from pathlib import Path

from pactwatch.events import rootmodel as rm
from pactwatch.events.rootmodel import (C, FILL_THRESHOLD, GOLD_SETS, OVERRIDE_THRESHOLD, apply_layer,
                                        cache_file, cache_key, gold_files, pipeline_name, token_at, verb_features)


def training_instance(doc) -> tuple[object, str | None] | None:
    """(verb token, rule code) a gold sentence is represented by: the rule coder's top event's verb, else the first
    verb it abstained on, else the sentence's root verb."""
    ev = doc._.events or []
    if ev:
        top = max(ev, key=lambda e: e["confidence"])
        tok = token_at(doc, top["verb_span"][0])
        if tok is not None:
            return tok, top["code"]
    for a in doc._.abstained or []:
        tok = token_at(doc, a["verb_span"][0])
        if tok is not None:
            return tok, None
    roots = [t for t in doc if t.dep_ == "ROOT"]
    return (roots[0], None) if roots else None



def dev_records(files) -> list[dict]:
    """Dev-half records with a CAMEO code, one per distinct text (first occurrence kept), in file order."""
    from pactwatch.events.scorer import read_gold, split_of

    seen, out = set(), []
    for p in files:
        for i, r in enumerate(read_gold(p)):
            if split_of(r, i) != "dev" or r.get("noevents"):
                continue
            codes = [e["code"] for e in r["events"] if e.get("code_system") == "CAMEO" and e.get("code")]
            if not codes or r["text"] in seen:
                continue
            seen.add(r["text"])
            out.append({"text": r["text"], "date": r.get("date") or None, "root": str(codes[0])[:2],
                        "group": str(codes[0])})
    return out


def featurize(records, nlp) -> tuple[list[dict], list[str], list[str]]:
    """Run the rule coder (without this layer) on the records -> (feature dicts, labels, groups)."""
    from pactwatch.events.coder import code_docs

    X, y, g = [], [], []
    items = [(str(i), r["text"], r["date"]) for i, r in enumerate(records)]
    for r, (_id, doc) in zip(records, code_docs(items, nlp=nlp, layer=False)):
        inst = training_instance(doc)
        if inst is None:
            continue
        X.append(verb_features(*inst))
        y.append(r["root"])
        g.append(r["group"])
    return X, y, g


def fit(X, y, c: float = C):
    """Deterministic fit (lbfgs, no random state involved): DictVectorizer + multinomial logistic regression."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    m = make_pipeline(DictVectorizer(sparse=True), LogisticRegression(C=c, max_iter=2000))
    m.fit(X, y)
    return m


def cross_validate(events_dir, nlp=None, folds: int = 5, c: float = C, fill_t: float = FILL_THRESHOLD,
                   override_t: float = OVERRIDE_THRESHOLD) -> dict:
    """Grouped k-fold cross-validation WITHIN the dev halves: records are grouped by their first gold CAMEO code
    (the key that splits dev from test, so a held-out fold, like the test half, holds codes the model has not seen,
    and the PLOVER and codebook copies of a sentence stay together). Per gold set: root precision/recall/F1 of the
    rules alone and of rules + layer on the held-out folds, scored as :func:`pactwatch.events.evaluate.evaluate`
    scores roots. Never reads the test halves."""
    from sklearn.model_selection import GroupKFold

    from pactwatch.events.coder import code_docs
    from pactwatch.events.lexicon import code_info
    from pactwatch.events.scorer import mentions, overlap, prf, read_gold, split_of

    if nlp is None:
        from pactwatch.events.pipeline import load_pipeline

        nlp = load_pipeline(events_dir=str(events_dir), root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    main_clause = nlp.get_pipe("pactwatch_main_clause")
    recs = []
    for p in gold_files(events_dir):
        for i, r in enumerate(read_gold(p)):
            if split_of(r, i) != "dev":
                continue
            codes = [e["code"] for e in r["events"] if e.get("code_system") == "CAMEO" and e.get("code")]
            gold = [] if r.get("noevents") else [(code_info(c_, coder.codes).root if code_info(c_, coder.codes)
                                                   else str(c_)[:2]) for c_ in codes]
            if r["events"] and not r.get("noevents") and not gold:
                continue  # gold only in another code system: not scored for roots
            recs.append({"set": p.stem, "text": r["text"], "date": r.get("date") or None, "gold": gold,
                         "group": str(codes[0]) if codes else f"id:{r.get('id', i)}"})
    docs = [d for _, d in code_docs([(str(i), r["text"], r["date"]) for i, r in enumerate(recs)], nlp=nlp,
                                    layer=False)]
    base = [[e["root"] for e in mentions(d._.events)] for d in docs]
    inst = [training_instance(d) for d in docs]
    feats = [verb_features(*x) if x else None for x in inst]
    after = [None] * len(recs)
    changed = []
    for tr, te in GroupKFold(n_splits=folds).split(recs, groups=[r["group"] for r in recs]):
        seen, X, y = set(), [], []
        for j in tr:
            if recs[j]["gold"] and feats[j] is not None and recs[j]["text"] not in seen:
                seen.add(recs[j]["text"])
                X.append(feats[j])
                y.append(recs[j]["gold"][0])
        model = fit(X, y, c=c)
        for j in te:
            d = main_clause(coder(docs[j]))  # the rules again, then the layer fitted without this fold
            apply_layer(d, coder, model, fill_t=fill_t, override_t=override_t)
            after[j] = [e["root"] for e in mentions(d._.events)]
            if after[j] != base[j]:
                changed.append({"set": recs[j]["set"], "text": recs[j]["text"], "gold": recs[j]["gold"],
                                "rules": base[j], "layer": after[j]})
    out = {"folds": folds, "C": c, "fill_threshold": fill_t, "override_threshold": override_t, "sets": {},
           "changed": changed}
    for s in sorted({r["set"] for r in recs}):
        res = {}
        for name, pv in (("rules", base), ("rules+layer", after)):
            t = [0, 0, 0]
            for r, p in zip(recs, pv):
                if r["set"] == s:
                    tp, fp, fn = overlap(p, r["gold"])
                    t[0] += tp; t[1] += fp; t[2] += fn
            res[name] = prf(*t)
        out["sets"][s] = {"records": sum(r["set"] == s for r in recs), **res}
    return out


def train(events_dir, nlp=None, cache_dir=None, force: bool = False) -> dict:
    """Fit (or load from the cache) the model on the dev halves of the gold files in ``events_dir``. ``nlp``: the
    rules-only pipeline whose parse and rule output give the features; it must use the registered dictionaries
    (the default of ``load_pipeline``): the cache key covers the spaCy pipeline, not extra dictionaries. Returns
    {"model", "key", "n", "classes", "files", "cached"}; raises FileNotFoundError when no gold file is present."""
    files = gold_files(events_dir)
    if not files:
        raise FileNotFoundError(f"no gold files ({', '.join(GOLD_SETS)}) in {Path(events_dir) / 'gold'}")
    if nlp is None:
        from pactwatch.events.pipeline import load_pipeline

        nlp = load_pipeline(events_dir=str(events_dir), root_model=False, coder="rules")
    key = cache_key(files, pipeline_name(nlp))
    path = cache_file(key, cache_dir)
    if path.is_file() and not force:
        try:
            with path.open("rb") as fh:
                obj = pickle.load(fh)
            if obj.get("key") == key and obj.get("version") == rm.VERSION:
                return {**obj, "cached": True, "path": str(path)}
        except Exception:  # a broken cache file is rebuilt
            pass
    X, y, _ = featurize(dev_records(files), nlp)
    model = fit(X, y)
    obj = {"model": model, "key": key, "version": rm.VERSION, "n": len(y), "classes": sorted(set(y)),
           "files": [str(p) for p in files]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(obj, fh)
    tmp.replace(path)
    return {**obj, "cached": False, "path": str(path)}

