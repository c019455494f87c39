"""What the web app serves, as plain Python: cases, the ATOP alliance explorer, the event reader and the dyad monitor.

Everything here is read-only. The pages (:mod:`pactwatch.web.pages`) and the REST API (:mod:`pactwatch.web.api`) are
thin layers over one :class:`WebState` per app, which caches the ATOP tables and the spaCy pipeline for the app's life.

Errors are :class:`WebError` (a :class:`~pactwatch.errors.PactwatchError` with an HTTP status and a problem type), turned
into ``application/problem+json`` (RFC 9457) by the app.
"""
from __future__ import annotations

import math
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pactwatch.data.atop import FIRST_YEAR as ATOP_FIRST_YEAR  # noqa: F401 - ATOP constants from the codebook
from pactwatch.data.atop import LAST_YEAR as ATOP_LAST_YEAR
from pactwatch.data.atop import OBLIGATION_LABELS, OBLIGATIONS, PROVISIONS  # noqa: F401
from pactwatch.errors import DataMissingError, PactwatchError

CASE_NAME = re.compile(r"^[a-z0-9-]+$")
SCENARIO_NAME = re.compile(r"^[a-z0-9+-]+$")
COUNTRY_CODE = re.compile(r"^[A-Z]{3}$")
#: Longest text the reader codes (characters); the request body limit (1 MB) is enforced before this.
MAX_TEXT_CHARS = 80_000  # x 12 bytes (a surrogate pair escaped in JSON) stays under the 1 MB body limit


class WebError(PactwatchError):
    """An error with an HTTP status: the app answers it as a problem (RFC 9457) or an error page."""

    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank"):
        super().__init__(detail)
        self.status, self.title, self.detail, self.type = status, title, detail, type_


def jsonable(v: Any) -> Any:
    """Plain JSON values from pandas/numpy ones: NA/NaN/NaT -> None, timestamps -> ISO dates, numpy scalars -> Python."""
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


# --------------------------------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------------------------------

def default_cases_dir() -> Path:
    """$PACTWATCH_CASES_DIR, else ``cases/`` at the root of the checkout (cwd upward, then the package's own checkout)."""
    env = os.environ.get("PACTWATCH_CASES_DIR")
    if env:
        return Path(env)
    here = Path.cwd()
    for base in (here, *here.parents):
        if (base / "pyproject.toml").exists():
            if (base / "cases").is_dir():
                return base / "cases"
            break
    pkg = Path(__file__).resolve()
    return pkg.parents[3] / "cases"  # <repo>/src/pactwatch/web/services.py -> <repo>/cases


def case_path(cases_dir: Path, name: str) -> Path:
    """The YAML file of case ``name`` inside ``cases_dir``. Names are ``^[a-z0-9-]+$`` (so no '/', '.', '%' or '\\'
    can reach outside the folder); the resolved path is checked to lie inside the folder as well (symlinks)."""
    if not isinstance(name, str) or not CASE_NAME.match(name) or len(name) > 100:
        raise WebError(422, "Invalid case name",
                       f"case name {name!r} is not valid: use lower-case letters, digits and '-' only (e.g. rus-prk-2024)")
    root = cases_dir.resolve()
    for ext in (".yaml", ".yml"):
        p = (root / f"{name}{ext}").resolve()
        if p.parent != root:
            raise WebError(404, "Case not found", f"case {name!r} is not in the cases folder")
        if p.is_file():
            return p
    raise WebError(404, "Case not found", f"no case named {name!r} in the cases folder ({cases_dir})")


def _value(v):
    """A case file's value: ``{value: ..., source: ...}`` (every value carries its source) or the bare value."""
    return v.get("value") if isinstance(v, dict) and "value" in v else v


def _first(d: dict, *keys):
    for k in keys:
        if isinstance(d, dict) and _value(d.get(k)) not in (None, ""):
            return _value(d[k])
    return None


def _members(raw) -> list[dict]:
    """Members from a case file, whatever the exact layout: a list of COW codes, of {ccode:, name:} maps, or a map."""
    out = []
    if isinstance(raw, dict):
        raw = [{"ccode": k, **(v if isinstance(v, dict) else {"name": v})} for k, v in raw.items()]
    for m in raw or []:
        if isinstance(m, dict):
            cc = _first(m, "ccode", "cow", "cow_code", "code")
            out.append({"ccode": cc, "name": _first(m, "name", "state", "country"), "iso3": _first(m, "iso3", "iso")})
        else:
            out.append({"ccode": m, "name": None, "iso3": None})
    return out


def read_case(path: Path) -> dict:
    """A case file's headline fields (name, title, members, dates, ATOP id) and its parsed content.

    The case schema belongs to the forecast engine (:mod:`pactwatch.scenarios`); this reader only picks out what the
    pages show and never fails on extra or missing fields: a file that is not valid YAML gives ``error``."""
    import yaml

    name = path.stem
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        return {"name": name, "title": name, "members": [], "error": f"{path.name} is not valid YAML: {exc}"}
    if not isinstance(data, dict):
        return {"name": name, "title": name, "members": [], "error": f"{path.name}: expected a mapping at the top level"}
    alliance = data.get("alliance") if isinstance(data.get("alliance"), dict) else {}
    src = {**alliance, **data}
    dates = src.get("dates") if isinstance(src.get("dates"), dict) else {}
    return {
        "name": name,
        "title": str(_first(src, "title", "label", "name") or name),
        "atopid": _first(src, "atopid", "atop_id"),
        "members": _members(_first(src, "members", "states")),
        "signed": jsonable(_first(dates, "signed", "signature") or _first(src, "signed", "signing_date", "signed_on", "signature_date")),
        "in_force": jsonable(_first(dates, "in_force", "entry_into_force", "effective") or
                             _first(src, "in_force", "entry_into_force", "effective", "in_force_on")),
        "ended": jsonable(_first(dates, "ended", "end", "expired") or _first(src, "ended", "end_date", "expired") or
                          _first(src.get("outcome") if isinstance(src.get("outcome"), dict) else {}, "ended", "end")),
        "scenarios": [s if isinstance(s, str) else _first(s, "name", "id") for s in (src.get("scenarios") or [])
                      if isinstance(s, (str, dict))],
        "error": None,
    }


def list_cases(cases_dir: Path) -> list[dict]:
    if not cases_dir.is_dir():
        return []
    root = cases_dir.resolve()
    files = sorted(p for p in cases_dir.iterdir() if p.suffix in (".yaml", ".yml") and CASE_NAME.match(p.stem)
                   and p.resolve().parent == root)  # a symlink leading out of the folder is not a case
    return [read_case(p) for p in files]


# --------------------------------------------------------------------------------------------------------------------
# state
# --------------------------------------------------------------------------------------------------------------------

@dataclass
class WebState:
    """One per app: where things are and what was loaded. Tables load lazily on first use and stay cached."""

    data_dir: Path | None = None
    db: Path | None = None
    cases_dir: Path = field(default_factory=default_cases_dir)
    events_dir: Path | None = None
    news_db: Path | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _nlp_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _explorer: "AllianceExplorer | None" = field(default=None, repr=False)
    _source: Any = field(default=None, repr=False)

    @property
    def source(self):
        from pactwatch.data.source import DataSource

        if self._source is None:
            db = self.db
            if db is None:
                from pactwatch.paths import default_db

                db = default_db()
            self._source = DataSource(data_dir=self.data_dir, db=db)
        return self._source

    @property
    def explorer(self) -> "AllianceExplorer":
        with self._lock:
            if self._explorer is None:
                try:
                    self._explorer = AllianceExplorer(self.source)
                except DataMissingError as exc:
                    raise WebError(503, "Datasets not available", str(exc)) from None
            return self._explorer

    # -- cases -------------------------------------------------------------------------------------------------------
    def cases(self) -> list[dict]:
        return [self.with_atop(c) for c in list_cases(self.cases_dir)]

    def case(self, name: str) -> dict:
        return self.with_atop(read_case(case_path(self.cases_dir, name)))

    def with_atop(self, case: dict) -> dict:
        """An ATOP case (``atopid`` given) gets its members and begin/end dates from ATOP 5.1 where the file has none
        (``from_atop`` lists what was filled). Without the datasets the case is returned as it is."""
        aid = case.get("atopid")
        if aid is None or case.get("error"):
            return case
        try:
            d = self.explorer.detail(int(aid))
        except (WebError, TypeError, ValueError):
            return case
        filled = []
        if not case["members"]:
            case["members"] = [{"ccode": m["ccode"], "name": m["name"], "iso3": None} for m in d["summary"]["members"]]
            filled.append("members")
        if not case["signed"]:
            case["signed"] = d["lifetime"]["begin"]
            filled.append("signed")
        if not case["ended"] and d["lifetime"]["end"]:
            case["ended"] = d["lifetime"]["end"]
            filled.append("ended")
        case["from_atop"] = filled
        return case

    # -- events ------------------------------------------------------------------------------------------------------
    def code_text(self, text: str, date: str | None) -> dict:
        """Events in ``text`` (see :func:`pactwatch.events.coder.code_text`), plus the verbs the coder abstained on."""
        if not text or not text.strip():
            raise WebError(422, "Empty text", "the text to code is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise WebError(413, "Text too long", f"the text has {len(text):,} characters; the reader codes at most "
                                                 f"{MAX_TEXT_CHARS:,} (split the article)")
        if date is not None:
            check_date(date)
        from pactwatch.events.coder import code_text
        from pactwatch.events.pipeline import load_pipeline

        try:
            with self._nlp_lock:  # spaCy pipelines are not documented as thread-safe; one text at a time
                nlp = load_pipeline(events_dir=str(self.events_dir) if self.events_dir else None)
                events, abstained = code_text(text, date, nlp=nlp, with_abstained=True)
        except DataMissingError as exc:
            raise WebError(503, "Event coder not available", str(exc)) from None
        except PactwatchError as exc:
            if isinstance(exc, WebError):
                raise
            raise WebError(503, "Event coder not available", str(exc)) from None
        return {"date": date, "chars": len(text), "events": jsonable(events), "abstained": jsonable(abstained)}

    # -- dyad monitor ------------------------------------------------------------------------------------------------
    def dyad(self, a: str, b: str, start: str | None = None, end: str | None = None) -> dict:
        return dyad_series(self.news_db, a, b, start, end)


def check_date(date: str) -> str:
    import datetime as dt

    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError:
        raise WebError(422, "Invalid date", f"date {date!r} is not a calendar date in the form YYYY-MM-DD") from None
    return date


class _ReadOnly:
    """A read-only DuckDB connection for code that first runs the event table's ``create table if not exists``: that
    statement is skipped when the table exists (a read-only connection refuses any CREATE); everything else passes."""

    def __init__(self, con):
        self._con = con

    def execute(self, sql, *args, **kw):
        if sql.lstrip().lower().startswith("create table if not exists"):
            m = re.search(r"create table if not exists\s+([\w\"]+)", sql, re.I)
            table = m.group(1).strip('"') if m else ""
            n = self._con.execute("select count(*) from information_schema.tables where table_name = ?", [table]).fetchone()[0]
            if n:
                return self._con
            raise WebError(503, "News store not usable", f"the news store has no {table!r} table yet: code articles first "
                                                         "(pactwatch events store)")
        return self._con.execute(sql, *args, **kw)

    def __getattr__(self, name):
        return getattr(self._con, name)


def dyad_series(news_db: Path | None, a: str, b: str, start: str | None = None, end: str | None = None) -> dict:
    """Monthly event series of the A–B pair from the dyad monitor (:mod:`pactwatch.monitor.dyad`) over the news store,
    opened read-only. 503 when the monitor module or the news store is missing."""
    for c in (a, b):
        if not COUNTRY_CODE.match(c):
            raise WebError(422, "Invalid country code", f"{c!r} is not a country code: use ISO 3166 alpha-3 in capitals (e.g. RUS, PRK)")
    if a == b:
        raise WebError(404, "No such dyad", f"dyad {a}-{b}: a dyad is two different countries")
    try:
        from pactwatch.monitor import dyad as monitor
    except ImportError:
        raise WebError(503, "Dyad monitor not available",
                       "the dyad monitor (pactwatch.monitor.dyad) is not installed in this version") from None
    if news_db is None:
        from pactwatch.news.store import default_news_db

        news_db = default_news_db()
    news_db = Path(news_db)
    if not news_db.is_file():
        raise WebError(503, "News store not available",
                       f"no news store at {news_db}: ingest and code articles first (pactwatch events ingest / events store)")
    import duckdb

    try:
        con = duckdb.connect(str(news_db), read_only=True)
    except duckdb.Error as exc:
        raise WebError(503, "News store not available", f"cannot open the news store {news_db} read-only: {exc}") from None
    ro = _ReadOnly(con)
    try:
        try:
            df = monitor.dyad_series(ro, a, b, start=start, end=end)
            recent = monitor.dyad_events(ro, a, b)
        except duckdb.Error as exc:
            raise WebError(503, "News store not usable", f"the news store {news_db} has no event table yet ({exc})") from None
        except PactwatchError as exc:
            if isinstance(exc, WebError):
                raise
            raise WebError(422, "Invalid dyad query", str(exc)) from None
    finally:
        con.close()
    recent = recent.dropna(subset=["event_date"]).sort_values("event_date", ascending=False).head(50)
    months = df.reset_index() if df.index.name is not None or not isinstance(df.index, pd.RangeIndex) else df
    return {"a": a, "b": b, "months": jsonable(months.astype(object).where(months.notna(), None).to_dict("records")),
            "recent_events": jsonable(recent.astype(object).where(recent.notna(), None).to_dict("records")),
            "log": jsonable(df.attrs.get("pactwatch_log", []))}


# --------------------------------------------------------------------------------------------------------------------
# alliance explorer
# --------------------------------------------------------------------------------------------------------------------

class AllianceExplorer:
    """Search ATOP 5.1 alliances (unit: the alliance, 789 rows) by member, year and obligation, and show one alliance.

    - *member*: a COW state code (``365``), a COW abbreviation (``RUS``) or part of a COW state name (``korea``),
      matched against the COW state list (its last name for each code).
    - *year*: alliances in effect on at least one day of that year (ATOP: begin year <= year <= end year, or still in
      effect at the 31 Dec 2018 censoring date); with a member, that member's own membership spell must cover the year.
    - *obligation*: ATOP's alliance-level code (1 if any member in any phase ever promised it).
    """

    def __init__(self, src):
        from pactwatch.panels.alliances import alliances, member_spells

        self.alliances = alliances(src).set_index("atopid", drop=False).sort_index()
        self.raw = src.table("atop_alliance").set_index("atopid", drop=False)
        self.members_raw = src.table("atop_member")
        self.spells = member_spells(src)
        st = src.table("cow_states")
        last = st.sort_values(["ccode", "endyear"]).drop_duplicates("ccode", keep="last")
        self.names: dict[int, str] = {int(c): str(n) for c, n in zip(last["ccode"], last["statenme"])}
        self.abbs: dict[str, int] = {str(a).upper(): int(c) for a, c in zip(last["stateabb"], last["ccode"])}
        sp = self.spells
        self._member_sets = sp.groupby("atopid")["ccode"].apply(lambda s: sorted(set(int(x) for x in s))).to_dict()

    def state_name(self, cc) -> str:
        return self.names.get(int(cc), f"COW {int(cc)}")

    def match_states(self, member: str) -> list[int]:
        m = member.strip()
        if not m:
            raise WebError(422, "Invalid member", "member is empty: give a COW code (365), abbreviation (RUS) or name")
        if m.isdigit():
            cc = int(m)
            if cc not in self.names and cc not in set(self.members_raw["member"].astype(int)):
                raise WebError(404, "Unknown state", f"member {m!r}: no COW state or ATOP member has code {cc}")
            return [cc]
        if m.upper() in self.abbs:
            return [self.abbs[m.upper()]]
        hits = sorted(c for c, n in self.names.items() if m.lower() in n.lower())
        if not hits:
            raise WebError(404, "Unknown state", f"member {m!r} matches no COW state code, abbreviation or name")
        return hits

    def search(self, member: str | None = None, year: int | None = None, obligation: str | None = None,
               limit: int = 50, offset: int = 0) -> dict:
        a = self.alliances
        keep = pd.Series(True, index=a.index)
        matched: list[int] = []
        if obligation is not None:
            if obligation not in OBLIGATIONS:
                raise WebError(422, "Invalid obligation", f"obligation {obligation!r}: use one of {', '.join(OBLIGATIONS)}")
            keep &= a[obligation].fillna(0).astype(int) == 1
        if year is not None:
            if not ATOP_FIRST_YEAR <= year <= ATOP_LAST_YEAR:
                raise WebError(422, "Year out of range", f"year {year}: ATOP 5.1 covers {ATOP_FIRST_YEAR}-{ATOP_LAST_YEAR}")
            endyr = a["endyr"].astype("float").fillna(ATOP_LAST_YEAR)
            keep &= (a["begyr"] <= year) & (endyr >= year)
        if member is not None:
            matched = self.match_states(member)
            sp = self.spells[self.spells["ccode"].isin(matched)]
            if year is not None:
                ex = sp["exit_year"].astype("float").fillna(ATOP_LAST_YEAR)
                sp = sp[(sp["entry_year"] <= year) & (ex >= year)]
            keep &= a.index.isin(set(sp["atopid"]))
        hits = a[keep.values]
        page = hits.iloc[offset: offset + limit]
        return {"count": int(len(hits)), "offset": offset, "limit": limit,
                "matched_states": [{"ccode": c, "name": self.state_name(c)} for c in matched],
                "results": [self.summary(r) for r in page.itertuples(index=False)]}

    def summary(self, r) -> dict:
        members = self._member_sets.get(int(r.atopid), [])
        return {
            "atopid": int(r.atopid),
            "begin": jsonable(r.begin), "end": jsonable(r.end),
            "in_effect": bool(r.ineffect == 1),
            "duration_years": round(float(r.duration_years), 2),
            "members": [{"ccode": c, "name": self.state_name(c)} for c in members],
            "obligations": [o for o in OBLIGATIONS if getattr(r, o) is not pd.NA and getattr(r, o) == 1],
            "term_label": jsonable(r.term_label) if int(r.ineffect) == 0 else None,
        }

    def detail(self, atopid: int) -> dict:
        if atopid not in self.alliances.index:
            raise WebError(404, "Alliance not found", f"no ATOP 5.1 alliance has atopid {atopid}")
        r = self.alliances.loc[atopid]
        raw = self.raw.loc[atopid]
        m = self.members_raw[self.members_raw["atopid"] == atopid].sort_values(["phase", "member", "yrent"])
        from pactwatch.data.atop import TERMCAUS_LABELS, TERMMODE_LABELS

        def ymd(y, mo, d):
            if pd.isna(y) or int(y) == 0:
                return None
            parts = [int(y), int(mo) if pd.notna(mo) and int(mo) else None, int(d) if pd.notna(d) and int(d) else None]
            return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts) if p is not None)

        members = []
        for x in m.itertuples(index=False):
            in_eff = int(x.ineffect) == 1
            tm = None if in_eff or pd.isna(x.termmode) else int(x.termmode)
            tc = None if in_eff or pd.isna(x.termcaus) else int(x.termcaus)
            members.append({
                "ccode": int(x.member), "name": self.state_name(x.member), "phase": int(x.phase),
                "entry": ymd(x.yrent, x.moent, x.dayent), "exit": None if in_eff else ymd(x.yrexit, x.moexit, x.dayexit),
                "in_effect": in_eff,
                "termmode": tm, "termmode_label": TERMMODE_LABELS.get(tm) if tm is not None else None,
                "termcaus": tc, "termcaus_label": TERMCAUS_LABELS.get(tc) if tc is not None else None,
            })
        provisions = [{"code": k, "label": lab, "meaning": mean,
                       "value": jsonable(pd.to_numeric(raw.get(k), errors="coerce"))}
                      for k, (lab, mean) in PROVISIONS.items() if k in raw.index]
        lifetime = {
            "begin": jsonable(r["begin"]), "end": jsonable(r["end"]), "in_effect": bool(r["ineffect"] == 1),
            "event": int(r["event"]), "event_atop": int(r["event_atop"]),
            "censor_date": "2018-12-31", "duration_days": int(r["duration_days"]),
            "duration_years": round(float(r["duration_years"]), 3),
            "begday_imputed": bool(r["begday_imputed"]), "endday_imputed": bool(r["endday_imputed"]),
            "term": jsonable(r["term"]), "term_label": jsonable(r["term_label"]),
            "termmode_final_label": jsonable(r["termmode_final_label"]),
            "termcaus_final_label": jsonable(r["termcaus_final_label"]),
            "n_phases": jsonable(r["n_phases"]), "n_members_ever": jsonable(r["n_members_ever"]),
            "max_concurrent_members": jsonable(r["max_concurrent_members"]),
        }
        return {"atopid": int(atopid), "summary": self.summary(r), "lifetime": lifetime,
                "members": members, "provisions": provisions}
