"""The learned actor-pair choice of the hybrid coder (docs/events-pairs.md) on the real-news DEV split and by grouped
5-fold cross-validation by article within the TRAIN split (never test).

    PACTWATCH_EVENTS_DIR=../shared/events OMP_NUM_THREADS=1 .venv/bin/python tools/hybrid_pairs_probe.py \\
        [--cv] [--fit] [--pairs-t 0.3 0.5 ...] [--set KEY=VALUE ...]

Fits :func:`pactwatch.events_train.hybrid.fit_config` with the DEFAULTS (``--set`` overrides, e.g. ``pairs_C=0.3``)
once with ``pairs`` off and once on, and prints one line per threshold ``pairs_t`` (root F1 [TP, FP, FN],
source+target+root F1, quad accuracy, opinion rate, predicted events); ``off`` is the DEFAULTS as they are. ``--fit``
also scores the train split in-sample (the model on the very articles it was fitted on).
"""
from __future__ import annotations

import argparse
import json


def oracle(recs, preds, table) -> list[list[dict]]:
    """Each predicted event with its actors replaced by those of the record's gold events of the same root (all of
    them; the event unchanged when none has a source): what a perfect actor-pair choice could give."""
    from pactwatch.events.lexicon import code_info

    root = lambda c: code_info(str(c), table).root if code_info(str(c), table) else str(c)[:2]  # noqa: E731
    out = []
    for r, pred in zip(recs, preds):
        got = []
        for e in pred:
            gs = [g for g in r["events"] if g.get("source") and root(g["code"]) == e["root"]]
            got += [dict(e, source=g["source"], target=g.get("target") or None) for g in gs] or [e]
        out.append(got)
    return out


def main() -> None:
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews
    from pactwatch.events_train.newseval import brief as brief0

    def brief(s):
        x = s["source_target_root"]
        return f"{brief0(s)} s+t+r {[x[k] for k in ('tp', 'fp', 'fn')]}"

    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true", help="grouped 5-fold CV within train instead of dev")
    ap.add_argument("--fit", action="store_true", help="also score train in-sample")
    ap.add_argument("--pairs-t", nargs="*", type=float, default=[0.3, 0.4, 0.5, 0.6, 0.7])
    ap.add_argument("--set", nargs="*", default=[], help="KEY=VALUE (JSON value) over the DEFAULTS")
    ap.add_argument("--oracle", action="store_true",
                    help="also the DEFAULTS with every event's actors replaced by the gold pair(s) of its sentence "
                         "with the same root (an upper bound of any actor-pair choice)")
    a = ap.parse_args()
    over = {k: json.loads(v) for k, v in (x.split("=", 1) for x in a.set)}
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    cfg_off = {**th.DEFAULTS, **over, "pairs": False}
    cfg_on = {**cfg_off, "pairs": True}
    if a.cv:
        folds = th.article_folds(train)
        off = [th.fit_config([train[i] for i in tr], cfg_off) for tr, _ in folds]
        on = [th.fit_config([train[i] for i in tr], cfg_on) for tr, _ in folds]
        print("cv  off          " + brief(th.cv_score(train, coder, folds, off)), flush=True)
        if a.oracle:
            recs, preds = [], []
            for (_, held), m in zip(folds, off):
                files = {train[i]["rec"]["file"]: train[i]["doc"] for i in held}
                rr = [train[i]["rec"] for i in held]
                recs += rr
                preds += newseval.assign(rr, th.predict_split(files, coder, m))
            print("cv  oracle pair  " + brief(newseval.score(recs, oracle(recs, preds, coder.codes), coder.codes)),
                  flush=True)
        for t in a.pairs_t:
            print(f"cv  pairs_t {t:<4} " + brief(th.cv_score(train, coder, folds, [{**m, "pairs_t": t} for m in on])),
                  flush=True)
        return
    m_off, m_on = th.fit_config(train, cfg_off), th.fit_config(train, cfg_on)
    evals = [("dev", realnews.load_records(None, split="dev"))]
    if a.fit:
        evals.append(("fit", [u["rec"] for u in train]))
    for name, recs in evals:
        docs = newseval.code_articles(recs, nlp)
        sc = lambda m: newseval.score(recs, newseval.assign(recs, th.predict_split(docs, coder, m)),  # noqa: E731
                                      coder.codes)
        print(f"{name:3s} off          " + brief(sc(m_off)), flush=True)
        if a.oracle:
            pr_ = newseval.assign(recs, th.predict_split(docs, coder, m_off))
            print(f"{name:3s} oracle pair  " + brief(newseval.score(recs, oracle(recs, pr_, coder.codes), coder.codes)),
                  flush=True)
        for t in a.pairs_t:
            print(f"{name:3s} pairs_t {t:<4} " + brief(sc({**m_on, "pairs_t": t})), flush=True)


if __name__ == "__main__":
    main()
