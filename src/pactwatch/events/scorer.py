"""Scorers for the event coder, apart from the components (spaCy's style): gold sets, their dev/test halves, and the
measures :func:`pactwatch.events.evaluate.evaluate` reports (see its module for the definitions).

Gold JSON Lines schema: {set, id, text, date, events: [{source, target, code, code_system}], noevents}.
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


def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def overlap(pred: list, gold: list):
    c = Counter(pred) & Counter(gold)
    tp = sum(c.values())
    return tp, len(pred) - tp, len(gold) - tp


def _igo_codes() -> dict[str, str]:
    """pactwatch organisation code -> the three-letter head of its CAMEO code: 'IGO' for IGOs and NGOs (CAMEO writes
    IGOUNO, IGOWSTNAT ...; the gold sets write NGOs as IGO too), 'IMG' for transnational armed groups with a CAMEO
    IMG code (al-Qaeda IMGMOSALQ). Armed groups coded as a country (Hezbollah = LBN, sector REB) are not in the map:
    their code already is the country, and mapping it would turn every plain LBN, PSE, AFG ... into 'IGO'."""
    import yaml

    from pactwatch.events.lexicon import res_text

    out = {}
    for g in yaml.safe_load(res_text("igos.yaml")):
        cameo = g.get("cameo") or ""
        if cameo.startswith("IMG"):
            out[g["code"]] = "IMG"
        elif g.get("sector", "IGO") == "IGO" or cameo[:3] in ("IGO", "NGO"):
            out[g["code"]] = "IGO"
    # the NGEC country table (plover/countries.csv) has the United Nations as a pseudo-country 'UNO' (the tail of
    # CAMEO's IGOUNO), and the actor table resolves "UN"/"United Nations" to it: a three-letter IGO tail is the IGO
    for g in yaml.safe_load(res_text("igos.yaml")):
        cameo = g.get("cameo") or ""
        if len(cameo) == 6 and cameo.startswith("IGO"):
            out.setdefault(cameo[3:], "IGO")
    return out


_IGOS: dict[str, str] = {}


def actor3(x: str | None) -> list[str]:
    """Country part of actor codes: first three letters of CAMEO codes; pactwatch IGO/NGO codes (NATO, UN ...) and
    the NGEC table's pseudo-country UNO -> 'IGO', transnational armed groups with an IMG code -> 'IMG' (see
    :func:`_igo_codes`)."""
    if not _IGOS:
        _IGOS.update(_igo_codes())
    return [_IGOS.get(a, a[:3]) for a in (x or "").split("+") if a]


def dyads(events, src_key="source", tgt_key="target"):
    """(source, target) pairs. A joint actor with no target ('A+B agreed') is the directed pairs A->B and B->A, as the
    coder writes it; an event whose source is unresolved (None) has no dyad."""
    out = []
    for e in events:
        srcs, tgts = actor3(e.get(src_key)), actor3(e.get(tgt_key))
        if not tgts and len(set(srcs)) > 1:
            out += [(a, b) for a in dict.fromkeys(srcs) for b in dict.fromkeys(srcs) if a != b]
            continue
        for s in srcs:
            for t in (tgts or ["-"]):
                out.append((s, t))
    return out


def mentions(pred):
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


def bootstrap_ci(per_rec, n: int, seed: int):
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
