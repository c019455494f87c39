"""The REST API (``/api/...``): JSON in and out, errors as ``application/problem+json`` (RFC 9457).

Read-only: every route is a GET, except ``POST /api/events/code``, which computes and stores nothing.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional

from fastapi import APIRouter, Body, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from pactwatch.scenarios.result import ForecastResult
from pactwatch.web.services import (ATOP_FIRST_YEAR, ATOP_LAST_YEAR, MAX_TEXT_CHARS, OBLIGATIONS, WebState,
                                    parse_as_of)

router = APIRouter(prefix="/api")

CASE_PATTERN = r"^[a-z0-9-]+$"
SCENARIO_PATTERN = r"^[a-z0-9+-]+$"  # '+' composes scenarios: war-ends+us-retrenchment
MONTH_PATTERN = r"^[12]\d{3}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


# --------------------------------------------------------------------------------------------------------------------
# models (they document the API; responses are checked against them)
# --------------------------------------------------------------------------------------------------------------------

class Problem(BaseModel):
    """An error (RFC 9457 problem details)."""

    model_config = ConfigDict(extra="allow")
    type: str = Field("about:blank", description="A URI naming the kind of problem")
    title: str = Field(..., description="Short summary of the kind of problem")
    status: int = Field(..., description="The HTTP status code")
    detail: str = Field(..., description="What went wrong with this request, naming the input")


class CaseMember(BaseModel):
    ccode: int = Field(..., description="COW state code")
    name: Optional[str] = None


class CaseSummary(BaseModel):
    name: str = Field(..., description="Case name (file name without .yaml)")
    title: str = Field(..., description="The case's name as the file gives it")
    kind: Optional[Literal["atop", "direct"]] = Field(None, description="An ATOP alliance or one defined in the file")
    atopid: Optional[int] = None
    question: Optional[str] = None
    members: list[CaseMember]
    signed: Optional[str] = None
    in_force: Optional[str] = None
    ended: Optional[str] = None
    backtest: Optional[bool] = Field(None, description="Whether the case is in the back-test set")
    error: Optional[str] = Field(None, description="Why the case file is not a valid case, if it is not")
    from_atop: list[str] = Field([], description="Fields the file leaves out, filled from ATOP 5.1 (ATOP cases)")


class CaseList(BaseModel):
    cases: list[CaseSummary]


class State(BaseModel):
    ccode: int = Field(..., description="COW state code")
    name: str = Field(..., description="COW state name (its latest)")


class AllianceSummary(BaseModel):
    atopid: int
    begin: str = Field(..., description="Begin date (ATOP; a missing day set to the 15th)")
    end: Optional[str] = Field(None, description="End date; null while in effect at 31 Dec 2018")
    in_effect: bool
    duration_years: float = Field(..., description="Begin to end, or to 31 Dec 2018 while in effect (days / 365.25)")
    members: list[State] = Field(..., description="Every state that was ever a member")
    obligations: list[str]
    term_label: Optional[str] = Field(None, description="How it ended (ATOP term); null while in effect")


class AllianceSearch(BaseModel):
    count: int = Field(..., description="Alliances matching the query (all pages)")
    offset: int
    limit: int
    matched_states: list[State] = Field(..., description="The COW states the member query matched")
    results: list[AllianceSummary]


class MemberRecord(BaseModel):
    ccode: int
    name: str
    phase: int
    entry: Optional[str]
    exit: Optional[str]
    in_effect: bool
    termmode: Optional[int] = None
    termmode_label: Optional[str] = None
    termcaus: Optional[int] = None
    termcaus_label: Optional[str] = None


class Provision(BaseModel):
    code: str = Field(..., description="ATOP 5.1 variable")
    label: str
    meaning: str
    value: Optional[float] = Field(None, description="As published; null when ATOP could not code it")


class AllianceDetail(BaseModel):
    atopid: int
    summary: AllianceSummary
    lifetime: dict[str, Any]
    members: list[MemberRecord] = Field(..., description="One row per member and phase, as in the ATOP member file")
    provisions: list[Provision]


class CodeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=MAX_TEXT_CHARS, pattern=r"\S",
                      description="The article or sentence to code (not only white space)")
    date: Optional[dt.date] = Field(None, description="Publication date YYYY-MM-DD (who holds an office depends on it)")


class Event(BaseModel):
    model_config = ConfigDict(extra="allow")
    source: Optional[str] = Field(None, description="Source actor (ISO3 country or IGO code)")
    target: Optional[str] = None
    code: Optional[str] = Field(None, description="CAMEO code")
    root: Optional[str] = None
    name: Optional[str] = None
    quad: Optional[int] = Field(None, description="1 verbal coop., 2 material coop., 3 verbal conflict, 4 material conflict")
    goldstein: Optional[float] = None
    sentence: Optional[str] = None
    sentence_span: Optional[list[int]] = None
    verb_span: Optional[list[int]] = None
    source_span: Optional[list[int]] = None
    target_span: Optional[list[int]] = None
    confidence: Optional[float] = None


class Abstention(BaseModel):
    model_config = ConfigDict(extra="allow")
    verb: Optional[str] = None
    reason: Optional[str] = None


class CodeResult(BaseModel):
    date: Optional[str]
    chars: int
    events: list[Event]
    abstained: list[Abstention] = Field(..., description="Verbs the coder considered and did not code, with the reason")


class DyadSeries(BaseModel):
    a: str
    b: str
    months: list[dict[str, Any]] = Field(..., description="One row per month and origin (see pactwatch.monitor.dyad)")
    recent_events: list[dict[str, Any]]
    log: list[dict[str, Any]]


def _problems(*codes: int) -> dict:
    """OpenAPI entries for error responses (the app rewrites them all to application/problem+json)."""
    text = {400: "Bad request", 404: "Not found", 413: "Request body too large", 422: "Invalid input",
            503: "A component (datasets, forecast engine, event coder, news store) is not available"}
    return {c: {"model": Problem, "description": text[c]} for c in codes}


def state(request: Request) -> WebState:
    return request.app.state.web


# --------------------------------------------------------------------------------------------------------------------
# routes
# --------------------------------------------------------------------------------------------------------------------

@router.get("/health", tags=["meta"], summary="Liveness")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/cases", response_model=CaseList, tags=["cases"], summary="The case files")
def cases(request: Request) -> dict:
    """Every case file in the cases folder, read through the case schema (name, members, dates; for an ATOP case what
    the file leaves out comes from ATOP 5.1, named in ``from_atop``). Files that are not valid cases are listed with
    ``error``."""
    return {"cases": state(request).cases()}


CaseName = Annotated[str, Path(pattern=CASE_PATTERN, max_length=100, description="Case name, e.g. rus-prk-2024")]


@router.get("/cases/{name}", response_model=CaseSummary, tags=["cases"], summary="One case file",
            responses=_problems(404, 422))
def case(request: Request, name: CaseName) -> dict:
    return state(request).case(name)


@router.get("/cases/{name}/forecast", response_model=ForecastResult, tags=["cases"],
            summary="Forecast a case under scenarios", responses=_problems(404, 422, 503))
def forecast(request: Request, name: CaseName,
             scenario: Annotated[Optional[list[Annotated[str, Query(pattern=SCENARIO_PATTERN, max_length=200)]]],
                                 Query(description="Scenario name; repeat for several (default: every default "
                                                   "scenario). The status quo is always included.")] = None,
             as_of: Annotated[Optional[str], Query(pattern=DATE_PATTERN, description="Forecast date YYYY-MM-DD "
                                                   "(default: today)")] = None) -> ForecastResult:
    """Survival under each scenario with uncertainty bands, differences from the status quo, drivers, base rate and
    analogues (``pactwatch.forecast/2``, the same JSON as ``pactwatch forecast --json``), on the server's data. Results
    are cached by the content of the case file, the scenario files, the data tables, the as-of date and the model
    version."""
    st = state(request)
    return st.forecast(name, scenario, parse_as_of(as_of))


@router.get("/alliances", response_model=AllianceSearch, tags=["alliances"], summary="Search ATOP 5.1 alliances",
            responses=_problems(404, 422, 503))
def alliances(request: Request,
              member: Annotated[Optional[str], Query(min_length=1, max_length=100, pattern=r"\S", description="COW code (365), COW abbreviation (RUS) or part of a state name (korea)")] = None,
              year: Annotated[Optional[int], Query(ge=ATOP_FIRST_YEAR, le=ATOP_LAST_YEAR, description="In effect during this year (with member: that member was in it)")] = None,
              obligation: Annotated[Optional[Literal["defense", "offense", "neutral", "nonagg", "consul"]], Query(description="ATOP obligation")] = None,
              limit: Annotated[int, Query(ge=1, le=500, description="Results per page (at most 500)")] = 50,
              offset: Annotated[int, Query(ge=0, le=100_000, description="Results to skip before the page starts "
                                                                          "(offset 50 with limit 50: the second page)")] = 0) -> dict:
    """Alliances by member, year and obligation (all optional, combined with AND), ordered by atopid."""
    assert obligation is None or obligation in OBLIGATIONS
    return state(request).search(member=member, year=year, obligation=obligation, limit=limit, offset=offset)


@router.get("/alliances/{atopid}", response_model=AllianceDetail, tags=["alliances"], summary="One ATOP alliance",
            responses=_problems(404, 422, 503))
def alliance(request: Request, atopid: Annotated[int, Path(ge=0, le=10**9, description="ATOP alliance id")]) -> dict:
    """Members (per phase, with entry/exit and how each left), provisions and lifetime (begin, end, censoring)."""
    return state(request).detail(atopid)


@router.post("/events/code", response_model=CodeResult, tags=["events"], summary="Code a text into events",
             responses=_problems(413, 422, 503))
def code_events(request: Request, body: Annotated[CodeRequest, Body()]) -> dict:
    """Who did what to whom in the text: CAMEO-coded events with the actors' and the verb's character spans in
    ``text`` as evidence, and the verbs the coder abstained on. Nothing is stored."""
    return state(request).code_text(body.text, body.date.isoformat() if body.date else None)


Country = Annotated[str, Path(pattern=r"^[A-Z]{3}$", description="ISO 3166 alpha-3 code, e.g. RUS")]


@router.get("/dyads/{a}/{b}", response_model=DyadSeries, tags=["events"], summary="Monthly event series of a pair",
            responses=_problems(404, 422, 503))
def dyad(request: Request, a: Country, b: Country,
         start: Annotated[Optional[str], Query(alias="from", pattern=MONTH_PATTERN, description="First month, YYYY-MM[-DD]")] = None,
         end: Annotated[Optional[str], Query(alias="to", pattern=MONTH_PATTERN, description="Last month, YYYY-MM[-DD]")] = None) -> dict:
    """Counts by quad class, mean Goldstein and the cooperation–conflict index per month from the dyad monitor over the
    news store (read-only). 503 if the monitor or the news store is missing."""
    return state(request).dyad(a, b, start, end)
