"""HTML pages: Home (cases), Case (scenarios, curves, drivers, analogues, the pair's events), Alliance explorer,
Reader (an article's events highlighted), and an offline API reference. Every page works without JavaScript."""
from __future__ import annotations

import datetime as dt
import re
import time
from html import escape
from pathlib import Path
from typing import Annotated, Optional

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from pactwatch.errors import PactwatchError
from pactwatch.reports import present as P
from pactwatch.web import charts
from pactwatch.web.services import (ATOP_FIRST_YEAR, ATOP_LAST_YEAR, MAX_TEXT_CHARS, OBLIGATION_LABELS, OBLIGATIONS,
                                    SCENARIO_NAME, WebError, WebState, parse_as_of)
HERE = Path(__file__).resolve().parent

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals.update(OBLIGATION_LABELS=OBLIGATION_LABELS, OBLIGATIONS=OBLIGATIONS)
templates.env.filters.update(pct=P.pct, pct_ci=P.pct_ci, pts=P.pts, median=P.median_text, years=P.years)

#: The home page computes headline forecasts until this many seconds have passed; later cases link to their page.
HOME_FORECAST_BUDGET_S = 20.0

QUAD = {1: "verbal cooperation", 2: "material cooperation", 3: "verbal conflict", 4: "material conflict"}


def _st(request: Request) -> WebState:
    return request.app.state.web


def render(request: Request, name: str, status: int = 200, **ctx) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"nav": name.split(".")[0], **ctx}, status_code=status)


def error_page(request: Request, status: int, title: str, detail: str) -> HTMLResponse:
    return render(request, "error.html", status=status, title=title, detail=detail, code=status)


# --------------------------------------------------------------------------------------------------------------------
# home and case
# --------------------------------------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def home(request: Request):
    st = _st(request)
    cases = st.cases()
    today = dt.date.today()
    budget = time.perf_counter() + HOME_FORECAST_BUDGET_S
    for c in cases:
        c["headline"] = None
        c["headline_error"] = None
        c["headline_pending"] = False
        if c.get("error"):
            continue
        if c.get("ended"):  # a historical (back-test) case: it has no future to forecast from today
            continue
        try:
            if time.perf_counter() > budget and st.cached_forecast(st.forecast_key(c["name"], None, today)) is None:
                c["headline_pending"] = True  # the page does not wait for every Monte Carlo forecast
                continue
            fc = st.forecast(c["name"], None, today).to_json()
            sq = fc["scenarios"][0]
            c["headline"] = {"label": sq["label"], "cells": [
                (f"{x['t']:g}", P.pct_ci(x["point"], x["lower"], x["upper"])) for x in sq["survival"] if x["t"] in (1.0, 5.0)]}
        except WebError as exc:
            c["headline_error"] = exc.detail
    return render(request, "home.html", title="Cases", cases=cases, cases_dir=st.cases_dir, as_of=today.isoformat())


def _scenario_menu() -> list[tuple[str, str]]:
    """(name, label) of every scenario, in the scenario files' order."""
    from pactwatch.scenarios.cases import load_scenarios

    try:
        sc = load_scenarios()
    except PactwatchError:
        return []
    return [(n, s.label) for n, s in sorted(sc.items(), key=lambda kv: (kv[1].order, kv[0]))]


def _forecast_view(st: WebState, name: str, scenario: list[str], day: dt.date) -> dict:
    """Everything the case page shows of a forecast, written by :mod:`pactwatch.reports.present` and
    :mod:`pactwatch.reports.report` (the same sentences and numbers as the report)."""
    from pactwatch.reports import report as R

    from pactwatch.reports.run import current_validation

    res = st.forecast(name, scenario or None, day)
    fc = res.to_json()
    fc["validation"] = current_validation(fc)  # a back-test stored after the forecast was cached is shown too
    return {"fc": fc, "table": P.scenario_table(fc), "answer": R.answer(fc)["text"], "caveats": R.caveats(fc),
            "backtest": P.backtest_tables(fc["validation"]), "validation": fc["validation"],
            "level": P.level_text(fc["level"]), "question": R.question(fc)["text"],
            "resolution": P.resolution_view(fc),
            "curves": charts.survival_svg(fc["scenarios"]),
            "drivers": [(s["label"], charts.bars_svg([d for d in s["drivers"] if d["value_now"] != d["reference"]],
                                                     f"Drivers under “{s['label']}”: change in 5-year survival against "
                                                     "a typical alliance-year"),
                         [d["label"] for d in s["drivers"] if d["value_now"] == d["reference"]])
                        for s in fc["scenarios"][:3] if s["drivers"]]}


def _query(scenario: list[str], as_of: str | None) -> str:
    from urllib.parse import urlencode

    return urlencode([("scenario", s) for s in scenario] + ([("as_of", as_of)] if as_of else []))


def _check_scenarios(scenario: list[str] | None) -> list[str]:
    scenario = [s for s in (scenario or []) if s]
    for s in scenario:
        if not SCENARIO_NAME.match(s) or len(s) > 200:
            raise WebError(422, "Invalid scenario name", f"scenario {s!r}: use lower-case letters, digits, '-' and '+'")
    return scenario


@router.get("/cases/{name}", response_class=HTMLResponse)
def case_page(request: Request, name: str, scenario: Annotated[Optional[list[str]], Query()] = None,
              as_of: Optional[str] = None):
    st = _st(request)
    case = st.case(name)
    scenario = _check_scenarios(scenario)
    day = parse_as_of(as_of)
    view, fc_error = None, None
    if case.get("error"):
        fc_error = case["error"]
    else:
        try:
            view = _forecast_view(st, name, scenario, day)
        except WebError as exc:
            if exc.status == 404:
                raise
            fc_error = exc.detail
    dyad, dyad_error = None, None
    codes = _iso_from_cow(st, case["members"])
    if len(codes) >= 2:
        try:
            dyad = st.dyad(codes[0], codes[1])
            months = [m for m in dyad["months"] if m.get("origin") in (None, "pactwatch")] or dyad["months"]
            dyad["chart"] = charts.series_svg(months)
        except WebError as exc:
            dyad_error = exc.detail
    else:
        dyad_error = "the members' ISO3 codes (which the news store uses) could not be found"
    return render(request, "case.html", title=case["title"], case=case, offered=_scenario_menu(), chosen=scenario,
                  as_of=day.isoformat(), view=view, forecast_error=fc_error, report_query=_query(scenario, as_of),
                  dyad=dyad, dyad_error=dyad_error, dyad_codes=codes[:2], QUAD=QUAD, news=_news(st, name, day))


def _news_summary(st: WebState, name: str):
    """What the news says about case ``name`` from the server's news store (the events already coded there; nothing
    is coded per request): a :class:`pactwatch.monitor.summary.NewsSummary`, or the error message as a string."""
    import duckdb

    from pactwatch.reports.news import news_from_store
    from pactwatch.web.services import READ_WAIT_SECONDS, case_path

    try:
        return news_from_store(case_path(st.cases_dir, name), st.news_db, wait=READ_WAIT_SECONDS)
    except (PactwatchError, OSError) as exc:
        return f"the news store could not be read: {exc}"
    except duckdb.Error as exc:  # a store without the columns the monitor reads: the page still renders
        return f"the news store is not usable ({exc})"


def _news(st: WebState, name: str, as_of=None) -> dict | None:
    """The report's "What the news says" section (:func:`pactwatch.reports.news.news_view`) for the case page; None
    when the case defines no indicators or the store holds no coded events (the pair's events section then says
    why)."""
    from pactwatch.reports.news import news_view

    s = _news_summary(st, name)
    if isinstance(s, str):
        return {"status": "error", "message": s}
    return news_view(s, as_of=as_of) if s.status == "ok" else None


#: The report is one self-contained file with inline CSS and embedded PNGs (no script): its own policy.
REPORT_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
              "frame-ancestors 'none'")


@router.get("/cases/{name}/report", response_class=HTMLResponse)
def case_report(request: Request, name: str, scenario: Annotated[Optional[list[str]], Query()] = None,
                as_of: Optional[str] = None):
    """The HTML report of the forecast the case page shows (:func:`pactwatch.reports.render_html`)."""
    from pactwatch.monitor.summary import none
    from pactwatch.reports import render_html

    st = _st(request)
    st.case(name)
    from pactwatch.reports.run import current_validation

    res = st.forecast(name, _check_scenarios(scenario) or None, parse_as_of(as_of)).to_json()
    news = _news_summary(st, name)
    if isinstance(news, str):
        news = none(news)
    elif news.status == "ok" and news.proposals:  # how far each proposed update moves this forecast
        from pactwatch.reports.news import with_effects

        news = with_effects(news, res, ctx=st._context(res["event"]["name"]))
    return HTMLResponse(render_html(res, current_validation(res), news=news),
                        headers={"Content-Security-Policy": REPORT_CSP})


def _iso_from_cow(st: WebState, members: list[dict]) -> list[str]:
    """ISO3 codes for the members (the news store's country codes), from the events country list: by the COW state
    name, else the COW abbreviation when it is also an ISO3 code in that list (true for RUS, PRK, CHN, USA, ...)."""
    try:
        ex = st.explorer
    except WebError:
        return []
    from pactwatch.errors import PactwatchError
    from pactwatch.events.actors import country_table

    try:
        rows = country_table()  # NGEC countries.csv in the events directory + pactwatch's aliases
    except PactwatchError:
        return []
    by_name = {str(n).lower(): r["iso3"] for r in rows for n in [r.get("name"), *(r.get("names") or [])] if n}
    isos = {r["iso3"] for r in rows}
    abb_of = {c: a for a, c in ex.abbs.items()}
    out = []
    for m in members:
        try:
            cc = int(m["ccode"])
        except (TypeError, ValueError, KeyError):
            continue
        iso = by_name.get(ex.state_name(cc).lower()) or (abb_of.get(cc) if abb_of.get(cc) in isos else None)
        if iso:
            out.append(iso)
    return out


# --------------------------------------------------------------------------------------------------------------------
# alliance explorer
# --------------------------------------------------------------------------------------------------------------------

@router.get("/alliances", response_class=HTMLResponse)
def explorer(request: Request, member: Optional[str] = None, year: Optional[str] = None,
             obligation: Optional[str] = None, page: int = 1):
    st = _st(request)
    q = {"member": (member or "").strip(), "year": (year or "").strip(), "obligation": obligation or ""}
    result, error = None, None
    if any(q.values()) or "search" in request.query_params:
        try:
            y = None
            if q["year"]:
                if not q["year"].isdigit():
                    raise WebError(422, "Invalid year", f"year {q['year']!r} is not a year")
                y = int(q["year"])
            per = 50
            page = max(1, page)
            result = st.search(member=q["member"] or None, year=y, obligation=q["obligation"] or None,
                                        limit=per, offset=(page - 1) * per)
            result["page"], result["pages"] = page, max(1, -(-result["count"] // per))
        except WebError as exc:
            if exc.status == 503:
                raise
            error = exc.detail
    return render(request, "alliances.html", title="Alliance explorer", q=q, result=result, error=error,
                  first_year=ATOP_FIRST_YEAR, last_year=ATOP_LAST_YEAR)


@router.get("/alliances/{atopid}", response_class=HTMLResponse)
def alliance_page(request: Request, atopid: int):
    d = _st(request).detail(atopid)
    return render(request, "alliance.html", title=f"ATOP alliance {atopid}", a=d)


# --------------------------------------------------------------------------------------------------------------------
# reader
# --------------------------------------------------------------------------------------------------------------------

@router.get("/reader", response_class=HTMLResponse)
def reader(request: Request):
    return render(request, "reader.html", title="Reader", text="", date="", result=None, marked=None, error=None,
                  max_chars=MAX_TEXT_CHARS)


@router.post("/reader", response_class=HTMLResponse)
async def reader_post(request: Request, text: Annotated[str, Form()] = "", date: Annotated[str, Form()] = "",
                      file: Annotated[Optional[UploadFile], File()] = None):
    st = _st(request)
    error = None
    if file is not None and file.filename:
        raw = await file.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            error = f"the file {file.filename!r} is not UTF-8 text"
        else:
            if file.filename.lower().endswith((".html", ".htm")):
                import trafilatura

                text = trafilatura.extract(text) or ""
                if not text:
                    error = f"no article text found in {file.filename!r}"
    text = text.replace("\r\n", "\n")
    result, marked = None, None
    if error is None:
        try:
            from starlette.concurrency import run_in_threadpool

            result = await run_in_threadpool(st.code_text, text, date.strip() or None)
            marked = highlight(text, result["events"])
        except WebError as exc:
            if exc.status == 503:
                raise
            error = exc.detail
    return render(request, "reader.html", title="Reader", text=text, date=date, result=result, marked=marked,
                  error=error, max_chars=MAX_TEXT_CHARS, QUAD=QUAD, status=200 if error is None else 422)


def highlight(text: str, events: list[dict]) -> Markup:
    """``text`` as HTML with every event's source, target and verb wrapped in <mark> (classes ``src``/``tgt``/``verb``)
    and numbered after the span. Overlapping spans are split at every boundary, so no character is lost or doubled."""
    roles: dict[int, set] = {}
    ends: dict[int, set] = {}
    bounds = {0, len(text)}
    names = {"src": "source", "tgt": "target", "verb": "action"}
    for n, e in enumerate(events, 1):
        for key, role in (("source_span", "src"), ("target_span", "tgt"), ("verb_span", "verb")):
            sp = e.get(key)
            if not sp:
                continue
            a, b = max(0, int(sp[0])), min(len(text), int(sp[1]))
            if a >= b:
                continue
            bounds.update((a, b))
            ends.setdefault(b, set()).add(n)
            for i in range(a, b):
                roles.setdefault(i, set()).add((role, n))
    cuts = sorted(bounds)
    out = []
    for a, b in zip(cuts, cuts[1:]):
        seg = escape(text[a:b])
        r = roles.get(a)
        if not r:
            out.append(seg)
            continue
        kinds = " ".join(sorted({k for k, _ in r}))
        nums = sorted({n for _, n in r})
        label = "; ".join(f"event {n}: {names[k]}" for k, n in sorted(r, key=lambda x: (x[1], x[0])))
        sup = f'<sup aria-hidden="true">{",".join(map(str, sorted(ends[b])))}</sup>' if b in ends else ""
        out.append(f'<mark class="{kinds}" data-events="{" ".join(map(str, nums))}" title="{escape(label)}">{seg}{sup}</mark>')
    return Markup("".join(out))


# --------------------------------------------------------------------------------------------------------------------
# API reference (offline, from the OpenAPI document)
# --------------------------------------------------------------------------------------------------------------------

_ROLE = re.compile(r":[a-z]+:`~?([^`]+)`")
_LITERAL = re.compile(r"``([^`]+)``")


def rst_text(text: str) -> Markup:
    """A docstring's reStructuredText inline markup as HTML: ``literal`` and :role:`target` become <code>; the rest is
    escaped text."""
    out, pos = [], 0
    text = text or ""
    for m in re.finditer(f"{_ROLE.pattern}|{_LITERAL.pattern}", text):
        out.append(escape(text[pos:m.start()]))
        out.append(f"<code>{escape(m.group(1) or m.group(2))}</code>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("".join(out))


@router.get("/api-docs", response_class=HTMLResponse)
def api_docs(request: Request):
    doc = request.app.openapi()
    ops = []
    for path, methods in doc.get("paths", {}).items():
        for method, op in methods.items():
            ops.append({"method": method.upper(), "path": path, "summary": op.get("summary", ""),
                        "description": rst_text(op.get("description", "")),
                        "params": [{"name": p["name"], "in": p["in"], "required": p.get("required", False),
                                    "description": rst_text(p.get("description", ""))}
                                   for p in op.get("parameters", [])],
                        "responses": sorted(op.get("responses", {}).keys())})
    return render(request, "api_docs.html", title="API", ops=ops, info=doc.get("info", {}))
