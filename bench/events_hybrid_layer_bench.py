"""CPU cost of the hybrid coder's learned layer on real news, in CPU seconds (time.process_time), so that the figure
holds on a loaded shared machine where wall-clock rates swing by half.

    OMP_NUM_THREADS=1 .venv/bin/python bench/events_hybrid_layer_bench.py [MODEL.pkl ...]

Codes every article of the real Russia-DPRK folder once with the rule coder (parse, actors, coreference, events,
main clause), then runs :func:`pactwatch.events.hybrid.decide` of each model (default: the fitted model at the
default path) over the same Docs. Prints the rule coder's and rules + layer's sentences per CPU-second (= per core).
"""
from __future__ import annotations

import sys
import time


def coded_news():
    """The real Russia-DPRK folder coded once by the rule coder: (coder component, Docs, sentences, CPU s); the
    figure is printed."""
    from pactwatch.events.coder import code_docs
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train.realnews import articles_dir, file_date

    nlp = load_pipeline(root_model=False, coder="rules")
    d = articles_dir(None) / "articles"
    items = [(p.name, p.read_text(encoding="utf-8"), file_date(p.name)) for p in sorted(d.glob("*.txt"))]
    list(code_docs(items[:2], nlp=nlp))  # warm-up
    t = time.process_time()
    docs = [doc for _, doc in code_docs(items, nlp=nlp)]
    rules = time.process_time() - t
    n = sum(1 for x in docs for _ in x.sents)
    print(f"rules: {len(docs)} articles, {n} sentences, {rules:.2f} CPU s, {n / rules:.0f} sentences/s per core")
    return nlp.get_pipe("pactwatch_events"), docs, n, rules


def main() -> None:
    from pactwatch.events import hybrid as hy

    coder, docs, n, rules = coded_news()
    for path in sys.argv[1:] or [None]:
        m = hy.load_model(path)
        hy.decide(docs[0], coder, m)  # warm-up
        t = time.process_time()
        for doc in docs:
            hy.decide(doc, coder, m)
        layer = time.process_time() - t
        print(f"{path or hy.default_model_path()} ({m.get('config')}): layer {layer:.2f} CPU s; rules + layer "
              f"{n / (rules + layer):.0f} sentences/s per core")


if __name__ == "__main__":
    main()
