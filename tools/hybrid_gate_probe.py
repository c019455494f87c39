"""The opinion gate and separate regularisation of the hybrid coder's candidate models (docs/events-gate.md), on the
real-news DEV split and by grouped 5-fold cross-validation by article within the TRAIN split (never test).

    PACTWATCH_EVENTS_DIR=../shared/events OMP_NUM_THREADS=1 .venv/bin/python tools/hybrid_gate_probe.py \\
        [--cv] [--C 0.3 1 3] [--gates off type:0.3 opinion1:0.5 ...] [--accept 0.6 0.7] [--json OUT] [--boot N]

Each setting is the DEFAULTS of :mod:`pactwatch.events_train.hybrid` with ``C_accept`` = ``C_root`` pairs from
``--C`` (all pairs), an opinion gate and an acceptance threshold. A gate is ``off``, ``type:T`` (the sentence-type
model's P(opinion) >= T vetoes the sentence) or ``opinionG:T`` (a dedicated class-balanced opinion-vs-not model with
C = G). Models are fitted by :func:`pactwatch.events_train.hybrid.fit_config` (one per C pair, and per dedicated
gate C; the gate and thresholds are decision-time settings swapped into the fitted model) and scored by
:func:`~pactwatch.events_train.hybrid.predict_split` / :func:`~pactwatch.events_train.hybrid.cv_score`. Prints one
line per setting: root F1 (TP/FP/FN), source+target+root F1, quad accuracy, opinion rate, predicted events; the
dev objective is the mean of the two F1s among settings with no opinion sentence coded. ``--boot N`` (dev only):
a paired by-article bootstrap of the dev F1 differences between the best setting and the first one of the grid
(the dev articles resampled with replacement N times, both settings scored on the same draw).
"""
from __future__ import annotations

import argparse
import itertools
import json


def _gate(spec: str):
    """('off'|'type'|'opinion', gate C or None, threshold)."""
    if spec == "off":
        return "off", None, 1.01
    kind, t = spec.split(":")
    if kind == "type":
        return "type", None, float(t)
    return "opinion", float(kind[len("opinion"):] or 1.0), float(t)


def _boot(recs, pa, pb, table, n, seed=0) -> dict:
    """Paired by-article bootstrap of root and source+target+root F1 differences (predictions ``pa`` minus
    ``pb``, aligned with ``recs``): mean, 95 % interval and the share of draws where the difference is > 0."""
    import numpy as np

    from pactwatch.events_train import newseval

    by = {}
    for i, r in enumerate(recs):
        by.setdefault(r["file"], []).append(i)
    files = sorted(by)
    rng = np.random.default_rng(seed)
    d = {"root": [], "source_target_root": []}
    for _ in range(n):
        idx = [i for f in rng.choice(files, len(files)) for i in by[f]]
        sa = newseval.score([recs[i] for i in idx], [pa[i] for i in idx], table)
        sb = newseval.score([recs[i] for i in idx], [pb[i] for i in idx], table)
        for k in d:
            d[k].append(sa[k]["f1"] - sb[k]["f1"])
    return {k: {"mean": round(float(np.mean(v)), 3), "ci95": [round(float(x), 3) for x in np.quantile(v, [.025, .975])],
                "share_gt0": round(float(np.mean(np.array(v) > 0)), 3)} for k, v in d.items()}


def main() -> None:
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--C", nargs="*", type=float, default=[0.3, 1.0, 3.0])
    ap.add_argument("--pairs", nargs="*", help="C_accept,C_root pairs instead of all pairs of --C")
    ap.add_argument("--gates", nargs="*", default=["off", "type:0.2", "type:0.3", "type:0.4", "opinion1:0.5",
                                                   "opinion1:0.7", "opinion0.3:0.5", "opinion0.3:0.7"])
    ap.add_argument("--accept", nargs="*", type=float, default=[0.6, 0.7])
    ap.add_argument("--json")
    ap.add_argument("--boot", type=int, default=0)
    a = ap.parse_args()
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    pairs = ([tuple(float(x) for x in p.split(",")) for p in a.pairs] if a.pairs
             else list(itertools.product(a.C, a.C)))
    gates = [(g, _gate(g)) for g in a.gates]
    gate_Cs = sorted({gc for _, (k, gc, _) in gates if k == "opinion"})
    if a.cv:
        folds = th.article_folds(train)
        parts = [[train[i] for i in tr] for tr, _ in folds]
    else:
        dev_recs = realnews.load_records(None, split="dev")
        dev_docs = newseval.code_articles(dev_recs, nlp)
        parts = [train]

    def gate_models(units):
        # the dedicated gate models of one training set (fit_config with the gate on; only its gate is kept)
        return {gc: th.fit_config(units, {"gate": "opinion", "gate_C": gc})["gate"] for gc in gate_Cs}

    gms = [gate_models(u) for u in parts]
    rows, preds = [], []
    for ca, cr in pairs:
        ms = [th.fit_config(u, {"C_accept": ca, "C_root": cr}) for u in parts]
        for (name, (kind, gc, t)), at in itertools.product(gates, a.accept):
            def setting(m, gm):
                g = None if kind == "off" else (m["sentence"] if kind == "type" else gm[gc])
                return {**m, "gate": g, "gate_t": t, "accept_t": at}
            if a.cv:
                s = th.cv_score(train, coder, folds, [setting(m, gm) for m, gm in zip(ms, gms)])
            else:
                ev = th.predict_split(dev_docs, coder, setting(ms[0], gms[0]))
                preds.append(newseval.assign(dev_recs, ev))
                s = newseval.score(dev_recs, preds[-1], coder.codes)
            row = {"C_accept": ca, "C_root": cr, "gate": name, "accept_t": at,
                   "root": [s["root"][k] for k in ("tp", "fp", "fn")], "root_f1": s["root"]["f1"],
                   "str": [s["source_target_root"][k] for k in ("tp", "fp", "fn")],
                   "str_f1": s["source_target_root"]["f1"], "quad": s["quad_accuracy"],
                   "opinion": s["opinion_coded_as_event"]}
            row["objective"] = round((row["root_f1"] + row["str_f1"]) / 2, 4)
            rows.append(row)
            print(f"{'cv ' if a.cv else 'dev'} Ca={ca:<4} Cr={cr:<4} gate={name:15s} accept {at}: "
                  f"{newseval.brief(s)}", flush=True)
    ok = [r for r in rows if (r["opinion"] or 0) == 0]
    for r in sorted(ok, key=lambda r: -r["objective"])[:10]:
        print("best", r)
    if a.boot and not a.cv and ok:
        best = max(range(len(rows)), key=lambda i: ((rows[i]["opinion"] or 0) == 0, rows[i]["objective"]))
        print("paired bootstrap:", _boot(dev_recs, preds[best], preds[0], coder.codes, a.boot), "best", rows[best],
              "against", rows[0])
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(rows, fh, indent=1)


if __name__ == "__main__":
    main()
