"""Scoring a coder on the labelled real news (docs/events.md, "Real news"), reusing :mod:`pactwatch.events.scorer`.

Each article of the chosen split is coded whole (its date from the file name, so people hold their office of that
date), and a predicted event belongs to the labelled sentence that contains its verb. Measures, over every labelled
sentence of the split:

- ``root``: micro P/R/F1 of CAMEO roots. Unit: one event per distinct (actor set, code) in a sentence, as the labels
  count events (the directed copies the coder writes for a joint actor, A->B and B->A, are one event, as the label
  'A+B' is);
- ``source_target_root``: micro P/R/F1 of (source, target, root) triples, actors as country/IGO codes
  (:func:`pactwatch.events.scorer.dyads`); a gold event whose source the annotator could not identify is left out,
  and so are the predicted triples of its root in that sentence;
- ``quad_accuracy``: share of sentences with gold and predicted events whose highest-confidence predicted event has
  a gold quad class (``quad_accuracy_all``: over all sentences with gold events, no prediction counting as wrong);
- ``coded_as_event``: per sentence type, the share of sentences with >= 1 predicted event (``opinion`` is the
  opinion/analysis rate the targets bound by 1 in 20);
- ``detection``: sentence has a gold event vs a predicted event.

Every scoring of the ``test`` split adds one to ``labels/rus-prk-news/test_looks.json`` before it runs.
"""
from __future__ import annotations

from collections import Counter

from pactwatch.events.scorer import actor3, dyads, overlap, prf
from pactwatch.events_train import realnews


def code_articles(records, nlp, arts=None) -> dict:
    """file -> coded Doc of every article the records come from (rules and whatever the pipeline adds)."""
    from pactwatch.events.coder import code_docs

    texts = realnews.article_texts(records, arts)
    items = [(f, t, realnews.file_date(f)) for f, t in sorted(texts.items())]
    return {f: doc for f, doc in code_docs(items, nlp=nlp)}


def assign(records, events_by_file: dict) -> list[list[dict]]:
    """Predicted events per record: those whose verb starts inside the record's span."""
    return [[e for e in events_by_file.get(r["file"], []) if r["start"] <= e["verb_span"][0] < r["end"]]
            for r in records]


def _units(events, table):
    """(actor set, code) units of events, with the root of each (see the module docstring)."""
    from pactwatch.events.lexicon import code_info

    seen, out = set(), []
    for e in events:
        actors = frozenset(actor3(e.get("source")) + actor3(e.get("target")))
        k = (actors, str(e["code"]))
        if k in seen:
            continue
        seen.add(k)
        info = code_info(str(e["code"]), table)
        out.append(info.root if info else str(e["code"])[:2])
    return out


def score(records, preds, table) -> dict:
    """The measures of the module docstring for records (gold-shaped, :func:`realnews.load_records`) and the
    predicted events of each."""
    from pactwatch.events.lexicon import code_info

    c = {k: [0, 0, 0] for k in ("detection", "root", "source_target_root")}
    qhit = qdet = qall = 0
    by_type = Counter()
    coded_type = Counter()
    for r, pred in zip(records, preds):
        gold = r["events"]
        by_type[r["type"]] += 1
        coded_type[r["type"]] += bool(pred)
        d = c["detection"]
        d[0] += bool(gold) and bool(pred)
        d[1] += bool(pred) and not gold
        d[2] += bool(gold) and not pred
        for k, (tp, fp, fn) in (("root", overlap(_units(pred, table), _units(gold, table))),):
            c[k][0] += tp; c[k][1] += fp; c[k][2] += fn
        groot = lambda e: (code_info(str(e["code"]), table).root if code_info(str(e["code"]), table)  # noqa: E731
                           else str(e["code"])[:2])
        unscored = {groot(g) for g in gold if not g.get("source")}
        gt = [(s, t, groot(g)) for g in gold if g.get("source") for s, t in dyads([g])]
        pt = [(s, t, e["root"]) for e in pred if e["root"] not in unscored for s, t in dyads([e])]
        tp, fp, fn = overlap(list(dict.fromkeys(pt)), list(dict.fromkeys(gt)))
        x = c["source_target_root"]
        x[0] += tp; x[1] += fp; x[2] += fn
        if gold:
            qall += 1
            if pred:
                qdet += 1
                top = max(pred, key=lambda e: e["confidence"])
                gq = {code_info(str(g["code"]), table).quad for g in gold if code_info(str(g["code"]), table)}
                qhit += top["quad"] in gq
    out = {k: prf(*v) for k, v in c.items()}
    out["quad_accuracy"] = round(qhit / qdet, 4) if qdet else None
    out["quad_accuracy_all"] = round(qhit / qall, 4) if qall else None
    out["coded_as_event"] = {t: {"sentences": n, "coded": coded_type[t], "share": round(coded_type[t] / n, 4)}
                             for t, n in sorted(by_type.items())}
    op = out["coded_as_event"].get("opinion")
    out["opinion_coded_as_event"] = op["share"] if op else None
    out["sentences"] = len(records)
    out["sentences_with_gold_events"] = qall
    out["predicted_events"] = sum(len(p) for p in preds)
    return out


def resample_f1(per_article, n: int, seed: int = 0):
    """``n`` F1 values of micro-pooled (TP, FP, FN) over articles resampled with replacement (a cluster bootstrap:
    sentences of one article stay together); ``per_article``: one (TP, FP, FN) row per article. F1 is 0 where a draw
    has no units at all."""
    import numpy as np

    per = np.asarray(per_article, dtype=float)
    draws = np.random.default_rng(seed).integers(0, len(per), size=(n, len(per)))
    tot = per[draws].sum(axis=1)  # n x 3
    tp, fp, fn = tot[:, 0], tot[:, 1], tot[:, 2]
    den = 2 * tp + fp + fn
    return np.where(den > 0, 2 * tp / np.maximum(den, 1), 0.0)


def article_intervals(records, preds, table, n: int, seed: int = 0) -> dict:
    """Percentile intervals (95 % and 90 %) of root F1 and source+target+root F1 over ``n`` resamples of the
    articles of ``records`` (with their predicted events ``preds``), from the same predictions as :func:`score`."""
    import numpy as np

    files = sorted({r["file"] for r in records})
    out = {"unit": "article", "articles": len(files), "resamples": n, "seed": seed}
    per = {k: np.zeros((len(files), 3)) for k in ("root", "source_target_root")}
    for i, f in enumerate(files):
        idx = [j for j, r in enumerate(records) if r["file"] == f]
        s = score([records[j] for j in idx], [preds[j] for j in idx], table)
        for k in per:
            per[k][i] = [s[k]["tp"], s[k]["fp"], s[k]["fn"]]
    for k, rows in per.items():
        f1 = resample_f1(rows, n, seed)
        out[k] = {"mean": round(float(f1.mean()), 4), "sd": round(float(f1.std(ddof=1)), 4),
                  "ci95": [round(float(np.percentile(f1, q)), 4) for q in (2.5, 97.5)],
                  "ci90": [round(float(np.percentile(f1, q)), 4) for q in (5, 95)]}
    return out


def brief(s: dict) -> str:
    """One line of a :func:`score` result: root F1 [TP, FP, FN], source+target+root F1, quad accuracy, opinion rate,
    predicted events (the probes' tables in docs/events*.md)."""
    return (f"root F1 {s['root']['f1']:.3f} {[s['root'][k] for k in ('tp', 'fp', 'fn')]} "
            f"s+t+r F1 {s['source_target_root']['f1']:.3f} quad {s['quad_accuracy']} "
            f"opinion {s['opinion_coded_as_event']} events {s['predicted_events']}")


def model_fitted_on(model: dict) -> tuple[str, ...]:
    """The labelled splits a fitted hybrid model was fitted on: its ``fitted_on`` metadata (written by
    :func:`pactwatch.events_train.hybrid.train`); a model without it was fitted on the train split only, as every
    model was before that field existed."""
    return tuple(model.get("fitted_on") or ("train",))


def check_held_out(model: dict | None, split: str, where: str = "the hybrid coder's model") -> None:
    """Raise PactwatchError when ``model`` was fitted on ``split``: its scores there are fitted figures, not
    held-out ones, and must not be reported as such."""
    from pactwatch.errors import PactwatchError

    if model is None:
        return
    fitted = model_fitted_on(model)
    if split in fitted:
        raise PactwatchError(
            f"{where} was fitted on the {' and '.join(fitted)} split(s) (key {model.get('key', '?')}); scoring it on "
            f"the {split} split would report figures on data it was fitted on as if held out. Score a model fitted "
            f"on the train split only (the default fit) on {split}; a model refitted on train and dev has no "
            f"held-out split but test")


def evaluate_news(split: str = "dev", nlp=None, coder: str = "rules", arts=None, ldir=None, labels=None,
                  hybrid_model=None, bootstrap: int = 0, seed: int = 0) -> dict:
    """Score ``coder`` ('rules' or 'hybrid'; or the given ``nlp``) on one split of the final real-news labels.
    Scoring the test split is counted (``test_looks.json``) before anything is read. ``bootstrap``: number of
    resamples of the split's articles for intervals of root and source+target+root F1 (``out["intervals"]``; the
    same predictions, so no further look)."""
    from pactwatch.errors import PactwatchError

    if split not in realnews.SPLITS:
        raise PactwatchError(f"split {split!r}: use train, dev or test")
    if nlp is None:
        from pactwatch.events.pipeline import load_pipeline

        nlp = load_pipeline(root_model=False, coder=coder, hybrid_model=hybrid_model)
    fitted = None
    if "pactwatch_hybrid" in nlp.pipe_names:  # a model fitted on this split gives no held-out figure: refuse
        layer = nlp.get_pipe("pactwatch_hybrid")
        if layer.model is None:
            layer.load()
        from pactwatch.events.hybrid import default_model_path

        check_held_out(layer.model, split, f"the hybrid coder's model ({layer.model_path or default_model_path()})")
        fitted = list(model_fitted_on(layer.model)) if layer.model is not None else None
    looks = None
    if split == "test":
        looks = realnews.count_test_look(ldir, what=f"evaluate-news --coder {coder}")
    recs = realnews.load_records(labels, arts, split=split, ldir=ldir)
    docs = code_articles(recs, nlp, arts)
    preds = assign(recs, {f: d._.events for f, d in docs.items()})
    out = {"set": realnews.SET_NAME, "split": split, "coder": coder, "articles": len(docs),
           **score(recs, preds, nlp.get_pipe("pactwatch_events").codes)}
    if bootstrap:
        out["intervals"] = article_intervals(recs, preds, nlp.get_pipe("pactwatch_events").codes, bootstrap, seed)
    if "pactwatch_hybrid" in nlp.pipe_names:
        out["hybrid_status"] = nlp.get_pipe("pactwatch_hybrid").status
        out["hybrid_fitted_on"] = fitted
    if looks is not None:
        out["test_looks"] = looks
    return out
