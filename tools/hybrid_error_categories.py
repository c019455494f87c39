"""Where the hybrid coder's misses and false events come from, by category (docs/events-structural.md): on the
real-news DEV split (fitted on train) or by grouped 5-fold cross-validation by article within TRAIN (never test).

    PACTWATCH_EVENTS_DIR=../shared/events .venv/bin/python tools/hybrid_error_categories.py [--cv] [--before]

``--before``: the settings of the structural round off (``joint``, ``characterise``). Each gold event is put in
one category by what happened at its trigger: no candidate there; a candidate but all rejected by the acceptance
model (a statement verb — :data:`pactwatch.events.hybrid.SPEECH_LEMMAS` — or another word; "no source" when no
candidate there has a source); accepted with the gold root (and a source in the gold source or not); accepted with
another root. Each predicted event not on a gold trigger is put in a category by its sentence's labelled type and
the candidate's origin; "root in gold" when its root is still one of the sentence's gold roots (no root-F1 cost).
"""
from __future__ import annotations

import argparse
from collections import Counter


def main() -> None:
    from pactwatch.events import hybrid as hy
    from pactwatch.events.pipeline import load_pipeline
    from pactwatch.events.scorer import actor3
    from pactwatch.events_train import hybrid as th
    from pactwatch.events_train import realnews

    ap = argparse.ArgumentParser()
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--before", action="store_true")
    a = ap.parse_args()
    nlp = load_pipeline(root_model=False, coder="rules")
    coder = nlp.get_pipe("pactwatch_events")
    train = th.collect_news(realnews.load_records(None, split="train"), nlp)
    if a.cv:
        units = train
        plan = [([units[i] for i in tr], te) for tr, te in th.article_folds(units)]
    else:
        units = th.collect_news(realnews.load_records(None, split="dev"), nlp)
        plan = [(train, list(range(len(units))))]
    d = {**th.DEFAULTS, **({"joint": False, "characterise": False} if a.before else {})}
    gold_cat, fp_cat, wrong = Counter(), Counter(), Counter()
    for fit_units, te in plan:
        m = th.fit_config(fit_units, d)
        for i in te:
            u = units[i]
            r, doc = u["rec"], u["doc"]
            ev = [e for e in hy.decide(doc, coder, m)[0] if r["start"] <= e["verb_span"][0] < r["end"]]
            cands = [c for c in u["cands"] if c["origin"] != "noun" and not c.get("retried")]

            def on(x, g):
                t = g.get("trigger")
                return bool(t) and t[0] < x["verb_span"][1] and x["verb_span"][0] < t[1]

            for g in r["events"]:
                groot = str(g["code"])[:2]
                cs = [c for c in cands if on(c, g)]
                es = [e for e in ev if on(e, g)]
                if not cs:
                    k = "no candidate at the trigger"
                elif not es:
                    sp = any(doc.char_span(*c["verb_span"])[0].lemma_.lower() in hy.SPEECH_LEMMAS for c in cs
                             if doc.char_span(*c["verb_span"]) is not None)
                    k = "rejected: " + ("statement verb" if sp else "other word")
                    if all(not c.get("source") for c in cs):
                        k += " (no source)"
                elif any(e["root"] == groot for e in es):
                    ok = any(set(actor3(e.get("source"))) & set(actor3(g.get("source"))) for e in es)
                    k = "accepted, gold root" + ("" if ok else " (source not the gold source)")
                else:
                    k = "accepted, another root"
                    wrong[f"gold {groot} -> {','.join(sorted({e['root'] for e in es}))}"] += 1
                gold_cat[k] += 1
            groots = {str(g["code"])[:2] for g in r["events"]}
            for e in ev:
                if any(on(e, g) for g in r["events"]):
                    continue
                fp_cat[f"{r['type']} sentence, {e['hybrid']['origin']} candidate"
                       + (", root in gold" if e["root"] in groots else "")] += 1
    print("gold events by what happened at their trigger:")
    for k, v in gold_cat.most_common():
        print(f"  {v:4d}  {k}")
    print("predicted events not on a gold trigger:")
    for k, v in fp_cat.most_common():
        print(f"  {v:4d}  {k}")
    print("wrong roots (gold -> predicted):", dict(wrong.most_common(12)))


if __name__ == "__main__":
    main()
