"""Why the opinion gate cannot veto what the weaker-regularised acceptance model codes (docs/events-gate.md): the
gate models' P(opinion) for the DEV sentences by gold type, and which opinion sentences a given acceptance model
codes (fitted on TRAIN; the test split is never read).

    PACTWATCH_EVENTS_DIR=../shared/events OMP_NUM_THREADS=1 .venv/bin/python tools/hybrid_gate_diag.py [--C-accept 3]
"""
from __future__ import annotations

import argparse


def main() -> None:
    import numpy as np

    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import newseval, realnews

    ap = argparse.ArgumentParser()
    ap.add_argument("--C-accept", type=float, default=3.0)
    ap.add_argument("--gate-C", nargs="*", type=float, default=[0.3, 1.0, 3.0])
    a = ap.parse_args()
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    print("train sentences by type:", {t: sum(u["rec"]["type"] == t for u in train)
                                       for t in ("event", "opinion", "background", "other")})
    dev_recs = realnews.load_records(None, split="dev")
    dev = th.collect_news(dev_recs, nlp)
    m = th.fit_config(train, {"C_accept": a.C_accept})
    ev = th.predict_split({u["rec"]["file"]: u["doc"] for u in dev}, coder, m)
    coded = np.array([bool(p) for p in newseval.assign(dev_recs, ev)])
    typ = np.array([u["rec"]["type"] for u in dev])
    spans = [u["span"] for u in dev]
    gates = {"type": m["sentence"]}
    gates.update({f"opinion C={g}": th.fit_config(train, {"gate": "opinion", "gate_C": g})["gate"] for g in a.gate_C})
    print(f"C_accept {a.C_accept}: dev opinion sentences coded {int((coded & (typ == 'opinion')).sum())} of "
          f"{int((typ == 'opinion').sum())}")
    for name, g in gates.items():
        p = np.array(g.class_proba(spans, "opinion"))
        print(f"gate {name}: P(opinion) of the dev opinion sentences {np.round(np.sort(p[typ == 'opinion']), 2)}; "
              f"of the coded ones {np.round(np.sort(p[coded & (typ == 'opinion')]), 2)}; max over other sentences "
              f"{p[typ != 'opinion'].max():.2f}")
        for t in (0.3, 0.5, 0.7):
            v = p >= t
            print(f"   t {t}: vetoes {int((v & (typ == 'opinion')).sum())} opinion sentences "
                  f"({int((v & coded & (typ == 'opinion')).sum())} of the coded ones), "
                  f"{int((v & (typ == 'event')).sum())} event sentences ({int((v & coded & (typ == 'event')).sum())} "
                  f"coded)")
    pe = np.array(m["sentence"].event_proba(spans))
    q = np.quantile(pe[coded & (typ == "event")], [.25, .5, .75])
    print("P(event sentence) of the coded opinion sentences:", np.round(pe[coded & (typ == "opinion")], 2),
          "; quartiles over coded event sentences:", np.round(q, 2))


if __name__ == "__main__":
    main()
