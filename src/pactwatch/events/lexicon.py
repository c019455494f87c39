"""CAMEO code table and the verb lexicon (verb lemma -> CAMEO code, refined by words around the verb).

Both are read at run time from the events reference directory (see :mod:`pactwatch.events.refs`); nothing derived
from them ships with pactwatch:
- ``cameo/cameo_codes.csv``: every CAMEO code with root, name, quad class (1 verbal coop, 2 material coop, 3 verbal
  conflict, 4 material conflict), penta class, Goldstein weights (GDELT and ICEWS versions) and the PLOVER event and
  mode of the CAMEO2PLOVER-2021 mapping (:func:`cameo_codes`).
- ``dictionaries/petrarch2/CAMEO.2.0.txt``: the PETRARCH-2 verb-pattern dictionary (openeventdata/petrarch2, MIT),
  parsed by :func:`parse_petrarch_verbs`. A block has verbs (each with an optional own code) and patterns
  ``pre * post -> code``; a pattern coded ``---`` means "this use is not an event" and makes the coder abstain.
Both are parsed on first use and cached under ``<home>/cache/events`` keyed by the files' sha256.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from pactwatch.errors import DataError, PactwatchError

RES = "pactwatch.events.resources"


def res_text(name: str) -> str:
    """A hand-written project resource (countries, IGOs, agents, people)."""
    return resources.files(RES).joinpath(name).read_text(encoding="utf-8")


# --------------------------------------------------------------------------- CAMEO code table
@dataclass(frozen=True)
class Code:
    code: str
    root: str
    name: str
    quad: int
    penta: int
    goldstein: float  # GDELT weight
    goldstein_icews: float | None
    plover_event: str
    plover_mode: str


CAMEO_COLUMNS = ("code", "root", "name", "quad_class", "penta_class", "goldstein_gdelt", "goldstein_icews",
                 "plover_event", "plover_mode")


def parse_cameo_csv(path: str | Path) -> list[dict]:
    """Rows of cameo_codes.csv as plain dicts. Raises DataError naming the file on a wrong layout or bad value."""
    p = Path(path)
    rows = []
    with open(p, encoding="utf-8", newline="") as fh:
        rd = csv.DictReader(fh)
        missing = [c for c in CAMEO_COLUMNS if c not in (rd.fieldnames or [])]
        if missing:
            raise DataError(f"{p}: not the CAMEO code table (missing columns {', '.join(missing)})")
        for n, r in enumerate(rd, 2):
            def num(x):
                return None if x in ("", None, "NA") else float(x)
            try:
                rows.append({"code": r["code"], "root": r["root"], "name": r["name"], "quad": int(r["quad_class"]),
                             "penta": int(r["penta_class"]), "goldstein": num(r["goldstein_gdelt"]),
                             "goldstein_icews": num(r["goldstein_icews"]), "plover_event": r["plover_event"] or "",
                             "plover_mode": r["plover_mode"] or ""})
            except ValueError as exc:
                raise DataError(f"{p} line {n}: bad value ({exc})") from None
    if not rows:
        raise DataError(f"{p}: no CAMEO codes")
    return rows


@lru_cache(maxsize=4)
def cameo_codes(events_dir: str | None = None) -> dict[str, Code]:
    """CAMEO code -> :class:`Code`, from ``cameo/cameo_codes.csv`` in the events directory (parsed once, cached).
    Goldstein: the GDELT weight, the ICEWS one where GDELT has none."""
    from pactwatch.events.refs import cached_parse, ref_path, ref_registry

    p = ref_path("cameo_codes", events_dir)
    rows = cached_parse(p, "cameo_codes", parse_cameo_csv, lambda x: x, lambda x: x,
                        expect_sha256=ref_registry()["cameo_codes"].sha256)
    out = {}
    for r in rows:
        g = r["goldstein"] if r["goldstein"] is not None else r["goldstein_icews"]
        out[r["code"]] = Code(r["code"], r["root"], r["name"], r["quad"], r["penta"], g, r["goldstein_icews"],
                              r["plover_event"], r["plover_mode"])
    return out


def code_info(code: str, table: dict[str, Code] | None = None) -> Code | None:
    """The table entry for a CAMEO code; 4-digit codes unknown to the table fall back to their 3-digit parent."""
    t = table if table is not None else cameo_codes()
    return t.get(code) or (t.get(code[:3]) if len(code) > 3 else None)


def root_of(code, table: dict[str, Code] | None = None) -> str:
    """The CAMEO root of a code: the table's, else its first two digits."""
    i = code_info(str(code), table)
    return i.root if i else str(code)[:2]


# --------------------------------------------------------------------------- verb lexicon
@dataclass
class Pattern:
    pre: list[list[str]]  # word slots before the verb, each a list of alternatives
    post: list[list[str]]
    code: str | None  # None = "not an event"
    text: str

    @property
    def size(self) -> int:
        return len(self.pre) + len(self.post)


@dataclass
class VerbEntry:
    lemma: str
    particle: str | None
    code: str | None
    block: str


class VerbLexicon:
    """Verb lemma (lower case) -> entries; block name -> patterns and default code."""

    def __init__(self, verbs: dict[str, list[VerbEntry]], blocks: dict[str, dict], source: str):
        self.verbs, self.blocks, self.source = verbs, blocks, source

    def __contains__(self, lemma: str) -> bool:
        return lemma in self.verbs

    def entries(self, lemma: str) -> list[VerbEntry]:
        return self.verbs.get(lemma, [])

    def to_json(self) -> dict:
        return {"source": self.source,
                "blocks": {b: {"code": v["code"], "patterns": [[p.pre, p.post, p.code, p.text] for p in v["patterns"]]}
                           for b, v in self.blocks.items()},
                "verbs": {k: [[e.particle, e.code, e.block] for e in es] for k, es in self.verbs.items()}}

    @classmethod
    def from_json(cls, d: dict) -> "VerbLexicon":
        blocks = {b: {"code": v["code"], "patterns": [Pattern(*p) for p in v["patterns"]]} for b, v in d["blocks"].items()}
        verbs = {k: [VerbEntry(k, *e) for e in es] for k, es in d["verbs"].items()}
        return cls(verbs, blocks, d["source"])


def _code(s: str) -> str | None:
    s = s.strip().strip("[]")
    if not s or s.startswith("---"):
        return None
    a, _, b = s.partition(":")
    c = a or b
    return c if re.fullmatch(r"\d{2,4}", c) else None


def parse_petrarch_verbs(path: str | Path) -> VerbLexicon:
    """Parse a PETRARCH/TABARI verb dictionary (CAMEO.2.0.txt layout). Raises PactwatchError on a file of another kind."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise PactwatchError(f"{p}: cannot read verb dictionary ({exc})") from None
    synsets: dict[str, list[str]] = {}
    verbs: dict[str, list[VerbEntry]] = {}
    blocks: dict[str, dict] = {}
    cur_set = None
    block = None
    for raw in lines:
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            cur_set = None
            continue
        if line.startswith("&"):
            cur_set = line.split()[0].rstrip("_")
            synsets[cur_set] = []
            continue
        if cur_set and line.startswith("+"):
            synsets[cur_set].append(line[1:].split()[0].strip("_").replace("_", " "))
            continue
        m = re.match(r"^---\s+(\S+)\s+\[([^\]]*)\]\s+---", line)
        if m:
            block = m[1]
            blocks[block] = {"code": _code(m[2]), "patterns": []}
            cur_set = None
            continue
        if block is None:
            continue
        if line.startswith("-"):
            m = re.match(r"^-\s*(.*?)\s*\[([^\]]*)\]\s*$", line)
            if not m or "*" not in m[1]:
                continue
            pre_s, _, post_s = m[1].partition("*")
            pat = Pattern(_slots(pre_s, synsets), _slots(post_s, synsets), _code(m[2]), m[1])
            if pat.size:
                blocks[block]["patterns"].append(pat)
            continue
        m = re.match(r"^\+?([A-Z][A-Z'\-]*(?:_[A-Z'\-]*)*)\s*(?:\{[^}]*\})?\s*(\[[^\]]*\])?", line.strip())
        if m:
            word = m[1].strip("_")
            parts = word.split("_")
            lemma = parts[0].lower()
            particle = " ".join(parts[1:]).lower() or None
            code = _code(m[2]) if m[2] else None
            verbs.setdefault(lemma, []).append(VerbEntry(lemma, particle, code, block))
    if not verbs or not blocks:
        raise PactwatchError(f"{p}: no verb blocks found: not a PETRARCH verb dictionary (CAMEO.2.0.txt layout)")
    return VerbLexicon(verbs, blocks, str(p))


def _slots(s: str, synsets: dict[str, list[str]]) -> list[list[str]]:
    out = []
    for tok in re.findall(r"&[A-Z_]+|[A-Z][A-Z'\-]*_?", s):
        if tok.startswith("&"):
            alts = synsets.get(tok.rstrip("_"), [])
            if alts:
                out.append(sorted({a.split()[0].lower() for a in alts}))
        else:
            out.append([tok.lower()])
    return out


@lru_cache(maxsize=8)
def verb_lexicon(path: str | None = None, events_dir: str | None = None) -> VerbLexicon:
    """The verb lexicon: a PETRARCH verb dictionary at ``path`` (or $PACTWATCH_VERB_DICT), else the registered
    ``CAMEO.2.0.txt`` in the events directory (size and sha256 checked). Parsed once per content, cached."""
    import os

    from pactwatch.events.refs import cached_parse, ref_path, ref_registry

    path = path or os.environ.get("PACTWATCH_VERB_DICT")
    if path:
        p, expect = Path(path), None
        if not p.is_file():
            raise PactwatchError(f"{p}: verb dictionary not found")
    else:
        p, expect = ref_path("petrarch_verbs", events_dir), ref_registry()["petrarch_verbs"].sha256
    return cached_parse(p, "petrarch_verbs", parse_petrarch_verbs, VerbLexicon.to_json, VerbLexicon.from_json,
                        expect_sha256=expect)


def word_ok(w: str, low: str, lem: str) -> bool:
    """PETRARCH word semantics on a lower-case form and lemma: a trailing '_' means exact; otherwise the word, its lemma,
    or (for patterns of 4+ letters) a prefix (stem) of either."""
    if w.endswith("_"):
        w = w[:-1]
        return low == w or lem == w
    if low == w or lem == w:
        return True
    return len(w) >= 4 and (low.startswith(w) or lem.startswith(w))
