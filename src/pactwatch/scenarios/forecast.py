"""Scenario forecasts of an alliance's survival: :func:`forecast_case` returns a :class:`.result.ForecastResult`
(one JSON form, :data:`.result.SCHEMA`, JSON Schema in ``docs/forecast.schema.json``).

What is estimated
-----------------
For an alliance alive on the as-of date (age a0 = as-of − entry into force, in years), the probability that it is still
in effect t = 1, 3, 5, 10 years later, conditional on being alive at a0, under each scenario: S(a0 + t | a0). The event
is the chosen definition (``any-end`` by default: any ending, including replacement by a new treaty; ``death``
censors replacements; see :mod:`pactwatch.models.specs`). The model is the time-varying Cox of
:mod:`.training` (ATOP 5.1 alliance-years, usable window 1863–2007, robust SEs clustered by alliance).

Scenarios: every scenario runs on top of the status quo's shocks (``scenarios/status-quo.yaml``: the war a member
fights ends with a constant yearly chance, ``dist: geometric``); a scenario's own shock of the same kind replaces the
status quo's (:func:`.shocks.scenario_shocks`). Each shock's timing is drawn from its own random stream keyed by the
seed and the shock's content, so a shock shared by two scenarios has the same draws in both.

Resolution: when the case states resolution dates (``case.resolution``), each scenario's survival to each date is read
off its curve (:func:`at_dates`, linear between the curve's quarter-year points; the bounds are the curve's pointwise
quantiles) into ``at_resolution``.

Uncertainty (:mod:`.engine`): Monte Carlo over the coefficients' sampling distribution, the baseline hazard, the
shock timing and the case's uncertain codings (:mod:`.codings`: each draw takes one reading of every uncertain value
that lists alternatives, by weight). ``point`` = the estimate (coefficients at their estimates) averaged over shock
timings AND codings — the mixture, so that the point is a probability given everything the case file is unsure of;
the status quo at the coded values alone is ``codings.survival_at_coded``. ``lower``/``upper`` = the (1 − level)/2
and (1 + level)/2 quantiles of the joint draws. Draws are shared across scenarios (common random numbers), so the
differences to the status quo have their own intervals.

Drivers: for each covariate, ``log_hazard`` = coef × (value on the as-of date − reference), reference = the training
median (the typical alliance-year); ``delta_s5`` = the 5-year survival (point, same timings) minus the 5-year survival
with that covariate held at its reference over the whole path: positive = the covariate's value makes this alliance
more durable than a typical one.

Coding sensitivity (``codings.swings``): for each alternative of each uncertain value, the status quo's 5-year
survival with only that value changed (all else as coded) minus the survival at the coded values (point: estimates,
mixture over the status quo's timings; interval: the paired draws).

Base rate: Kaplan–Meier of similar ATOP alliances (same obligation class, bilateral or not, formed after 1945 or not,
major–minor or not; filters dropped in that reverse order while fewer than 20 alliances match), conditional on
surviving to a0, with Greenwood log-log intervals.

Competing risks (``competing=True``, the default; :data:`COMPETING_METHOD`, :data:`REPLACEMENT_METHOD`): beside the
survival of the chosen event, each way of ending — (a) abrogation, violation or breach, (b) lapse, moot or purpose
fulfilled, (c) state death or war lost — gets its own time-varying Cox model on the same rows, and the forecast gives
each cause's cumulative incidence F_k(t) along every scenario's paths with Monte Carlo intervals, and "ends for any
reason but replacement" = sum_k F_k(t) = 1 − exp(−sum_k H_k(t)). The cause models are fitted on
replacement-merged spells (:func:`.training.spell_data`): where ATOP's data link a replacement to its successor (same
members, successor begins within 366 days) the hand-over is no ending and the age clock runs on from the first treaty;
unlinked replacements are censored. The case's own age for the cause models runs from the start of its relationship
(:func:`relationship_start`: the first treaty of the chain its predecessor belongs to, e.g. Russia–DPRK from ATOP
4940's 2000 begin), the any-end model's from the treaty's entry into force — see :data:`REPLACEMENT_METHOD` for the
rule and what is hindsight. The any-end numbers are the same with it on or off (the cause draws have their own seeded
stream).
"Ends for any reason but replacement" is not 1 − (any-end survival) minus the replacements: the cause-specific models
let every covariate act differently on each cause, the any-end model forces one effect on all endings, so for an
unusual profile the two can differ in either direction (for a typical alliance-year they agree within ~1 point).

Result: :class:`.result.ForecastResult` (``schema`` = "pactwatch.forecast/2"; every field typed and documented there,
values None when not computable; JSON Schema in ``docs/forecast.schema.json``)::

    {schema, case{...}, as_of, event{name,description}, horizon, times[], level, n_sims, seed,
     model{spec,covariates[],labels{},coefficients[],info{},cache{},data{table:sha256}}, covariates{formation,now,sources},
     scenarios[{name,label,description,shocks[],survival[{t,point,mean,lower,upper}],
                vs_status_quo[{t,point,lower,upper}],median_remaining{...},curve{t[],point[],lower[],upper[]},
                drivers[...], path[...], timing_notes[]}],
     base_rate{...}, analogues{...}, notes[] (caveats),
     provenance{as_of,seed,n_sims,model_version,pactwatch_version,data{},case_sha256,scenarios_sha256{}},
     validation{status, message, command, landmark{pooled[], subgroups[], illustrations[], pooling, ...}} (the stored
     landmark back-test's summary, never computed here),
     headline{status, headline ('pooled' | 'classes'), rule, probabilities[{t, values, pooled, classes, weights}],
              parts{model, classes[]}} (:mod:`.pooling`: weights from the stored back-test), runtime_seconds,
     competing{method, replacement, causes[{name,label,n_events,...}], replacements_censored,
               scenarios[{name,label,incidence[{cause,label,by_t[{t,point,mean,lower,upper}]}],not_replaced[...],curve}]},
     codings{point, n_variants, values[{path,value,weight,status,alternatives[],frequencies}], scenario, t,
             survival_at_coded, swings[{path,coded,alternative,weight,source,swing,lower,upper,...}]}}
"""
from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE
from pactwatch.errors import PactwatchError
from pactwatch.models.base import jsonable

from . import shocks as SH
from .schema import validate_run
from .cases import ResolvedCase, load_case, load_scenarios, resolve
from .codings import CodingDraws, coding_draws, uncertain_codings
from .engine import Engine, baseline_draws, cumulative_incidence, draw_betas, median_time, survival_draws
from .paths import DEFAULT_SIMS, PathBuilder, content_sha256, scenario_paths  # noqa: F401 - DEFAULT_SIMS re-exported
from .result import SCHEMA, ForecastResult
from .training import FORECAST_SPEC, LABELS, build_data, fit, path_inputs
from .war_timing import WarData

TIMES = (1.0, 3.0, 5.0, 10.0)
#: Bump when the engine's arithmetic changes (part of :func:`model_version`).
ENGINE_VERSION = 1


@dataclass
class Context:
    """Data and fitted model, reusable across forecasts (see :func:`context`)."""
    data: object
    model: object
    cache: dict
    event: str
    cutoff: int | None = None
    exclude: tuple = ()
    #: the cause-specific fits (:func:`cause_models`), filled on first use: cause name -> (FittedModel, cache-info)
    causes: dict = field(default_factory=dict)
    #: the replacement-merged spells of the data (:func:`.training.spell_data` counts with ``links_frame`` and
    #: ``spells_frame``), filled on first use by :func:`relationship_start`
    spells: dict | None = None


def context(src=None, event: str = "any-end", *, cutoff=None, exclude=(), use_cache=True, progress=None, data=None) -> Context:
    from pactwatch.models.specs import event_definition

    event_definition(event)
    info = {}
    if data is None:
        data, info = build_data(src, use_cache=use_cache, progress=progress)
    if progress:
        progress("fitting the time-varying Cox model")
    m, fi = fit(data, event, cutoff=cutoff, exclude=exclude, use_cache=use_cache)
    return Context(data=data, model=m, cache={**info, **fi}, event=event, cutoff=cutoff,
                   exclude=tuple(int(x) for x in exclude))


# ------------------------------------------------------------------------------------------------- competing risks
#: The competing causes the forecast reports (issue 13 item 2), in report order: event definition -> (cause code,
#: label). The cause codes and their ATOP TERMMODE mapping live in :mod:`pactwatch.panels.survival`
#: (``COMPETING_CAUSES``); replacement (cause 3) is no event here (see :data:`COMPETING_METHOD`).
COMPETING = {"breach": (1, "Abrogation, violation or breach"), "lapse": (2, "Lapse, moot or purpose fulfilled"),
             "state-death": (4, "State death or war lost")}
#: lifelines' L2 penalty on the standardised coefficients of the cause-specific fits. With 45–126 events for 22
#: covariates the state-death fit has no finite maximum (no state deaths among wartime-formed alliances outside war:
#: 'wartime' → −28, 'at war × wartime' → +28, 'bilateral' → −31 unpenalised); this light ridge keeps every estimate
#: finite and moves the well-identified ones little (breach 'at war' 1.98 → 1.93). The any-end model is unpenalised.
COMPETING_PENALIZER = 5e-4
#: Seed-sequence tag of the cause-specific Monte Carlo stream (separate from the any-end draws, which stay unchanged).
_COMPETING_STREAM = 7919

COMPETING_METHOD = (
    "Competing risks: one time-varying Cox model per cause with the forecast's own specification on "
    "replacement-merged spells (ATOP 5.1 alliance-years; an ending by another cause is censored at its time), lightly "
    "ridge-penalised "
    f"(penalizer {COMPETING_PENALIZER:g}). Along each scenario's covariate paths, the cause-specific cumulative hazards "
    "H_k are combined month by month in the discrete Aalen–Johansen form F_k(t_n) = sum_i S(t_i−1)(1 − exp(−dH_i)) "
    "dH_k,i / dH_i with S = exp(−sum_k H_k), so the causes' incidences add up exactly to 'ends for any reason but "
    "replacement' = 1 − S. Intervals: Monte Carlo over each cause's coefficients (robust covariance) and baseline "
    "(Poisson event counts), drawn independently per cause (cause-specific partial likelihoods factor) from their own "
    "seeded stream, with the same shock-timing draws as the survival forecast.")
REPLACEMENT_METHOD = (
    "Replacement by a new treaty (ATOP TERMMODE 2 or TERMCAUS 1: 122 ATOP 5.1 alliances) is merged into the "
    "successor's spell where the data link them (panels.survival.replacement_links: the successor's founding members "
    "are exactly the members at the predecessor's end and it begins within 366 days of that end, before or after; 80 "
    "of the 122). A merged spell (panels.survival.replacement_spells) runs from the first treaty's begin to the last "
    "one's end with the last one's outcome: a linked hand-over is no ending, and the successor's alliance-years "
    "continue the first treaty's age clock. Each spell-year carries the covariates of the treaty in force that year "
    "(in a hand-over year the predecessor's), its formation covariates included: the text in force is what governs "
    "the year, and it is how the case itself is coded (its own treaty's obligations and design), not the chain's "
    "first treaty's. An unlinked replacement ends its spell and is censored (non-informative: the relationship is "
    "taken to continue with the hazards of comparable spells). The case's age for the cause models runs from the "
    "start of its relationship: a case whose predecessor (case field 'replaces', same members in the predecessor's "
    "last ATOP year) ends on the case's entry into force is linked by the same rule, and its spell starts with the "
    "first treaty of the predecessor's chain; the survival (any-end) forecast keeps the treaty's own age from entry "
    "into force, as in ATOP. Hindsight: the link uses the successor's begin date, up to 366 days after the "
    "predecessor's end, and its founding members, so in training a replacement is known to be a continuation only "
    "once the new treaty exists (in a back-test at a cut-off, a hand-over up to a year before the cut-off may be "
    "linked to a successor begun after it); ATOP's replacement code itself is coded after the fact too. For the "
    "case there is no hindsight in the link: the successor (the case) exists on the as-of date.")


def _spells(ctx: Context) -> dict:
    if ctx.spells is None:
        from .training import spell_data

        _, info = spell_data(ctx.data, ctx.exclude)
        ctx.spells = info
    return ctx.spells


def relationship_start(ctx: Context, rc: ResolvedCase) -> tuple[float, str]:
    """The case's age offset for the cause-specific models (years to add to the treaty's age) and a sentence saying
    where its spell starts (:data:`REPLACEMENT_METHOD`). An ATOP case in a merged chain: its chain's first treaty's
    begin; a case whose ``replaces`` names an ATOP treaty with the same members (in the predecessor's last ATOP year):
    the begin of the first treaty of the predecessor's chain (the predecessor ends on the case's entry into force, so
    the link rule's 366-day window holds); otherwise the treaty's own entry into force (offset 0)."""
    info = _spells(ctx)
    spells = info["spells_frame"]
    chain_of = {int(a): int(root) for root, ch in zip(spells["atopid"], spells["atopids"])
                for a in str(ch).split(";")}
    begin = ctx.data.eval.alliances.set_index("atopid")["begin"]
    sp_begin = spells.set_index("atopid")["begin"]
    treaty = "this treaty"
    if rc.atopid is not None and int(rc.atopid) in chain_of:
        root = chain_of[int(rc.atopid)]
        if root == int(rc.atopid):
            return 0.0, (f"Age for the cause models: from the treaty's own begin ({begin[root].date()}); ATOP links no "
                         "predecessor to it.")
        off = (begin[int(rc.atopid)] - sp_begin[root]).days / 365.25
        return off, (f"Age for the cause models: from {sp_begin[root].date()}, the begin of ATOP {root}, the first "
                     f"treaty of the chain of linked replacements this one belongs to ({off:.1f} years before this "
                     "treaty's begin); the survival forecast's age runs from the treaty's entry into force.")
    c = rc.case
    rp = getattr(c, "replaces", None) if c is not None else None
    pred = int(rp.value) if rp is not None and rp.value is not None else None
    if pred is None:
        return 0.0, f"Age for the cause models: from {treaty}'s entry into force ({rc.in_force.date()}), as for survival."
    if pred not in chain_of:
        return 0.0, (f"Age for the cause models: from the treaty's entry into force ({rc.in_force.date()}): the "
                     f"treaty it replaces (ATOP {pred}) is not in the training data, so no spell is merged.")
    my = ctx.data.member_years
    py = my[my["atopid"] == pred]
    last = py[py["year"] == py["year"].max()]
    members = {int(m["ccode"]) for m in rc.members}
    if set(int(x) for x in last["ccode"]) != members:
        return 0.0, (f"Age for the cause models: from the treaty's entry into force ({rc.in_force.date()}): the members "
                     f"of ATOP {pred} in its last ATOP year ({sorted(int(x) for x in last['ccode'])}) are not this "
                     "treaty's, so the link rule does not merge them.")
    root = chain_of[pred]
    off = (rc.in_force - sp_begin[root]).days / 365.25
    return off, (f"Age for the cause models: from {sp_begin[root].date()} (ATOP {root}'s begin), the start of the "
                 f"relationship this treaty continues: it replaces ATOP {pred} with the same members, so by the link "
                 f"rule its spell continues that one's ({off:.1f} years older than the treaty, whose entry into force, "
                 f"{rc.in_force.date()}, the survival forecast's age runs from). ATOP 5.1 ends in 2018 and has no "
                 "such link; the case file's 'replaces' supplies it.")


def cause_models(ctx: Context, *, use_cache: bool = True, progress=None) -> dict:
    """The cause-specific fits for :data:`COMPETING` on ``ctx``'s data, cut-off and excluded alliances (cached on disk
    like the any-end fit, keyed by the event, and memoised on ``ctx``): cause name -> (FittedModel, cache-info)."""
    for name in COMPETING:
        if name not in ctx.causes:
            if progress:
                progress(f"fitting the cause-specific model '{name}'")
            ctx.causes[name] = fit(ctx.data, name, cutoff=ctx.cutoff, exclude=ctx.exclude, use_cache=use_cache,
                                   penalizer=COMPETING_PENALIZER, merge_replacements=True)
    return {n: ctx.causes[n] for n in COMPETING}


class CompetingRun:
    """Cumulative incidence of each cause along a scenario's paths (see :data:`COMPETING_METHOD`).

    ``models``: cause name -> FittedModel (same covariates as the survival model, in the same order). The draws of
    each cause's coefficients and baseline are made once (common random numbers across scenarios) from the seed
    sequence [seed, 7919, cause code], so the any-end draws are untouched. ``age_offset``: years added to the
    treaty's age for the cause models (the relationship's spell age, :func:`relationship_start`)."""

    def __init__(self, models: dict, covariates: list, a0: float, horizon: float, n_sims: int, seed: int,
                 level: float, times, t_idx, age_offset: float = 0.0):
        self.names = list(models)
        self.age_offset = float(age_offset)
        self.level, self.times, self.t_idx = level, list(times), list(t_idx)
        self.engines, self.draws, self.hats = [], [], []
        for name, fm in models.items():
            if list(fm.covariates) != list(covariates):
                raise PactwatchError(f"cause-specific model {name!r} has covariates {fm.covariates}, not the forecast "
                                     f"model's {covariates}")
            eng = Engine(fm, a0 + self.age_offset, horizon)
            rng = np.random.default_rng([seed, _COMPETING_STREAM, COMPETING.get(name, (0,))[0]])
            b = draw_betas(fm, n_sims, rng)
            self.engines.append(eng)
            self.draws.append((b, eng.baseline(b, rng)))
            self.hats.append((fm.coef[None, :], eng.baseline(fm.coef[None, :], None)))
        self.grid = self.engines[0].grid

    def scenario(self, Zu: np.ndarray, weights: np.ndarray, Zd: np.ndarray, inv: np.ndarray, bounds: np.ndarray) -> dict:
        """``Zu``/``weights``: the distinct paths of the point mixture and their weights; ``Zd[inv]``: each draw's path."""
        U = Zu.shape[0]
        bounds = bounds + self.age_offset  # the same calendar segments on the spell's age clock
        Hp = np.stack([e.cumulative_hazard(np.repeat(b, U, 0), np.repeat(h, U, 1), Zu, bounds)
                       for e, (b, h) in zip(self.engines, self.hats)])  # C x G x U
        Fp = cumulative_incidence(Hp) @ weights  # C x G: mixture over timings
        Hd = np.stack([e.cumulative_hazard(b, h, Zd[inv], bounds) for e, (b, h) in zip(self.engines, self.draws)])
        Fd = cumulative_incidence(Hd)  # C x G x B
        a = (1 - self.level) / 2  # no NaN here (finite hazards): the vectorised quantile, not nanquantile's loop
        lo, hi = np.quantile(Fd, [a, 1 - a], axis=2)
        mean = Fd.mean(2)
        Ad = Fd.sum(0)  # all but replacement, per draw (= 1 − exp(−sum_k H_k))
        alo, ahi = np.quantile(Ad, [a, 1 - a], axis=1)

        def pts(p, m, a, b):
            return [{"t": t, "point": float(p[i]), "mean": float(m[i]), "lower": float(a[i]), "upper": float(b[i])}
                    for t, i in zip(self.times, self.t_idx)]

        step = max(1, int(round(0.25 / (self.grid[1] - self.grid[0])))) if len(self.grid) > 1 else 1
        sel = np.arange(0, len(self.grid), step)
        return {"incidence": [{"cause": n, "label": COMPETING[n][1] if n in COMPETING else n,
                               "by_t": pts(Fp[c], mean[c], lo[c], hi[c])} for c, n in enumerate(self.names)],
                "not_replaced": pts(Fp.sum(0), Ad.mean(1), alo, ahi),
                "curve": {"t": self.grid[sel].tolist(), "cumulative": {n: Fp[c][sel].tolist() for c, n in enumerate(self.names)},
                          "not_replaced_lower": alo[sel].tolist(), "not_replaced_upper": ahi[sel].tolist()}}


def competing_summary(ctx: Context, models: dict, scenario_rows: list, age: tuple | None = None,
                      window: tuple | None = None) -> dict:
    """The ``competing`` block of the result: method, replacement handling, each cause's fit, per-scenario incidence.
    ``age``: (offset, sentence) of :func:`relationship_start`; ``window``: the cause models' ages (from, to) over the
    horizon, to count each cause's training endings there (the Breslow baseline rises only at those)."""
    causes = []
    for name, (fm, ci) in models.items():
        code, label = COMPETING[name]
        causes.append({"name": name, "label": label, "cause_code": code,
                       "description": _event_description(name), "n_events": int(fm.info["n_events"]),
                       "n_alliances": int(fm.info["n_alliances"]), "penalizer": float(fm.info.get("penalizer", 0.0)),
                       "coefficients": {k: float(v) for k, v in zip(fm.covariates, fm.coef)},
                       "n_events_at_case_ages": (int(((fm.stop > window[0]) & (fm.stop <= window[1] + 1e-12)
                                                      & (fm.event == 1)).sum()) if window else None),
                       "cache": ci})
    rs = next((fm.info.get("replacement_spells") for fm, _ in models.values() if fm.info.get("replacement_spells")), {})
    return {"method": COMPETING_METHOD, "replacement": REPLACEMENT_METHOD, "causes": causes,
            "replacements_censored": rs.get("replacements_unlinked_in_rows"),
            "replacements_linked": rs.get("replacements_linked_in_rows"),
            "spells": rs.get("spells_in_rows"),
            "age": age[1] if age else None, "age_offset_years": float(age[0]) if age else None,
            "scenarios": scenario_rows}


def _event_description(name: str) -> str:
    from pactwatch.models.specs import event_definition

    return event_definition(name).description


def _q(x: np.ndarray, level: float, axis=-1):
    a = (1 - level) / 2
    return np.nanquantile(x, a, axis=axis), np.nanquantile(x, 1 - a, axis=axis)


# ------------------------------------------------------------------------------------------------------ base rate
def obligation_class(row) -> str:
    if row["defense"] == 1:
        return "defense"
    if row["offense"] == 1:
        return "offense"
    if row["neutral"] == 1 or row["nonagg"] == 1:
        return "neutrality/non-aggression"
    return "consultation"


def base_rate(data, rc: ResolvedCase, a0: float, times, event: str, level: float, *, before_year: int | None = None,
              min_n: int = 20) -> dict:
    """Kaplan–Meier of similar alliances, conditional on surviving to age ``a0`` (see the module docstring).
    ``before_year``: only alliances formed up to that year, follow-up censored at its end (for back-tests)."""
    from scipy import stats

    from pactwatch.models.km import km_table
    from pactwatch.models.specs import event_indicator

    a = data.eval.alliances.copy()
    a["ev"] = event_indicator(a, event)
    a["dur"] = a["duration_years"].astype(float)
    if rc.atopid is not None:
        a = a[a["atopid"] != rc.atopid]
    if before_year is not None:
        cut = pd.Timestamp(year=before_year, month=12, day=31)
        a = a[a["begyr"] <= before_year].copy()
        endd = a["end"].fillna(CENSOR_DATE)
        a["ev"] = np.where(endd <= cut, a["ev"], 0)
        a["dur"] = (endd.where(endd <= cut, cut) - a["begin"]).dt.days / 365.25
        a = a[a["dur"] > 0]
    f = rc.formation
    cls = obligation_class(f)
    a["cls"] = a.apply(obligation_class, axis=1)
    formed = rc.in_force.year
    filters = {"obligation_class": cls, "bilateral": int(f["bilateral"]), "post1945": int(formed >= 1945),
               "asymmetric": int(f["asymmetric"])}
    masks = {"obligation_class": a["cls"] == cls, "bilateral": a["bilateral"] == f["bilateral"],
             "post1945": (a["begyr"] >= 1945) == (formed >= 1945), "asymmetric": a["asymmetric"] == f["asymmetric"]}
    relaxed = []
    order = ["asymmetric", "post1945", "bilateral"]
    while True:
        m = np.logical_and.reduce([masks[k].to_numpy() for k in filters])
        if m.sum() >= min_n or not order:
            break
        k = order.pop(0)
        relaxed.append(k)
        filters.pop(k)
    g = a[m]
    tab = km_table(np.zeros(len(g)), g["dur"].to_numpy(), g["ev"].to_numpy())
    z = stats.norm.ppf(1 - (1 - level) / 2)
    rows = []
    at_risk = int((g["dur"] > a0).sum())
    last = float(g["dur"].max()) if len(g) else 0.0
    for t in times:
        w = (tab["time"] > a0) & (tab["time"] <= a0 + t)
        if a0 + t > last or at_risk == 0:
            rows.append({"t": t, "estimate": None, "lower": None, "upper": None})
            continue
        d, n = tab.loc[w, "n_events"].to_numpy(), tab.loc[w, "n_at_risk"].to_numpy()
        s = float(np.prod(1 - d / n))
        gw = float(np.sum(np.where(n > d, d / (n * (n - d)), np.inf)))
        if 0 < s < 1 and np.isfinite(gw):
            se = np.sqrt(gw) / abs(np.log(s))
            lo, hi = s ** np.exp(z * se), s ** np.exp(-z * se)
        else:
            lo = hi = s
        rows.append({"t": t, "estimate": s, "lower": lo, "upper": hi})
    return {"filters": filters, "relaxed": relaxed, "n_alliances": int(len(g)), "n_events": int(g["ev"].sum()),
            "at_risk_at_age": at_risk, "conditional_on_age": a0, "survival": rows,
            "description": "Kaplan–Meier of ATOP 5.1 alliances matching the filters, conditional on surviving to the "
                           "case's age on the as-of date; Greenwood log-log intervals"}


# ------------------------------------------------------------------------------------------------------- forecast
def run_scenarios(rc: ResolvedCase, fm, scenarios: dict, names: list, *, as_of: pd.Timestamp, horizon: float,
                  n_sims: int, level: float, seed: int, times=TIMES, progress=None,
                  codings: CodingDraws | None = None, competing: dict | None = None,
                  engine=None, path_inputs=None, wars=None, competing_age_offset: float = 0.0) -> tuple[list, float]:
    """Monte Carlo for each named scenario; returns (list of scenario results, a0). ``competing``: cause name ->
    FittedModel (:func:`cause_models`); each scenario result then carries ``_competing`` (:class:`CompetingRun`;
    ``competing_age_offset``: years added to the treaty's age for the cause models, :func:`relationship_start`).

    ``codings`` (:func:`.codings.coding_draws`): the case's uncertain codings sampled per draw (default: none, every
    draw uses the case as coded). Each draw b then uses coefficients b, baseline b, its shock timing and its coding
    variant; the same coding draw in every scenario (common random numbers). ``point`` is the mixture over shock
    timings (weighted by their shares of the timing draws, as without codings) and codings (weighted by each
    reading's probability from the case file's weights, :attr:`.codings.CodingDraws.exact`; by their shares of the
    coding draws when there are too many combinations), at the coefficient estimates. With codings, the status-quo scenario (or the first) also carries ``_swings``: for each alternative of
    each coding, its 5-year survival with only that value changed minus that at the coded values (see
    :func:`_swings`).

    ``engine``: where the deterministic baseline and survival arithmetic of the draws runs (a
    :class:`pactwatch.news.engine.Engine`; None: here); every random number is drawn here, so the numbers are the same
    on any engine. ``path_inputs``: (lag0, held) for the covariate paths (:func:`.training.path_inputs`; the lagged
    covariates' first year and data-held values).
    ``wars``: the :class:`.war_timing.WarData` a ``p_per_year: from-data`` timing is computed from (default: the
    process-wide data source)."""
    grid = SH.path_grid(rc.in_force, as_of, horizon)
    eng = Engine(fm, grid.a0, horizon)
    covs = fm.covariates
    times = [t for t in times if t <= horizon + 1e-9]
    t_idx = [int(np.argmin(np.abs(eng.grid - t))) for t in times]
    i5 = int(np.argmin(np.abs(eng.grid - min(5.0, horizon))))
    rng = np.random.default_rng(seed)
    betas = draw_betas(fm, n_sims, rng)
    cumH = baseline_draws(eng, betas, rng, engine=engine)
    beta_hat = fm.coef[None, :]
    cumH_hat = eng.baseline(beta_hat, None)
    ref = fm.reference
    if codings is None:
        codings = CodingDraws.none(rc.formation, rc.states, n_sims)
    cr = (CompetingRun(competing, covs, grid.a0, horizon, n_sims, seed, level, times, t_idx,
                       age_offset=competing_age_offset) if competing else None)
    out = []
    for si, name in enumerate(names):
        sp = scenario_paths(rc, scenarios, name, si, grid, covs, as_of=as_of, n_sims=n_sims, seed=seed, wars=wars,
                            codings=codings, path_inputs=path_inputs)
        shocks, notes, uniqT, invT, inv, pair, pb, Zd, Zu, weights = (
            sp[k] for k in ("shocks", "notes", "uniqT", "invT", "inv", "pair", "pb", "Zd", "Zu", "weights"))
        rc.notes.extend(n for n in pb.df(0, 0).attrs.get("notes", []) if n not in rc.notes)  # e.g. a lag without a record
        U = len(weights)
        S_u = eng.survival(np.repeat(beta_hat, U, 0), np.repeat(cumH_hat, U, 1), Zu, grid.bounds)  # G x U
        point = S_u @ weights
        S = survival_draws(eng, betas, cumH, Zd, inv, grid.bounds, engine=engine)  # G x B
        lo, hi = _q(S, level, axis=1)
        mean = S.mean(1)
        surv = [{"t": t, "point": float(point[i]), "mean": float(mean[i]), "lower": float(lo[i]), "upper": float(hi[i])}
                for t, i in zip(times, t_idx)]
        med_pt = float(median_time(eng.grid, point[:, None])[0])
        meds = median_time(eng.grid, S)
        mlo, mhi = np.quantile(meds, [(1 - level) / 2, (1 + level) / 2], method="inverted_cdf")
        median = {"point": med_pt if np.isfinite(med_pt) else None, "lower": float(mlo) if np.isfinite(mlo) else None,
                  "upper": float(mhi) if np.isfinite(mhi) else None, "beyond_horizon": bool(not np.isfinite(med_pt)),
                  "horizon": horizon}
        # drivers at the point estimate
        first = (Zu[:, 0, :] * weights[:, None]).sum(0)
        drivers = []
        for j, c in enumerate(covs):
            Zr = Zu.copy()
            Zr[:, :, j] = ref[j]
            Sr = eng.survival(np.repeat(beta_hat, U, 0), np.repeat(cumH_hat, U, 1), Zr, grid.bounds)[i5] @ weights
            drivers.append({"covariate": c, "label": LABELS.get(c, c), "value_now": float(first[j]),
                            "reference": float(ref[j]), "coef": float(fm.coef[j]),
                            "log_hazard": float(fm.coef[j] * (first[j] - ref[j])), "delta_s5": float(point[i5] - Sr)})
        drivers.sort(key=lambda d: -abs(d["delta_s5"]))
        # a representative path: the most frequent timing, at the coded values
        rep = pb.df(int(np.argmax(np.bincount(invT, minlength=len(uniqT)))), 0)
        step = max(1, int(round(0.25 / (eng.grid[1] - eng.grid[0])))) if len(eng.grid) > 1 else 1
        sel = np.arange(0, len(eng.grid), step)
        res = {"name": name, "label": scenarios[name].label, "description": scenarios[name].description.strip(),
               "shocks": [s.model_dump(mode="json", exclude_none=True) for s in shocks],
               "survival": surv, "median_remaining": median,
               "curve": {"t": eng.grid[sel].tolist(), "point": point[sel].tolist(), "lower": lo[sel].tolist(),
                         "upper": hi[sel].tolist()},
               "drivers": drivers, "path": rep.to_dict(orient="records"), "n_distinct_paths": int(len(pair)),
               "timing_notes": notes, "timing_basis": sp["bases"], "_S": S}
        if cr is not None:
            res["_competing"] = cr.scenario(Zu, weights, Zd, inv, grid.bounds)
        if codings.singles and (name == "status-quo" or (si == 0 and "status-quo" not in names)):
            res["_swings"] = _swings(codings, eng, grid, fm, betas, cumH, uniqT, invT, pb, level, i5)
        out.append(res)
        if progress:
            progress(name)
    # differences to the status quo (paired draws)
    sq = next((r for r in out if r["name"] == "status-quo"), None)
    for r in out:
        if sq is None:
            r["vs_status_quo"] = None
            continue
        D = r["_S"] - sq["_S"]
        dlo, dhi = _q(D, level, axis=1)
        r["vs_status_quo"] = [{"t": t, "point": r["survival"][k]["point"] - sq["survival"][k]["point"],
                               "lower": float(dlo[i]), "upper": float(dhi[i])} for k, (t, i) in enumerate(zip(times, t_idx))]
    for r in out:
        r.pop("_S")
    return out, grid.a0


def _swings(codings: CodingDraws, eng, grid, fm, betas, cumH, uniqT, invT, pb: PathBuilder, level, i5) -> dict:
    """Sensitivity of one scenario's survival at ``grid[i5]`` (5 years) to each coding: for each alternative of each
    coding, the survival with only that value changed (every other value as coded), minus the survival at the coded
    values. Point: coefficient estimates, mixture over the scenario's shock timings (same weights for both); interval:
    the paired coefficient/baseline draws, each at its own timing draw."""
    n = len(invT)
    wT = np.bincount(invT, minlength=len(uniqT)) / n
    beta_hat = fm.coef[None, :]
    cumH_hat = eng.baseline(beta_hat, None)
    U = len(uniqT)

    def surv(jc):
        Z = np.stack([pb.Z(jt, jc) for jt in range(U)])
        pt = float((eng.survival(np.repeat(beta_hat, U, 0), np.repeat(cumH_hat, U, 1), Z, grid.bounds)[i5] * wT).sum())
        draws = eng.survival(betas, cumH, Z[invT], grid.bounds)[i5]
        return pt, draws

    p0, d0 = surv(0)
    rows = []
    for s in codings.singles:
        c, k = s["coding"], s["k"]
        p1, d1 = (p0, d0) if s["variant"] == 0 else surv(s["variant"])
        lo, hi = _q(d1 - d0, level)
        alt = c.alternatives[k - 1]
        rows.append({"path": c.name, "coded": c.value, "alternative": alt.value, "weight": float(alt.weight),
                     "source": alt.source, "survival_coded": p0, "survival_alternative": p1, "swing": p1 - p0,
                     "lower": float(lo), "upper": float(hi), "changes_covariates": s["variant"] != 0})
    return {"t": float(eng.grid[i5]), "at_coded": p0, "swings": rows}


def at_dates(curve: dict, as_of: dt.date, dates, horizon: float) -> list[dict]:
    """Survival (point, lower, upper) to each date, read off a scenario's curve ({t, point, lower, upper}, t in years
    after ``as_of``) by linear interpolation between its points; a date before the as-of date or beyond the horizon
    (or the curve's last point) gets null values and ``within_horizon`` false."""
    t_c = np.asarray(curve["t"], float)
    out = []
    for d in dates:
        d = d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d))
        t = (d - as_of).days / 365.25
        ok = bool(0 <= t <= horizon + 1e-9 and len(t_c) and t <= t_c[-1] + 1e-9)
        row = {"date": str(d), "t": t, "within_horizon": ok, "point": None, "lower": None, "upper": None}
        if ok:
            for k in ("point", "lower", "upper"):
                row[k] = float(np.interp(t, t_c, np.asarray(curve[k], float)))
        out.append(row)
    return out


def _resolution(c) -> dict | None:
    r = getattr(c, "resolution", None)
    if r is None:
        return None
    return {"ends": [x.model_dump() for x in r.ends], "continues": [x.model_dump() for x in r.continues],
            "dates": [str(d) for d in r.dates], "note": r.note}


def default_scenarios(scenarios: dict) -> list[str]:
    return [n for n, s in sorted(scenarios.items(), key=lambda kv: (kv[1].order, kv[0])) if s.default]


def model_version() -> str:
    """Identifies the forecast model: specification (covariates), training-data layout and engine. Changes whenever
    the same data could give other numbers."""
    import hashlib
    import json

    from .training import CACHE_VERSION

    key = json.dumps({"spec": FORECAST_SPEC.name, "covariates": list(FORECAST_SPEC.covariates) + list(FORECAST_SPEC.tv_covariates),
                      "data_layout": CACHE_VERSION, "engine": ENGINE_VERSION}, sort_keys=True)
    return f"{FORECAST_SPEC.name}-{hashlib.sha256(key.encode()).hexdigest()[:12]}"


def forecast_case(case, scenarios: list[str] | None = None, *, as_of=None, source=None, sims: int = DEFAULT_SIMS,
                  seed: int = 0, horizon: float = 10.0, event: str = "any-end", level: float = 0.9,
                  k_analogues: int = 8, ctx: Context | None = None, scenario_dir=None, use_cache: bool = True,
                  progress=None, competing: bool = True, engine=None) -> ForecastResult:
    """Forecast ``case`` (a name, a path or a :class:`.schema.Case`) under ``scenarios`` (default: every default
    scenario; the status quo is always included, first) as of ``as_of`` (a date; default today) with the data of
    ``source`` (a :class:`pactwatch.data.source.DataSource`; default the process-wide one), ``sims`` Monte Carlo draws
    and random seed ``seed``. ``ctx``: a fitted :class:`Context` to reuse (its data and model; ``source`` is then not
    read). ``competing``: also forecast each cause's cumulative incidence and "ends for any reason but replacement"
    (:data:`COMPETING_METHOD`; the survival numbers are the same with it on or off).
    ``engine``: where the Monte Carlo arithmetic runs (a :class:`pactwatch.news.engine.Engine` from
    ``make_engine``, or ``"inprocess"``/``"dask"``; default here): the same numbers on any engine (docs/scale.md).
    Returns a :class:`.result.ForecastResult` (see the module docstring for what each number means)."""
    from .analogues import analogues

    t0 = time.perf_counter()
    run = validate_run(as_of=as_of, sims=sims, seed=seed, horizon=horizon, level=level)  # ranges, caps, dates
    n_sims, seed, horizon, level = run.sims, run.seed, run.horizon, run.level
    c = case if not isinstance(case, (str, bytes)) and hasattr(case, "kind") else load_case(case)
    allsc = load_scenarios(scenario_dir)
    names = list(dict.fromkeys(scenarios)) if scenarios else default_scenarios(allsc)
    if "status-quo" not in names and "status-quo" in allsc:
        names = ["status-quo", *names]
    for n in names:
        SH.scenario_shocks(n, allsc)  # unknown names / cycles fail before any work
    day = pd.Timestamp(run.as_of)
    if ctx is None:
        ctx = context(source, event, use_cache=use_cache, progress=progress)
    elif ctx.event != event:
        raise PactwatchError(f"context was fitted for event {ctx.event!r}, not {event!r}")
    fm = ctx.model
    rc = resolve(c, ctx.data, day, source)
    cd = coding_draws(c, rc, lambda cc: resolve(cc, ctx.data, day, source), n_sims, seed)
    cmodels, cnote, cage = {}, None, None
    if competing:
        try:
            cmodels = cause_models(ctx, use_cache=use_cache, progress=progress)
            cage = relationship_start(ctx, rc)
        except PactwatchError as e:  # e.g. a cause without events before an early back-test cut-off
            cnote, cmodels = f"Competing risks not computed: {e}", {}
    from pactwatch.news.engine import make_engine, session

    with session(make_engine(engine) if isinstance(engine, str) or engine is None else engine) as mc:
        res, a0 = run_scenarios(rc, fm, allsc, names, as_of=day, horizon=horizon, n_sims=n_sims, level=level,
                                seed=seed, progress=progress, codings=cd,
                                path_inputs=path_inputs(ctx.data, rc, day, fm.covariates),
                                competing={n: m for n, (m, _) in cmodels.items()} or None, engine=mc,
                                wars=WarData(source), competing_age_offset=cage[0] if cage else 0.0)
    coding_out = _coding_result(c, cd, res)
    comp = None
    if cmodels:
        comp = competing_summary(ctx, cmodels, [{"name": r["name"], "label": r["label"], **r.pop("_competing")}
                                                for r in res], age=cage,
                                  window=(a0 + cage[0], a0 + cage[0] + horizon) if cage else None)
    if getattr(c, "resolution", None) is not None:
        for r in res:
            r["at_resolution"] = at_dates(r["curve"], run.as_of, c.resolution.dates, horizon)
    times = [t for t in TIMES if t <= horizon + 1e-9]
    br = base_rate(ctx.data, rc, a0, times, event, level)
    an = analogues(ctx.data, rc, k=k_analogues)
    from pactwatch.models.specs import event_definition

    ed = event_definition(event)
    summ = fm.summary
    coefs = [{"covariate": k, "label": LABELS.get(k, k), "coef": float(r["coef"]), "se": float(r["se"]),
              "hr": float(r["exp(coef)"]), "p": float(r["p"])} for k, r in summ.iterrows()]
    now = {k: res[0]["path"][0][k] for k in fm.covariates}  # first segment of the first (status-quo) path
    notes = [
        "The Cox model is fitted on ATOP 5.1 alliance-years with every covariate observed: COW war data end in 2007 and "
        "Archigos leaders start in 1875 for most states, so the usable window is " + "–".join(map(str, fm.info["train_years"])) + "; "
        "the post-2007 world enters only through this case's own covariate values.",
        "What the status quo assumes: the war the members fight ends with a constant yearly chance (the status-quo "
        "scenario file states the rule; the rate is computed on the as-of date from COW inter-state wars as old as "
        "this one that had ended by then, and each scenario's timing_basis gives the rate used and its basis), and "
        "nothing else changes — no leader change, new outside alliance, new war, new rival or regime change. Every "
        "scenario runs on top of it (a scenario's own war-ends timing replaces the status quo's). Alliances in the "
        "training data lived through those other shocks at their usual rates, so in that respect the status quo is "
        "optimistic; the war's ending is modelled, not assumed away, so it is no longer ten more years of war.",
        "Age is measured from entry into force; a treaty replacing an earlier one (renegotiation) starts at age 0, as "
        "in ATOP. Under 'any-end', replacement by a new treaty counts as an ending; the event definition 'death' "
        "censors it. The competing-risk models instead merge linked replacements into one spell and count the "
        "case's age from the start of its relationship (see competing.age).",
        "Intervals cover coefficient uncertainty (robust covariance clustered by alliance), the baseline hazard's "
        "sampling error, shock timing and the case's uncertain codings that list alternatives (sampled by their "
        "weights); not model misspecification or errors in the case's other coded values.",
    ]
    if cnote:
        notes.append(cnote)
    import hashlib
    from pathlib import Path

    import pactwatch

    cfile = c.__dict__.get("_path")
    case_sha = (hashlib.sha256(Path(cfile).read_bytes()).hexdigest() if cfile and Path(cfile).exists()
                else content_sha256(c))
    used = sorted({p for n in names for p in _composed(n, allsc)})
    out = {
        "schema": SCHEMA,
        "case": {"id": c.id, "name": c.name, "question": c.question.value if c.question else None,
                 "question_source": c.question.source if c.question else None, "kind": c.kind, "atopid": rc.atopid, "members": rc.members,
                 "in_force": str(rc.in_force.date()), "signed": str(c.signed.value) if c.signed else None,
                 "age_at_as_of": a0, "file": cfile, "state_source": rc.state_source,
                 "notes": [*c.notes, *rc.notes], "events": [e.model_dump(mode="json") for e in c.events],
                 "uncertain_values": _uncertain(c), "resolution": _resolution(c),
                 "hand_values": rc.hand_values},
        "as_of": str(day.date()),
        "event": {"name": ed.name, "description": ed.description},
        "horizon": horizon, "times": times, "level": level, "n_sims": n_sims, "seed": seed,
        "model": {"spec": FORECAST_SPEC.name, "description": FORECAST_SPEC.description, "covariates": fm.covariates,
                  "labels": {k: LABELS.get(k, k) for k in fm.covariates}, "coefficients": coefs, "info": fm.info,
                  "se_type": "robust, clustered by alliance (atopid)", "ties": "efron; baseline Breslow",
                  "cache": ctx.cache, "data": ctx.data.fingerprint, "panels_built_at": ctx.data.built_at},
        "covariates": {"formation": rc.formation, "now": now, "sources": rc.sources},
        "scenarios": res,
        "base_rate": br,
        "analogues": an,
        "notes": notes,
        "provenance": {"as_of": str(day.date()), "seed": seed, "n_sims": n_sims, "model_version": model_version(),
                       "pactwatch_version": pactwatch.__version__, "data": ctx.data.fingerprint,
                       "case_sha256": case_sha,
                       "scenarios_sha256": {n: content_sha256(allsc[n]) for n in used if n in allsc}},
        "validation": (val := _validation(ed.name, ctx.data.fingerprint)),
        "headline": _headline(ctx.data, rc, a0, res, val, event, level, horizon, day),
        "competing": comp,
        "codings": coding_out,
        "runtime_seconds": round(time.perf_counter() - t0, 2),
    }
    return ForecastResult.model_validate(jsonable(out))


def _validation(event: str, fingerprint: dict) -> dict:
    """The stored landmark back-test's summary for this model and data, or how to compute it (never runs it)."""
    from .landmark_store import validation

    return validation(event, fingerprint)


def _headline(data, rc: ResolvedCase, a0: float, res: list, val: dict, event: str, level: float, horizon: float,
              as_of: pd.Timestamp) -> dict:
    """The pooled headline (:func:`.pooling.headline`): the model's status-quo survival at 5 and 10 years, the case's
    reference classes, and the weights and verdict of the stored back-test (``val``; never fitted here)."""
    from . import pooling as PL

    hs = [h for h in (5.0, 10.0) if h <= horizon + 1e-9]
    sq = next((r for r in res if r["name"] == "status-quo"), None)
    model = {}
    if sq is not None:
        for p in sq["survival"]:
            if any(abs(p["t"] - h) < 1e-9 for h in hs):
                model[float(p["t"])] = float(p["point"])
    classes = PL.case_reference_classes(data, rc, a0, hs, event, level, as_of=as_of)
    pooling = ((val or {}).get("landmark") or {}).get("pooling")
    return PL.headline(pooling, model, classes)


def _composed(name: str, scenarios: dict) -> list[str]:
    """``name`` and every scenario it composes (recursively)."""
    out = [name]
    for c in scenarios[name].compose:
        out += _composed(c, scenarios)
    return out


def _coding_result(c, cd: CodingDraws, res: list) -> dict | None:
    """The result's ``codings`` section: every uncertain value (sampled with its alternatives, or listed as having
    none) and the status quo's swings (None when the case has no uncertain value)."""
    paths = _uncertain(c)
    if not paths:
        for r in res:
            r.pop("_swings", None)
        return None
    by_name = {k.name: k for k in uncertain_codings(c)}
    values = []
    for p in paths:
        k = by_name.get(p)
        if k is not None and k.alternatives:
            values.append({"path": p, "value": k.value, "weight": float(k.weights[0]), "source": k.source,
                           "status": "sampled",
                           "alternatives": [{"value": a.value, "weight": float(a.weight), "source": a.source}
                                            for a in k.alternatives],
                           "frequencies": cd.frequencies.get(p)})
        else:
            values.append({"path": p, "value": None if k is None else k.value, "weight": 1.0,
                           "source": None if k is None else k.source,
                           "status": "uncertain, no alternatives given", "alternatives": [], "frequencies": None})
    sw = None
    for r in res:
        x = r.pop("_swings", None)
        if x is not None and sw is None:
            sw = {**x, "scenario": r["name"]}
    return {"point": "mixture", "n_variants": int(len(np.unique(cd.index))), "values": values,
            "scenario": None if sw is None else sw["scenario"], "t": None if sw is None else sw["t"],
            "survival_at_coded": None if sw is None else sw["at_coded"], "swings": [] if sw is None else sw["swings"]}


def _uncertain(c) -> list[str]:
    """Dotted paths of the case's values marked ``uncertain: true``."""
    out = []

    def walk(obj, path):
        if isinstance(obj, dict):
            if obj.get("uncertain") is True:
                out.append(path)
            for k, v in obj.items():
                walk(v, f"{path}.{k}" if path else str(k))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                walk(v, f"{path}[{i}]")

    walk(c.model_dump(mode="json"), "")
    return out
