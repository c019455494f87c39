"""YAML schemas for cases (alliances to forecast) and scenarios (shocks to their time-varying covariates).

Validated with pydantic; unknown fields are errors (a typo never passes silently). :func:`validation_message` turns a
pydantic error into one line per problem naming the file and the field path (``obligations.defense.value``).

Sourced values
--------------
Every value a researcher types in about the world (a treaty article, a war's start, a regime score) is a
:class:`Sourced` mapping: ``value`` plus ``source`` (where it comes from: document, dataset and year), ``uncertain``
(true when the coding is a judgement or the source is secondary) and an optional ``note``.
"""
from __future__ import annotations

import datetime as dt
from typing import Any, Generic, Literal, Optional, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

T = TypeVar("T")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sourced(_Strict, Generic[T]):
    value: T
    source: str = Field(min_length=3)
    uncertain: bool = False
    note: Optional[str] = None


Binary = Literal[0, 1]


class Member(_Strict):
    ccode: int = Field(ge=2, le=999, description="COW state code")
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
    years: Optional[float] = Field(default=None, gt=0)
    renunciation: Sourced[bool]
    econ_linkage: Sourced[Binary]

    @model_validator(mode="after")
    def _years(self):
        if self.length.value == "fixed" and self.years is None:
            raise ValueError("length 'fixed' needs 'years' (the initial term)")
        return self


class Formation(_Strict):
    """Conditions at entry into force (the model's formation covariates)."""
    wartime: Sourced[Binary]
    major_powers: Sourced[list[int]]
    polity2: dict[int, Sourced[float]] = Field(description="Polity2 of each member at formation, by COW code")


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
    rivals: Sourced[list[int]] = Field(description="COW codes of the member's strategic rivals")
    polity2: Sourced[float]
    cinc_ratio: Sourced[float] = Field(description="CINC now / CINC at entry (1 = unchanged)")
    leader: Optional[Sourced[str]] = None
    leader_since: Optional[Sourced[dt.date]] = None
    leader_change_this_year: Sourced[Binary] = Field(default_factory=lambda: Sourced[Binary](value=0, source="default: none"))
    new_outside_alliance_this_year: Sourced[Binary] = Field(default_factory=lambda: Sourced[Binary](value=0, source="default: none"))

    @field_validator("cinc_ratio")
    @classmethod
    def _pos(cls, v):
        if not v.value > 0:
            raise ValueError("cinc_ratio must be > 0")
        return v


class Observed(_Strict):
    """Covariate values observed after the data's end, as of ``date``, by member COW code."""
    date: dt.date
    members: dict[int, MemberObs]


class Event(_Strict):
    date: dt.date
    what: str
    source: str


class Outcome(_Strict):
    """What happened (historical cases): for the record; the back-test takes the outcome from ATOP."""
    ended: Optional[dt.date] = None
    how: str
    source: str


class Case(_Strict):
    """An alliance to forecast: an ATOP alliance (``atopid``) or one defined directly (members, dates, obligations,
    design, formation conditions)."""
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str
    question: Optional[Sourced[str]] = Field(default=None, description="the question the forecast answers, in words "
                                             "(shown at the top of the report), with where it was posed")
    kind: Literal["atop", "direct"]
    atopid: Optional[int] = None
    members: list[Member] = Field(default_factory=list)
    signed: Optional[Sourced[dt.date]] = None
    in_force: Optional[Sourced[dt.date]] = None
    replaces: Optional[Sourced[int]] = Field(default=None, description="atopid of the agreement this one replaced")
    obligations: Optional[Obligations] = None
    design: Optional[Design] = None
    formation: Optional[Formation] = None
    observed: Optional[Observed] = None
    events: list[Event] = Field(default_factory=list)
    outcome: Optional[Outcome] = None
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
    within the horizon; together they sum to 1)."""
    relative: bool = True
    fixed: Optional[int] = None
    dist: Optional[Literal["uniform", "triangular", "discrete"]] = None
    low: Optional[int] = None
    mode: Optional[float] = None
    high: Optional[int] = None
    p: Optional[dict[int, float]] = None
    never: float = Field(default=0.0, ge=0, le=1)
    source: Optional[str] = None

    @model_validator(mode="after")
    def _check(self):
        if (self.fixed is None) == (self.dist is None):
            raise ValueError("give exactly one of 'fixed' or 'dist'")
        if self.dist in ("uniform", "triangular"):
            if self.low is None or self.high is None or self.low > self.high:
                raise ValueError(f"dist {self.dist!r} needs low <= high")
            if self.dist == "triangular" and (self.mode is None or not self.low <= self.mode <= self.high + 1):
                raise ValueError("dist 'triangular' needs low <= mode <= high + 1")
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
    rivals: list[int] = Field(default_factory=list, description="rival-removed / rival-added: COW codes")
    cinc_factor: Optional[float] = Field(default=None, gt=0, description="power-shift: CINC multiplied by this")
    polity2_delta: Optional[float] = Field(default=None, description="regime-change: Polity2 change")
    source: Optional[str] = None

    @model_validator(mode="after")
    def _args(self):
        if self.kind in ("rival-removed", "rival-added") and not self.rivals:
            raise ValueError(f"kind {self.kind!r} needs 'rivals'")
        if self.kind == "power-shift" and self.cinc_factor is None:
            raise ValueError("kind 'power-shift' needs 'cinc_factor'")
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
        loc = ".".join(str(x) for x in e["loc"] if not (isinstance(x, str) and x.startswith(("function-after", "literal["))))
        lines.append(f"{where}: field '{loc or '(top level)'}': {e['msg']}")
    return "\n".join(lines)


def parse(model: type[BaseModel], data: Any, where: str):
    from pactwatch.errors import PactwatchError

    if not isinstance(data, dict):
        raise PactwatchError(f"{where}: expected a YAML mapping at the top level, got {type(data).__name__}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise PactwatchError(validation_message(exc, where)) from None
