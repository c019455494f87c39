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
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("encoders", nargs="*")
    ap.add_argument("--quantize", action="store_true", help="dynamic int8 of the encoders' linear layers")
    ap.add_argument("--use", default="both")
    ap.add_argument("--model", default=None)
    a = ap.parse_args()
    import torch

    sys.path.insert(0, str(Path(__file__).resolve().parent))  # the rule coder's timing, shared

    from pactwatch.events import encoder as en
    from pactwatch.events import hybrid as hy
    from events_hybrid_layer_bench import coded_news

    torch.set_num_threads(1)
    coder, docs, n, rules = coded_news()
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
