"""What the news says, typed: the indicator series of the last months, the latest evidence and the proposed updates to
the case, as one :class:`NewsSummary` for the report and the web case page.

Built from the series :func:`pactwatch.monitor.indicators.indicator_series` returns (or the ``indicators.json``
`pactwatch monitor` writes; :func:`from_monitor`), or straight from a news store (:func:`from_store`). The evidence
sentences are read at run time from the news store (the articles stay outside the repository). How much a proposed
update would move the forecast (``ProposedUpdate.effect``) is filled in by :mod:`pactwatch.reports.news`, which can
run forecasts (a layer above this one).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal, Optional

from pydantic import BaseModel, Field

from pactwatch.errors import PactwatchError

#: months of the series shown
MONTHS = 24
#: evidence sentences shown (the latest first)
LATEST = 8


class MonthPoint(BaseModel):
    month: str
    n: int
    value: Optional[float] = None
    change_point: bool = False


class IndicatorSummary(BaseModel):
    id: str
    label: str
    measure: Literal["count", "index"]
    total: int = Field(description="events over the whole series")
    shown: int = Field(description="events in the months shown")
    change_points: list[str] = Field(default_factory=list, description="change-point months in the months shown")
    months: list[MonthPoint]


class Evidence(BaseModel):
    event_id: str
    date: str
    indicators: list[str] = Field(default_factory=list, description="labels of the indicators it counts for")
    code: Optional[str] = None
    source: Optional[str] = None
    target: Optional[str] = None
    title: Optional[str] = None
    url: Optional[str] = None
    publisher: Optional[str] = None
    sentence: Optional[str] = None


class ForecastEffect(BaseModel):
    """Status-quo survival at ``t`` years before and after the update (same draws and seed)."""
    t: float
    before: float
    after: float
    diff: float
    note: Optional[str] = None


class ProposedUpdate(BaseModel):
    kind: str
    summary: str
    date: str
    confidence: float
    path: list
    value: Any = None
    evidence: list[Evidence] = Field(default_factory=list)
    effect: Optional[ForecastEffect] = None
    effect_error: Optional[str] = None


class NewsSummary(BaseModel):
    status: Literal["ok", "none"]
    message: Optional[str] = Field(default=None, description="why there is nothing (status 'none')")
    case: Optional[str] = None
    coverage: list[Optional[str]] = Field(default_factory=list, description="first and last month of the store's events")
    events_read: int = 0
    months: list[str] = Field(default_factory=list, description="the months shown")
    indicators: list[IndicatorSummary] = Field(default_factory=list)
    latest: list[Evidence] = Field(default_factory=list)
    proposals: list[ProposedUpdate] = Field(default_factory=list)
    combined: Optional[ForecastEffect] = Field(default=None, description="every proposed update applied together")
    combined_error: Optional[str] = None
    series_file: Optional[str] = None


def none(message: str, case: str | None = None) -> NewsSummary:
    """No news read: ``message`` says why and how to add them."""
    return NewsSummary(status="none", message=message, case=case)


def _evidence(e: dict, labels: list[str] | None = None) -> Evidence:
    return Evidence(event_id=str(e.get("event_id")), date=str(e.get("date")), indicators=labels or [],
                    code=e.get("code"), source=e.get("source"), target=e.get("target"), title=e.get("title"),
                    url=e.get("url"), sentence=e.get("sentence"))


def summarize(series: dict, proposals: list[dict] | None = None, months: int = MONTHS, latest: int = LATEST,
              case: str | None = None, series_file: str | None = None) -> NewsSummary:
    """The summary of ``series`` (as :func:`~pactwatch.monitor.indicators.indicator_series` returns it): the last
    ``months`` months per indicator, the ``latest`` most recent evidence sentences over all indicators (one entry per
    event, naming every indicator it counts for) and ``proposals`` (dicts of
    :func:`~pactwatch.monitor.updates.propose_updates`)."""
    if months < 1:
        raise PactwatchError(f"news summary: months must be at least 1, got {months}")
    shown = list(series.get("months") or [])[-months:]
    if not shown:
        return none("the news store holds no dated events", case)
    inds, by_event = [], {}
    for i in series["indicators"]:
        pts = i["series"][-months:]
        inds.append(IndicatorSummary(
            id=i["id"], label=i["label"], measure=i["measure"], total=int(i["total"]), shown=sum(p["n"] for p in pts),
            change_points=[p["month"] for p in pts if p["change_point"]],
            months=[MonthPoint(month=p["month"], n=p["n"], value=p["value"], change_point=p["change_point"])
                    for p in pts]))
        if i["measure"] == "index":
            continue  # the index counts every event of the pair: evidence is listed under the specific indicators
        for p in pts:
            for e in p["evidence"]:
                by_event.setdefault(e["event_id"], (e, []))[1].append(i["label"])
    recent = sorted(by_event.values(), key=lambda x: (x[0]["date"], str(x[0]["event_id"])), reverse=True)[:latest]
    props = [ProposedUpdate(kind=p["kind"], summary=p["summary"], date=p["date"], confidence=float(p["confidence"]),
                            path=list(p["path"]), value=p.get("value"),
                            evidence=[_evidence(e) for e in p.get("evidence", [])]) for p in proposals or []]
    cov = series.get("coverage") or [shown[0], shown[-1]]
    return NewsSummary(status="ok", case=case, coverage=list(cov), events_read=int(series.get("events_read", 0)),
                       months=shown, indicators=inds, latest=[_evidence(e, labs) for e, labs in recent],
                       proposals=props, series_file=series_file)


def _index_entry(source: str | None, cache: dict) -> dict:
    """The ``index.jsonl`` entry (url, title, publisher) of an article ingested from a file, when the folder holding
    the file (or its parent) has a catalogue (:func:`pactwatch.news.folders.catalogue`), as the shared Russia–DPRK
    folder does."""
    from pactwatch.news.folders import catalogue

    if not source:
        return {}
    f = Path(source)
    for d in (f.parent, f.parent.parent):
        if d not in cache:
            cache[d] = catalogue(d) or {}
        hit = cache[d].get(f.name) or cache[d].get(str(f.relative_to(d)) if f.is_relative_to(d) else "")
        if hit:
            return hit
    return {}


def add_article_metadata(summary: NewsSummary, con) -> NewsSummary:
    """Fill the evidence's article title, address and publisher from the news store's ``articles`` table (an open
    connection ``con``) and, for articles ingested from files, from the ``index.jsonl`` beside the files (its title
    first: a file's stored title is often its first line). Changes ``summary`` in place and returns it."""
    evs = [e for e in summary.latest] + [e for p in summary.proposals for e in p.evidence]
    import duckdb

    ids = sorted({e.event_id for e in evs})
    if not ids:
        return summary
    try:
        rows = con.execute("select e.event_id, a.title, a.url, a.source from events e join articles a "
                           "on a.article_id = e.article_id where e.event_id in (select unnest(?))", [ids]).fetchall()
    except duckdb.CatalogException:  # a store without an articles table: the evidence keeps what the events hold
        return summary
    arts = {r[0]: r[1:] for r in rows}
    cache: dict = {}
    for e in evs:
        if e.event_id not in arts:
            continue
        title, url, source = arts[e.event_id]
        meta = _index_entry(source, cache)
        e.title = meta.get("title") or e.title or title or None  # the folder's index names articles as published
        e.url = e.url or url or meta.get("url") or None
        e.publisher = e.publisher or meta.get("publisher") or None
    return summary


def from_monitor(mon: dict, months: int = MONTHS, latest: int = LATEST) -> NewsSummary:
    """The summary of what `pactwatch monitor` (``run_monitor``) returned: its in-memory ``series``, else the
    ``indicators.json`` it wrote; a monitor that read no news gives status 'none' with its message."""
    if mon.get("status") != "ok":
        return none(mon.get("message") or "no coded news events", mon.get("case"))
    series = mon.get("series")
    if series is None:
        p = Path(mon.get("json") or "")
        try:
            series = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise PactwatchError(f"news summary: cannot read the indicator series {p} ({exc})") from None
    out = summarize(series, mon.get("proposals") or [], months, latest, mon.get("case"), mon.get("json"))
    store = mon.get("store") or series.get("generated_from")
    if store and Path(store).is_file():
        from pactwatch.news.store import connect

        con = connect(store, read_only=True, wait=10.0)
        try:
            add_article_metadata(out, con)
        finally:
            con.close()
    return out


def from_store(con, indicators, proposals: list[dict] | None = None, months: int = MONTHS, latest: int = LATEST,
               case: str | None = None) -> NewsSummary:
    """The summary read from an open news store ``con`` (read-only is enough) for ``indicators`` (parsed
    :class:`~pactwatch.monitor.indicators.Indicator` list): pactwatch's own coded events; status 'none' when the store
    has none."""
    from .indicators import monitor_series, store_coverage

    if store_coverage(con)[0] is None:
        return none("the news store holds no coded events", case)
    return add_article_metadata(summarize(monitor_series(con, indicators), proposals, months, latest, case), con)
