"""Fitting the hybrid coder's learned layer (:mod:`pactwatch.events.hybrid`) on labelled real news, and choosing
its settings on the dev split.

Training unit: one candidate of the rule coder (:func:`pactwatch.events.hybrid.candidates`) in a labelled sentence
of the TRAIN split (articles coded whole, dates from file names). Labels of a candidate, from the sentence's gold
events (:func:`match`): *is an event* when a gold event's trigger span overlaps the candidate's verb, or a gold
event has the candidate's root; its *root* is that gold event's root. Sentence-type model: every train sentence,
label its ``type``; its probability of 'event' enters the candidate model as a feature, out of fold (5 folds grouped
by article) when fitting. Optionally the shared gold sets (``plover_gsr``, ``cameo_codebook_examples``,
``petr_unittest``: every sentence there has events) add root-model training candidates (setting ``gold``).

Settings (C, thresholds, sentence model on/off, gold sets on/off) are chosen by :func:`select` on the DEV split only
(docs/events.md "Real news"); the test split is never read here. With the settings chosen, :func:`train` may refit
them on the train and dev splits together (``splits``; docs/events-curve.md): the model records the splits it was
fitted on (``fitted_on``), and scoring it on one of them is refused (:func:`newseval.evaluate_news`).
"""
from __future__ import annotations

import hashlib
import itertools
import pickle
from pathlib import Path

from pactwatch.events import hybrid as hy
from pactwatch.events.lexicon import root_of
from pactwatch.events.scorer import actor3
from pactwatch.events_train import newseval, realnews

GOLD_SETS = ("plover_gsr", "cameo_codebook_examples", "petr_unittest")
#: the settings `events train-hybrid` fits with (without --select): chosen on the dev split (docs/events.md)
#: (`events train-hybrid --select`, 2026-12-06: best mean of root F1 and source+target+root F1 on dev among the
#: settings with no more than 1 in 20 opinion sentences coded; ties broken by grid order)
DEFAULTS = {"C": 0.3, "accept_t": 0.7, "root_t": 0.5, "sentence": True, "gold": False, "broad": True,
            "fill_target": True, "fallback_t": 1.01, "nouns": False, "context": False, "split_groups": False,
            # structural round (docs/events-structural.md)
            "speech": False, "speech_target": False, "joint": True, "characterise": True,
            "encoder": None,
            # opinion gate and separate regularisation of the candidate models (docs/events-gate.md)
            # (2026-12-07, session 4: C_root 1.0 chosen on dev, confirmed by grouped train CV; the gate stays off)
            "C_accept": None, "C_root": 1.0, "gate": None, "gate_C": 1.0, "gate_t": 1.01,
            # learned actor pairs (docs/events-pairs.md): off unless it wins on dev and train CV
            "pairs": False, "pairs_t": 0.5, "pairs_C": 1.0, "pairs_multi": 1.01,
            "pairs_by_root": False}
#: ``C_accept`` / ``C_root``: C of the acceptance / root model (None: ``C``, which also stays the C of the sentence
#: models). ``gate``: None (off), "type" (P(opinion) of the sentence-type model) or "opinion" (a dedicated
#: class-balanced opinion-vs-not sentence model with C ``gate_C``); a sentence with P(opinion) >= ``gate_t`` gets no
#: event (pactwatch.events.hybrid.opinion_gate; ``gate_t`` > 1: off)
#: ``encoder``: None (off), True or a dict of settings: also fine-tune all-MiniLM-L6-v2 as the candidates' decision
#: model (pactwatch.events.encoder, fitted by pactwatch.events_train.encoder.fit_for_hybrid; needs the ``encoder``
#: extra); off: it did not win clearly on dev (docs/events-finetune.md)


def match(cand: dict, gold: list[dict], table) -> tuple[bool, str | None]:
    """(is an event, gold root) of a candidate against its sentence's gold events (see the module docstring; a
    candidate the rules did not code matches by trigger only)."""
    vs = cand["verb_span"]
    trig = [g for g in gold if g.get("trigger") and g["trigger"][0] < vs[1] and vs[0] < g["trigger"][1]]
    src = set(actor3(cand.get("source")))
    same = lambda g: bool(src & set(actor3(g.get("source"))))  # noqa: E731
    # a candidate without a rule code (proposed, any verb) carries a placeholder root: only its trigger can match
    for pool in ((trig, gold) if cand.get("origin", "rules") == "rules" else (trig,)):
        if not pool:
            continue
        ranked = sorted(pool, key=lambda g: (root_of(g["code"], table) != cand["root"], not same(g)))
        g = ranked[0]
        if pool is trig or root_of(g["code"], table) == cand["root"]:
            return True, root_of(g["code"], table)
    return False, None


def collect_news(records, nlp, arts=None) -> list[dict]:
    """Per train record: its sentence span in the coded article, the candidates in it (broad, with noun candidates
    and dictionary context roots; :func:`fit` leaves out what its settings do not use) and their labels."""
    docs = newseval.code_articles(records, nlp, arts)
    coder = nlp.get_pipe("pactwatch_events")
    cands_by_file = {f: hy.annotate_speech(d, coder, hy.annotate_context(d, coder, hy.candidates(d, coder, broad=True,
                                                                                                nouns=True, retry=True)))
                     for f, d in docs.items()}
    out = []
    for r in records:
        doc = docs[r["file"]]
        span = doc.char_span(r["start"], r["end"], alignment_mode="expand")
        cs = [c for c in cands_by_file[r["file"]] if r["start"] <= c["verb_span"][0] < r["end"]]
        out.append({"rec": r, "doc": doc, "span": span, "cands": cs,
                    "labels": [match(c, r["events"], coder.codes) for c in cs]})
    return out


def collect_gold(events_dir, nlp) -> list[dict]:
    """Candidates of the shared gold sets' sentences with events (each coded alone)."""
    from pactwatch.events.coder import code_docs
    from pactwatch.events.scorer import read_gold

    coder = nlp.get_pipe("pactwatch_events")
    recs = []
    for s in GOLD_SETS:
        p = Path(events_dir) / "gold" / f"{s}.jsonl"
        if not p.is_file():
            continue
        for r in read_gold(p):
            ev = [e for e in r["events"] if e.get("code_system") == "CAMEO" and str(e.get("code", "")).isdigit()]
            if ev and not r.get("noevents"):
                d = r.get("date") or None
                if d and len(d) == 8 and d.isdigit():
                    d = f"{d[:4]}-{d[4:6]}-{d[6:]}"
                recs.append({"text": r["text"], "date": d, "events": ev})
    out = []
    for r, (_i, doc) in zip(recs, code_docs([(str(i), r["text"], r["date"]) for i, r in enumerate(recs)], nlp=nlp)):
        cs = hy.candidates(doc, coder, broad=True)
        out.append({"rec": r, "doc": doc, "span": doc[:], "cands": cs,
                    "labels": [match(c, r["events"], coder.codes) for c in cs]})
    return out


def _lr(C, multi=False, balanced=None):
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    bal = (not multi) if balanced is None else balanced
    return make_pipeline(DictVectorizer(sparse=True), LogisticRegression(C=C, max_iter=3000,
                                                                         class_weight="balanced" if bal else None))


def _take(X, idx):
    return X[idx] if hasattr(X, "shape") else [X[j] for j in idx]


def fit(news: list[dict], gold: list[dict] | None = None, C: float = 1.0, sentence: bool = True,
        accept_t: float = 0.5, root_t: float = 0.7, folds: int = 5, sentence_cls=hy.SentenceTypeModel,
        sentence_est=None, broad: bool = False, nouns: bool = False, context: bool = False,
        root_balanced: bool = False, speech: bool | str = False, sentence_bow: bool = True,
        characterise: bool = False, retry: bool = False, speech_root: bool = False, time: bool = False,
        C_accept: float | None = None, C_root: float | None = None, gate: str | None = None,
        gate_C: float = 1.0, gate_t: float = 1.01) -> dict:
    """The model dict :mod:`pactwatch.events.hybrid` loads, fitted on collected train data. ``sentence_cls`` /
    ``sentence_est``: the sentence-type model's class (its featurizer) and estimator factory (default: logistic
    regression over :func:`pactwatch.events.hybrid.sentence_features`). ``C`` regularises the sentence models and,
    unless ``C_accept`` / ``C_root`` are given, the acceptance / root models. ``gate`` (None, "type", "opinion")
    and ``gate_t``: the opinion gate (see :data:`DEFAULTS`)."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    make = sentence_est or (lambda: _lr(C, multi=True))
    # units are collected with broad candidates (every verb); without ``broad`` the 'verb' ones are left out
    drop = set() if context else {"context_roots"}
    drop |= {False: {"speech", "inside_speech"}, "outer": {"inside_speech"}, "inner": {"speech"}}.get(speech, set())
    strip = lambda c: {k: v for k, v in c.items() if k not in drop}  # noqa: E731
    keep = lambda u: [(strip(c), lab) for c, lab in zip(u["cands"], u["labels"])  # noqa: E731
                      if (broad or c["origin"] != "verb") and (nouns or c["origin"] != "noun")
                      and (retry or not c.get("retried"))]
    news = [{**u, "cands": [c for c, _ in keep(u)], "labels": [lab for _, lab in keep(u)]} for u in news]
    if characterise:
        news = [{**u, "cands": hy.recode_characterisations(u["doc"], None, u["cands"])} for u in news]
    gold = [{**u, "cands": [c for c, _ in keep(u)], "labels": [lab for _, lab in keep(u)]} for u in gold or []] or None
    sent_model, oof = None, {}
    if sentence:
        Xs = sentence_cls(None).featurize([u["span"] for u in news])
        ys = [u["rec"]["type"] for u in news]
        groups = [u["rec"]["file"] for u in news]
        n_f = min(folds, len(set(groups)))
        p = np.full(len(news), 0.5)
        if n_f >= 2:
            for tr, te in GroupKFold(n_splits=n_f).split(np.zeros(len(ys)), ys, groups):
                if "event" not in {ys[j] for j in tr} or len({ys[j] for j in tr}) < 2:
                    continue
                m = sentence_cls(make().fit(_take(Xs, tr), [ys[j] for j in tr]))
                p[te] = m.proba_X(_take(Xs, te))
        oof = {id(u["doc"]): {} for u in news}
        for u, pe in zip(news, p):
            for c in u["cands"]:
                oof[id(u["doc"])][c["verb_span"][0]] = float(pe)
        sent_model = sentence_cls(make().fit(Xs, ys))
    stub = {"sentence": None, "sentence_bow": sentence_bow, "time": time}
    Xa, ya, Xr, yr = [], [], [], []
    for src, units in (("news", news), ("gold", gold or [])):
        for u in units:
            if not u["cands"]:
                continue
            feats = hy.features_for(u["doc"], u["cands"], stub)
            for c, f, (is_ev, root) in zip(u["cands"], feats, u["labels"]):
                if sentence:
                    f["p_event_sentence"] = (oof.get(id(u["doc"]), {}).get(c["verb_span"][0], 0.5) if src == "news"
                                             else float(hy.sentence_event_proba({"sentence": sent_model},
                                                                                [u["span"]])[0]))
                if src == "news":
                    Xa.append(hy.without_speech(f) if speech_root else f)
                    ya.append(bool(is_ev))
                if is_ev and root:
                    Xr.append(f)
                    yr.append(root)
    C_accept = C if C_accept is None else C_accept
    C_root = C if C_root is None else C_root
    accept = _lr(C_accept).fit(Xa, ya)
    root = _lr(C_root, multi=True, balanced=root_balanced).fit(Xr, yr) if len(set(yr)) >= 2 else None
    gate_model = None
    if gate == "type":
        if sent_model is None:
            raise ValueError("opinion gate 'type' needs the sentence-type model (setting sentence=True)")
        gate_model = sent_model
    elif gate == "opinion":
        Xo = sentence_cls(None).featurize([u["span"] for u in news])
        yo = ["opinion" if u["rec"]["type"] == "opinion" else "not" for u in news]
        if len(set(yo)) == 2:
            gate_model = sentence_cls(_lr(gate_C).fit(Xo, yo))
    elif gate is not None:
        raise ValueError(f"opinion gate {gate!r}: expected None, 'type' or 'opinion'")
    # sentence-level root model: event sentences of the train split, label = the root of their first gold event
    Xq, yq = [], []
    for u in news:
        ev = u["rec"]["events"]
        if u["rec"]["type"] == "event" and ev:
            Xq.append(hy.sentence_features(u["span"]))
            yq.append(str(ev[0]["code"])[:2])
    sent_root = _lr(C, multi=True).fit(Xq, yq) if len(set(yq)) >= 2 else None
    return {"version": hy.VERSION, "accept": accept, "root": root, "sentence": sent_model, "sentence_bow": sentence_bow,
            "sent_root": sent_root, "fill_target": False, "fallback_t": 1.01, "broad": broad,
            "nouns": nouns and broad, "split_groups": False, "context_roots": context, "speech": speech,
            "characterise": characterise, "retry": retry, "speech_root": speech_root, "time": time,
            "accept_t": accept_t, "root_t": root_t, "n_candidates": len(Xa), "n_root": len(Xr),
            "n_sentences": len(news), "gate": gate_model, "gate_t": gate_t,
            "config": {"C": C, "C_accept": C_accept, "C_root": C_root, "sentence": sentence, "gold": bool(gold),
                       "gate": gate, "gate_C": gate_C, "gate_t": gate_t}}


#: configuration keys that are arguments of :func:`fit`; :data:`DECIDE_KEYS` are stored in the model for ``decide``
FIT_KEYS = ("C", "sentence", "accept_t", "root_t", "broad", "nouns", "context", "root_balanced", "speech",
            "sentence_bow", "characterise", "retry", "speech_root", "time", "C_accept", "C_root", "gate", "gate_C",
            "gate_t")
DECIDE_KEYS = ("fill_target", "fallback_t", "split_groups", "speech_target", "joint", "characterise", "one_per_root",
               "pairs_t", "pairs_multi")


def fit_config(news: list[dict], config: dict | None = None, gold: list[dict] | None = None) -> dict:
    """The model of one configuration (:data:`DEFAULTS` updated by ``config``): :func:`fit` with its fitting
    settings (the gold units only when the configuration's ``gold`` is on) and the decision settings stored in the
    model. What `events train-hybrid` fits, and what the probes in ``tools/`` measure."""
    cfg = {**DEFAULTS, **(config or {})}
    model = fit(news, gold if cfg["gold"] else None, **{k: cfg[k] for k in FIT_KEYS if k in cfg})
    model.update({k: cfg[k] for k in DECIDE_KEYS if k in cfg})
    if cfg.get("pairs"):  # the actor-pair model (pactwatch.events.pairs), fitted on the same train units
        from pactwatch.events_train import pairs as tp

        model["pairs"] = tp.fit(news, C=cfg.get("pairs_C", 1.0), fill=bool(cfg.get("fill_target")),
                                by_root=bool(cfg.get("pairs_by_root")))
    return model


def article_folds(units: list[dict], k: int = 5) -> list[tuple]:
    """Grouped ``k``-fold splits of :func:`collect_news` units by article (the train CV of docs/events.md):
    (train indices, held-out indices) per fold."""
    import numpy as np
    from sklearn.model_selection import GroupKFold

    groups = [u["rec"]["file"] for u in units]
    return list(GroupKFold(k).split(np.zeros(len(units)), groups=groups))


def cv_score(units: list[dict], coder, folds: list[tuple], models: list[dict]) -> dict:
    """:func:`pactwatch.events_train.newseval.score` pooled over ``folds``: each fold's model (``models[i]``)
    decides the rules-coded Docs of that fold's held-out articles."""
    recs, preds = [], []
    for (_, held), m in zip(folds, models):
        files = {units[i]["rec"]["file"]: units[i]["doc"] for i in held}
        ev = predict_split(files, coder, m)
        rr = [units[i]["rec"] for i in held]
        recs += rr
        preds += newseval.assign(rr, ev)
    return newseval.score(recs, preds, coder.codes)


def predict_split(units_by_file_docs, coder, model) -> dict:
    """file -> events under ``model`` for rules-coded docs."""
    return {f: hy.decide(d, coder, model)[0] for f, d in units_by_file_docs.items()}


def select(train_news, gold, dev_recs, dev_docs, nlp, grid=None, **fit_kw) -> dict:
    """Fit each setting on train, score it on dev (rules-coded dev docs + the layer); pick the best by the mean of
    root F1 and source+target+root F1 among settings whose opinion-coded-as-event rate is <= 0.05 (all settings
    when none is). Returns {"best": config, "model": fitted model, "rows": [dev scores of every setting]}."""
    coder = nlp.get_pipe("pactwatch_events")
    grid = grid or {"C": [0.3, 1.0, 3.0], "sentence": [True, False], "gold": [False, True], "broad": [False, True],
                    "accept_t": [0.3, 0.4, 0.5, 0.6, 0.7], "root_t": [0.5, 0.7, 0.9, 1.01],
                    "fill_target": [False, True], "fallback_t": [1.01, 0.8, 0.6]}
    rows, best = [], None
    for C in grid["C"]:
        for sentence in grid["sentence"]:
            for g, broad in itertools.product(grid["gold"], grid.get("broad", [False])):
                if g and not gold:
                    continue
                m = fit(train_news, gold if g else None, C=C, sentence=sentence, broad=broad, **fit_kw)
                for at, rt, fl, fb in itertools.product(grid["accept_t"], grid["root_t"],
                                                        grid.get("fill_target", [False]),
                                                        grid.get("fallback_t", [1.01])):
                    if fb <= 1.0 and not sentence:
                        continue
                    m = {**m, "accept_t": at, "root_t": rt, "fill_target": fl, "fallback_t": fb,
                         "joint": DEFAULTS["joint"]}
                    ev = predict_split(dev_docs, coder, m)
                    s = newseval.score(dev_recs, newseval.assign(dev_recs, ev), coder.codes)
                    row = {"C": C, "sentence": sentence, "gold": g, "broad": broad, "accept_t": at, "root_t": rt,
                           "fill_target": fl, "fallback_t": fb,
                           "root_f1": s["root"]["f1"], "str_f1": s["source_target_root"]["f1"],
                           "quad": s["quad_accuracy"], "opinion": s["opinion_coded_as_event"]}
                    row["objective"] = round((row["root_f1"] + row["str_f1"]) / 2, 4)
                    rows.append(row)
                    ok = (row["opinion"] or 0) <= 0.05
                    keyv = (ok, row["objective"])
                    if best is None or keyv > best[0]:
                        best = (keyv, row, m)
    return {"best": best[1], "model": best[2], "rows": rows}


def labels_key(ldir=None, events_dir=None) -> str:
    h = hashlib.sha256(hy.VERSION.encode())
    h.update((realnews.labels_dir(ldir) / realnews.FINAL_FILE).read_bytes())
    return h.hexdigest()[:16]


#: the splits :func:`train` fits on unless told otherwise
FIT_SPLITS = ("train",)
#: the splits a shipped model may be fitted on: the test split is scored once and never fitted on
FITTABLE_SPLITS = ("train", "dev")


def fit_splits(splits) -> tuple[str, ...]:
    """``splits`` checked (each a fittable split, at least one; order kept, repeats dropped). Raises PactwatchError
    naming what is wrong."""
    from pactwatch.errors import PactwatchError

    out = tuple(dict.fromkeys(str(s).strip().lower() for s in splits))
    if not out:
        raise PactwatchError("hybrid model fitting: no split to fit on (use train, or train and dev)")
    bad = [s for s in out if s not in FITTABLE_SPLITS]
    if bad:
        raise PactwatchError(f"hybrid model fitting: split(s) {', '.join(map(repr, bad))} cannot be fitted on; use "
                             f"{' and/or '.join(FITTABLE_SPLITS)} (the test split is never fitted on)")
    if "train" not in out:
        raise PactwatchError("hybrid model fitting: the train split must be among the splits fitted on")
    return out


def train(nlp=None, arts=None, ldir=None, events_dir=None, config: dict | None = None, out=None,
          select_on_dev: bool = False, splits=FIT_SPLITS) -> dict:
    """Fit the layer on the train split (with ``config``, default :data:`DEFAULTS`, or the setting chosen on dev
    with ``select_on_dev``) and write it to ``out`` (default :func:`pactwatch.events.hybrid.default_model_path`).
    ``splits``: the labelled splits fitted on, default the train split; ``("train", "dev")`` refits the chosen
    settings on train and dev together (a model to ship: it can no longer be scored on dev as held out, and
    :func:`pactwatch.events_train.newseval.evaluate_news` refuses to). The model records them as ``fitted_on``.
    Returns a summary (and the dev grid when selecting)."""
    from pactwatch.errors import PactwatchError
    from pactwatch.events.refs import resolve_events_dir
    from pactwatch.events.rootmodel import rules_fingerprint

    splits = fit_splits(splits)
    if select_on_dev and "dev" in splits:
        raise PactwatchError("hybrid model fitting: settings chosen on the dev split cannot be chosen while fitting "
                             "on it; choose them with the train split alone, then refit on train and dev")
    if nlp is None:
        from pactwatch.events.pipeline import load_pipeline

        nlp = load_pipeline(root_model=False, coder="rules")
    ed = resolve_events_dir(events_dir)
    cfg = {**DEFAULTS, **(config or {})}
    train_recs = [r for s in splits for r in realnews.load_records(None, arts, split=s, ldir=ldir)]
    news = collect_news(train_recs, nlp, arts)
    gold = collect_gold(ed, nlp) if (cfg["gold"] or select_on_dev) else None
    summary = {}
    if select_on_dev:
        dev_recs = realnews.load_records(None, arts, split="dev", ldir=ldir)
        dev_docs = newseval.code_articles(dev_recs, nlp, arts)
        sel = select(news, gold, dev_recs, dev_docs, nlp, characterise=cfg["characterise"])
        model = sel["model"]
        cfg = {**DEFAULTS, **{k: sel["best"][k] for k in ("C", "sentence", "gold", "broad", "accept_t", "root_t",
                                                          "fill_target", "fallback_t")}}
        summary["dev_grid"] = sel["rows"]
        summary["dev_best"] = sel["best"]
    else:
        model = fit_config(news, cfg, gold)
    model.update({"rules": rules_fingerprint(), "key": labels_key(ldir), "config": cfg, "fitted_on": list(splits)})
    path = Path(out) if out else hy.default_model_path()
    if cfg.get("encoder"):  # optional fine-tuned encoder, saved beside the model file
        from pactwatch.events_train import encoder as te

        model["encoder"] = te.fit_for_hybrid(news, cfg["encoder"], path, nouns=cfg["nouns"], broad=cfg["broad"])
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("wb") as fh:
        pickle.dump(model, fh)
    tmp.replace(path)
    summary.update({"path": str(path), "config": cfg, "fitted_on": list(splits), "n_candidates": model["n_candidates"],
                    "n_root": model["n_root"], "n_sentences": model["n_sentences"]})
    return summary
