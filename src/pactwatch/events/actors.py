"""Actor tables: countries (names, demonyms, capitals as metonyms), international organisations, a dated people table,
sector (agent) words, and optionally Phoenix actor dictionaries as an extra source.

Countries come from two parts (:func:`country_table`): NGEC's ``plover/countries.csv`` read at run time from the events
reference directory (see :mod:`pactwatch.events.refs`; never shipped), and pactwatch's own hand-written additions in
``resources/country_extras.yaml`` (capitals and seats of government used as metonyms, aliases and short forms the NGEC
table lacks, and states it has no row for).

An actor resolves to a dict ``{"code": ISO3 or IGO code, "sector": CAMEO agent code or "", "kind": ..., "name": ...}``.
People resolve only on dates inside one of their roles (``start <= date < end``); a date outside every role -> None.
With no date at all (none given, none in the file name or text), a person resolves only when every role listed for the
name points to the same actor code, which holds whatever the date; today's date is never assumed.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from functools import lru_cache
from pathlib import Path

import yaml

from pactwatch.events.lexicon import res_text
from pactwatch.errors import DataError, PactwatchError

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
        """The actor ``text`` names on ``date``. A person: the role whose dates hold ``date``; with ``date`` None
        (the article date is unknown), the person's entry only when all roles for the name are one actor code
        (sector kept only when they agree), else None: never today's date."""
        cands = self.phrases.get(text)
        if not cands:
            return None
        if date is None:
            people = [c for c in cands if c["kind"] == "person"]
            same = len({c["code"] for c in people}) == 1
            for c in cands:
                if c["kind"] != "person":
                    return c
                if same:
                    return c if len({p["sector"] for p in people}) == 1 else {**c, "sector": ""}
            return None
        for c in cands:
            if c["kind"] != "person":
                return c
            if (c["start"] is None or c["start"] <= date) and (c["end"] is None or date < c["end"]):
                return c
        return None


def load_people(path: str | Path | None = None) -> list[dict]:
    """The people table (shipped resources/people.yaml, or a user file of the same layout)."""
    text = Path(path).read_text(encoding="utf-8") if path else res_text("people.yaml")
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


NGEC_COLUMNS = ("Name", "CCA3", "Nationality")


def parse_ngec_countries(path: str | Path) -> list[dict]:
    """Rows of NGEC's countries.csv (columns CCA2, Name, CCA3, Nationality; Nationality is a comma-separated list of
    demonyms and other forms) as ``{"iso3", "name", "forms"}`` in file order. Raises DataError naming the file and line
    on a wrong layout or an empty field."""
    p = Path(path)
    rows = []
    try:
        with open(p, encoding="utf-8", newline="") as fh:
            rd = csv.DictReader(fh)
            missing = [c for c in NGEC_COLUMNS if c not in (rd.fieldnames or [])]
            if missing:
                raise DataError(f"{p}: not the NGEC country table (missing columns {', '.join(missing)}; "
                                f"expected CCA2, Name, CCA3, Nationality)")
            for n, r in enumerate(rd, 2):
                iso3, name = (r.get("CCA3") or "").strip(), (r.get("Name") or "").strip()
                if not iso3 or not name:
                    raise DataError(f"{p} line {n}: empty CCA3 or Name")
                forms = [x.strip() for x in (r.get("Nationality") or "").split(",") if x.strip()]
                rows.append({"iso3": iso3, "name": name, "forms": forms})
    except UnicodeDecodeError as exc:
        raise DataError(f"{p}: not UTF-8 text ({exc.reason})") from None
    if not rows:
        raise DataError(f"{p}: no countries")
    return rows


@lru_cache(maxsize=4)
def ngec_countries(events_dir: str | None = None) -> tuple[dict, ...]:
    """NGEC's country rows from ``plover/countries.csv`` in the events directory (checked against the registry,
    parsed on first use and cached under <home>/cache/events by the file's sha256)."""
    from pactwatch.events.refs import cached_parse, ref_path, ref_registry

    p = ref_path("ngec_countries", events_dir)
    rows = cached_parse(p, "ngec_countries", parse_ngec_countries, lambda x: x, lambda x: x,
                        expect_sha256=ref_registry()["ngec_countries"].sha256)
    return tuple(rows)


def country_extras() -> dict:
    """pactwatch's hand-written additions (resources/country_extras.yaml): ``{"additions": {ISO3: {"names": [...],
    "capitals": [...], "as_names": [...]}}, "countries_not_in_table": [{"iso3", "name", "names", "demonyms",
    "capitals"}]}``. ``as_names``: NGEC Nationality forms taken as names of the state (kind country), not demonyms."""
    data = yaml.load(res_text("country_extras.yaml"), Loader=_Loader) or {}
    return {"additions": data.get("additions") or {}, "countries_not_in_table": data.get("countries_not_in_table") or []}


@lru_cache(maxsize=4)
def _country_table(events_dir: str | None) -> tuple[dict, ...]:
    extras = country_extras()
    add = extras["additions"]
    rows = ngec_countries(events_dir)
    known = {r["iso3"] for r in rows}
    unknown = sorted(set(add) - known)
    if unknown:
        raise PactwatchError(f"country_extras.yaml: additions for ISO3 codes the NGEC country table does not have "
                             f"({', '.join(unknown)}); put whole states under countries_not_in_table")
    out, done = [], set()
    for r in rows:
        a = add.get(r["iso3"], {}) if r["iso3"] not in done else {}  # additions go to a code's first row only
        done.add(r["iso3"])
        as_names = list(a.get("as_names") or [])
        stray = [x for x in as_names if x not in r["forms"]]
        if stray:
            raise PactwatchError(f"country_extras.yaml: {r['iso3']} as_names {stray} are not in the NGEC table's "
                                 f"Nationality forms for {r['name']}; new aliases go under names")
        names = list(dict.fromkeys([r["name"], *[x for x in r["forms"] if x in as_names], *(a.get("names") or [])]))
        demonyms = sorted(set(r["forms"]) - set(names)) + [d for d in a.get("demonyms") or [] if d not in r["forms"]]
        out.append({"iso3": r["iso3"], "name": r["name"], "names": names, "demonyms": demonyms,
                    "capitals": list(a.get("capitals") or [])})
    for c in extras["countries_not_in_table"]:
        out.append({"iso3": c["iso3"], "name": c["name"], "names": list(c.get("names") or [c["name"]]),
                    "demonyms": list(c.get("demonyms") or []), "capitals": list(c.get("capitals") or [])})
    return tuple(out)


def country_table(events_dir: str | None = None) -> list[dict]:
    """The merged country table, one dict per NGEC row (file order) then pactwatch's extra states:
    ``{"iso3", "name", "names", "demonyms", "capitals"}``. ``names``: NGEC's Name, the Nationality forms pactwatch
    classifies as names (``as_names``), then pactwatch's aliases; ``demonyms``: NGEC's other Nationality forms
    (sorted); ``capitals``: pactwatch's metonyms (resolved with sector GOV).
    A surface form listed under two countries resolves to the first (file order)."""
    from pactwatch.events.refs import resolve_events_dir

    return [dict(c) for c in _country_table(str(resolve_events_dir(events_dir)))]


@lru_cache(maxsize=8)
def build_table(people_path: str | None = None, phoenix: tuple[str, ...] = (), events_dir: str | None = None) -> ActorTable:
    """The actor table: countries (:func:`country_table`), IGOs, people, agent words, optional Phoenix dictionaries."""
    t = ActorTable()
    for c in country_table(events_dir):
        for n in c["names"]:
            t.add(n, {"code": c["iso3"], "sector": "", "kind": "country", "name": c["name"]})
        for n in c["demonyms"]:
            t.add(n, {"code": c["iso3"], "sector": "", "kind": "demonym", "name": c["name"]})
        for n in c["capitals"]:
            t.add(n, {"code": c["iso3"], "sector": "GOV", "kind": "capital", "name": c["name"]})
    for g in yaml.load(res_text("igos.yaml"), Loader=_Loader):
        for n in g["names"]:
            t.add(n, {"code": g["code"], "sector": g.get("sector", "IGO"), "kind": "igo", "name": g["names"][0]})
    for p in load_people(people_path):
        e = {"code": p["code"], "sector": p["sector"], "kind": "person", "name": p["name"], "role": p["role"],
             "start": p["start"], "end": p["end"]}
        for n in [p["name"], *p["aliases"]]:
            t.add(n, e)
        t.add("@short:" + short_name(p["name"]), e)
    for kind, words in yaml.load(res_text("agents.yaml"), Loader=_Loader).items():
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


@lru_cache(maxsize=1)
def load_places() -> dict[str, str]:
    """Places that are not states (resources/places.yaml): lower-case name -> ISO3 of the state they lie in. Used to
    find the host of an arrival; a place is never an actor."""
    data = yaml.load(res_text("places.yaml"), Loader=_Loader) or []
    out = {}
    for n, r in enumerate(data, 1):
        try:
            name, code = str(r["name"]).strip(), str(r["country"]).strip()
        except (KeyError, TypeError):
            raise PactwatchError(f"places.yaml entry {n}: needs name and country") from None
        if not name or not re.fullmatch(r"[A-Z]{3}", code):
            raise PactwatchError(f"places.yaml entry {n} ({r}): name must be non-empty and country an ISO3 code")
        out[name.lower()] = code
    return out
