"""YAML schemas for cases (alliances to forecast) and scenarios (shocks to their time-varying covariates).

Validated with pydantic; unknown fields are errors (a typo never passes silently). :func:`validation_message` turns a
pydantic error into one line per problem naming the file and the field path (``obligations.defense.value``).

Sourced values
--------------
Every value a researcher types in about the world (a treaty article, a war's start, a regime score) is a
:class:`Sourced` mapping: ``value`` plus ``source`` (where it comes from: document, dataset and year), ``uncertain``
(true when the coding is a judgement or the source is secondary) and an optional ``note``. An uncertain value may list
``alternatives``: other readings, each with a ``value`` valid for the field, a ``weight`` in [0, 1] and a ``source``;
the weights sum to less than 1 and the coded value keeps the rest. The forecast's Monte Carlo samples one reading per
draw (:mod:`pactwatch.scenarios.codings`); an uncertain value without alternatives is listed, not sampled.

Ranges and references
---------------------
No number in a case or scenario may be NaN or infinite (``allow_inf_nan=False`` everywhere), and each has a range:
COW codes must be COW state codes (:data:`pactwatch.data.cow_codes.COW_STATE_CODES`), Polity2 values lie in
[-10, 10] and changes in [-20, 20], CINC ratios and factors in (0, 1000], shock years in
[0, :data:`MAX_OFFSET`] after the as-of year (``relative``) or in [:data:`MIN_YEAR`, :data:`MAX_YEAR`] (calendar
years), and an ``observed.date`` may not precede the entry into force. :func:`validate_run` checks the settings of a
forecast run (as-of date, draws, seed, horizon, interval level) the same way.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Annotated, Any, Generic, Literal, Optional, TypeVar, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pactwatch.data.cow_codes import COW_STATE_CODES

T = TypeVar("T")

#: Calendar years a shock may be placed in (``relative: false``): the COW state system's first year to a far future.
MIN_YEAR, MAX_YEAR = 1816, 2200
#: Years after the as-of year a relative shock may be placed in (the horizon is at most 50 years).
MAX_OFFSET = 100


def _cow_code(v: int) -> int:
    if v not in COW_STATE_CODES:
        raise ValueError(f"{v} is not a COW state code (COW states2016 lists every code a state has had, 1816-2016)")
    return v


#: A COW state code that exists in the COW state list.
CowCode = Annotated[int, AfterValidator(_cow_code)]
Polity2 = Annotated[float, Field(ge=-10, le=10, allow_inf_nan=False)]
Polity2Delta = Annotated[float, Field(ge=-20, le=20, allow_inf_nan=False)]
Ratio = Annotated[float, Field(gt=0, le=1000, allow_inf_nan=False)]
AtopId = Annotated[int, Field(ge=1, le=99999)]


def _at(field: str, msg: str) -> ValueError:
    """An error a cross-field validator raises about one field: :func:`validation_message` names that field."""
    return ValueError(f"[{field}] {msg}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Alternative(_Strict, Generic[T]):
    """Another reading of an uncertain value: ``value`` (valid for the field, checked by the field's own type),
    ``weight`` (the probability that it is the right reading, in [0, 1]) and ``source`` (why)."""
    value: T
    weight: float = Field(ge=0, le=1, allow_inf_nan=False)
    source: str = Field(min_length=3)


def _same_value(a, b) -> bool:
    """Two coded values are the same reading (lists compared as given: [365] is not [])."""
    import json

    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


class Sourced(_Strict, Generic[T]):
    value: T
    source: str = Field(min_length=3)
    uncertain: bool = False
    note: Optional[str] = None
    alternatives: list[Alternative[T]] = Field(
        default_factory=list, description="other readings of an uncertain value with their weights; the coded value "
        "keeps 1 − the sum of the weights (the Monte Carlo samples them, see pactwatch.scenarios.codings)")

    @model_validator(mode="after")
    def _alternatives(self):
        if not self.alternatives:
            return self
        if not self.uncertain:
            raise _at("alternatives", "only a value marked 'uncertain: true' may list alternatives")
        tot = math.fsum(a.weight for a in self.alternatives)
        if tot >= 1:
            raise _at("alternatives", f"the weights sum to {tot:g}; they must sum to less than 1 (the coded value "
                      "keeps the remaining weight)")
        seen = [self.value]
        for i, a in enumerate(self.alternatives):
            if any(_same_value(a.value, v) for v in seen):
                raise _at(f"alternatives.{i}.value", f"{a.value!r} repeats the coded value or an earlier alternative")
            seen.append(a.value)
        return self


Binary = Literal[0, 1]


class Member(_Strict):
    ccode: CowCode = Field(description="COW state code")
    name: str
    source: Optional[str] = None


class Obligations(_Strict):
    """ATOP obligations (codebook 5.1): 1 if any member promises it."""
    defense: Sourced[Binary]
    offense: Sourced[Binary]
    neutral: Sourced[Binary]
    nonagg: Sourced[Binary]
    consul: Sourced[Binary]


class Design(_Strict):
    """Treaty design. ``length``: 'fixed' (a specified term, ATOP speclgth 1, give ``years``), 'conditional' (until an
    event, speclgth 2), 'indefinite' (speclgth 3, incl. until notice of withdrawal) or 'none' (not specified, 0).
    ``renunciation``: a legal way out during the term (ATOP renounce 1-3). ``econ_linkage``: economic provisions
    (ATOP ecaid > 0, compag = 2 or agprois = 2)."""
    length: Sourced[Literal["fixed", "conditional", "indefinite", "none"]]
    years: Optional[float] = Field(default=None, gt=0, le=1000)
    renunciation: Sourced[bool]
    econ_linkage: Sourced[Binary]

    @model_validator(mode="after")
    def _years(self):
        if self.length.value == "fixed" and self.years is None:
            raise ValueError("length 'fixed' needs 'years' (the initial term)")
        if self.years is None and any(a.value == "fixed" for a in self.length.alternatives):
            raise _at("length.alternatives", "an alternative 'fixed' needs 'years' (the initial term)")
        return self


class Formation(_Strict):
    """Conditions at entry into force (the model's formation covariates)."""
    wartime: Sourced[Binary]
    major_powers: Sourced[list[CowCode]]
    polity2: dict[CowCode, Sourced[Polity2]] = Field(description="Polity2 of each member at formation, by COW code")


class WarSpell(_Strict):
    at_war: Binary
    war: Optional[str] = None
    since: Optional[dt.date] = None
    source: str = Field(min_length=3)
    uncertain: bool = False
    note: Optional[str] = None


class MemberObs(_Strict):
    """One member's state at the as-of date (values after the data's end)."""
    at_war: WarSpell
    rivals: Sourced[list[CowCode]] = Field(description="COW codes of the member's strategic rivals")
    polity2: Sourced[Polity2]
    cinc_ratio: Sourced[Ratio] = Field(description="CINC now / CINC at entry (1 = unchanged)")
    leader: Optional[Sourced[str]] = None
    leader_since: Optional[Sourced[dt.date]] = None
    leader_change_this_year: Sourced[Binary] = Field(default_factory=lambda: Sourced[Binary](value=0, source="default: none"))
    new_outside_alliance_this_year: Sourced[Binary] = Field(default_factory=lambda: Sourced[Binary](value=0, source="default: none"))
    irregular_leader_entry_this_year: Sourced[Binary] = Field(
        default_factory=lambda: Sourced[Binary](value=0, source="default: none"),
        description="a leader entered office irregularly (coup, revolt) or by foreign imposition this year (Archigos rule)")
    euds: Optional[Sourced[Annotated[float, Field(ge=-5, le=5, allow_inf_nan=False)]]] = Field(
        default=None, description="extended UDS score (Marquez 2016) on the as-of date (past the data's end)")
    peace_rivals: Optional[Sourced[list[CowCode]]] = Field(
        default=None, description="COW codes of the member's severe or lesser rivals on the Goertz-Diehl-Balas peace scale")
    severe_rivals: Optional[Sourced[list[CowCode]]] = Field(
        default=None, description="COW codes of the member's severe rivals on the peace scale (a subset of peace_rivals)")
    mid_opponents_10y: Optional[Sourced[list[CowCode]]] = Field(
        default=None, description="COW codes of the states the member had a militarised dispute with in the ten years "
                                  "to the as-of year (GML MID rule)")

    @model_validator(mode="after")
    def _severe_in_peace(self):
        if self.severe_rivals is not None and self.peace_rivals is not None:
            extra = sorted(set(self.severe_rivals.value) - set(self.peace_rivals.value))
            if extra:
                raise _at("severe_rivals", f"{extra} are severe rivals but not in peace_rivals (severe or lesser)")
        return self


class Observed(_Strict):
    """Covariate values on ``date``, by member COW code. A direct case takes each value from the data wherever they
    reach the as-of year (or the year before, for the lagged covariates) and these hand values only past the data's
    end (:func:`pactwatch.scenarios.cases.resolve`)."""
    date: dt.date
    members: dict[CowCode, MemberObs]


class Event(_Strict):
    date: dt.date
    what: str
    source: str


class Outcome(_Strict):
    """What happened (historical cases): for the record; the back-test takes the outcome from ATOP."""
    ended: Optional[dt.date] = None
    how: str
    source: str


class Criterion(_Strict):
    """One resolution criterion: what happens (``text``) and where the rule comes from (``source``: the treaty
    article, the question's author, a dataset's coding rule)."""
    text: str = Field(min_length=3)
    source: str = Field(min_length=3)


class Resolution(_Strict):
    """How the case's question is resolved: ``ends`` lists what counts as the alliance ending (any one suffices),
    ``continues`` what counts as continuation (e.g. a successor treaty between the same members), ``dates`` the
    resolution dates (ISO dates, unique, in increasing order, after the entry into force): "is the alliance still in
    effect on each date?"."""
    ends: list[Criterion] = Field(min_length=1, description="what counts as the alliance ending (any one suffices)")
    continues: list[Criterion] = Field(default_factory=list, description="what counts as continuation, not ending")
    dates: list[dt.date] = Field(min_length=1, description="resolution dates, in increasing order")
    note: Optional[str] = None

    @field_validator("dates")
    @classmethod
    def _dates(cls, v: list[dt.date]) -> list[dt.date]:
        dup = sorted({str(d) for d in v if v.count(d) > 1})
        if dup:
            raise ValueError(f"resolution dates must be unique; repeated: {', '.join(dup)}")
        if v != sorted(v):
            raise ValueError(f"resolution dates must be in increasing order, got {', '.join(map(str, v))}")
        return v


class Case(_Strict):
    """An alliance to forecast: an ATOP alliance (``atopid``) or one defined directly (members, dates, obligations,
    design, formation conditions)."""
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    question: Optional[Sourced[str]] = Field(default=None, description="the question the forecast answers, in words "
                                             "(shown at the top of the report), with where it was posed")
    kind: Literal["atop", "direct"]
    atopid: Optional[AtopId] = None
    members: list[Member] = Field(default_factory=list)
    signed: Optional[Sourced[dt.date]] = None
    in_force: Optional[Sourced[dt.date]] = None
    replaces: Optional[Sourced[AtopId]] = Field(default=None, description="atopid of the agreement this one replaced")
    obligations: Optional[Obligations] = None
    design: Optional[Design] = None
    formation: Optional[Formation] = None
    observed: Optional[Observed] = None
    events: list[Event] = Field(default_factory=list)
    outcome: Optional[Outcome] = None
    resolution: Optional[Resolution] = Field(default=None, description="how the question is resolved: what counts "
                                             "as ending, what as continuation, and the resolution dates")
    backtest: bool = Field(default=False, description="include in the back-test set")
    notes: list[str] = Field(default_factory=list)
    indicators: list[dict] = Field(default_factory=list, description="partnership indicators (pactwatch.monitor.indicators)")

    @model_validator(mode="after")
    def _kind(self):
        if self.kind == "atop":
            if self.atopid is None:
                raise ValueError("kind 'atop' needs 'atopid'")
        else:
            miss = [f for f in ("in_force", "obligations", "design", "formation") if getattr(self, f) is None]
            if miss:
                raise ValueError(f"kind 'direct' needs {miss}")
            if len(self.members) < 2:
                raise ValueError("kind 'direct' needs at least two members")
        cc = [m.ccode for m in self.members]
        if len(set(cc)) != len(cc):
            raise ValueError(f"members: duplicated COW code in {cc}")
        if self.formation is not None and self.members:
            miss = sorted(set(cc) - set(self.formation.polity2))
            if miss:
                raise ValueError(f"formation.polity2: no value for member(s) {miss}")
        start = self.in_force or self.signed
        if self.observed is not None and start is not None and self.observed.date < start.value:
            what = "entry into force" if self.in_force is not None else "signature"
            raise _at("observed.date", f"{self.observed.date} is before the alliance's {what} ({start.value}): the "
                      "observed member states must describe a date when the alliance existed")
        if self.resolution is not None and start is not None:
            early = [d for d in self.resolution.dates if d <= start.value]
            if early:
                what = "entry into force" if self.in_force is not None else "signature"
                raise _at("resolution.dates", f"{', '.join(map(str, early))} not after the alliance's {what} "
                          f"({start.value}): a resolution date asks whether the alliance is still in effect then")
        if self.observed is not None and self.members:
            miss = sorted(set(cc) - set(self.observed.members))
            extra = sorted(set(self.observed.members) - set(cc))
            if miss or extra:
                raise ValueError(f"observed.members must list exactly the members {cc} (missing {miss}, unknown {extra})")
        return self


# ------------------------------------------------------------------------------------------------------ scenarios
class Timing(_Strict):
    """When a shock happens, in calendar years. ``relative`` (default true): years after the as-of year (0 = the as-of
    year itself); false: calendar years. One of: ``fixed`` (a year); ``dist: uniform`` (each whole year low..high
    equally likely); ``dist: triangular`` (continuous triangular on [low, high + 1) with mode ``mode``, floored to the
    year); ``dist: discrete`` (``p`` maps years to probabilities; ``never`` is the probability the shock does not happen
    within the horizon; together they sum to 1); ``dist: geometric`` (a constant chance ``p_per_year`` that the shock
    happens in each year from the as-of date on, the as-of year counting only its remaining fraction: the waiting
    time is exponential with rate −ln(1 − p_per_year); a draw past the horizon means the shock does not happen in the
    window). ``by`` (geometric only): the shock happens on or before that date — the geometric distribution truncated
    at ``by``, i.e. conditioned on the shock happening by then. ``p_per_year: from-data`` (``war-ends`` only): the
    yearly chance is computed on the as-of date from the data known then (:mod:`.war_timing`)."""
    relative: bool = True
    fixed: Optional[int] = None
    dist: Optional[Literal["uniform", "triangular", "discrete", "geometric"]] = None
    low: Optional[int] = None
    mode: Optional[float] = None
    high: Optional[int] = None
    p: Optional[dict[int, Annotated[float, Field(ge=0, le=1)]]] = None
    never: float = Field(default=0.0, ge=0, le=1)
    p_per_year: Optional[Union[Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)], Literal["from-data"]]] = Field(
        default=None, description="geometric: the chance the shock happens in any one year, or 'from-data' (war-ends "
                                  "only: computed on the as-of date, :mod:`pactwatch.scenarios.war_timing`)")
    by: Optional[dt.date] = Field(default=None, description="geometric: the shock happens by this date (truncation)")
    source: Optional[str] = None

    @model_validator(mode="after")
    def _check(self):
        if (self.fixed is None) == (self.dist is None):
            raise ValueError("give exactly one of 'fixed' or 'dist'")
        lo, hi = (0, MAX_OFFSET) if self.relative else (MIN_YEAR, MAX_YEAR)
        unit = "years after the as-of year (relative timing)" if self.relative else "a calendar year (relative: false)"
        years = {"fixed": self.fixed, "low": self.low, "high": self.high, "mode": self.mode}
        years.update({f"p.{k}": k for k in (self.p or {})})
        for name, v in years.items():
            if v is not None and not lo <= v <= hi + (1 if name == "mode" else 0):
                raise ValueError(f"{name} = {v} is out of range: {unit} must lie in [{lo}, {hi}]")
        if self.dist in ("uniform", "triangular"):
            if self.low is None or self.high is None or self.low > self.high:
                raise ValueError(f"dist {self.dist!r} needs low <= high")
            if self.dist == "triangular" and (self.mode is None or not self.low <= self.mode <= self.high + 1):
                raise ValueError("dist 'triangular' needs low <= mode <= high + 1")
        if self.dist == "geometric":
            if self.p_per_year is None:
                raise ValueError("dist 'geometric' needs p_per_year (the chance the shock happens in any one year, "
                                 "strictly between 0 and 1)")
            extra = [k for k in ("low", "high", "mode", "p") if getattr(self, k) is not None]
            if extra:
                raise ValueError(f"dist 'geometric' takes p_per_year (and optionally by), not {extra}")
            if not self.relative:
                raise ValueError("dist 'geometric' starts at the as-of date: it needs relative timing (omit "
                                 "'relative: false'; give a calendar limit with 'by')")
            if self.by is not None and not MIN_YEAR <= self.by.year <= MAX_YEAR:
                raise ValueError(f"by = {self.by} is out of range: a date in [{MIN_YEAR}, {MAX_YEAR}]")
        else:
            for k in ("p_per_year", "by"):
                if getattr(self, k) is not None:
                    raise ValueError(f"'{k}' is only allowed with dist 'geometric'")
        if self.dist == "discrete":
            if not self.p:
                raise ValueError("dist 'discrete' needs p: {year: probability}")
            if any(v < 0 for v in self.p.values()):
                raise ValueError("p: probabilities must be >= 0")
            tot = sum(self.p.values()) + self.never
            if abs(tot - 1) > 1e-6:
                raise ValueError(f"p plus never must sum to 1 (got {tot:.6g})")
        elif self.never:
            raise ValueError("'never' is only allowed with dist 'discrete'")
        return self


MemberSel = Union[Literal["all", "any", "major", "minor"], int, list[int]]


class Shock(_Strict):
    """One change to the world; its ``kind`` decides which covariates it touches (see :mod:`.shocks`)."""
    kind: Literal["war-ends", "rival-removed", "rival-added", "leader-change", "power-shift", "regime-change",
                  "new-outside-alliance"]
    members: MemberSel = "all"
    timing: Timing
    rivals: list[CowCode] = Field(default_factory=list, description="rival-removed / rival-added: COW codes")
    cinc_factor: Optional[Ratio] = Field(default=None, description="power-shift: CINC multiplied by this")
    polity2_delta: Optional[Polity2Delta] = Field(default=None, description="regime-change: Polity2 change")
    source: Optional[str] = None

    @field_validator("members")
    @classmethod
    def _member_codes(cls, v):
        for c in [v] if isinstance(v, int) else v if isinstance(v, list) else []:
            _cow_code(c)
        return v

    @model_validator(mode="after")
    def _args(self):
        if self.kind in ("rival-removed", "rival-added") and not self.rivals:
            raise ValueError(f"kind {self.kind!r} needs 'rivals'")
        if self.kind == "power-shift" and self.cinc_factor is None:
            raise ValueError("kind 'power-shift' needs 'cinc_factor'")
        if self.timing.p_per_year == "from-data" and self.kind != "war-ends":
            raise ValueError(f"'p_per_year: from-data' is computed for kind 'war-ends' only, not {self.kind!r}")
        if self.kind == "regime-change" and self.polity2_delta is None:
            raise ValueError("kind 'regime-change' needs 'polity2_delta'")
        return self


class Scenario(_Strict):
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9+._-]*$")
    label: str
    description: str = ""
    shocks: list[Shock] = Field(default_factory=list)
    compose: list[str] = Field(default_factory=list, description="names of scenarios whose shocks are added")
    default: bool = Field(default=True, description="run when no --scenario is given")
    order: int = 100


def validation_message(exc: ValidationError, where: str) -> str:
    """One readable line per problem: ``<file>: field 'a.b.c': message``."""
    lines = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e["loc"]
                       if not (isinstance(x, str) and (x.startswith(("function-after", "literal[")) or x == "[key]")))
        msg = e["msg"].removeprefix("Value error, ")
        if msg.startswith("[") and "] " in msg:  # raised by a cross-field rule about one field (see _at)
            field, msg = msg[1:].split("] ", 1)
            loc = f"{loc}.{field}" if loc else field
        line = f"{where}: field '{loc or '(top level)'}': {msg}"
        if line not in lines:
            lines.append(line)
    return "\n".join(lines)


def parse(model: type[BaseModel], data: Any, where: str):
    from pactwatch.errors import PactwatchError

    if not isinstance(data, dict):
        raise PactwatchError(f"{where}: expected a YAML mapping at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PactwatchError(validation_message(exc, where)) from None


# ------------------------------------------------------------------------------------------------------ run settings
#: Monte Carlo draws allowed in one run. Memory grows with the draws (100,000,000 draws allocated 16 GiB, about 171
#: bytes a draw); 100,000 draws already put the Monte Carlo error of a survival probability below 0.2 percentage
#: points.
MIN_SIMS, MAX_SIMS = 10, 100_000
MIN_HORIZON, MAX_HORIZON = 1.0, 50.0
#: The latest as-of date accepted, in years after today: the member states at the as-of date must be observed (a
#: case's ``observed`` block), so a date far in the future is not a forecast from observed states.
MAX_AS_OF_YEARS_AHEAD = 5
#: The earliest as-of date: the start of the COW state system (no data before).
MIN_AS_OF = dt.date(1816, 1, 1)
MAX_SEED = 2**63 - 1


@dataclass(frozen=True)
class RunSettings:
    """The validated settings of a forecast run (see :func:`validate_run`)."""
    as_of: dt.date
    sims: int
    seed: int
    horizon: float
    level: float


def _as_int(name: str, v) -> int:
    """A whole number from an int (numpy's too), a whole float or a decimal string; anything else is an error."""
    import operator

    if not isinstance(v, bool):
        if hasattr(v, "__index__"):
            return operator.index(v)
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, str):
            try:
                return int(v.strip())
            except ValueError:
                pass
    raise _run_error(f"{name} must be a whole number, got {v!r}")


def _as_float(name: str, v) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise _run_error(f"{name} must be a number, got {v!r}") from None
    if isinstance(v, bool) or not math.isfinite(f):
        raise _run_error(f"{name} must be a finite number, got {v!r}")
    return f


def _run_error(msg: str):
    from pactwatch.errors import PactwatchError

    return PactwatchError(msg)


def validate_run(as_of=None, sims=1000, seed=0, horizon=10.0, level=0.9, *, today: dt.date | None = None) -> RunSettings:
    """Check the settings of a forecast run and return them normalised, or raise PactwatchError saying which setting
    is wrong and what is allowed (in library terms: the caller names its own flags or fields).

    - ``as_of``: None (today), a ``datetime.date`` / ``datetime`` / ``pandas.Timestamp``, or an ISO date string
      ``YYYY-MM-DD``; from :data:`MIN_AS_OF` to :data:`MAX_AS_OF_YEARS_AHEAD` years after ``today``.
    - ``sims``: whole number of Monte Carlo draws, :data:`MIN_SIMS` to :data:`MAX_SIMS` (a larger request is refused,
      not silently lowered).
    - ``seed``: whole number, 0 to 2**63 - 1.
    - ``horizon``: years ahead, :data:`MIN_HORIZON` to :data:`MAX_HORIZON`.
    - ``level``: interval level, strictly between 0 and 1.
    """
    today = today or dt.date.today()
    # as-of date
    if as_of is None:
        day = today
    elif isinstance(as_of, dt.datetime) or hasattr(as_of, "to_pydatetime"):  # datetime, pandas.Timestamp
        try:
            day = as_of.date()
        except (ValueError, OverflowError):
            day = None
        if not isinstance(day, dt.date):  # pandas.NaT
            raise _run_error(f"as-of date: expected a date like 2026-11-26, got {as_of!r}")
    elif isinstance(as_of, dt.date):
        day = as_of
    elif isinstance(as_of, str):
        try:
            day = dt.date.fromisoformat(as_of.strip())
        except ValueError:
            raise _run_error(f"as-of date: expected a date like 2026-11-26 (YYYY-MM-DD), got {as_of!r}") from None
    else:
        raise _run_error(f"as-of date: expected a date like 2026-11-26 (YYYY-MM-DD), got {as_of!r}")
    latest = dt.date(today.year + MAX_AS_OF_YEARS_AHEAD, 12, 31)
    if day < MIN_AS_OF:
        raise _run_error(f"as-of date {day} is before {MIN_AS_OF}, the start of the COW state system: there are no "
                         "data to forecast from")
    if day > latest:
        raise _run_error(f"as-of date {day} is more than {MAX_AS_OF_YEARS_AHEAD} years ahead (latest accepted: "
                         f"{latest}): a forecast starts from member states observed on the as-of date")
    # draws
    n = _as_int("number of Monte Carlo draws", sims)
    if n < MIN_SIMS:
        raise _run_error(f"number of Monte Carlo draws must be at least {MIN_SIMS}, got {n}")
    if n > MAX_SIMS:
        raise _run_error(f"number of Monte Carlo draws is capped at {MAX_SIMS:,} (got {n:,}): memory grows with the "
                         f"draws ({n:,} would need about {n * 171 / 2**30:,.1f} GiB), and {MAX_SIMS:,} "
                         "draws already give a Monte Carlo error below 0.2 percentage points")
    s = _as_int("random seed", seed)
    if not 0 <= s <= MAX_SEED:
        raise _run_error(f"random seed must be between 0 and 2**63 - 1, got {s}")
    h = _as_float("horizon", horizon)
    if not MIN_HORIZON <= h <= MAX_HORIZON:
        raise _run_error(f"horizon must be between {MIN_HORIZON:g} and {MAX_HORIZON:g} years, got {h:g}")
    lv = _as_float("interval level", level)
    if not 0 < lv < 1:
        raise _run_error(f"interval level must be strictly between 0 and 1, got {lv:g}")
    return RunSettings(as_of=day, sims=n, seed=s, horizon=h, level=lv)
