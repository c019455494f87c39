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

import json
from collections import Counter
from pathlib import Path

from pactwatch.errors import PactwatchError


def read_gold(path) -> list[dict]:
    p = Path(path)
    if not p.is_file():
        raise PactwatchError(f"{p}: gold file not found")
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PactwatchError(f"{p} line {n}: not JSON ({exc.msg})") from None
        if "text" not in r or "events" not in r:
            raise PactwatchError(f"{p} line {n}: a gold record needs 'text' and 'events'")
        out.append(r)
    if not out:
        raise PactwatchError(f"{p}: no gold records")
    return out


def _prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def _overlap(pred: list, gold: list):
    c = Counter(pred) & Counter(gold)
    tp = sum(c.values())
    return tp, len(pred) - tp, len(gold) - tp


def _igo_codes() -> dict[str, str]:
    """pactwatch organisation code -> the three-letter head of its CAMEO code: 'IGO' for IGOs and NGOs (CAMEO writes
    IGOUNO, IGOWSTNAT ...; the gold sets write NGOs as IGO too), 'IMG' for transnational armed groups with a CAMEO
    IMG code (al-Qaeda IMGMOSALQ). Armed groups coded as a country (Hezbollah = LBN, sector REB) are not in the map:
    their code already is the country, and mapping it would turn every plain LBN, PSE, AFG ... into 'IGO'."""
    import yaml

    from pactwatch.events.lexicon import _res_text

    out = {}
    for g in yaml.safe_load(_res_text("igos.yaml")):
        cameo = g.get("cameo") or ""
        if cameo.startswith("IMG"):
            out[g["code"]] = "IMG"
        elif g.get("sector", "IGO") == "IGO" or cameo[:3] in ("IGO", "NGO"):
            out[g["code"]] = "IGO"
    return out


_IGOS: dict[str, str] = {}


def _actor3(x: str | None) -> list[str]:
    """Country part of actor codes: first three letters of CAMEO codes; pactwatch IGO/NGO codes (NATO, UN ...) ->
    'IGO', transnational armed groups with an IMG code -> 'IMG' (see :func:`_igo_codes`)."""
    if not _IGOS:
        _IGOS.update(_igo_codes())
    return [_IGOS.get(a, a[:3]) for a in (x or "").split("+") if a]


def _dyads(events, src_key="source", tgt_key="target"):
    """(source, target) pairs. A joint actor with no target ('A+B agreed') is the directed pairs A->B and B->A, as the
    coder writes it; an event whose source is unresolved (None) has no dyad."""
    out = []
    for e in events:
        srcs, tgts = _actor3(e.get(src_key)), _actor3(e.get(tgt_key))
        if not tgts and len(set(srcs)) > 1:
            out += [(a, b) for a in dict.fromkeys(srcs) for b in dict.fromkeys(srcs) if a != b]
            continue
        for s in srcs:
            for t in (tgts or ["-"]):
                out.append((s, t))
    return out


def _mentions(pred):
    """One entry per coded verb and code: the directed copies of a joint event count once for type scores."""
    seen, out = set(), []
    for e in pred:
        k = (tuple(e["verb_span"]), e["code"])
        if k not in seen:
            seen.add(k)
            out.append(e)
    return out


def split_of(rec: dict, i: int = 0) -> str:
    """'dev' or 'test': a fixed half of each gold set, decided by the sha256 of a key. Rules are tuned by looking at
    errors on 'dev' only; 'test' is what gets reported as held out. The key is the record's first gold CAMEO code
    when it has one, else its id (else its line number): the PLOVER gold records and the CAMEO codebook examples are
    largely the same sentences, and keying by code puts both copies of a sentence in the same half."""
    import hashlib

    codes = [e.get("code") for e in rec.get("events", []) if e.get("code_system") == "CAMEO" and e.get("code")]
    key = "code:" + str(codes[0]) if codes else str(rec.get("id", i))
    return "dev" if hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 0 else "test"


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
    from pactwatch.events.coder import code_docs
    from pactwatch.events.lexicon import code_info as _ci
    from pactwatch.events.pipeline import load_pipeline

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
                       or sorted(set(_dyads(pred))) != sorted(set(_dyads([e for e in gold if e.get("source")])))):
            err_list.append(_err(r, pred, doc, gold=[(e.get("source"), e.get("target"), e["code"]) for e in gold]))
        mp = _mentions(pred)
        for key, pv, gv in (
            ("root", [e["root"] for e in mp], [i.root if i else e["code"][:2] for e, i in ginfo]),
            ("code", [e["code"] for e in mp], [e["code"] for e in gold]),
            ("quad", [e["quad"] for e in mp], [i.quad for e, i in ginfo if i]),
        ):
            tp, fp, fn = _overlap(pv, gv)
            c = counts[key]
            c[0] += tp; c[1] += fp; c[2] += fn
            if key == "root":
                rec_root = (tp, fp, fn)
        gd = [e for e in gold if e.get("source")]
        if gd:
            tp, fp, fn = _overlap(_dyads(pred), _dyads(gd))
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
            per[c] = _prf(tp, fp, fn)
        out["five_class"] = {
            "macro_f1": round(sum(v["f1"] for v in per.values()) / len(classes), 4),
            "accuracy": round(sum(p == g for p, g in zip(p_cls, g_cls)) / max(1, len(g_cls)), 4),
            "coverage": round(sum(p != "none" for p in p_cls) / max(1, len(p_cls)), 4),
            "per_class": per, "records_scored": len(g_cls)}
        return out
    out.update({k: _prf(*v) for k, v in counts.items()})
    out["quad_accuracy_detected"] = round(quad_hit / quad_n_det, 4) if quad_n_det else None
    out["quad_accuracy_all"] = round(quad_hit / quad_n_all, 4) if quad_n_all else None
    out["records_with_gold_events"] = quad_n_all
    if bootstrap and per_rec:
        out["root"]["ci90"], out["quad_accuracy_detected_ci90"] = _bootstrap(per_rec, bootstrap, seed)
        out["bootstrap"] = {"resamples": bootstrap, "seed": seed, "unit": "gold record"}
    return out


def _bootstrap(per_rec, n: int, seed: int):
    """90% percentile intervals of micro root F1 and quad accuracy (detected) over ``n`` resamples of the records."""
    import numpy as np

    a = np.array([(tp, fp, fn, -1 if h is None else int(h)) for tp, fp, fn, h in per_rec], dtype=float)
    rng = np.random.default_rng(seed)
    f1s, accs = [], []
    for _ in range(n):
        b = a[rng.integers(0, len(a), len(a))]
        tp, fp, fn = b[:, 0].sum(), b[:, 1].sum(), b[:, 2].sum()
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
        q = b[b[:, 3] >= 0, 3]
        if len(q):
            accs.append(q.mean())
    def ci(x):
        return [round(float(np.percentile(x, q)), 4) for q in (5, 95)] if len(x) else None

    return ci(f1s), ci(accs)
