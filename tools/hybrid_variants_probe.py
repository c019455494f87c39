"""Which of the hybrid coder's optional settings help? Measured on the real-news DEV split only (never test).

    PACTWATCH_EVENTS_DIR=../shared/events .venv/bin/python tools/hybrid_variants_probe.py [--json]
    PACTWATCH_EVENTS_DIR=../shared/events .venv/bin/python tools/hybrid_variants_probe.py --cv   # train folds only

Each variant is fitted on the train split (:func:`pactwatch.events_train.hybrid.fit_config`, the other settings as in
``DEFAULTS``) and scored on dev with acceptance thresholds 0.5/0.6/0.7: ``nouns`` (event nouns as candidates,
:func:`pactwatch.events.hybrid.noun_candidates`), ``context`` (dictionary roots of the candidate's words,
:func:`pactwatch.events.hybrid.context_roots`), ``split`` (one event per actor pair,
:func:`pactwatch.events.hybrid.split_groups`). Also printed: how many dev candidates sit on a gold trigger and how
many of those the root model gives the gold root (the root layer's accuracy where it matters), and the count of
gold events with no candidate at their trigger.

``--cv``: instead, grouped 5-fold cross-validation by article within the TRAIN split (no dev or test label is
read): each variant (and ``root_balanced``, a class-balanced root model) fitted on four folds and scored on the fifth,
the five held-out folds pooled, acceptance 0.6 and 0.7.
"""
from __future__ import annotations

import argparse
import json


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--cv", action="store_true")
    a = ap.parse_args()
    if a.cv:
        train_cv()
        return
    from pactwatch.events import hybrid as hy
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    dev_recs = realnews.load_records(None, split="dev")
    devu = th.collect_news(dev_recs, nlp)
    dev_docs = {u["rec"]["file"]: u["doc"] for u in devu}
    rows = []
    for name, nouns, context, split in (("defaults", False, False, False), ("nouns", True, False, False),
                                        ("context", False, True, False), ("split", False, False, True),
                                        ("nouns+context+split", True, True, True)):
        m = th.fit_config(train, {"nouns": nouns, "context": context, "split_groups": split})
        # root accuracy on dev candidates that sit on a gold trigger (the candidates this variant has)
        hit = tot = 0
        for u in devu:
            cs = [(c if context else {k: v for k, v in c.items() if k != "context_roots"}, lab)
                  for c, lab in zip(u["cands"], u["labels"]) if nouns or c["origin"] != "noun"]
            pos = [(c, lab[1]) for c, lab in cs if lab[0] and lab[1]]
            if pos and m["root"] is not None:
                pred = m["root"].predict(hy.features_for(u["doc"], [c for c, _ in pos], m))
                hit += sum(str(p) == r for p, (_, r) in zip(pred, pos))
                tot += len(pos)
        for at in (0.5, 0.6, 0.7):
            ev = th.predict_split(dev_docs, coder, {**m, "accept_t": at})
            s = newseval.score(dev_recs, newseval.assign(dev_recs, ev), coder.codes)
            rows.append({"variant": name, "accept_t": at, "root_f1": s["root"]["f1"],
                         "root_tp_fp_fn": [s["root"][k] for k in ("tp", "fp", "fn")],
                         "str_f1": s["source_target_root"]["f1"], "quad": s["quad_accuracy"],
                         "opinion": s["opinion_coded_as_event"], "predicted": s["predicted_events"],
                         "dev_trigger_candidates": tot, "root_right": hit})
    if a.json:
        print(json.dumps(rows, indent=1))
        return
    for r in rows:
        print(f"{r['variant']:20s} accept {r['accept_t']}: root F1 {r['root_f1']:.3f} {r['root_tp_fp_fn']} "
              f"s+t+r F1 {r['str_f1']:.3f} quad {r['quad']} opinion {r['opinion']} events {r['predicted']} | "
              f"root model right on {r['root_right']} of {r['dev_trigger_candidates']} trigger candidates")


def train_cv() -> None:
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import realnews
    from pactwatch.events_train.newseval import brief

    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    units = th.collect_news(realnews.load_records(None, split="train"), nlp)
    folds = th.article_folds(units)
    for name, kw in (("defaults", {}), ("root_balanced", {"root_balanced": True}), ("nouns", {"nouns": True}),
                     ("context", {"context": True}), ("split", {"split_groups": True})):
        ms = [th.fit_config([units[i] for i in tr], kw) for tr, _ in folds]
        for at in (0.6, 0.7):
            s = th.cv_score(units, coder, folds, [{**m, "accept_t": at} for m in ms])
            print(f"{name:14s} accept {at}: {brief(s)}", flush=True)


if __name__ == "__main__":
    main()
