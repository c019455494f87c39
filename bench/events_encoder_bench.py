"""CPU cost of the hybrid coder with a fine-tuned encoder (pactwatch.events.encoder) on real news, end to end, in CPU
seconds (time.process_time), one thread, so the figure holds on a loaded shared machine.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 .venv/bin/python bench/events_encoder_bench.py ENCODER.pt [...] \\
        [--quantize] [--use both] [--model HYBRID.pkl]

Codes every article of the real Russia-DPRK folder once with the rule coder (parse, actors, coreference, events,
main clause), then runs :func:`pactwatch.events.hybrid.decide` with the fitted hybrid model (default path) alone
and with each encoder (its forward passes included). Prints sentences per CPU-second (= per core) of rules,
rules + logistic layer, rules + layer + encoder.
"""
from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("encoders", nargs="*")
    ap.add_argument("--quantize", action="store_true", help="dynamic int8 of the encoders' linear layers")
    ap.add_argument("--use", default="both")
    ap.add_argument("--model", default=None)
    a = ap.parse_args()
    import torch

    from pactwatch.events import encoder as en
    from pactwatch.events import hybrid as hy
    from pactwatch.events.coder import code_docs
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train.realnews import articles_dir, file_date

    torch.set_num_threads(1)
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    d = articles_dir(None) / "articles"
    items = [(p.name, p.read_text(encoding="utf-8"), file_date(p.name)) for p in sorted(d.glob("*.txt"))]
    list(code_docs(items[:2], nlp=nlp))  # warm-up
    t = time.process_time()
    docs = [doc for _, doc in code_docs(items, nlp=nlp)]
    rules = time.process_time() - t
    n = sum(1 for x in docs for _ in x.sents)
    print(f"rules: {len(docs)} articles, {n} sentences, {rules:.2f} CPU s, {n / rules:.0f} sentences/s per core")
    m = hy.load_model(a.model)
    hy.decide(docs[0], coder, m)
    t = time.process_time()
    for doc in docs:
        hy.decide(doc, coder, m)
    layer = time.process_time() - t
    print(f"rules + logistic layer: {n / (rules + layer):.0f} sentences/s per core (layer {layer:.2f} CPU s)")
    for path in a.encoders:
        enc = en.load(path, quantize=a.quantize)
        mm = {**m, "encoder": {"path": path, "loaded": enc, "use": a.use}}
        hy.decide(docs[0], coder, mm)  # warm-up
        n_c = sum(len(hy.candidates(doc, coder, broad=m.get("broad", False))) for doc in docs)
        t = time.process_time()
        for doc in docs:
            hy.decide(doc, coder, mm)
        full = time.process_time() - t
        print(f"{path} ({enc.meta['layers']} layers, mode {enc.meta['mode']}, int8 {bool(a.quantize)}): "
              f"layer + encoder {full:.2f} CPU s for {n_c} candidates; rules + layer + encoder "
              f"{n / (rules + full):.0f} sentences/s per core")


if __name__ == "__main__":
    main()
