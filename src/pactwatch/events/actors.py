"""Actor tables: countries (names, demonyms, capitals as metonyms), international organisations, a dated people table,
sector (agent) words, and optionally Phoenix actor dictionaries as an extra source.

An actor resolves to a dict ``{"code": ISO3 or IGO code, "sector": CAMEO agent code or "", "kind": ..., "name": ...}``.
People resolve only on dates inside one of their roles (``start <= date < end``); a date outside every role -> None.
"""
from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import yaml

from pactwatch.events.lexicon import _res_text
from pactwatch.errors import PactwatchError

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _date(x) -> dt.date | None:
    if x in (None, ""):
        return None
    if isinstance(x, dt.date):
        return x
    return dt.date.fromisoformat(str(x)[:10])


class ActorTable:
    """Surface form -> candidate actors. ``phrases`` maps exact strings to a list of entries (people may be dated)."""

    def __init__(self):
        self.phrases: dict[str, list[dict]] = {}
        self.agents: dict[str, str] = {}

    def add(self, text: str, entry: dict) -> None:
        text = text.strip()
        if text:
            self.phrases.setdefault(text, []).append(entry)

    def resolve(self, text: str, date: dt.date | None) -> dict | None:
        cands = self.phrases.get(text)
        if not cands:
            return None
        date = date or dt.date.today()
        for c in cands:
            if c["kind"] != "person":
                return c
            if (c["start"] is None or c["start"] <= date) and (c["end"] is None or date < c["end"]):
                return c
        return None


def load_people(path: str | Path | None = None) -> list[dict]:
    """The people table (shipped resources/people.yaml, or a user file of the same layout)."""
    text = Path(path).read_text(encoding="utf-8") if path else _res_text("people.yaml")
    try:
        data = yaml.load(text, Loader=_Loader)
        out = []
        for p in data:
            for r in p["roles"]:
                out.append({"name": p["name"], "aliases": p.get("aliases") or [], "code": r["actor"],
                            "sector": r.get("sector") or "", "role": r.get("role", ""), "start": _date(r.get("start")),
                            "end": _date(r.get("end"))})
        return out
    except (KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        raise PactwatchError(f"{path or 'people.yaml'}: bad people table ({exc}); each person needs name and roles "
                             "with actor, start, end") from None


def short_name(name: str) -> str:
    """The form a person is called by after first mention: 'Kim' for 'Kim Jong-un', 'Putin' for 'Vladimir Putin'."""
    parts = name.split()
    if len(parts) >= 2 and "-" in parts[-1] and len(parts) == 2:
        return parts[0]  # Korean order: family name first (Yoon Suk-yeol)
    if len(parts) == 3 and "-" not in name and parts[0] in ("Kim", "Lee", "Park", "Moon", "Choe", "Xi", "Wang"):
        return parts[0]
    return parts[-1]


@lru_cache(maxsize=8)
def build_table(people_path: str | None = None, phoenix: tuple[str, ...] = ()) -> ActorTable:
    t = ActorTable()
    for c in yaml.load(_res_text("countries.yaml"), Loader=_Loader):
        for n in c["names"]:
            t.add(n, {"code": c["iso3"], "sector": "", "kind": "country", "name": c["name"]})
        for n in c["demonyms"]:
            t.add(n, {"code": c["iso3"], "sector": "", "kind": "demonym", "name": c["name"]})
        for n in c["capitals"]:
            t.add(n, {"code": c["iso3"], "sector": "GOV", "kind": "capital", "name": c["name"]})
    for g in yaml.load(_res_text("igos.yaml"), Loader=_Loader):
        for n in g["names"]:
            t.add(n, {"code": g["code"], "sector": "IGO", "kind": "igo", "name": g["names"][0]})
    for p in load_people(people_path):
        e = {"code": p["code"], "sector": p["sector"], "kind": "person", "name": p["name"], "role": p["role"],
             "start": p["start"], "end": p["end"]}
        for n in [p["name"], *p["aliases"]]:
            t.add(n, e)
        t.add("@short:" + short_name(p["name"]), e)
    for kind, words in yaml.load(_res_text("agents.yaml"), Loader=_Loader).items():
        for w in words:
            t.agents.setdefault(w.lower(), kind)
    for path in phoenix:
        _add_phoenix(t, path)
    return t


def _add_phoenix(t: ActorTable, path: str) -> None:
    """Add a Phoenix/PETRARCH actor dictionary (entries 'NAME_WORDS  [CODE >start <end]' and '+ALIAS' lines)."""
    p = Path(path)
    if not p.is_file():
        raise PactwatchError(f"{p}: Phoenix actor dictionary not found")
    names: list[str] = []
    n_added = 0
    for raw in p.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip() or line.startswith("<"):
            continue
        if line.lstrip().startswith("+"):
            names.append(line.strip()[1:].split("[")[0].strip())
            continue
        if line.strip().startswith("["):
            codes = re.findall(r"\[([^\]]+)\]", line)
        else:
            m = re.match(r"^(\S[^\[]*?)\s*(\[.*)?$", line)
            if not m:
                continue
            names = [m[1].strip()]
            codes = re.findall(r"\[([^\]]+)\]", m[2] or "")
        for c in codes:
            parts = c.split()
            code = parts[0].lstrip("~")
            start = end = None
            for q in parts[1:]:
                if q.startswith(">"):
                    start = _phx_date(q[1:])
                elif q.startswith("<"):
                    end = _phx_date(q[1:])
            for n in names:
                txt = n.replace("_", " ").strip().title()
                if len(txt) < 3:
                    continue
                t.add(txt, {"code": code[:3], "sector": code[3:6], "kind": "person" if (start or end) else "phoenix",
                            "name": txt, "start": start, "end": end, "role": "Phoenix " + code})
                n_added += 1
    if not n_added:
        raise PactwatchError(f"{p}: no actor entries read: not a Phoenix/PETRARCH actor dictionary")


def _phx_date(s: str) -> dt.date | None:
    s = s.strip()
    try:
        if len(s) == 6:
            y = int(s[:2])
            return dt.date(1900 + y if y > 40 else 2000 + y, int(s[2:4]), int(s[4:6]))
        if len(s) == 8:
            return dt.date(int(s[:4]), int(s[4:6]), int(s[6:8]))
    except ValueError:
        return None
    return None
