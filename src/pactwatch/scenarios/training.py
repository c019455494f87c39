"""Training data and the time-varying Cox fit behind the forecasts, with an on-disk cache.

Unit of analysis: the alliance-year (ATOP 5.1), rows (start, stop] of the alliance's age in years (days / 365.25)
over each calendar year, from the alliance-survival table (:func:`pactwatch.panels.survival.survival_table`, whose
docstring states the unit, clock, delayed entry, censoring, events and covariate timing) through the same follow-up
and counting-process code as the evaluation (:func:`pactwatch.panels.survival.follow_up` / ``counting_process``;
with a cut-off, ``evaluation.split_at``), so the forecast model and the evaluated models share their rules.

Specification ``forecast`` (:data:`FORECAST_SPEC` = ``models.specs.model_spec("forecast")``, defined once there;
``pactwatch evaluate --spec forecast`` scores the same specification). Since 2026-12 ``forecast`` is the candidate
chosen on the landmark back-test, ``forecast-threat-noww`` (docs/forecast-spec.md): the time-varying covariates
below lagged one year (``<name>_lag1``) plus the extended ones (``models.specs``), world-war years left out of
training. The description below is of the previous specification, kept as ``forecast-2026-11``; any specification
can be passed to :func:`build_data` (``spec=``).
--------------------------------------------------------------------------------------------------------------
Time-constant, measured at formation (see :mod:`pactwatch.models.specs`): obligations of phase 1 (``defense offense
neutral nonagg consul``), ``bilateral``, ``log_members``, ``any_major``, ``asymmetric``, ``dem_share``, ``wartime``,
``fixed_term``, ``conditional_term``, ``renounce_clause``, ``econ_linkage``.

Time-varying, per alliance-year (aggregated over the members in that year):

- ``cap_change``: largest |log(CINC / CINC at the member's entry)| over members (Leeds & Savun 2007's capability
  change; 0 at formation). COW NMC 6.0, 1816–2016.
- ``max_abs_polity2_change``: largest |Polity2 − Polity2 at entry| over members (regime change). Polity5.
- ``any_at_war``: some member took part in a COW inter-state war that year (COW 4.0, 1816–2007).
- ``at_war_x_wartime``: ``any_at_war`` × ``wartime`` — lets the effect of war differ for alliances formed in wartime
  (an alliance made for a war may behave differently while that war lasts and after it ends; the "war ends" question).
- ``any_leader_change``: a new Archigos leader took office in some member that year (1875–2015).
- ``any_new_outside_alliance``: some member entered another ATOP alliance with an outsider that year.
- ``shared_rivals``: the number of third states that are strategic rivals (Thompson–Sakuwa–Suhas, 1816–2020) of a
  member and of another member (the largest count over members; for a bilateral alliance, the rivals they share).
  This is the "threat" covariate the US-retrenchment / trilateral scenarios move.

Complete cases: alliance-years with a missing covariate are dropped and counted (``info``): in practice the war
data end the usable window in 2007 (later years are censored there) and leader data start it in 1875 (earlier
years enter as delayed entry: the counting-process rows keep the alliance's true age).

Cache: fits and the assembled panels are pickled under ``paths.home()/cache/forecast``; the key is the sha256 of
the data files the panels read (:data:`DATA_TABLES`), the specification, the event definition, the cut-off year and
the excluded alliances, plus :data:`CACHE_VERSION`.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import pickle
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE, LAST_YEAR
from pactwatch.errors import PactwatchError
from pactwatch.models.specs import ModelSpec, event_definition, event_indicator, model_spec, needs_extended
from pactwatch.panels import survival as SV

CACHE_VERSION = 6
#: Tables the panels read (checked after every build: a table outside this list disables the cache with a note).
DATA_TABLES = ("archigos", "atop_alliance", "atop_member", "atop_phase", "cow_majors", "cow_nmc", "cow_states",
               "cow_war_inter", "cw_democracy", "polity5", "tss_rivalries")

FORECAST_SPEC: ModelSpec = model_spec("forecast")
FORMATION = FORECAST_SPEC.covariates
TIME_VARYING = FORECAST_SPEC.tv_covariates

LABELS = {
    "defense": "Defence obligation", "offense": "Offence obligation", "neutral": "Neutrality obligation",
    "nonagg": "Non-aggression obligation", "consul": "Consultation obligation", "bilateral": "Bilateral",
    "log_members": "log(members)", "any_major": "Includes a major power", "asymmetric": "Major–minor (asymmetric)",
    "dem_share": "Share of democracies", "wartime": "Formed in wartime", "fixed_term": "Fixed term",
    "conditional_term": "Conditional term", "renounce_clause": "Renunciation clause", "econ_linkage": "Economic linkage",
    "cap_change": "Capability change since formation", "max_abs_polity2_change": "Regime change since formation",
    "any_at_war": "A member at war", "at_war_x_wartime": "At war × formed in wartime", "any_leader_change": "Leader change (that year)",
    "any_new_outside_alliance": "New outside alliance (that year)", "shared_rivals": "Shared rivals (count)",
    "post1945": "Post-1945 era", "any_at_war_cow_ucdp": "A member at war (COW, then UCDP/PRIO)",
    "at_war_cow_ucdp_x_wartime": "At war (COW/UCDP) × formed in wartime",
    "regime_change_euds": "Regime change since formation (extended UDS)",
    "shared_rival_grade": "Shared rivals (peace scale, graded)", "lsthreat_max": "External threat (Leeds–Savun)",
    "common_mid_opponent_10y": "Common MID opponent (10 years)", "war_ended_0_2": "Formation war ended 0–2 years ago",
    "any_irregular_leader_entry": "Irregular leader entry",
}
LABELS.update({f"{k}_lag1": f"{v.replace(' (that year)', '')} (previous year)" for k, v in list(LABELS.items())})


def cache_dir() -> Path:
    from pactwatch.paths import home

    return home() / "cache" / "forecast"


# ---------------------------------------------------------------------------------------------------- data identity
def data_tables(spec: ModelSpec | str | None = None) -> tuple[str, ...]:
    """The tables the panels of ``spec`` read: :data:`DATA_TABLES`, plus
    :data:`pactwatch.panels.survival.EXTENDED_TABLES` when the specification needs the extended table."""
    sp = resolve_spec(spec)
    if not needs_extended(sp):
        return DATA_TABLES
    return tuple(dict.fromkeys((*DATA_TABLES, *SV.EXTENDED_TABLES)))


def resolve_spec(spec: ModelSpec | str | None) -> ModelSpec:
    """``spec`` as a :class:`ModelSpec` (a name is looked up; None = :data:`FORECAST_SPEC`)."""
    if spec is None:
        return FORECAST_SPEC
    return spec if isinstance(spec, ModelSpec) else model_spec(spec)


def data_fingerprint(src, *, memo: bool = True, tables=None) -> dict[str, str]:
    """sha256 of each file in ``tables`` (default: those the forecast specification reads, :func:`data_tables`),
    verified against the registry (a file whose bytes differ from the
    registered ones raises DataError naming it; hashes cached by path, size and mtime, see
    :func:`pactwatch.data.readers.cached_sha256`). Without the files (a store-only setup) the registry's sha256 plus
    the store file's size and mtime stand in."""
    from pactwatch.data.readers import cached_sha256, verify_bytes
    from pactwatch.data.registry import find_file, resolve_data_dir

    out = {}
    try:
        ddir = resolve_data_dir(getattr(src, "data_dir", None))
    except PactwatchError:
        ddir = None
    for t in (data_tables() if tables is None else tables):  # default: the forecast specification's tables
        spec = find_file(t)
        p = ddir / spec.path if ddir is not None else None
        if p is not None and p.exists():
            if getattr(src, "verify", "sha256") == "sha256":
                out[t] = verify_bytes(spec, p, full=True, use_cache=memo)
            else:  # a data directory changed on purpose (DataSource(verify="size")): fingerprinted, not verified
                out[t] = cached_sha256(p, use_cache=memo)
        else:
            db = getattr(src, "db", None)
            tag = f"{db.stat().st_size}:{db.stat().st_mtime_ns}" if db is not None and Path(db).exists() else "none"
            out[t] = f"registry:{spec.sha256}|store:{tag}"
    return out


def _key(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:24]


def _load(path: Path):
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def _save(path: Path, obj) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        return True
    except OSError:
        return False


# ------------------------------------------------------------------------------------------------------------ panels
@dataclass
class ForecastData:
    """Everything the forecasts read from the datasets, built once.

    - ``eval``: an :class:`pactwatch.models.evaluation.EvaluationData` with the specification the panels were built
      for (``eval.spec``, default :data:`FORECAST_SPEC`; one row per alliance with dates, outcome, cause and formation
      covariates; alliance-years with the time-varying covariates). :func:`fit` fits ``eval.spec``.
    - ``alliances``: the full :func:`pactwatch.panels.alliances.alliances` frame (termination labels, members).
    - ``member_years``: (atopid, ccode, year) with at_war, cinc_ratio, polity2_change, leader_change,
      new_outside_alliance (to rebuild a historical alliance's member states).
    - ``rivalries``: directed TSS rivalry-years (ccode1, ccode2, year).
    - ``states``: COW code -> abbreviation and name.
    """
    eval: object
    alliances: pd.DataFrame
    member_years: pd.DataFrame
    rivalries: pd.DataFrame
    states: dict
    fingerprint: dict
    built_at: str
    log: list = field(default_factory=list)
    #: (atopid, year) with the specification's time-varying covariates and, for each lagged one ``<c>_lag1``, the
    #: unlagged ``<c>`` (what a covariate path holds and lags, :func:`pactwatch.scenarios.shocks.build_path`).
    path_years: pd.DataFrame | None = None

    @property
    def spec(self) -> ModelSpec:
        return self.eval.spec


def build_data(src=None, *, spec: ModelSpec | str | None = None, use_cache: bool = True, progress=None) \
        -> tuple[ForecastData, dict]:
    """The panels for ``spec`` (default :data:`FORECAST_SPEC`; from the cache when the data files are unchanged); a
    specification that needs the extended covariates gets ``survival_table(..., extended=True)``. Returns
    (data, cache-info)."""
    from pactwatch.panels.base import get_source

    sp = resolve_spec(spec)
    tables = data_tables(sp)
    s = get_source(src)
    fp = data_fingerprint(s, memo=use_cache, tables=tables)
    # the definition is in the key, not only the name: ``forecast`` names a different specification after a switch
    key = _key({"v": CACHE_VERSION, "data": fp, "what": "panels", "spec": sp.name,
                "spec_def": [sp.covariates, sp.tv_covariates, sp.exclude_years]})
    path = cache_dir() / f"panels-{key}.pkl"
    if use_cache:
        d = _load(path)
        if isinstance(d, ForecastData):
            return d, {"panels_key": key, "panels_cache": "hit", "path": str(path)}
    if progress:
        progress("building alliance panels (first run; cached afterwards)")
    d = _build(s, fp, sp)
    used = set(getattr(s, "_cache", {}).keys())
    extra = sorted(used - set(tables))
    info = {"panels_key": key, "panels_cache": "miss", "path": str(path)}
    if extra:
        info["panels_cache"] = f"not stored: panels read table(s) {extra} outside DATA_TABLES"
    elif use_cache:
        _save(path, d)
    return d, info


def _build(s, fp, spec: ModelSpec | None = None) -> ForecastData:
    from pactwatch.models import evaluation as E
    from pactwatch.panels import conflict

    sp = resolve_spec(spec)
    t = SV.survival_table(s, extended=needs_extended(sp))
    ev = E.evaluation_data(t, sp)
    ev.log[0]["note"] = f"ATOP 5.1 alliances, spec {sp.name!r}"
    base = [b for b in map(SV.lag_base, sp.tv_covariates) if b]
    pcols = list(dict.fromkeys([*sp.tv_covariates, *(c for c in base if c in t.years.columns)]))
    py = t.years[["atopid", "year", *pcols]].copy()
    for c in pcols:
        py[c] = py[c].astype("Float64").astype(float)
    al, my = t.panel, t.member_years
    mcols = ["atopid", "ccode", "year", "at_war", "cinc_ratio", "polity2_change", "leader_change", "new_outside_alliance",
             "polity2", "cowmaj"]
    m = my[mcols].copy()
    rv = conflict.rivalry_years("tss", s)[["ccode1", "ccode2", "year"]].drop_duplicates().reset_index(drop=True)
    st = s.table("cow_states")
    states = {int(r.ccode): {"abb": str(r.stateabb), "name": str(r.statenme)}
              for r in st.drop_duplicates("ccode").itertuples(index=False)}
    keep = ["atopid", "begin", "end", "begyr", "event", "duration_years", "term", "term_label", "termmode_final",
            "termmode_final_label", "termcaus_final", "termcaus_final_label", "termmode_members", "n_members_formation"]
    return ForecastData(eval=ev, alliances=al[keep].copy(), member_years=m, rivalries=rv, states=states,
                        fingerprint=fp, built_at=_dt.datetime.now().isoformat(timespec="seconds"), path_years=py)


# --------------------------------------------------------------------------------------------------------------- fit
@dataclass
class FittedModel:
    """A fitted time-varying Cox model reduced to what forecasting needs (picklable, no data frames of the panels).

    ``coef`` / ``variance`` (robust, clustered by alliance) / ``variance_naive``; ``center`` (training means; the
    baseline is for x = center); training arrays ``X`` (n x p), ``start``, ``stop``, ``event`` to recompute the Breslow
    baseline at any coefficient vector; ``baseline`` (cumulative baseline hazard at the estimate, by age);
    ``reference`` (training medians, the "typical value" used for driver effects); ``info`` (counts, windows).
    """
    covariates: list
    coef: np.ndarray
    variance: np.ndarray
    variance_naive: np.ndarray
    center: np.ndarray
    X: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    event: np.ndarray
    baseline: pd.Series
    reference: np.ndarray
    summary: pd.DataFrame
    info: dict
    event_def: str
    cutoff: int | None
    max_time: float

    @property
    def p(self) -> int:
        return len(self.covariates)

    def with_variance(self, scale: float) -> "FittedModel":
        """A copy whose coefficient variance is multiplied by ``scale`` (for checking how intervals respond)."""
        import copy

        m = copy.copy(self)
        m.variance = self.variance * scale
        return m


def spell_data(data: ForecastData, exclude=()):
    """``data``'s frames on replacement-merged spells (issue 13 item 2): each chain of linked replacements
    (:func:`pactwatch.panels.survival.replacement_links`: same members, successor begins within 366 days of the
    predecessor's end) is one spell (:func:`pactwatch.panels.survival.replacement_spells`): it begins with the first
    treaty (its age clock), a linked hand-over is no ending, and the spell ends with the last treaty's outcome; an
    unlinked replacement ends its spell with cause 3 (censored by the cause-specific events). Each spell-year keeps
    the row of the treaty in effect that year (in a hand-over year the predecessor's): its time-varying covariates
    AND its formation covariates — the treaty in force, not the chain's first — so a spell-year is described by the
    text that governs it, as the case being forecast is by its own treaty's (and ``wartime`` agrees with the row's
    war × wartime term). The formation covariates therefore enter the returned specification as time-varying
    (``spec.covariates`` empty; a spell-year with a missing one is dropped and counted like any missing covariate).
    ``exclude``: treaties left out before linking (a predecessor of an excluded treaty stays unlinked).
    Returns (EvaluationData of spells, counts)."""
    from dataclasses import replace
    from types import SimpleNamespace

    from pactwatch.models import evaluation as E

    ev = data.eval
    ex = [int(x) for x in exclude]
    keep = lambda f: f[~f["atopid"].isin(ex)]  # noqa: E731
    al = keep(ev.alliances).reset_index(drop=True)
    table = SimpleNamespace(alliances=al, years=keep(ev.years), panel=keep(data.alliances),
                            member_years=keep(data.member_years))
    links, counts = SV.replacement_links(table)
    spells, sy, sc = SV.replacement_spells(table, links)
    counts = {**counts, **sc}
    covs, tv = list(ev.spec.covariates), list(ev.spec.tv_covariates)
    form = al.set_index("atopid")[covs].reindex(sy["atopid_treaty"].to_numpy())
    y = sy[["atopid", "year", *tv]].reset_index(drop=True)
    for c in covs:
        y[c] = form[c].astype("Float64").astype(float).to_numpy()
    spec = replace(ev.spec, covariates=(), tv_covariates=(*covs, *tv))
    return E.EvaluationData(alliances=spells, years=y[["atopid", "year", *covs, *tv]], spec=spec, log=ev.log), \
        {**counts, "links_frame": links, "spells_frame": spells}


def _spell_counts(rows: pd.DataFrame, sinfo: dict, follow_end: pd.Timestamp) -> dict:
    """Replacements in the spell training rows: linked hand-overs inside the follow-up (no ending: the spell goes
    on) and unlinked replacements ending a spell inside it (censored by the cause-specific events)."""
    sp = sinfo["spells_frame"].set_index("atopid")
    ids = set(int(i) for i in rows["atopid"].unique())
    ends = {}
    for aid, chain in sp["atopids"].items():
        if int(aid) in ids:
            ends[int(aid)] = [int(x) for x in str(chain).split(";")]
    links = sinfo["links_frame"]
    pred_in = links[links["predecessor"].isin([p for ch in ends.values() for p in ch[:-1]])]
    in_rows = sp.loc[sorted(ids)]
    unlinked = in_rows[(in_rows["cause"] == 3) & in_rows["end"].notna() & (in_rows["end"] <= follow_end)]
    return {"link_rule": sinfo.get("rule"), "replacements_all": sinfo.get("replacements"),
            "linked_all": sinfo.get("linked"), "unlinked_all": sinfo.get("unlinked"),
            "spells_in_rows": len(ids), "spells_with_successors_in_rows": int(sum(len(c) > 1 for c in ends.values())),
            "replacements_linked_in_rows": int(len(pred_in)),
            "replacements_unlinked_in_rows": int(len(unlinked))}


def training_rows(data: ForecastData, event: str = "any-end", cutoff: int | None = None, exclude=(), *,
                  merge_replacements: bool = False) -> tuple[pd.DataFrame, dict]:
    """Counting-process training rows. ``cutoff``: keep alliances formed up to that year, follow-up censored at
    31 Dec of it, alliance-years <= it (``evaluation.split_at``'s rule); None = all data (to 31 Dec 2018). ``exclude``:
    atopids left out (the case being back-tested). ``merge_replacements``: the rows of replacement-merged spells
    (:func:`spell_data`; the same follow-up and counting-process code), ``atopid`` = the spell's first treaty, age
    from its begin; ``info["replacement_spells"]`` counts the linked and unlinked replacements in the rows."""
    from pactwatch.models import evaluation as E

    ev, sinfo = (spell_data(data, exclude) if merge_replacements else (data.eval, None))
    years_info = {}
    if ev.spec.exclude_years:
        # whole calendar years left out of training (the world wars): dropped as rows and counted; the alliance's
        # other rows keep its true age (delayed entry); an ending in a dropped year has no row (counted)
        ex = set(int(y) for y in ev.spec.exclude_years)
        hi = LAST_YEAR if cutoff is None else int(cutoff)
        drop = ev.years["year"].isin(ex)
        a = ev.alliances
        if exclude:
            a = a[~a["atopid"].isin(list(exclude))]
            drop &= ~ev.years["atopid"].isin(list(exclude))
        endy = a["end"].dt.year
        ev_in = (event_indicator(a, event).to_numpy() == 1) & endy.isin(ex).to_numpy() & (a["begyr"] <= hi).to_numpy()
        years_info = {"excluded_years": [min(ex), max(ex)] if ex else [],
                      "excluded_years_list": sorted(ex),
                      "alliance_years_dropped_excluded_years": int((drop & (ev.years["year"] <= hi)).sum()),
                      "events_in_excluded_years": int(ev_in.sum())}
        ev = E.EvaluationData(alliances=ev.alliances, years=ev.years[~drop].reset_index(drop=True), spec=ev.spec,
                              log=ev.log)
    if exclude:
        ev = E.EvaluationData(alliances=ev.alliances[~ev.alliances["atopid"].isin(list(exclude))].reset_index(drop=True),
                              years=ev.years[~ev.years["atopid"].isin(list(exclude))], spec=ev.spec, log=ev.log)
    if cutoff is not None:
        sp = E.split_at(ev, int(cutoff), event, check_test=False)  # the fit never uses the test side
        info = dict(sp.info)
        rows = sp.train_tv
    else:
        # the whole data: follow-up to the data's end (31 Dec 2018), the same rules as a split's training side
        covs = list(ev.spec.covariates)
        tr, n = SV.follow_up(ev.alliances, event_definition(event).name, censor_at=CENSOR_DATE, covariates=covs)
        info = {"cutoff": None, "train_follow_up_ends": str(CENSOR_DATE.date()),
                "train_excluded_incomplete": n["excluded_incomplete"]}
        if n["excluded_no_follow_up"]:  # none in ATOP 5.1 (reported if a data update brings one)
            info["train_excluded_no_follow_up"] = n["excluded_no_follow_up"]
        info.update(train_alliances=int(len(tr)), train_events=int(tr["event"].sum()))
        keep = ["atopid", "begin", "begyr", "duration", "event", *covs]
        rows, n = SV.counting_process(ev.years, tr[keep], through_year=LAST_YEAR,
                                      tv_covariates=ev.spec.tv_covariates, covariates=covs)
        info.update(n)
    info["excluded_atopids"] = sorted(int(x) for x in exclude)
    info.update(years_info)
    if sinfo is not None:
        fe = CENSOR_DATE if cutoff is None else pd.Timestamp(year=int(cutoff), month=12, day=31)
        info["replacement_spells"] = _spell_counts(rows, sinfo, fe)
    return rows, info


def fit(data: ForecastData, event: str = "any-end", *, cutoff: int | None = None, exclude=(), use_cache: bool = True,
        penalizer: float = 0.0, merge_replacements: bool = False) -> tuple[FittedModel, dict]:
    """Fit (or load) the time-varying Cox model of the data's specification (``data.eval.spec``, chosen in
    :func:`build_data`); returns (model, cache-info). ``event``: any name of
    :data:`pactwatch.models.specs.EVENT_DEFINITIONS` (the cause-specific ones censor the other endings at their time);
    ``penalizer``: lifelines' L2 penalty on the standardised coefficients (0 = the plain partial likelihood; the
    cause-specific forecasts use a light one, see :mod:`.forecast`); ``merge_replacements``: fit on
    replacement-merged spells (:func:`spell_data`; the cause-specific forecasts). The cache key holds the event, the
    penalty and the merging."""
    sp = data.eval.spec
    kk = {"v": CACHE_VERSION, "data": data.fingerprint, "spec": [sp.covariates, sp.tv_covariates], "event": event,
          "cutoff": cutoff, "exclude": sorted(int(x) for x in exclude)}
    if sp.exclude_years:
        kk["exclude_years"] = sorted(int(y) for y in sp.exclude_years)
    if penalizer:
        kk["penalizer"] = float(penalizer)  # only when set: unpenalised fits keep their cache keys
    if merge_replacements:
        kk["merge_replacements"] = True  # likewise: treaty-level fits keep their keys
    key = _key(kk)
    path = cache_dir() / f"fit-{key}.pkl"
    if use_cache:
        m = _load(path)
        if isinstance(m, FittedModel):
            return m, {"fit_key": key, "fit_cache": "hit"}
    t0 = time.perf_counter()
    rows, info = training_rows(data, event, cutoff, exclude, merge_replacements=merge_replacements)
    covs = [*sp.covariates, *sp.tv_covariates]
    # a covariate constant in the training window cannot be estimated: say so instead of a singular fit
    const = [c for c in covs if rows[c].nunique() < 2]
    if const:
        raise PactwatchError(f"forecast model: covariate(s) {const} do not vary in the training data "
                             f"(cut-off {cutoff}); the model cannot be fitted")
    fm = fitted_from_rows(rows, covs, event=event, cutoff=cutoff, info=info, begin=data.eval.alliances.set_index("atopid")["begin"],
                          penalizer=penalizer)
    fm.info["spec"] = sp.name
    fm.info["fit_seconds"] = round(time.perf_counter() - t0, 2)
    fm.info["fitted_at"] = _dt.datetime.now().isoformat(timespec="seconds")
    if use_cache:
        _save(path, fm)
    return fm, {"fit_key": key, "fit_cache": "miss"}


def fitted_from_rows(rows: pd.DataFrame, covs: list, *, event: str = "any-end", cutoff=None, info: dict | None = None,
                     begin: pd.Series | None = None, penalizer: float = 0.0) -> FittedModel:
    """Fit :class:`pactwatch.models.CoxTV` on counting-process ``rows`` (atopid, start, stop, event, ``covs``) and
    reduce it to a :class:`FittedModel`. ``begin`` (atopid -> begin date) recovers the calendar years used."""
    from pactwatch.models import CoxTV

    from lifelines.exceptions import ConvergenceError

    info = dict(info or {})
    if int(rows["event"].sum()) == 0:
        return _no_events(rows, covs, event=event, cutoff=cutoff, info=info)
    # Newton–Raphson from beta = 0 with lifelines' first step (0.95) can overflow on the rarer cause-specific events
    # (issue 13's 'breach': 126 events, 22 covariates); a shorter first step reaches the same maximum. Tried only
    # after a failure, so a fit that converged before is unchanged; the step used is recorded in ``info``.
    for step in (None, 0.5, 0.2):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                cm = CoxTV(step_size=step, penalizer=penalizer).fit(rows, event_col="event", covariates=list(covs), id_col="atopid",
                                               start_col="start", stop_col="stop")
            break
        except ConvergenceError as e:
            if step == 0.2:
                raise PactwatchError(f"forecast model for event {event!r}: the Cox fit did not converge ({e})") from e
    if step is not None:
        info["newton_step_size"] = step
    if penalizer:
        info["penalizer"] = float(penalizer)
    info.update(n_rows=int(cm.n_rows_), n_alliances=int(cm.n_subjects_), n_events=int(cm.n_events_),
                max_age=float(cm.max_time_))
    if begin is not None:
        b = begin.reindex(rows["atopid"])
        # a row's calendar year: the year of (begin + start), rows starting exactly on 1 Jan
        yrs = (b.reset_index(drop=True) + pd.to_timedelta(rows["start"].to_numpy() * 365.25 + 0.5, unit="D")).dt.year
        info["train_years"] = [int(yrs.min()), int(yrs.max())]
    X = rows[list(covs)].to_numpy(float)
    return FittedModel(covariates=list(covs), coef=cm.params_.to_numpy(float),
                       variance=cm.variance_robust_.to_numpy(float), variance_naive=cm.variance_naive_.to_numpy(float),
                       center=cm.center_.to_numpy(float), X=X, start=rows["start"].to_numpy(float),
                       stop=rows["stop"].to_numpy(float), event=rows["event"].to_numpy(int),
                       baseline=cm.baseline_cumhaz_.copy(), reference=np.median(X, axis=0), summary=cm.summary.copy(),
                       info=info, event_def=event, cutoff=cutoff, max_time=float(cm.max_time_))


def _no_events(rows: pd.DataFrame, covs: list, *, event: str, cutoff, info: dict) -> FittedModel:
    """A cause that never happened in the training rows: its Breslow cumulative hazard is 0 at every age, so it
    predicts no such ending (a cause-specific incidence of exactly 0); its coefficients are not identified and are
    set to 0 with zero variance (they multiply a zero hazard). Said in ``info``."""
    X = rows[list(covs)].to_numpy(float)
    p = len(covs)
    max_t = float(rows["stop"].max()) if len(rows) else 0.0
    info.update(n_rows=int(len(rows)), n_alliances=int(rows["atopid"].nunique()), n_events=0, max_age=max_t,
                note=f"no '{event}' events in the training rows: zero hazard, coefficients not identified (set to 0)")
    summ = pd.DataFrame({"coef": 0.0, "se": np.nan, "exp(coef)": 1.0, "p": np.nan}, index=pd.Index(list(covs), name="covariate"))
    return FittedModel(covariates=list(covs), coef=np.zeros(p), variance=np.zeros((p, p)), variance_naive=np.zeros((p, p)),
                       center=X.mean(0) if len(X) else np.zeros(p), X=X, start=rows["start"].to_numpy(float),
                       stop=rows["stop"].to_numpy(float), event=rows["event"].to_numpy(int),
                       baseline=pd.Series([0.0], index=pd.Index([max_t], name="time"), name="baseline_cumulative_hazard"),
                       reference=np.median(X, axis=0) if len(X) else np.zeros(p), summary=summ, info=info,
                       event_def=event, cutoff=cutoff, max_time=max_t)


# ---------------------------------------------------------------------------------------------- covariate paths
def observed_path_inputs(data, atopid: int, year: int, covs) -> tuple[dict, dict]:
    """What a covariate path of ATOP alliance ``atopid`` from ``year`` takes from the data
    (:func:`.shocks.build_path`): ``lag0`` — for each lagged covariate ``<c>_lag1``, the alliance's ``<c>`` in
    ``year`` − 1 (its ``<c>_lag1`` in ``year``, :func:`pactwatch.panels.survival.add_lags`; left out when the alliance
    has no record for ``year`` − 1, e.g. it formed in ``year``: build_path then uses the as-of year's value and says
    so); ``held`` — the value in
    ``year`` of each unlagged base the member states do not produce (extended covariates), held over the path."""
    py = getattr(data, "path_years", None)
    lagged = [(c, SV.lag_base(c)) for c in covs if SV.lag_base(c)]
    if py is None or not lagged:
        return {}, {}
    rec = py[(py["atopid"] == atopid) & (py["year"] == year)]
    if rec.empty:
        return {}, {}
    r = rec.iloc[0]
    # no row for year − 1 (the alliance formed in ``year``, or had no members then): no earlier record, so the lag is
    # left to build_path's rule (the as-of year's own value, with a note); a row with a missing value stays missing
    had_prev = bool(((py["atopid"] == atopid) & (py["year"] == year - 1)).any())
    lag0 = {b: float(r[c]) for c, b in lagged if c in r.index and (had_prev or pd.notna(r[c]))}
    # build_path never lets a held value override one the member states produce (aggregate / DERIVED)
    held = {b: float(r[b]) for _, b in lagged if b in r.index and pd.notna(r[b])}
    return lag0, held


def path_inputs(data, rc, as_of, covs) -> tuple[dict | None, dict | None]:
    """(``lag0``, ``held``) for :func:`pactwatch.scenarios.shocks.build_path` of a resolved case at ``as_of``: an ATOP
    case whose state comes from the data takes them from the panels (:func:`observed_path_inputs`); a direct case (or
    one whose state comes from its case file) takes the previous year's values it carries (``rc.lagged``, when the
    case resolution provides them) and nothing held. The forecast and the back-test both call this."""
    as_of = pd.Timestamp(as_of)
    if rc.atopid is not None and rc.case.kind == "atop" and str(rc.state_source).startswith("ATOP/COW panels"):
        return observed_path_inputs(data, int(rc.atopid), int(as_of.year), list(covs))
    lag0 = {SV.lag_base(k) or k: v for k, v in (getattr(rc, "lagged", None) or {}).items()}
    if lag0:  # the derived covariates of the year before, by the path's own definitions (e.g. war x wartime)
        from .shocks import DERIVED

        r = {**rc.formation, **lag0, "year": int(as_of.year) - 1}
        for name, fn in DERIVED.items():
            if name not in lag0:
                try:
                    v = fn(r)
                except KeyError:
                    v = None
                if v is not None:
                    lag0[name] = float(v)
    return (lag0 or None), None
