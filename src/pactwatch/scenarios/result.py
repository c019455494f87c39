"""The typed forecast result: :class:`ForecastResult` (and the back-test's :class:`Backtest`), returned by
:func:`pactwatch.scenarios.forecast.forecast_case`.

One JSON form: ``result.to_json()`` (= ``model_dump(mode="json")``), the same for the CLI's ``--json``, the report and the
web API. Its JSON Schema is published as ``docs/forecast.schema.json`` (:func:`json_schema`; a test checks that the
committed file equals the generated one).

What the numbers mean (see :mod:`pactwatch.scenarios.forecast` for the method):

- survival points ``S(a0 + t | a0)``: the probability the alliance is still in effect ``t`` years after the as-of date,
  given it is in effect then. ``point``: coefficients at their estimates, averaged over shock timings and the sampled
  readings of the case's uncertain codings (``codings``); ``mean``: the mean
  over the Monte Carlo draws; ``lower``/``upper``: the (1 − level)/2 and (1 + level)/2 quantiles of the joint draws.
- ``vs_status_quo``: the scenario minus the status quo at each ``t`` (probability, not points), with intervals from
  the paired draws (common random numbers).
- drivers, base rate, analogues, validation (the stored landmark back-test's summary, :class:`Validation`), provenance
  and caveats (``notes``) as documented per field.

Values that cannot be computed are ``null``; nothing is imputed.
"""
from __future__ import annotations

from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "pactwatch.forecast/2"
BACKTEST_SCHEMA = "pactwatch.backtest/1"


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid")


# ----------------------------------------------------------------------------------------------------------- case
class ResolutionCriterion(_M):
    text: str
    source: str


class ResolutionInfo(_M):
    """How the case's question is resolved (the case file's ``resolution`` block)."""
    ends: list[ResolutionCriterion] = Field(description="What counts as the alliance ending (any one suffices)")
    continues: list[ResolutionCriterion] = Field(description="What counts as continuation, not ending")
    dates: list[str] = Field(description="Resolution dates (ISO), in increasing order")
    note: Optional[str] = None


class CaseInfo(_M):
    id: str
    name: str
    question: Optional[str] = Field(None, description="The question the forecast answers (from the case file)")
    question_source: Optional[str] = None
    kind: Literal["atop", "direct"]
    atopid: Optional[int] = None
    members: list[dict[str, Any]] = Field(description="{ccode, name, major} per member")
    in_force: str = Field(description="Entry into force (ISO date); age is measured from it")
    signed: Optional[str] = None
    age_at_as_of: float = Field(description="Years from entry into force to the as-of date (a0)")
    file: Optional[str] = Field(None, description="The case file the forecast was made from")
    state_source: str = Field(description="Where the member states on the as-of date come from")
    notes: list[str]
    events: list[dict[str, Any]]
    uncertain_values: list[str] = Field(description="Dotted paths of the case's values marked uncertain")
    hand_values: list[dict[str, Any]] = Field(default_factory=list, description="Case values used as hand values past "
                                              "the data's end (direct cases): {path, covariate_value, value, data_end, "
                                              "source, years}")
    resolution: Optional[ResolutionInfo] = Field(None, description="How the question is resolved; null when the case "
                                                 "file states no resolution criteria")


class EventDef(_M):
    name: str
    description: str


class Coefficient(_M):
    covariate: str
    label: str
    coef: float
    se: float = Field(description="Robust standard error, clustered by alliance")
    hr: float = Field(description="Hazard ratio exp(coef)")
    p: float


class ModelInfo(_M):
    spec: str
    description: str
    covariates: list[str]
    labels: dict[str, str]
    coefficients: list[Coefficient]
    info: dict[str, Any] = Field(description="Fit facts: alliances, events, rows, training years, rows left out")
    se_type: str
    ties: str
    cache: dict[str, Any]
    data: dict[str, str] = Field(description="sha256 of every data table the model was built from")
    panels_built_at: Optional[str] = None


class Covariates(_M):
    formation: dict[str, Any]
    now: dict[str, Any] = Field(description="Covariates on the as-of date (first segment of the status-quo path)")
    sources: dict[str, Any]


# ------------------------------------------------------------------------------------------------------ scenarios
class SurvivalPoint(_M):
    t: float = Field(description="Years after the as-of date")
    point: float
    mean: float
    lower: float
    upper: float


class Difference(_M):
    """Scenario minus status quo at ``t`` (a difference of probabilities; ×100 = percentage points)."""
    t: float
    point: float
    lower: float
    upper: float


class Median(_M):
    point: Optional[float] = Field(None, description="Median remaining life in years; null beyond the horizon")
    lower: Optional[float] = None
    upper: Optional[float] = None
    beyond_horizon: bool
    horizon: float


class Curve(_M):
    t: list[float]
    point: list[float]
    lower: list[float]
    upper: list[float]


class Driver(_M):
    covariate: str
    label: str
    value_now: float
    reference: float = Field(description="The training median (a typical alliance-year)")
    coef: float
    log_hazard: float = Field(description="coef × (value_now − reference)")
    delta_s5: float = Field(description="5-year survival minus that with the covariate at its reference")


class DatePoint(_M):
    """Survival to a resolution date, read off the scenario's curve (linear between its points)."""
    date: str = Field(description="The resolution date (ISO)")
    t: float = Field(description="Years after the as-of date")
    point: Optional[float] = Field(None, description="Null when the date is beyond the horizon or before the as-of date")
    lower: Optional[float] = None
    upper: Optional[float] = None
    within_horizon: bool


class ScenarioResult(_M):
    name: str
    label: str
    description: str
    shocks: list[dict[str, Any]]
    survival: list[SurvivalPoint]
    median_remaining: Median
    curve: Curve
    drivers: list[Driver]
    path: list[dict[str, Any]] = Field(description="The most frequent covariate path, one row per calendar year")
    n_distinct_paths: int
    timing_notes: list[str]
    timing_basis: list[dict[str, Any]] = Field(default_factory=list, description="For each shock whose timing is "
                                               "computed on the as-of date ('p_per_year: from-data'): the rule, the "
                                               "war(s) found, the war's age, the yearly chance used and its basis")
    vs_status_quo: Optional[list[Difference]] = Field(None, description="Null when there is no status quo")
    at_resolution: Optional[list[DatePoint]] = Field(None, description="Survival to each resolution date of the case "
                                                     "(null when the case states none)")


# ------------------------------------------------------------------------------------------ base rate, analogues
class BaseRatePoint(_M):
    t: float
    estimate: Optional[float] = None
    lower: Optional[float] = None
    upper: Optional[float] = None


class BaseRate(_M):
    filters: dict[str, Any]
    relaxed: list[str]
    n_alliances: int
    n_events: int
    at_risk_at_age: int
    conditional_on_age: float
    survival: list[BaseRatePoint]
    description: str


class Analogue(_M):
    atopid: int
    distance: float
    begin: str
    end: Optional[str] = None
    ended: bool
    years: float
    in_effect_2018: bool
    members: list[str]
    n_members: int
    how_ended: Optional[str] = None
    cause: Optional[str] = None
    term: Optional[str] = None
    features: dict[str, float]


class Analogues(_M):
    k: int
    features: list[str]
    features_used: list[str]
    case_features: dict[str, Any]
    distance: str
    n_candidates: int
    n_excluded_incomplete: int
    before_year: Optional[int] = None
    rows: list[Analogue]


# ------------------------------------------------------------------------------------------------------ back-test
class BacktestPoint(_M):
    t: float
    predicted: float
    lower: float
    upper: float
    base_rate: Optional[float] = None
    actual_survived: Optional[float] = Field(None, description="1 in effect, 0 ended, null unknown")


class BacktestCase(_M):
    case: str
    atopid: int
    name: str
    formed: str
    cutoff: int
    train_years: list[int]
    train_alliances: int
    train_events: int
    duration_years: float
    ended: bool
    event: int
    how_ended: Optional[str] = None
    by_t: list[BacktestPoint]
    base_rate_filters: dict[str, Any]


class Brier(_M):
    t: float
    n_cases: int
    model: Optional[float] = None
    base_rate: Optional[float] = None


class Backtest(_M):
    """Historical cases forecast from their formation with the data up to then (:mod:`.backtest`)."""
    schema_: Literal["pactwatch.backtest/1"] = Field(BACKTEST_SCHEMA, alias="schema")
    event: str
    level: float
    n_sims: int
    cases: list[BacktestCase]
    brier: list[Brier]
    note: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True)


# ------------------------------------------------------------------------------------- landmark back-test summary
class Skill(_M):
    """The model against the best baseline on one set of origins at one horizon (pooled over alliance-origins)."""
    split: Literal["development", "later"]
    horizon: float
    origins: Optional[list[int]] = Field(None, description="First and last origin year")
    n: int = Field(description="Alliance-origins scored")
    n_alliances: int
    n_events: int = Field(description="Endings within the horizon")
    model_brier: Optional[float] = None
    best_baseline: Optional[str] = Field(None, description="The baseline with the lowest Brier score on these rows")
    best_baseline_label: Optional[str] = None
    best_baseline_brier: Optional[float] = None
    brier_diff: Optional[float] = Field(None, description="Model minus best baseline (negative = the model is better)")
    brier_diff_lower: Optional[float] = None
    brier_diff_upper: Optional[float] = None
    skill: Optional[float] = Field(None, description="Brier skill score against the best baseline: 1 − model/best")
    skill_lower: Optional[float] = None
    skill_upper: Optional[float] = None
    beats_best_baseline: str = Field(description="'yes' only when the interval of the Brier difference is below 0; "
                                                 "'no' when above; 'not distinguishable' when it includes 0")
    calibration_slope: Optional[float] = Field(None, description="1 = well calibrated; < 1 = predictions too spread")
    calibration_slope_lower: Optional[float] = None
    calibration_slope_upper: Optional[float] = None
    auc: Optional[float] = None
    auc_lower: Optional[float] = None
    auc_upper: Optional[float] = None
    note: Optional[str] = None


class Illustration(_M):
    """A named alliance at the first origin it was scored: the forecast made then beside what happened."""
    atopid: int
    name: str
    formed: int
    origin: int
    horizon: float
    age: float
    model: float = Field(description="Predicted probability of still being in effect at origin + horizon")
    baselines: dict[str, float]
    survived: Optional[int] = Field(None, description="1 in effect at origin + horizon, 0 ended, null unknown")
    subgroup: Optional[str] = Field(None, description="The subgroup it illustrates (null: a named case file outside "
                                                      "the Soviet/Russian treaties)")


class LandmarkSummary(_M):
    """What the stored landmark back-test (:mod:`.landmark`) says about this forecast model."""
    spec_hash: str
    data_hash: str
    frozen_at: str
    event: str
    level: float
    n_boot: int
    dev_end: int
    origins: dict[str, list[int]] = Field(description="First and last origin per horizon (years)")
    baselines: dict[str, str]
    pooled: list[Skill]
    subgroups: list[Skill]
    subgroup_labels: dict[str, str]
    subgroup_of: list[str] = Field(description="The subgroup key of each row of ``subgroups`` (same order)")
    illustrations: list[Illustration]
    illustrations_subgroup: str = Field(description="The subgroup the named illustrations belong to")
    later_scored: bool
    later_looks_total: int = Field(description="How often later origins were scored, by any specification")
    later_looks_this_spec: int
    counts: dict[str, int]
    notes: list[str]
    file: str
    pooling: Optional[dict[str, Any]] = Field(None, description="The back-test's logit pool of the model and the "
                                              "reference classes (:mod:`.pooling`): weights fitted on the development "
                                              "origins, scores per split and horizon, the decision rule's verdict; null "
                                              "in a result stored before pooling existed")
    event_study: Optional[dict[str, Any]] = Field(None, description="The back-test's event study of war endings "
                                                  "(termination hazard before and after a war's end, by group)")


class Validation(_M):
    """The forecast model's track record: the stored landmark back-test when one matches the current specification
    and data, else how to compute it."""
    status: Literal["stored", "not computed", "unreadable"]
    message: str
    command: str = Field(description="The command that computes and stores the back-test")
    expected_minutes: list[int] = Field(description="How long it takes (cached fits .. first run)")
    spec_hash: str
    data_hash: str
    landmark: Optional[LandmarkSummary] = None


# ------------------------------------------------------------------------------------------------ competing risks
class IncidencePoint(_M):
    """Cumulative incidence F(t): the probability of having ended (this way) within ``t`` years of the as-of date."""
    t: float = Field(description="Years after the as-of date")
    point: float = Field(description="Coefficients and baseline at their estimates, averaged over shock timings")
    mean: float = Field(description="Mean over the Monte Carlo draws")
    lower: float
    upper: float


class CauseIncidence(_M):
    cause: str = Field(description="The cause's event definition (breach, lapse, state-death)")
    label: str
    by_t: list[IncidencePoint]


class CompetingCurve(_M):
    t: list[float] = Field(description="Years after the as-of date")
    cumulative: dict[str, list[float]] = Field(description="Point cumulative incidence of each cause on ``t``")
    not_replaced_lower: list[float]
    not_replaced_upper: list[float]


class CompetingScenario(_M):
    name: str
    label: str
    incidence: list[CauseIncidence] = Field(description="Each cause's cumulative incidence, accounting for the others")
    not_replaced: list[IncidencePoint] = Field(description="Ends for any reason but replacement: the sum of the "
                                               "causes' incidences = 1 − exp(−sum of their cumulative hazards)")
    curve: CompetingCurve


class CauseModel(_M):
    name: str
    label: str
    cause_code: int = Field(description="Cause code of pactwatch.panels.survival.CAUSES")
    description: str
    n_events: int = Field(description="Training endings by this cause (alliance-year rows with every covariate)")
    n_alliances: int
    penalizer: float
    coefficients: dict[str, float]
    n_events_at_case_ages: Optional[int] = Field(None, description="Training endings by this cause at the ages the "
                                                 "case passes over the horizon (on the cause models' clock): the "
                                                 "baseline hazard rises only at these, so few means a thin estimate")
    cache: dict[str, Any]


class Competing(_M):
    """Competing-risk forecasts (issue 13 item 2): how each way of ending adds up to 'ends for any reason but
    replacement', beside the survival forecast of the chosen event."""
    method: str
    replacement: str = Field(description="How replacement by a new treaty is handled, and what in it is hindsight")
    causes: list[CauseModel]
    replacements_censored: Optional[int] = Field(None, description="Unlinked replacements ending a spell of the "
                                                 "cause fits' training rows within follow-up: censored")
    replacements_linked: Optional[int] = Field(None, description="Replacements linked to a successor (hand-overs "
                                               "within follow-up) in the cause fits' training spells: no ending, the "
                                               "spell goes on")
    spells: Optional[int] = Field(None, description="Replacement-merged spells in the cause fits' training rows")
    age: Optional[str] = Field(None, description="Where the case's spell age for the cause models starts, in a "
                               "sentence (the relationship's first treaty, or the treaty's entry into force)")
    age_offset_years: Optional[float] = Field(None, description="Years added to the treaty's age for the cause "
                                              "models (0: the same clock as the survival forecast)")
    scenarios: list[CompetingScenario]


# ------------------------------------------------------------------------------------------ coding uncertainty
class CodingAlternative(_M):
    value: Any
    weight: float = Field(description="Probability that this reading is the right one")
    source: str


class UncertainValue(_M):
    """A case value marked uncertain: sampled by the Monte Carlo when it lists alternatives."""
    path: str = Field(description="Dotted path in the case file")
    value: Any = Field(None, description="The coded value")
    weight: float = Field(description="The coded value's weight: 1 − the alternatives' weights")
    source: Optional[str] = None
    status: Literal["sampled", "uncertain, no alternatives given"]
    alternatives: list[CodingAlternative]
    frequencies: Optional[list[float]] = Field(None, description="Share of the draws that used each reading (coded "
                                               "first)")


class CodingSwing(_M):
    """One alternative reading's effect: survival with only this value changed minus survival at the coded values."""
    path: str
    coded: Any
    alternative: Any
    weight: float
    source: str
    survival_coded: float
    survival_alternative: float
    swing: float = Field(description="survival_alternative − survival_coded (probability; ×100 = points)")
    lower: float = Field(description="Interval of the swing from the paired coefficient/baseline draws")
    upper: float
    changes_covariates: bool = Field(description="False when the model's covariates are the same under both readings "
                                     "(the swing is then 0 by construction)")


class Codings(_M):
    """Coding uncertainty (:mod:`pactwatch.scenarios.codings`): the uncertain values and the status quo's swings."""
    point: Literal["mixture"] = Field(description="The scenarios' points average over the sampled codings")
    n_variants: int = Field(description="Distinct readings of the case the draws used (1 = as coded only)")
    values: list[UncertainValue]
    scenario: Optional[str] = Field(None, description="The scenario the swings are computed for (the status quo)")
    t: Optional[float] = Field(None, description="Years after the as-of date the swings refer to")
    survival_at_coded: Optional[float] = Field(None, description="That scenario's survival at t with every value as "
                                               "coded (point)")
    swings: list[CodingSwing]
# ------------------------------------------------------------------------------------------------------- headline
class ClassPoint(_M):
    t: float
    estimate: Optional[float] = Field(None, description="Age-conditional Kaplan–Meier survival; null if nobody in "
                                      "the class was followed that far")
    lower: Optional[float] = None
    upper: Optional[float] = None
    events: int
    interval: Optional[str] = Field(None, description="Greenwood (exponential) or exact binomial (no events)")


class ReferenceClass(_M):
    name: str = Field(description="ref_design, ref_major or ref_members (:data:`.pooling.CLASSES`)")
    label: str
    case_class: str = Field(description="The named class it reproduces for the case (panels.survival.REFERENCE_CLASSES)")
    n: int = Field(description="Alliances in the class")
    n_at_risk: int = Field(description="Alliances of the class in effect at the case's age")
    survival: list[ClassPoint]
    note: Optional[str] = None


class HeadlinePoint(_M):
    t: float
    values: dict[str, Optional[float]] = Field(description="The parts: model (status quo) and each class")
    pooled: Optional[float] = Field(None, description="Logit pool of the model and the classes")
    classes: Optional[float] = Field(None, description="Logit pool of the classes alone (the fallback)")
    pooled_weights: dict[str, float]
    classes_weights: dict[str, float]
    headline: Optional[float] = Field(None, description="The pool the rule chose")


class HeadlineParts(_M):
    model: dict[str, float] = Field(description="The model's status-quo survival per horizon (years)")
    classes: list[ReferenceClass]


class Headline(_M):
    """The headline probability: a logit pool of the model and the reference classes with weights from the stored
    back-test (never fitted in the forecast), or the pooled classes alone when the pool failed the back-test's rule."""
    status: Literal["stored", "no stored back-test"]
    headline: Optional[Literal["pooled", "classes"]] = Field(None, description="Which pool is the headline")
    rule: Optional[str] = Field(None, description="The decision rule's verdict, in words")
    decided_on: Optional[str] = None
    passed: Optional[bool] = None
    probabilities: list[HeadlinePoint]
    parts: HeadlineParts
    message: str


# ----------------------------------------------------------------------------------------------------- provenance
class Provenance(_M):
    as_of: str
    seed: int
    n_sims: int
    model_version: str = Field(description="Identifies the model specification and the engine")
    pactwatch_version: str
    data: dict[str, str] = Field(description="sha256 of every data table used")
    case_sha256: Optional[str] = Field(None, description="sha256 of the case file (null for a case given in memory)")
    scenarios_sha256: dict[str, str] = Field(description="sha256 of each scenario file used")


class ForecastResult(_M):
    """A scenario forecast of one alliance (see the module docstring)."""
    schema_: Literal["pactwatch.forecast/2"] = Field(SCHEMA, alias="schema")
    case: CaseInfo
    as_of: str
    event: EventDef
    horizon: float
    times: list[float]
    level: float
    n_sims: int
    seed: int
    model: ModelInfo
    covariates: Covariates
    scenarios: list[ScenarioResult]
    base_rate: BaseRate
    analogues: Analogues
    notes: list[str] = Field(description="Caveats that hold for every forecast of this model")
    provenance: Provenance
    validation: Optional[Validation] = Field(None, description="The landmark back-test's summary when a stored result "
                                             "matches the model and data, else how to compute it; null when not asked")
    codings: Optional[Codings] = Field(None, description="The case's uncertain values, how they were sampled, and each "
                                       "alternative's swing of the status quo; null when the case has none")
    headline: Optional[Headline] = Field(None, description="Pooled headline of the model and the reference classes "
                                         "(weights from the stored back-test) with its parts and the rule that chose it")
    runtime_seconds: float
    competing: Optional[Competing] = Field(None, description="Each cause's cumulative incidence and 'ends for any "
                                           "reason but replacement' per scenario; null when not asked or not "
                                           "computable (the notes say why)")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def to_json(self) -> dict:
        """The one JSON form (plain dicts, lists, numbers, strings; no NaN)."""
        return self.model_dump(mode="json", by_alias=True)

    def scenario(self, name: str) -> ScenarioResult:
        for s in self.scenarios:
            if s.name == name:
                return s
        raise KeyError(name)


def json_schema() -> dict:
    """The JSON Schema of :meth:`ForecastResult.to_json` (published as ``docs/forecast.schema.json``)."""
    s = ForecastResult.model_json_schema(mode="serialization", by_alias=True)
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    s["$id"] = SCHEMA
    return s


def as_json(result) -> dict:
    """The JSON form of a :class:`ForecastResult` (a dict in that form is returned as it is)."""
    return result.to_json() if isinstance(result, (ForecastResult, Backtest)) else result
