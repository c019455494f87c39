"""What the web app serves, as plain Python: cases, forecasts, the ATOP alliance explorer, the event reader and the dyad
monitor. Request handling only: every answer comes from the library —

- cases: :mod:`pactwatch.scenarios.cases` and its pydantic schema (a file that fails validation is listed with the
  error);
- forecasts: :func:`pactwatch.scenarios.forecast.forecast_case` on the server's data source (``--data-dir``/``--db``)
  at the as-of date asked for; results are cached by the content of every input (:meth:`WebState.forecast_key`);
- alliance search and detail: :mod:`pactwatch.panels.search`; labels from :mod:`pactwatch.data.atop`;
- events: :mod:`pactwatch.events.coder`; the dyad monitor: :mod:`pactwatch.monitor.dyad` over the news store opened
  read-only.

Errors are :class:`WebError` (a :class:`~pactwatch.errors.PactwatchError` with an HTTP status and a problem type), turned
into ``application/problem+json`` (RFC 9457) by the app.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pactwatch.data.atop import FIRST_YEAR as ATOP_FIRST_YEAR  # noqa: F401 - ATOP constants from the codebook
from pactwatch.data.atop import LAST_YEAR as ATOP_LAST_YEAR  # noqa: F401
from pactwatch.data.atop import OBLIGATION_LABELS, OBLIGATIONS, PROVISIONS  # noqa: F401
from pactwatch.errors import DataMissingError, PactwatchError
from pactwatch.models.base import jsonable

CASE_NAME = re.compile(r"^[a-z0-9-]+$")
SCENARIO_NAME = re.compile(r"^[a-z0-9+-]+$")
COUNTRY_CODE = re.compile(r"^[A-Z]{3}$")
#: Longest text the reader codes (characters); the request body limit (1 MB) is enforced before this.
MAX_TEXT_CHARS = 80_000  # x 12 bytes (a surrogate pair escaped in JSON) stays under the 1 MB body limit
#: Forecasts kept in memory per app (least recently used dropped first).
FORECAST_CACHE_SIZE = 64
#: As-of dates the web accepts (the engine checks the case's own limits: entry into force, the model's horizon).
AS_OF_RANGE = (dt.date(1816, 1, 1), dt.date(2100, 12, 31))


#: How long a request waits for a writer to release the news store before answering 503.
READ_WAIT_SECONDS = 10.0


class WebError(PactwatchError):
    """An error with an HTTP status: the app answers it as a problem (RFC 9457) or an error page."""

    def __init__(self, status: int, title: str, detail: str, type_: str = "about:blank"):
        super().__init__(detail)
        self.status, self.title, self.detail, self.type = status, title, detail, type_


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as plain JSON values (dates as ISO strings, NA as None)."""
    df = df.copy()
    for c in df.columns:
        if pd.api.types.is_datetime64_any_dtype(df[c]):
            df[c] = df[c].dt.strftime("%Y-%m-%d")
    return jsonable(df.astype(object).where(df.notna(), None).to_dict("records"))


# --------------------------------------------------------------------------------------------------------------------
# cases
# --------------------------------------------------------------------------------------------------------------------

def default_cases_dir() -> Path:
    """The first existing cases folder in :func:`pactwatch.scenarios.cases.search_dirs` order."""
    from pactwatch.scenarios.cases import search_dirs

    dirs = search_dirs("cases")
    return next((d for d in dirs if d.is_dir()), dirs[0])


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


def read_case(path: Path) -> dict:
    """A case file through the case schema (:func:`pactwatch.scenarios.cases.load_case`): its headline fields, or
    ``error`` with the schema's message when the file is not a valid case."""
    from pactwatch.scenarios.cases import load_case

    name = path.stem
    try:
        c = load_case(path)
    except PactwatchError as exc:
        return {"name": name, "title": name, "kind": None, "members": [], "error": str(exc)}
    return {
        "name": name, "title": c.name, "kind": c.kind, "atopid": c.atopid,
        "question": c.question.value if c.question else None,
        "resolution": ({"ends": [x.model_dump() for x in c.resolution.ends],
                        "continues": [x.model_dump() for x in c.resolution.continues],
                        "dates": [str(d) for d in c.resolution.dates]} if c.resolution else None),
        "members": [{"ccode": m.ccode, "name": m.name} for m in c.members],
        "signed": c.signed.value.isoformat() if c.signed else None,
        "in_force": c.in_force.value.isoformat() if c.in_force else None,
        "ended": c.outcome.ended.isoformat() if c.outcome and c.outcome.ended else None,
        "backtest": c.backtest, "error": None,
    }


def list_cases(cases_dir: Path) -> list[dict]:
    if not cases_dir.is_dir():
        return []
    root = cases_dir.resolve()
    files = sorted(p for p in cases_dir.iterdir() if p.suffix in (".yaml", ".yml") and CASE_NAME.match(p.stem)
                   and p.resolve().parent == root)  # a symlink leading out of the folder is not a case
    return [read_case(p) for p in files]


def parse_as_of(value: str | None) -> dt.date:
    """The as-of date of a request: YYYY-MM-DD within :data:`AS_OF_RANGE`; default today."""
    if value is None or value == "":
        return dt.date.today()
    day = dt.date.fromisoformat(check_date(value, "as_of"))
    if not AS_OF_RANGE[0] <= day <= AS_OF_RANGE[1]:
        raise WebError(422, "Invalid date", f"as_of {value}: give a date between {AS_OF_RANGE[0]} and {AS_OF_RANGE[1]}")
    return day


def _sha(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


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
    sims: int = 1000
    seed: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _nlp_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _ctx_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one model fit at a time
    _explorer: Any = field(default=None, repr=False)
    _source: Any = field(default=None, repr=False)
    _contexts: dict = field(default_factory=dict, repr=False)  # data fingerprint -> (source, fitted context)
    _fc_cache: OrderedDict = field(default_factory=OrderedDict, repr=False)
    _fc_locks: dict = field(default_factory=dict, repr=False)  # key -> [lock, waiting requests]; freed at 0

    def _new_source(self):
        from pactwatch.data.source import DataSource

        db = self.db
        if db is None:
            from pactwatch.paths import default_db

            db = default_db()
        return DataSource(data_dir=self.data_dir, db=db)

    @property
    def source(self):
        if self._source is None:
            self._source = self._new_source()
        return self._source

    @property
    def explorer(self):
        from pactwatch.panels.search import AllianceExplorer

        with self._lock:
            if self._explorer is None:
                try:
                    self._explorer = AllianceExplorer(self.source)
                except DataMissingError as exc:
                    raise WebError(503, "Datasets not available", str(exc)) from None
            return self._explorer

    # -- alliances ---------------------------------------------------------------------------------------------------
    def _explore(self, fn, *args, **kw):
        from pactwatch.panels.search import InvalidQuery, NotFound

        try:
            return fn(*args, **kw)
        except NotFound as exc:
            raise WebError(404, "Not found", str(exc)) from None
        except InvalidQuery as exc:
            raise WebError(422, "Invalid input", str(exc)) from None

    def search(self, **kw) -> dict:
        return self._explore(self.explorer.search, **kw)

    def detail(self, atopid: int) -> dict:
        return self._explore(self.explorer.detail, atopid)

    # -- cases -------------------------------------------------------------------------------------------------------
    def cases(self) -> list[dict]:
        return [self.with_atop(c) for c in list_cases(self.cases_dir)]

    def case(self, name: str) -> dict:
        return self.with_atop(read_case(case_path(self.cases_dir, name)))

    def with_atop(self, case: dict) -> dict:
        """An ATOP case (``atopid`` given) gets its members and begin/end dates from ATOP 5.1 where the file has none
        (``from_atop`` lists what was filled). Without the datasets the case is returned as it is."""
        aid = case.get("atopid")
        case.setdefault("from_atop", [])
        if aid is None or case.get("error"):
            return case
        try:
            d = self.detail(int(aid))
        except (WebError, TypeError, ValueError):
            return case
        filled = []
        if not case["members"]:
            case["members"] = [{"ccode": m["ccode"], "name": m["name"]} for m in d["summary"]["members"]]
            filled.append("members")
        if not case["signed"]:
            case["signed"] = d["lifetime"]["begin"]
            filled.append("signed")
        if not case["ended"] and d["lifetime"]["end"]:
            case["ended"] = d["lifetime"]["end"]
            filled.append("ended")
        case["from_atop"] = filled
        return case

    # -- forecasts ---------------------------------------------------------------------------------------------------
    def _fingerprint(self) -> dict:
        from pactwatch.scenarios.training import data_fingerprint

        try:
            return data_fingerprint(self.source)
        except DataMissingError as exc:
            raise WebError(503, "Datasets not available", str(exc)) from None

    def forecast_key(self, name: str, scenarios: list[str] | None, as_of: dt.date) -> tuple:
        """What a forecast depends on, by content: the case file's bytes, every scenario definition, the scenarios
        asked for, the as-of date, the data tables' sha256, the model version, the draws and the seed."""
        import pactwatch
        from pactwatch.scenarios.cases import load_scenarios
        from pactwatch.scenarios.forecast import content_sha256, model_version

        path = case_path(self.cases_dir, name)
        scen = {n: content_sha256(s) for n, s in load_scenarios().items()}
        return (hashlib.sha256(path.read_bytes()).hexdigest(), _sha(scen), tuple(scenarios or ()), as_of.isoformat(),
                _sha(self._fingerprint()), model_version(), pactwatch.__version__, self.sims, self.seed)

    def _context(self, event: str = "any-end"):
        """The fitted model for the data as they are now (refitted, from a fresh source, when a table changed)."""
        from pactwatch.scenarios.forecast import context

        fp = _sha(self._fingerprint())
        with self._ctx_lock:  # concurrent first requests wait for one fit instead of fitting twice
            hit = self._contexts.get((fp, event))
            if hit is not None:
                return hit
            src = self.source if not self._contexts else self._new_source()  # changed files: no stale tables
            try:
                ctx = context(src, event)
            except DataMissingError as exc:
                raise WebError(503, "Datasets not available", str(exc)) from None
            with self._lock:
                self._contexts = {(fp, event): ctx}  # only the current data's model is kept
                self._source = src
            return ctx

    def cached_forecast(self, key: tuple):
        with self._lock:
            res = self._fc_cache.get(key)
            if res is not None:
                self._fc_cache.move_to_end(key)
            return res

    def forecast(self, name: str, scenarios: list[str] | None = None, as_of: dt.date | None = None):
        """The :class:`~pactwatch.scenarios.result.ForecastResult` of case ``name`` (cached by
        :meth:`forecast_key`; concurrent identical requests wait for one computation)."""
        from pactwatch.scenarios.forecast import forecast_case

        as_of = as_of or dt.date.today()
        key = self.forecast_key(name, scenarios, as_of)
        res = self.cached_forecast(key)
        if res is not None:
            return res
        with self._lock:
            entry = self._fc_locks.setdefault(key, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                res = self.cached_forecast(key)
                if res is None:
                    path = case_path(self.cases_dir, name)
                    try:
                        res = forecast_case(path, scenarios or None, as_of=as_of, sims=self.sims, seed=self.seed,
                                            ctx=self._context())
                    except WebError:
                        raise
                    except DataMissingError as exc:
                        raise WebError(503, "Datasets not available", str(exc)) from None
                    except PactwatchError as exc:
                        msg = str(exc)
                        raise WebError(422, "Forecast failed", msg if name in msg else f"case {name!r}: {msg}") from None
                    with self._lock:
                        self._fc_cache[key] = res
                        while len(self._fc_cache) > FORECAST_CACHE_SIZE:
                            self._fc_cache.popitem(last=False)
        finally:
            with self._lock:
                entry[1] -= 1
                if entry[1] == 0:
                    self._fc_locks.pop(key, None)  # the lock table holds only keys being computed or waited for
        return res

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


def check_date(date: str, what: str = "date") -> str:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError
        dt.date.fromisoformat(date)
    except ValueError:
        raise WebError(422, "Invalid date", f"{what} {date!r} is not a calendar date in the form YYYY-MM-DD") from None
    return date


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

    from pactwatch.news.store import StoreBusyError, connect

    try:  # a short-lived read-only connection; while a writer (events ingest/store) holds the file, wait for it
        con = connect(news_db, read_only=True, wait=READ_WAIT_SECONDS)
    except StoreBusyError as exc:
        raise WebError(503, "News store busy", f"{exc} (retry when the ingest has finished)") from None
    except PactwatchError as exc:
        raise WebError(503, "News store not available", f"cannot open the news store {news_db} read-only: {exc}") from None
    try:
        try:
            df = monitor.dyad_series(con, a, b, start=start, end=end)
            recent = monitor.dyad_events(con, a, b)
        except monitor.NoEventTable as exc:
            raise WebError(503, "News store not usable", f"{news_db}: {exc}") from None
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
    return {"a": a, "b": b, "months": _records(months), "recent_events": _records(recent),
            "log": jsonable(df.attrs.get("pactwatch_log", []))}


