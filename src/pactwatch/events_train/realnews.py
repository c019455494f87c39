"""The real-news labelled set (docs/labelling.md): label files keyed by (file, start, end), the article texts read at
run time, inter-annotator agreement (Cohen's kappa), adjudication, and the records in the gold-set shape.

The repository keeps only labels (offsets, types, codes, actors); the texts are third-party copyrighted and stay in
the articles directory (default ``$PACTWATCH_DATA_DIR/../articles/rus-prk-news``, or ``$PACTWATCH_NEWS_ARTICLES``),
which holds ``articles/<file>.txt``. A label names its sentence by character offsets into the file read as UTF-8;
:func:`load_records` checks that every span still exists and, when the label directory has a ``spans.jsonl`` of
span checksums (sha256 of the span text, no text), that the span text is unchanged.

Adjudication rule (:func:`adjudicate`): every sentence is labelled by one annotator, except those of the
double-labelled articles, labelled by a and b. A sentence on which a and b agree (same ``type`` and the same set of
(source, target, code)) keeps that label. Where they disagree the final label is the one in
``adjudicated.jsonl`` (hand adjudication by a third reading, same record format) when that file has the sentence,
else annotator a's label (:data:`DEFAULT_WINNER`); the disagreements are written as (file, start, end) keys to
``disagreements.jsonl`` so that they can be adjudicated by hand later.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path

from pactwatch.errors import PactwatchError

SET_NAME = "rus-prk-news"
TYPES = ("event", "opinion", "background", "other")
SPLITS = ("train", "dev", "test")
DEFAULT_WINNER = "a"
FINAL_FILE = "labels.jsonl"
SPANS_FILE = "spans.jsonl"
DISAGREE_FILE = "disagreements.jsonl"
ADJUDICATED_FILE = "adjudicated.jsonl"
TEST_LOOKS = "test_looks.json"


# -- where things are --------------------------------------------------------------------------------------------
def articles_dir(path=None) -> Path:
    """The articles directory: ``path``, else ``$PACTWATCH_NEWS_ARTICLES``, else
    ``$PACTWATCH_DATA_DIR/../articles/rus-prk-news``. Raises when it has no ``articles/`` folder."""
    if path is None:
        path = os.environ.get("PACTWATCH_NEWS_ARTICLES")
    if path is None:
        dd = os.environ.get("PACTWATCH_DATA_DIR")
        if not dd:
            raise PactwatchError("no articles directory given and $PACTWATCH_DATA_DIR is not set (expected "
                                 "$PACTWATCH_DATA_DIR/../articles/rus-prk-news)")
        path = Path(dd).parent / "articles" / SET_NAME
    p = Path(path)
    if not (p / "articles").is_dir():
        raise PactwatchError(f"{p}: not a real-news articles directory (no 'articles/' folder with the .txt files)")
    return p


def labels_dir(path=None) -> Path:
    """The label directory: ``path``, else ``$PACTWATCH_LABELS_DIR``, else ``labels/rus-prk-news`` of the source tree."""
    if path is None:
        path = os.environ.get("PACTWATCH_LABELS_DIR") or Path(__file__).resolve().parents[3] / "labels" / SET_NAME
    return Path(path)


# -- reading labels -----------------------------------------------------------------------------------------------
def key_of(r: dict) -> tuple[str, int, int]:
    return (r["file"], int(r["start"]), int(r["end"]))


def read_labels(path) -> list[dict]:
    """Label records of one JSON Lines file (docs/labelling.md), checked: file/start/end, a known type and split,
    events with source/target/code only under type 'event', no sentence twice, no text field. Raises
    PactwatchError naming the file and line of the first problem."""
    p = Path(path)
    if not p.is_file():
        raise PactwatchError(f"{p}: label file not found")
    out, seen = [], set()
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{p} line {n}"
        try:
            r = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PactwatchError(f"{where}: not JSON ({exc.msg})") from None
        for k in ("file", "start", "end", "type"):
            if k not in r:
                raise PactwatchError(f"{where}: a label needs {k!r}")
        if "text" in r:
            raise PactwatchError(f"{where}: labels must not carry the text (copyrighted); keep offsets only")
        if not isinstance(r["start"], int) or not isinstance(r["end"], int) or not 0 <= r["start"] < r["end"]:
            raise PactwatchError(f"{where}: start/end must be integers with 0 <= start < end "
                                 f"(got {r['start']!r}, {r['end']!r})")
        if r["type"] not in TYPES:
            raise PactwatchError(f"{where}: type {r['type']!r} is not one of {', '.join(TYPES)}")
        if r.get("split") is not None and r["split"] not in SPLITS:
            raise PactwatchError(f"{where}: split {r['split']!r} is not one of {', '.join(SPLITS)}")
        evs = r.get("events") or []
        if evs and r["type"] != "event":
            raise PactwatchError(f"{where}: events given on a sentence of type {r['type']!r}")
        for e in evs:
            c = str(e.get("code", ""))
            if not (c.isdigit() and len(c) in (2, 3, 4)):
                raise PactwatchError(f"{where}: event code {c!r} is not a CAMEO code")
        k = key_of(r)
        if k in seen:
            raise PactwatchError(f"{where}: sentence {k[0]} [{k[1]}:{k[2]}] labelled twice in this file")
        seen.add(k)
        out.append(r)
    return out


def triples(r: dict) -> set[tuple[str, str, str]]:
    """The (source, target, code) set of one label."""
    return {(e.get("source") or "", e.get("target") or "", str(e["code"])) for e in r.get("events") or []}


def roots_label(r: dict) -> str:
    """The sentence's root label for kappa: its distinct CAMEO roots sorted and joined ('04|05'), 'none' without
    events."""
    rs = sorted({str(e["code"])[:2] for e in r.get("events") or []})
    return "|".join(rs) if rs else "none"


# -- agreement ------------------------------------------------------------------------------------------------------
def kappa(a: list[dict], b: list[dict]) -> dict:
    """Cohen's kappa (scikit-learn ``cohen_kappa_score``) between two annotators on the sentences both labelled:
    ``type`` (4 classes), ``has_event`` (type event with >= 1 event), ``root`` (the sentence's root set as one label,
    :func:`roots_label`) and ``triple`` (the sentence's set of (source, target, root) as one label, 'none' without
    events); plus ``triple_positive_agreement``, the F1 of one annotator's triples against the other's. Also the raw
    agreement of each and the counts."""
    from sklearn.metrics import cohen_kappa_score

    ia, ib = {key_of(r): r for r in a}, {key_of(r): r for r in b}
    keys = sorted(set(ia) & set(ib))
    if not keys:
        raise PactwatchError("kappa: the two label sets share no sentence")

    def k(xa, xb):
        # all labels equal and one class: kappa is undefined (0/0); agreement is then perfect
        if len(set(xa) | set(xb)) == 1:
            return {"kappa": 1.0, "agreement": 1.0, "n": len(xa), "note": "one class only"}
        return {"kappa": round(float(cohen_kappa_score(xa, xb)), 4),
                "agreement": round(sum(x == y for x, y in zip(xa, xb)) / len(xa), 4), "n": len(xa)}

    out = {"sentences": len(keys)}
    out["type"] = k([ia[x]["type"] for x in keys], [ib[x]["type"] for x in keys])
    he = lambda r: r["type"] == "event" and bool(r.get("events"))  # noqa: E731
    out["has_event"] = k([he(ia[x]) for x in keys], [he(ib[x]) for x in keys])
    out["root"] = k([roots_label(ia[x]) for x in keys], [roots_label(ib[x]) for x in keys])
    tl = lambda r: "|".join(sorted(f"{s_}>{t_}:{c_[:2]}" for s_, t_, c_ in triples(r))) or "none"  # noqa: E731
    out["triple"] = k([tl(ia[x]) for x in keys], [tl(ib[x]) for x in keys])
    # triple-level positive agreement (F1 of b's triples against a's): kappa is undefined per triple, since a
    # triple neither annotator gave is no item
    both = na = nb = 0
    for x in keys:
        sa = {(s_, t_, c_[:2]) for s_, t_, c_ in triples(ia[x])}
        sb = {(s_, t_, c_[:2]) for s_, t_, c_ in triples(ib[x])}
        both += len(sa & sb)
        na += len(sa)
        nb += len(sb)
    out["triple_positive_agreement"] = {"f1": round(2 * both / (na + nb), 4) if na + nb else None,
                                        "a_triples": na, "b_triples": nb, "shared": both}
    return out


# -- adjudication ---------------------------------------------------------------------------------------------------
def disagree(x: dict, y: dict) -> bool:
    return x["type"] != y["type"] or triples(x) != triples(y)


def adjudicate(by_annotator: dict[str, list[dict]], adjudicated: list[dict] | None = None,
               winner: str = DEFAULT_WINNER) -> tuple[list[dict], list[tuple]]:
    """-> (final labels, disagreement keys). See the module docstring for the rule. ``by_annotator``: annotator ->
    its labels; a sentence labelled by two annotators other than through the a/b overlap is an error."""
    adj = {key_of(r): r for r in adjudicated or []}
    seen: dict[tuple, dict[str, dict]] = {}
    for ann, recs in sorted(by_annotator.items()):
        for r in recs:
            seen.setdefault(key_of(r), {})[ann] = r
    final, dis = [], []
    for k in sorted(seen):
        got = seen[k]
        if len(got) == 1:
            (ann, r), = got.items()
            final.append({**r, "annotator": r.get("annotator", ann)})
            continue
        if set(got) != {"a", "b"} and winner not in got:
            raise PactwatchError(f"{k[0]} [{k[1]}:{k[2]}] labelled by {', '.join(sorted(got))}: only a and b overlap")
        if any(disagree(got[winner], r) for r in got.values()):
            dis.append(k)
            if k in adj:
                final.append({**adj[k], "annotator": "adjudicated"})
                continue
        final.append({**got[winner], "annotator": winner})
    return final, dis


def span_checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def build_final(ann_files: dict[str, Path], out_dir, arts=None) -> dict:
    """Write the final label file, the disagreement keys and the span checksums into ``out_dir`` from the annotator
    files (the a/b kappa into ``agreement.json``); every span is checked against the texts first. Returns a summary."""
    out_dir = Path(out_dir)
    by = {a: read_labels(p) for a, p in ann_files.items()}
    adj_p = out_dir / ADJUDICATED_FILE
    final, dis = adjudicate(by, read_labels(adj_p) if adj_p.is_file() else None)
    texts = _texts(final, articles_dir(arts))
    for r in final:
        _check_span(r, texts)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_jsonl(out_dir / FINAL_FILE, [{k: v for k, v in r.items() if k != "text"} for r in final])
    _write_jsonl(out_dir / DISAGREE_FILE, [{"file": f, "start": s, "end": e} for f, s, e in dis])
    _write_jsonl(out_dir / SPANS_FILE, [{"file": r["file"], "start": r["start"], "end": r["end"],
                                         "sha256_16": span_checksum(texts[r["file"]][r["start"]:r["end"]])}
                                        for r in final])
    summary = {"sentences": len(final), "disagreements": len(dis),
               "by_annotator": {a: len(v) for a, v in by.items()},
               "types": {t: sum(r["type"] == t for r in final) for t in TYPES},
               "splits": {s: sum(r.get("split") == s for r in final) for s in SPLITS}}
    if "a" in by and "b" in by:
        summary["kappa_ab"] = kappa(by["a"], by["b"])
        (out_dir / "agreement.json").write_text(json.dumps(summary["kappa_ab"], indent=1) + "\n", encoding="utf-8")
    return summary


def _write_jsonl(path: Path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


# -- records ---------------------------------------------------------------------------------------------------------
def _texts(labels, arts: Path) -> dict[str, str]:
    out = {}
    for f in sorted({r["file"] for r in labels}):
        p = arts / "articles" / f
        if not p.is_file():
            raise PactwatchError(f"{p}: article of labelled sentences not found in {arts}")
        out[f] = p.read_text(encoding="utf-8")
    return out


def _check_span(r, texts, sums=None) -> str:
    f, s, e = key_of(r)
    t = texts[f]
    if e > len(t):
        raise PactwatchError(f"{f} [{s}:{e}]: span beyond the end of the article ({len(t)} characters); the text "
                             "changed since it was labelled")
    span = t[s:e]
    if not span.strip():
        raise PactwatchError(f"{f} [{s}:{e}]: the span is blank in the article; the text changed since it was "
                             "labelled")
    if sums is not None and (f, s, e) in sums and sums[(f, s, e)] != span_checksum(span):
        raise PactwatchError(f"{f} [{s}:{e}]: the span text differs from the labelled one (checksum in "
                             f"{SPANS_FILE}); the text changed since it was labelled")
    return span


def file_date(name: str) -> str | None:
    """The article date from a file name starting YYYY-MM-DD, else None."""
    try:
        return dt.date.fromisoformat(name[:10]).isoformat()
    except ValueError:
        return None


def load_records(labels=None, arts=None, split: str | None = None, ldir=None) -> list[dict]:
    """Gold-shaped records (``set, id, file, start, end, text, date, events [{source, target, code,
    code_system, trigger}], noevents, type, split, annotator``) of the final labels (``labels``: a path or label
    dicts; default ``<labels dir>/labels.jsonl``), texts read from ``arts`` (see :func:`articles_dir`). ``split``:
    only that part. Raises PactwatchError naming the file and offsets when a span is not in the text."""
    ld = labels_dir(ldir)
    if labels is None:
        labels = ld / FINAL_FILE
    recs = read_labels(labels) if isinstance(labels, (str, Path)) else list(labels)
    sums = {}
    sp = ld / SPANS_FILE
    if isinstance(labels, (str, Path)) and Path(labels).parent == ld and sp.is_file():
        sums = {key_of(r): r["sha256_16"] for r in map(json.loads, sp.read_text(encoding="utf-8").splitlines())
                if r}
    if split is not None:
        if split not in SPLITS:
            raise PactwatchError(f"split {split!r}: use train, dev or test")
        recs = [r for r in recs if r.get("split") == split]
    texts = _texts(recs, articles_dir(arts))
    out = []
    for r in recs:
        span = _check_span(r, texts, sums)
        evs = [{"source": e.get("source") or "", "target": e.get("target") or "", "code": str(e["code"]),
                "code_system": "CAMEO", **({"trigger": e["trigger"]} if e.get("trigger") else {})}
               for e in (r.get("events") or [])] if r["type"] == "event" else []
        out.append({"set": SET_NAME, "id": f"{r['file']}:{r['start']}-{r['end']}", "file": r["file"],
                    "start": r["start"], "end": r["end"], "text": span, "date": file_date(r["file"]),
                    "events": evs, "noevents": not evs, "type": r["type"], "split": r.get("split"),
                    "annotator": r.get("annotator")})
    return out


def article_texts(records, arts=None) -> dict[str, str]:
    """file -> full text of the articles the records come from."""
    return _texts(records, articles_dir(arts))


# -- test scoring counter ---------------------------------------------------------------------------------------------
def count_test_look(ldir=None, what: str = "") -> int:
    """Add one to the count of test-split scorings (``test_looks.json`` in the label directory); returns the new count."""
    p = labels_dir(ldir) / TEST_LOOKS
    obj = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else {"count": 0, "looks": []}
    obj["count"] = int(obj.get("count", 0)) + 1
    obj.setdefault("looks", []).append({"when": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                                        "what": what})
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(obj, indent=1) + "\n", encoding="utf-8")
    return obj["count"]
