"""Event-coder throughput: sentences per second end to end, beside spaCy's parse alone on the same sentences.

    .venv/bin/python bench/events_bench.py [--runs 3] [--events-dir DIR] [--limit N] [--json]

Workload
    Every sentence of the gold sets in <events dir>/gold/ (PLOVER GSR, CAMEO codebook examples, PETRARCH unit tests,
    ConfliBERT five-class; about 2,230 sentences, 1 per record) plus the article in ../shared/articles/ when present,
    each as its own text with its gold date.

Measures
    parse     spaCy alone: the same installed pipeline (tok2vec, tagger, parser, lemmatizer ..., NER excluded as in
              pactwatch, plus pactwatch's line-break rule) over the texts with ``nlp.pipe``.
    end2end   ``pactwatch.events.coder.code_docs``: the same parse plus actors, coreference and event coding, i.e. what
              ``pactwatch events code`` does after reading the input.
    Each is run once to warm up, then ``--runs`` times; best and median wall time are reported, sentences/second from
    the best run, and the coder's overhead = end2end / parse - 1. Peak memory: one further end-to-end run under
    tracemalloc (Python allocations) and the process's maximum RSS (resource.getrusage) at the end.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path


def load_texts(events_dir: Path, limit: int | None):
    items = []
    for f in sorted((events_dir / "gold").glob("*.jsonl")):
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                r = json.loads(line)
                d = r.get("date") or None
                if d and len(d) == 8 and d.isdigit():
                    d = f"{d[:4]}-{d[4:6]}-{d[6:]}"
                items.append((f"{f.stem}:{n}", r["text"], d))
    art = Path(__file__).resolve().parents[2] / "shared" / "articles"
    for f in sorted(art.glob("*.txt")) if art.is_dir() else []:
        items.append((f.stem, f.read_text(encoding="utf-8"), "2024-11-01"))
    return items[:limit] if limit else items


def timed(fn, runs):
    fn()  # warm-up
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--events-dir", default=None)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)

    from pactwatch.events.coder import CUSTOM, code_docs
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events.refs import resolve_events_dir

    ev_dir = resolve_events_dir(a.events_dir)
    items = load_texts(ev_dir, a.limit)
    t0 = time.perf_counter()
    nlp = load_pipeline(events_dir=str(ev_dir))
    load_s = time.perf_counter() - t0
    texts = [t for _, t, _ in items]
    n_sent = 0
    with nlp.select_pipes(disable=[n for n in CUSTOM if n in nlp.pipe_names]):
        for doc in nlp.pipe(texts, batch_size=64):
            n_sent += sum(1 for _ in doc.sents)
    n_events = [0]

    def parse_only():
        with nlp.select_pipes(disable=[n for n in CUSTOM if n in nlp.pipe_names]):
            for _ in nlp.pipe(texts, batch_size=64):
                pass

    def end2end():
        n = 0
        for _, doc in code_docs(items, nlp=nlp):
            n += len(doc._.events)
        n_events[0] = n

    p_best, p_med = timed(parse_only, a.runs)
    e_best, e_med = timed(end2end, a.runs)
    tracemalloc.start()
    end2end()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux -> MiB
    import spacy

    res = {
        "texts": len(items), "sentences": n_sent, "events": n_events[0], "runs": a.runs,
        "model": nlp.meta.get("name"), "spacy": spacy.__version__, "pipeline_load_s": round(load_s, 2),
        "parse": {"best_s": round(p_best, 3), "median_s": round(p_med, 3), "sentences_per_s": round(n_sent / p_best, 1)},
        "end2end": {"best_s": round(e_best, 3), "median_s": round(e_med, 3), "sentences_per_s": round(n_sent / e_best, 1)},
        "coder_overhead": round(e_best / p_best - 1, 3),
        "peak_python_alloc_mib": round(peak / 2**20, 1), "max_rss_mib": round(rss, 1),
    }
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"{res['texts']} texts, {n_sent} sentences, {res['events']} events; model {res['model']} (spaCy {res['spacy']}), "
              f"pipeline load {res['pipeline_load_s']} s")
        print(f"{'':10s}{'best s':>10s}{'median s':>10s}{'sent/s':>10s}")
        for k in ("parse", "end2end"):
            v = res[k]
            print(f"{k:10s}{v['best_s']:>10.3f}{v['median_s']:>10.3f}{v['sentences_per_s']:>10.1f}")
        print(f"coder overhead on top of the parse: {100 * res['coder_overhead']:.1f}%")
        print(f"peak Python allocations (one end-to-end run) {res['peak_python_alloc_mib']} MiB; max RSS {res['max_rss_mib']} MiB")
    return res


if __name__ == "__main__":
    sys.exit(main() and 0)
