"""Score the coder on gold JSON Lines sets (schema: {set, id, text, date, events: [{source, target, code,
code_system}], noevents}).

Unit: one gold record (a sentence). Per record the coder's events P are compared with the gold events G:
- detection: record has >=1 gold event vs >=1 predicted event (TP/FP/FN counted per record);
- root, full code, quad class, dyad: multiset overlap of P and G per record, summed (micro precision/recall/F1);
  for root/code/quad the directed copies of one joint event (same verb, same code) count once; the dyad is
  (source, target) country/IGO codes (first three letters of CAMEO actor codes, pactwatch IGO codes as 'IGO'; a joint
  source with no target as both directed pairs); it is scored only on gold events that name a source, and predicted
  events with an unresolved source have no dyad;
- quad accuracy: share of records with gold and predicted events whose highest-confidence predicted event has a gold
  quad class (``quad_accuracy_detected``), and the same over all gold records with events, an abstention counting
  as wrong (``quad_accuracy_all``);
- five-class (PENTA) sets: predicted class = penta class of the highest-confidence event, 'none' when the coder
  abstains; macro-F1 over the five classes (abstentions count against recall).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

from pactwatch.errors import PactwatchError
from pactwatch.events.coder import code_docs
from pactwatch.events.lexicon import code_info as _ci
from pactwatch.events.pipeline import load_pipeline
from pactwatch.events.scorer import bootstrap_ci, dyads, mentions, overlap, prf, read_gold, split_of

__all__ = ["evaluate", "read_gold", "split_of"]


def _err(r, pred, doc, **kw):
    return {"id": r.get("id"), "text": r["text"], **kw,
            "pred": [(e["source"], e["target"], e["code"], e["verb"], e.get("pattern", "")) for e in pred],
            "abstained": [(a["verb"], a["code"], a["reason"]) for a in (doc._.abstained or [])]}


def evaluate(gold_path, nlp=None, limit: int | None = None, date_default: str | None = None,
             split: str = "all", errors: bool = False, bootstrap: int = 0, seed: int = 0) -> dict:
    """Scores on one gold file. ``split``: 'all', 'dev' or 'test' (see :func:`split_of`). ``errors``: also return
    per-record mismatches (``out["errors"]``) for error analysis (use on dev only). ``bootstrap``: number of
    resamples of the records (with replacement, seeded) for a 90% percentile interval of root-code F1 and quad
    accuracy (``root["ci90"]``, ``quad_accuracy_detected_ci90``): how much the figures move with the sample."""
    nlp = nlp or load_pipeline()
    table = nlp.get_pipe("pactwatch_events").codes

    def code_info(c):
        return _ci(c, table)

    if split not in ("all", "dev", "test"):
        raise PactwatchError(f"split {split!r}: use all, dev or test")
    recs = read_gold(gold_path)
    if split != "all":
        recs = [r for i, r in enumerate(recs) if split_of(r, i) == split]
    recs = recs[:limit]
    err_list = []
    systems = Counter(e.get("code_system") for r in recs for e in r["events"])
    penta = systems.get("PENTA", 0) > 0 and not systems.get("CAMEO")
    items = [(r.get("id", str(i)), r["text"], r.get("date") or date_default) for i, r in enumerate(recs)]
    counts = {k: [0, 0, 0] for k in ("detection", "root", "code", "quad", "dyad")}
    quad_hit = quad_n_det = quad_n_all = 0
    p_cls, g_cls = [], []
    n_pred = 0
    per_rec = []  # (root tp, fp, fn, quad hit or None) per scored record, for the bootstrap
    for r, (_id, doc) in zip(recs, code_docs(items, nlp=nlp)):
        pred = doc._.events
        n_pred += len(pred)
        if penta:
            gold = [e for e in r["events"] if e.get("code_system") == "PENTA"]
            top = max(pred, key=lambda e: e["confidence"]) if pred else None
            if gold:
                g_cls.append(str(gold[0]["code"]))
                p_cls.append(str(top["penta"]) if top else "none")
                if errors and g_cls[-1] != p_cls[-1]:
                    err_list.append(_err(r, pred, doc, gold=g_cls[-1], pred_class=p_cls[-1]))
            continue
        gold = [e for e in r["events"] if e.get("code_system") == "CAMEO" and e.get("code")]
        if r.get("noevents"):
            gold = []
        has_g, has_p = bool(r["events"]) and not r.get("noevents"), bool(pred)
        d = counts["detection"]
        d[0] += has_g and has_p
        d[1] += has_p and not has_g
        d[2] += has_g and not has_p
        if has_g and not gold:
            continue  # gold events only in another code system (PLOVER): scored for detection only
        ginfo = [(e, code_info(e["code"])) for e in gold]
        if errors and (sorted({e["root"] for e in pred}) != sorted({i.root if i else e["code"][:2] for e, i in ginfo})
                       or sorted(set(dyads(pred))) != sorted(set(dyads([e for e in gold if e.get("source")])))):
            err_list.append(_err(r, pred, doc, gold=[(e.get("source"), e.get("target"), e["code"]) for e in gold]))
        mp = mentions(pred)
        for key, pv, gv in (
            ("root", [e["root"] for e in mp], [i.root if i else e["code"][:2] for e, i in ginfo]),
            ("code", [e["code"] for e in mp], [e["code"] for e in gold]),
            ("quad", [e["quad"] for e in mp], [i.quad for e, i in ginfo if i]),
        ):
            tp, fp, fn = overlap(pv, gv)
            c = counts[key]
            c[0] += tp; c[1] += fp; c[2] += fn
            if key == "root":
                rec_root = (tp, fp, fn)
        gd = [e for e in gold if e.get("source")]
        if gd:
            tp, fp, fn = overlap(dyads(pred), dyads(gd))
            c = counts["dyad"]
            c[0] += tp; c[1] += fp; c[2] += fn
        hit = None
        if has_g:
            quad_n_all += 1
            gq = {i.quad for _, i in ginfo if i}
            if has_p:
                quad_n_det += 1
                top = max(pred, key=lambda e: e["confidence"])
                hit = top["quad"] in gq
                quad_hit += hit
        per_rec.append((*rec_root, hit))
    out = {"set": recs[0].get("set", Path(gold_path).stem), "file": str(gold_path), "split": split,
           "records": len(recs), "predicted_events": n_pred}
    if errors:
        out["errors"] = err_list
    if penta:
        classes = ["0", "1", "2", "3", "4"]
        per = {}
        for c in classes:
            tp = sum(p == c and g == c for p, g in zip(p_cls, g_cls))
            fp = sum(p == c and g != c for p, g in zip(p_cls, g_cls))
            fn = sum(g == c and p != c for p, g in zip(p_cls, g_cls))
            per[c] = prf(tp, fp, fn)
        out["five_class"] = {
            "macro_f1": round(sum(v["f1"] for v in per.values()) / len(classes), 4),
            "accuracy": round(sum(p == g for p, g in zip(p_cls, g_cls)) / max(1, len(g_cls)), 4),
            "coverage": round(sum(p != "none" for p in p_cls) / max(1, len(p_cls)), 4),
            "per_class": per, "records_scored": len(g_cls)}
        return out
    out.update({k: prf(*v) for k, v in counts.items()})
    out["quad_accuracy_detected"] = round(quad_hit / quad_n_det, 4) if quad_n_det else None
    out["quad_accuracy_all"] = round(quad_hit / quad_n_all, 4) if quad_n_all else None
    out["records_with_gold_events"] = quad_n_all
    if bootstrap and per_rec:
        out["root"]["ci90"], out["quad_accuracy_detected_ci90"] = bootstrap_ci(per_rec, bootstrap, seed)
        out["bootstrap"] = {"resamples": bootstrap, "seed": seed, "unit": "gold record"}
    return out
