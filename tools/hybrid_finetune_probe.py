"""Does a fine-tuned encoder help the hybrid coder decide its candidates? Measured on the real-news DEV split only
(never test). Results: docs/events-finetune.md.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 PACTWATCH_EVENTS_DIR=../shared/events \\
        .venv/bin/python tools/hybrid_finetune_probe.py [--layers 3] [--mode shared|marked] [--no-actors] \\
        [--seeds 0 1 2] [--epochs 6] [--lr 5e-5] [--head-lr 1e-3] [--gold] [--threads 1] [--root-t T] \\
        [--save DIR] [--load ENC.pt ...] [--quantize] [--cv] [--json]

Fits the logistic hybrid layer with ``pactwatch.events_train.hybrid.DEFAULTS`` on the train split, then per seed
fine-tunes all-MiniLM-L6-v2 (:func:`pactwatch.events_train.encoder.finetune`) on the train split's candidates
(``none`` or the gold root; ``--gold``: plus the event candidates of the shared gold sets as root examples) and
scores on dev (:mod:`pactwatch.events_train.newseval`, the numbers of ``events evaluate-news --split dev``) the
hybrid with the encoder used for the root only (``root``, acceptance 0.5/0.6/0.7), for acceptance and root
(``both``), or its acceptance averaged with the logistic one (``blend``; both at 0.3..0.7). Also printed: of the dev
candidates on a gold trigger, how many get the gold root from the encoder (the logistic root model: 25 of 67).
``--load``: score saved encoders (``--save`` writes them) instead of fine-tuning; ``--quantize``: dynamic int8.
``--cv``: grouped 5-fold CV by article within the train split instead of dev (no dev label read).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _score(recs, docs, coder, model):
    from pactwatch.events import hybrid as hy
    from pactwatch.events_train import newseval

    ev = {f: hy.decide(doc, coder, model)[0] for f, doc in docs.items()}
    s = newseval.score(recs, newseval.assign(recs, ev), coder.codes)
    return {"root_f1": s["root"]["f1"], "root_tp_fp_fn": [s["root"][k] for k in ("tp", "fp", "fn")],
            "str_f1": s["source_target_root"]["f1"], "quad": s["quad_accuracy"],
            "opinion": s["opinion_coded_as_event"], "predicted": s["predicted_events"]}


class Cached:
    """An EncoderModel wrapper that remembers candidate probabilities per (doc, candidate spans)."""

    def __init__(self, m):
        self.m, self.meta, self.memo = m, m.meta, {}

    def candidate_proba(self, doc, cands):
        k = (id(doc), tuple(tuple(c["verb_span"]) + tuple(c.get("source_span") or ()) for c in cands))
        if k not in self.memo:
            self.memo[k] = self.m.candidate_proba(doc, cands)
        return self.memo[k]


def _right(units, enc):
    """(gold root given, candidates on a gold trigger) over dev units (candidates the DEFAULTS model has)."""
    from pactwatch.events import encoder as en

    hit = tot = 0
    for u in units:
        pos = [(c, lab[1]) for c, lab in zip(u["cands"], u["labels"])
               if lab[0] and lab[1] and c["origin"] != "noun"]
        if not pos:
            continue
        P = enc.candidate_proba(u["doc"], [c for c, _ in pos])
        R = P[:, 1:]
        hit += sum(en.LABELS[1 + int(R[i].argmax())] == r for i, (_, r) in enumerate(pos))
        tot += len(pos)
    return hit, tot


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--mode", default="marked", choices=["marked", "shared"])
    ap.add_argument("--no-actors", action="store_true")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=4e-5)
    ap.add_argument("--max-len", type=int, default=96)
    ap.add_argument("--weight-none", type=float, default=1.0)
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--gold", action="store_true")
    ap.add_argument("--quantize", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--save", default=None, help="directory: write each seed's encoder there")
    ap.add_argument("--cv", action="store_true", help="grouped 5-fold CV by article within train (no dev label)")
    ap.add_argument("--load", nargs="+", default=None, help="score saved encoders instead of fine-tuning")
    ap.add_argument("--root-t", type=float, default=None, help="root threshold (default: DEFAULTS)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    import torch

    from pactwatch.events import encoder as en
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import encoder as te
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import realnews

    torch.set_num_threads(a.threads)
    if a.cv:
        train_cv(a)
        return
    t0 = time.time()
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    dev_recs = realnews.load_records(None, split="dev")
    devu = th.collect_news(dev_recs, nlp)
    dev_docs = {u["rec"]["file"]: u["doc"] for u in devu}
    d = th.DEFAULTS
    keep = lambda units: [{**u, "cands": [c for c in u["cands"] if c["origin"] != "noun"],  # noqa: E731
                           "labels": [lab for c, lab in zip(u["cands"], u["labels"]) if c["origin"] != "noun"]}
                          for u in units]
    train, devu = keep(train), keep(devu)
    m = th.fit_config(train)
    rows0 = _score(dev_recs, dev_docs, coder, m)
    if a.root_t is not None:
        m["root_t"] = a.root_t
    print(f"# collected in {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    rows = [{"variant": "DEFAULTS (logistic)", "use": "-", "accept_t": d["accept_t"], **rows0}]
    meta = {"mode": a.mode, "actors": not a.no_actors}
    ex = te.examples(train, meta)
    if a.gold:
        from pactwatch.events.refs import resolve_events_dir

        ex += te.examples(th.collect_gold(resolve_events_dir(), nlp), meta, events_only=True)
    name = f"L{a.layers} {a.mode}{'' if not a.no_actors else ' no-actors'} ep{a.epochs} lr{a.lr:g}/{a.head_lr:g}" \
           f"{' +gold' if a.gold else ''}{' int8' if a.quantize else ''}"
    jobs = [(None, s) for s in a.seeds] if not a.load else [(p, None) for p in a.load]
    for path, seed in jobs:
        t = time.process_time()
        if path:  # a saved encoder (int8 at load with --quantize)
            enc = en.load(path, quantize=a.quantize)
            seed, name = enc.meta["seed"], f"{os.path.basename(path)}{' int8' if a.quantize else ''}"
        else:
            enc = te.finetune(ex, layers=a.layers, epochs=a.epochs, lr=a.lr, max_len=a.max_len, seed=seed,
                              mode=a.mode, actors=not a.no_actors, threads=a.threads, weight_none=a.weight_none,
                              head_lr=a.head_lr, log=lambda s: print("#", s, file=sys.stderr, flush=True))
            if a.save:
                p = enc.save(os.path.join(a.save, f"encoder-L{a.layers}-{a.mode}{'-noact' if a.no_actors else ''}"
                                                  f"{'-gold' if a.gold else ''}-e{a.epochs}-s{seed}.pt"))
                print(f"# saved {p}", file=sys.stderr)
            if a.quantize:
                enc.net = torch.ao.quantization.quantize_dynamic(enc.net, {torch.nn.Linear}, dtype=torch.qint8)
        cpu = time.process_time() - t
        ce = Cached(enc)
        hit, tot = _right(devu, ce)
        for use in ("root", "both", "blend"):
            for at in ((0.5, 0.6, 0.7) if use == "root" else (0.3, 0.4, 0.5, 0.6, 0.7)):
                mm = {**m, "accept_t": at, "encoder": {"path": "(in memory)", "loaded": ce, "use": use}}
                rows.append({"variant": name, "seed": seed, "use": use, "accept_t": at, "train_cpu_s": round(cpu),
                             "root_right": f"{hit} of {tot}", **_score(dev_recs, dev_docs, coder, mm)})
                r = rows[-1]
                print(f"{name} seed {seed} use {use:5s} acc {at}: root F1 {r['root_f1']:.3f} {r['root_tp_fp_fn']} "
                      f"s+t+r F1 {r['str_f1']:.3f} quad {r['quad']} opinion {r['opinion']} "
                      f"events {r['predicted']} | gold root {hit} of {tot} | train {cpu:.0f} CPU s", flush=True)
    if a.json:
        print(json.dumps(rows, indent=1))
    else:
        r = rows[0]
        print(f"DEFAULTS logistic acc {r['accept_t']}: root F1 {r['root_f1']:.3f} {r['root_tp_fp_fn']} s+t+r F1 "
              f"{r['str_f1']:.3f} quad {r['quad']} opinion {r['opinion']} events {r['predicted']}")


def train_cv(a) -> None:
    """Grouped 5-fold CV by article within the train split: per fold the logistic layer (DEFAULTS) and the encoder
    are fitted on four folds and the fifth is coded; the five held-out folds are pooled and scored."""
    from pactwatch.events import hybrid as hy
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import encoder as te
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    units = th.collect_news(realnews.load_records(None, split="train"), nlp)
    units = [{**u, "cands": [c for c in u["cands"] if c["origin"] != "noun"],
              "labels": [lab for c, lab in zip(u["cands"], u["labels"]) if c["origin"] != "noun"]} for u in units]
    docs = {u["rec"]["file"]: u["doc"] for u in units}
    groups = [u["rec"]["file"] for u in units]
    settings = [("logistic", None, 0.7)] + [(use, use, at) for use in ("root", "both", "blend")
                                            for at in (0.4, 0.5, 0.6, 0.7)]
    pooled = {k: ([], []) for k in settings}
    hit = tot = hit_l = 0
    for fold, (tr, te_) in enumerate(th.article_folds(units)):
        tru = [units[i] for i in tr]
        m = th.fit_config(tru)
        enc = te.finetune(te.examples(tru, {"mode": a.mode, "actors": not a.no_actors}), layers=a.layers,
                          epochs=a.epochs, lr=a.lr, max_len=a.max_len, seed=a.seeds[0], mode=a.mode,
                          actors=not a.no_actors, threads=a.threads, head_lr=a.head_lr)
        ce = Cached(enc)
        h, t = _right([units[i] for i in te_], ce)
        hit, tot = hit + h, tot + t
        for i in te_:  # the logistic root model on the same trigger candidates
            pos = [(c, lab[1]) for c, lab in zip(units[i]["cands"], units[i]["labels"]) if lab[0] and lab[1]]
            if pos and m["root"] is not None:
                pred = m["root"].predict(hy.features_for(units[i]["doc"], [c for c, _ in pos], m))
                hit_l += sum(str(p) == r for p, (_, r) in zip(pred, pos))
        files = {groups[i] for i in te_}
        rr = [units[i]["rec"] for i in te_]
        for k in settings:
            use, _u, at = k
            mm = {**m, "accept_t": at}
            if use != "logistic":
                mm["encoder"] = {"path": "(in memory)", "loaded": ce, "use": use}
            ev = {f: hy.decide(docs[f], coder, mm)[0] for f in files}
            pooled[k][0].extend(rr)
            pooled[k][1].extend(newseval.assign(rr, ev))
        print(f"# fold {fold + 1}/5 done", file=sys.stderr, flush=True)
    print(f"train CV, encoder L{a.layers} {a.mode} ep{a.epochs} seed {a.seeds[0]}: gold root for {hit} of {tot} "
          f"trigger candidates (logistic root model: {hit_l})")
    for k, (recs, preds) in pooled.items():
        s = newseval.score(recs, preds, coder.codes)
        print(f"{k[0]:8s} acc {k[2]}: {newseval.brief(s)}", flush=True)


if __name__ == "__main__":
    main()
