"""CAMEO code table and the verb lexicon (verb lemma -> CAMEO code, refined by words around the verb).

Both ship with pactwatch as YAML derived from public sources (attribution in each file's header):
- ``resources/cameo.yaml``: every CAMEO code with root, name, quad class (1 verbal coop, 2 material coop, 3 verbal
  conflict, 4 material conflict), penta class, Goldstein weights (GDELT and ICEWS versions) and the PLOVER event and
  mode of the CAMEO2PLOVER-2021 mapping. Built from ``events/cameo/cameo_codes.csv`` by :func:`build_cameo_yaml`.
- ``resources/verbs.yaml``: verb blocks parsed from the PETRARCH-2 ``CAMEO.2.0.txt`` verb-pattern dictionary
  (openeventdata/petrarch2, MIT) by :func:`parse_petrarch_verbs`. A block has verbs (each with an optional own code) and
  patterns ``pre * post -> code``; a pattern coded ``---`` means "this use is not an event" and makes the coder abstain.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import yaml

from pactwatch.errors import PactwatchError

RES = "pactwatch.events.resources"


def _res_text(name: str) -> str:
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


def build_cameo_yaml(csv_path: str | Path, out: str | Path) -> int:
    """Derive resources/cameo.yaml from cameo_codes.csv (development step; the YAML ships with the package)."""
    rows = []
    with open(csv_path, encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            def num(x):
                return None if x in ("", None) else float(x)
            rows.append({"code": r["code"], "root": r["root"], "name": r["name"], "quad": int(r["quad_class"]),
                         "penta": int(r["penta_class"]), "goldstein": num(r["goldstein_gdelt"]),
                         "goldstein_icews": num(r["goldstein_icews"]), "plover_event": r["plover_event"] or "",
                         "plover_mode": r["plover_mode"] or ""})
    hdr = ("# CAMEO event codes: root, name, quad class, penta class, Goldstein weights (GDELT lookup; ICEWS version where\n"
           "# it differs), PLOVER event/mode (openeventdata/PLOVER CAMEO2PLOVER-2021, CC BY-SA 4.0). Derived from the\n"
           "# CAMEO codebook (Schrodt et al., CC BY-NC-SA 3.0) via events/cameo/cameo_codes.csv; see docs.\n")
    Path(out).write_text(hdr + yaml.safe_dump(rows, sort_keys=False, allow_unicode=True, width=200), encoding="utf-8")
    return len(rows)


@lru_cache(maxsize=1)
def cameo_codes() -> dict[str, Code]:
    out = {}
    for r in yaml.safe_load(_res_text("cameo.yaml")):
        g = r["goldstein"] if r["goldstein"] is not None else r["goldstein_icews"]
        out[r["code"]] = Code(r["code"], r["root"], r["name"], r["quad"], r["penta"], g, r["goldstein_icews"],
                              r["plover_event"], r["plover_mode"])
    return out


def code_info(code: str) -> Code | None:
    """The table entry for a CAMEO code; 4-digit codes unknown to the table fall back to their 3-digit parent."""
    t = cameo_codes()
    return t.get(code) or (t.get(code[:3]) if len(code) > 3 else None)


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

    def to_yaml(self) -> str:
        data = {"blocks": {b: {"code": v["code"], "patterns": [{"pre": p.pre, "post": p.post, "code": p.code}
                                                               for p in v["patterns"]]}
                           for b, v in self.blocks.items()},
                "verbs": {k: [{"particle": e.particle, "code": e.code, "block": e.block} for e in es]
                          for k, es in self.verbs.items()}}
        hdr = ("# Verb lexicon derived from openeventdata/petrarch2 CAMEO.2.0.txt (MIT licence, (c) Philip Schrodt and\n"
               "# contributors) by pactwatch.events.lexicon.parse_petrarch_verbs: blocks of verbs with their CAMEO codes and\n"
               "# word patterns around the verb. Pattern code null = not an event (abstain).\n")
        return hdr + yaml.safe_dump(data, sort_keys=True, allow_unicode=True, width=200)

    @classmethod
    def from_yaml(cls, text: str, source: str = "verbs.yaml") -> "VerbLexicon":
        d = yaml.safe_load(text)
        blocks = {b: {"code": v["code"], "patterns": [Pattern(p["pre"], p["post"], p["code"], "") for p in v["patterns"]]}
                  for b, v in d["blocks"].items()}
        verbs = {k: [VerbEntry(k, e["particle"], e["code"], e["block"]) for e in es] for k, es in d["verbs"].items()}
        return cls(verbs, blocks, source)


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


@lru_cache(maxsize=4)
def verb_lexicon(path: str | None = None) -> VerbLexicon:
    """The shipped lexicon, or a PETRARCH verb dictionary at ``path`` (or $PACTWATCH_VERB_DICT)."""
    import os

    path = path or os.environ.get("PACTWATCH_VERB_DICT")
    if path:
        return parse_petrarch_verbs(path)
    return VerbLexicon.from_yaml(_res_text("verbs.yaml"))


def word_matches(w: str, tok) -> bool:
    """PETRARCH word semantics: a trailing '_' means exact; otherwise a prefix (stem) of the word or its lemma."""
    low, lem = tok.lower_, tok.lemma_.lower()
    if w.endswith("_"):
        w = w[:-1]
        return low == w or lem == w
    if low == w or lem == w:
        return True
    return len(w) >= 4 and (low.startswith(w) or lem.startswith(w))


if __name__ == "__main__":  # development: regenerate the shipped YAML from the reference files
    import sys

    ev = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/events")
    here = Path(__file__).parent / "resources"
    print("codes", build_cameo_yaml(ev / "cameo/cameo_codes.csv", here / "cameo.yaml"))
    lex = parse_petrarch_verbs(ev / "dictionaries/petrarch2/CAMEO.2.0.txt")
    (here / "verbs.yaml").write_text(lex.to_yaml(), encoding="utf-8")
    print("verbs", len(lex.verbs), "blocks", len(lex.blocks), "patterns", sum(len(b["patterns"]) for b in lex.blocks.values()))
