"""Landmark back-test of the forecast exactly as it is made (issue 12), and the "war ends" event study.

Design
------
Origins T = start, start + step, ... up to the last origin the horizon allows: ATOP 5.1 follows alliances to
31 Dec 2018, so T + h <= 2018 (2013 for 5 years, 2008 for 10) — and the member states the forecast needs (COW
inter-state war participation) end in 2007 (:data:`pactwatch.scenarios.cases.DATA_STATE_END`), so the model cannot
be run at an origin after 2007. Both limits apply; the origins dropped by the second are reported.

At each origin T:

- **as-of date = 31 Dec T.** The alliances scored are those in force on that day (ATOP begin <= 31 Dec T and no end
  date <= 31 Dec T), each at its age a0 = (31 Dec T - begin) / 365.25. Their member states are those of calendar
  year T (observable by its end).
- **model refitted on what was observable at T**: :func:`pactwatch.scenarios.training.fit` with ``cutoff=T``
  (``evaluation.split_at``'s rule: alliances formed <= T, follow-up censored at 31 Dec T, alliance-years <= T; the
  fit is cached per origin under ``paths.home()/cache/forecast``). Nothing formed, ended or measured after T enters
  the fit (tested in ``tests/test_backtest_landmark.py``).
- **prediction** through the forecast's own code path (:func:`predict_alliance_at`): the case is resolved from the
  data with :func:`pactwatch.scenarios.cases.resolve` (a ``kind: atop`` case), the status quo's paths are those of
  the forecast (:func:`.forecast.scenario_paths`: the shocks of ``scenarios/status-quo.yaml``, its war-end timing
  computed on 31 Dec T by :mod:`.war_timing` — the war a member fights in year T from COW war participation, its age
  from the war's COW start, the yearly rate of the COW wars that had ended by 31 Dec T, wars under way then as
  censored exposure; a war already over by 31 Dec T ends in year T — and the forecast's default
  ``forecast.DEFAULT_SIMS`` timing draws with seed 0), and survival from a0 to a0 + h is the point estimate of
  :class:`.engine.Engine` at the coefficient estimate and the Breslow baseline, mixed over the distinct paths with
  the draws' weights — exactly the status-quo ``point`` of ``forecast.run_scenarios`` with seed 0 and the default
  draws (tested in ``tests/test_backtest_landmark.py`` for an alliance at war). An alliance with no member at war
  has one path (the war-end shock changes nothing and is left out). The "oracle"
  path (diagnostic only) replaces the held covariates with those actually recorded in years T + 1 ... (the last
  recorded value is held where the alliance-years stop: after the alliance's end or the war data's end in 2007).
- **outcome** at T + h: known if the alliance ended (under the event definition) by 31 Dec T + h, or was still in
  force then (ATOP follows every alliance to 31 Dec 2018). An ending not counted as an event (e.g. a replacement
  under ``--event death``) before the horizon leaves the outcome unknown: such rows are counted and left out of the
  Brier score, log loss, calibration and AUC, and enter Harrell's and Uno's C as censored. Under ``any-end`` ATOP 5.1
  has no such case (every dated end is an event; a member's state death that ATOP codes as censoring leaves the
  alliance in force or ends it with TERM/TERMMODE codes that count as endings).

Inputs still coded in hindsight (the data do not allow otherwise)
-----------------------------------------------------------------
- ATOP's termination dates and modes are coded after the fact (an alliance that became moot is dated when ATOP judges
  it ended); only endings <= T enter the fit, but their dating is retrospective.
- Formation covariates are coded from the treaty texts as ATOP later collected them (including secret treaties and
  secret articles not public at the time, which also feed ``any_new_outside_alliance``).
- Thompson–Sakuwa–Suhas rivalry start years (``shared_rivals``) are identified retrospectively: a rivalry is
  recognised and dated once it has run for a while.
- COW war participation (1,000 battle deaths), NMC capabilities (``cap_change``) and Polity scores are revised,
  retrospective codings; Archigos leader entries are as later coded.
- The panels' complete-case rule (training.py) is applied with all data in view, but it only drops rows with missing
  values, never by outcome.
- ``training.fit(cutoff=T)`` builds only the training side of ``evaluation.split_at`` (``check_test=False``): the
  test side's check (some alliance formed after T must end by 2018) belongs to ``evaluate`` and says nothing about a
  fit, so origins 2005–2007 are refitted and scored (5-year horizon; 10 years ends in 2008 at the latest and so stops
  at 2007 too). Origins 2008–2013, which ATOP's follow-up alone would allow for 5 years, are dropped because the COW
  inter-state war data (a member's war, a time-varying covariate) end in 2007.

Baselines (each computed only on alliances formed by 31 Dec T with follow-up censored there)
--------------------------------------------------------------------------------------------
- ``km_all``: Kaplan–Meier of all ATOP history before T, conditional on survival to the alliance's age a0.
- ``km_30y``: Kaplan–Meier of the last 30 years before T (alliance-years in 1 Jan T-29 .. 31 Dec T, delayed entry),
  conditional on a0.
- ``km_class``: Kaplan–Meier within the alliance's obligation class (:func:`pactwatch.models.specs.obligation_type`),
  all history before T, conditional on a0.
- ``const_10y``: constant hazard = endings per alliance-year in the 10 years before T (1 Jan T-9 .. 31 Dec T).
Where no reference alliance was at risk beyond a0 the KM conditional is undefined: it is set to 1 (no ending ever
seen past that age) and counted (``baseline_undefined``).

Reference classes (columns ``ref_design``, ``ref_major``, ``ref_members`` with ``*_n`` and ``*_at_risk``): the case's
three reference classes generalised to any alliance, each an age-conditional KM from the same data before the origin
(:mod:`.pooling`); the result's ``pooling`` holds the logit pool of the model and the classes fitted on the
development origins, its scores and the headline rule's verdict.

The specification (covariates, event definition, origins, horizons, code version = sha256 of the forecast-path source
files) is frozen and hashed (:func:`frozen_spec`) before anything is scored. Origins <= ``dev_end`` are development
origins; later origins are scored only when asked and every such look is counted in
``paths.home()/backtest_looks.json``.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE, LAST_YEAR
from pactwatch.errors import PactwatchError
from pactwatch.models import scoring as SC
from pactwatch.models.specs import event_definition, event_indicator, obligation_type
from pactwatch.news.engine import run_tasks

from . import pooling as PL
from . import shocks as SH
from .cases import DATA_STATE_END, resolve
from .engine import Engine
from .schema import Case
from .training import FORECAST_SPEC, fit, observed_path_inputs, path_inputs, resolve_spec  # noqa: F401

LANDMARK_VERSION = 1
METHOD = "model"
BASELINES = ("km_all", "km_30y", "km_class", "const_10y")
BASELINE_LABELS = {"km_all": "Kaplan–Meier, all history before the origin (age-conditional)",
                   "km_30y": "Kaplan–Meier, last 30 years before the origin (age-conditional)",
                   "km_class": "Kaplan–Meier within the obligation class (age-conditional)",
                   "const_10y": "Constant hazard = endings per alliance-year in the last 10 years"}
SOVIET = 365
WORLD_WARS = (106, 139)  # COW 4.0 WarNum: World War I, World War II
_CODE_FILES = ("training.py", "engine.py", "shocks.py", "cases.py", "landmark.py", "pooling.py", "forecast.py",
               "war_timing.py", "codings.py", "paths.py")
_MODEL_CODE_FILES = ("scoring.py", "evaluation.py", "war_duration.py")  # models/: the scores and the training split
#: The back-test's default settings (``pactwatch backtest`` without options): the stored result the forecast quotes
#: is the one made with these (:func:`default_spec`).
DEFAULTS = {"start": 1950, "end": None, "step": 1, "horizons": (5.0, 10.0), "dev_end": 1990}
#: The Soviet/Russian bilateral treaties the issue names (shown as illustrations beside the subgroup table).
NAMED_SOVIET = (3200, 3440, 3670, 3675, 3690, 3735, 3825, 3840, 3880, 4940)


def as_of_date(origin: int) -> pd.Timestamp:
    return pd.Timestamp(year=int(origin), month=12, day=31)


def _years(td) -> np.ndarray:
    return np.asarray(pd.to_timedelta(td).dt.days if hasattr(td, "dt") else td.days, float) / 365.25


# ---------------------------------------------------------------------------------------------- specification
def code_version() -> str:
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for f in _CODE_FILES:
        h.update(f.encode())
        h.update((here / f).read_bytes())
    for f in _MODEL_CODE_FILES:
        h.update((here.parent / "models" / f).read_bytes())
    return h.hexdigest()[:16]


def default_spec(event: str = "any-end") -> dict:
    """The frozen specification of a back-test run with :data:`DEFAULTS` (what ``pactwatch backtest`` runs; the
    forecast's specification :data:`FORECAST_SPEC`)."""
    origins, _ = origins_for(DEFAULTS["horizons"], DEFAULTS["start"], DEFAULTS["end"], DEFAULTS["step"])
    return frozen_spec(event, DEFAULTS["horizons"], origins, DEFAULTS["dev_end"])


def fingerprint_hash(fingerprint: dict) -> str:
    """One sha256 over the data tables' checksums (``training.ForecastData.fingerprint``)."""
    return hashlib.sha256(json.dumps({str(k): str(v) for k, v in fingerprint.items()}, sort_keys=True).encode()
                          ).hexdigest()


def frozen_spec(event: str, horizons, origins: dict, dev_end: int, model=None) -> dict:
    """The back-test's specification and its sha256 (recorded before any score is computed). ``model``: the model
    specification (a :class:`pactwatch.models.specs.ModelSpec` or its name; default the forecast's)."""
    from pactwatch import __version__

    ms = resolve_spec(model)
    ed = event_definition(event)
    spec = {"model_spec": ms.name, "covariates": list(ms.covariates), "tv_covariates": list(ms.tv_covariates),
            "event": {"name": ed.name, "description": ed.description}, "horizons": [float(h) for h in horizons],
            "origins": {str(k): list(v) for k, v in origins.items()}, "dev_end": int(dev_end),
            "as_of_rule": "31 Dec of the origin year", "baselines": list(BASELINES),
            "status_quo": _status_quo_sha256(),
            "code_version": {"pactwatch": __version__, "landmark": LANDMARK_VERSION, "source_sha256": code_version()}}
    if ms.exclude_years:
        spec["training_excludes_years"] = sorted(int(y) for y in ms.exclude_years)
    spec["hash"] = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()
    spec["frozen_at"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    return spec


def _status_quo_sha256() -> str:
    """sha256 of the status-quo scenario the back-test predicts with (its shocks and timing rule)."""
    from .cases import load_scenarios
    from .paths import content_sha256

    return content_sha256(load_scenarios()["status-quo"])


def origins_for(horizons, start: int = 1950, end: int | None = None, step: int = 1) -> tuple[dict, list]:
    """Origins per horizon and notes on the ones the data rule out."""
    if step < 1:
        raise PactwatchError(f"origin step must be at least 1, got {step}")
    out, notes = {}, []
    for h in horizons:
        if h <= 0:
            raise PactwatchError(f"horizon must be positive, got {h}")
        last = int(np.floor(LAST_YEAR - h))
        hi = last if end is None else min(end, last)
        if end is not None and end > last:
            notes.append(f"horizon {h:g}: origins after {last} cannot be scored (ATOP 5.1 follows alliances to "
                         f"31 Dec {LAST_YEAR})")
        if hi > DATA_STATE_END:
            span = f"{DATA_STATE_END + 1}" if hi == DATA_STATE_END + 1 else f"{DATA_STATE_END + 1}–{hi}"
            notes.append(f"horizon {h:g}: origin{'s' if hi > DATA_STATE_END + 1 else ''} {span} dropped although ATOP "
                         f"follows alliances to {LAST_YEAR}: the COW inter-state war data end in {DATA_STATE_END}, so a "
                         f"member's war (a covariate of the forecast) is unknown at a later origin")
            hi = DATA_STATE_END
        o = list(range(int(start), hi + 1, int(step)))
        if not o:
            raise PactwatchError(f"horizon {h:g}: no origin between {start} and {hi}")
        out[float(h)] = o
    return out, notes


# ------------------------------------------------------------------------------------------------- prediction
def in_force_at(data, origin: int) -> pd.DataFrame:
    """Alliances in force on 31 Dec ``origin`` with their age (years) that day."""
    a = data.eval.alliances
    cut = as_of_date(origin)
    m = (a["begin"] <= cut) & (a["end"].isna() | (a["end"] > cut))
    out = a.loc[m].copy()
    out["a0"] = (cut - out["begin"]).dt.days / 365.25
    return out.reset_index(drop=True)


def _oracle_Z(data, atopid: int, grid, Z_sq: np.ndarray, covs: list) -> tuple[np.ndarray, int]:
    y = data.eval.years
    rec = y[(y["atopid"] == atopid) & y["year"].isin(grid.years)].set_index("year")
    Z = Z_sq.copy()
    held = 0
    tv = [c for c in covs if c in set(data.eval.spec.tv_covariates)]
    idx = [covs.index(c) for c in tv]
    for k, yr in enumerate(grid.years):
        if k == 0:
            continue  # the as-of year: observed state, same as the status quo
        if yr in rec.index and rec.loc[yr, tv].notna().all():
            Z[k, idx] = rec.loc[yr, tv].to_numpy(float)
        else:
            Z[k, idx] = Z[k - 1, idx]
            held += 1
    return Z, held


def predict_alliance_at(data, fm, atopid: int, as_of, horizons, *, oracle: bool = False, scenarios=None,
                        wars=None) -> dict:
    """Status-quo survival S(a0 + h | a0) of ATOP alliance ``atopid`` from ``as_of`` for each horizon, through the
    forecast's code path (see the module docstring; the status quo's shocks and timing mixture included). Returns {"a0", "in_force", "state_source", "status_quo": {h: S},
    "oracle": {h: S} (if asked), "oracle_held_segments", "path": the covariate path of the longest horizon held at the origin's values (no shocks; the oracle's start)}.
    Raises :class:`PactwatchError` (from ``resolve`` or ``Engine``) when the forecast cannot be made. ``scenarios``:
    the scenario files (default :func:`.cases.load_scenarios`); ``wars``: the :class:`.war_timing.WarData` the status
    quo's war-end timing is computed from (default the process-wide data source)."""
    from .cases import load_scenarios
    from .paths import DEFAULT_SIMS, scenario_paths

    as_of = pd.Timestamp(as_of)
    scenarios = load_scenarios() if scenarios is None else scenarios
    case = Case(id=f"atop-{int(atopid)}", name=f"ATOP {int(atopid)}", kind="atop", atopid=int(atopid))
    rc = resolve(case, data, as_of)
    covs = list(fm.covariates)
    lag0, held_values = path_inputs(data, rc, as_of, covs)
    beta = fm.coef[None, :]
    out = {"atopid": int(atopid), "as_of": str(as_of.date()), "in_force": str(rc.in_force.date()),
           "state_source": rc.state_source, "status_quo": {}, "oracle": {} if oracle else None, "oracle_held_segments": 0}
    for h in sorted(float(x) for x in horizons):
        grid = SH.path_grid(rc.in_force, as_of, h)
        eng = Engine(fm, grid.a0, h)
        path = SH.build_path(grid, rc.formation, rc.states, [], (), covs, lag0=lag0, held=held_values)
        Z = path[covs].to_numpy(float)
        cumH = eng.baseline(beta, None)
        # the forecast's status quo: its shocks and timing draws (seed 0, the forecast's default draws), its mixture
        sp = scenario_paths(rc, scenarios, "status-quo", 0, grid, covs, as_of=as_of, n_sims=DEFAULT_SIMS, seed=0,
                            wars=wars, path_inputs=(lag0, held_values))
        U = len(sp["weights"])
        S = eng.survival(np.repeat(beta, U, 0), np.repeat(cumH, U, 1), sp["Zu"], grid.bounds) @ sp["weights"]
        i = int(np.argmin(np.abs(eng.grid - h)))
        out["status_quo"][h] = float(S[i])
        out["a0"] = float(grid.a0)
        out["path"] = path
        if oracle:
            Zo, held = _oracle_Z(data, int(atopid), grid, Z, covs)
            out["oracle"][h] = float(eng.survival(beta, cumH, Zo[None], grid.bounds)[i, 0])
            out["oracle_held_segments"] = max(out["oracle_held_segments"], held)
    return out


def _reason(msg: str) -> str:
    if "does not extrapolate" in msg:
        return "age + horizon beyond the oldest age in the training data (the Cox model does not extrapolate)"
    if "formation covariate" in msg:
        return "a formation covariate is missing in ATOP"
    if "has no value for" in msg:
        return "a member's state (CINC, Polity, war or leader data) is missing in the origin year"
    if "has no members" in msg:
        return "no member-year rows in the origin year"
    return msg


# -------------------------------------------------------------------------------------------------- baselines
def _reference(data, origin: int, event: str) -> pd.DataFrame:
    a = data.eval.alliances
    cut = as_of_date(origin)
    r = a[a["begin"] <= cut].copy()
    r["ev"] = event_indicator(r, event).to_numpy()
    ended = r["end"].notna() & (r["end"] <= cut)
    r["ev"] = np.where(ended, r["ev"], 0)
    stop_d = r["end"].where(ended, cut)
    r["stop"] = (stop_d - r["begin"]).dt.days / 365.25
    r["stop_date"] = stop_d
    r["cls"] = obligation_type(r).to_numpy()
    return r


def baselines_at(data, origin: int, targets: pd.DataFrame, horizons, event: str) -> tuple[pd.DataFrame, dict]:
    """Baseline survival for each target alliance (rows with ``a0`` and obligation columns) at ``origin``; columns
    ``{baseline}_{h}``. Uses only alliances formed by 31 Dec origin, follow-up censored there."""
    r = _reference(data, origin, event)
    out = pd.DataFrame(index=targets.index)
    a0 = targets["a0"].to_numpy(float)
    cls_t = obligation_type(targets).to_numpy()
    undefined = {b: 0 for b in BASELINES}
    # last 30 years: delayed entry at 1 Jan origin-29
    w30 = pd.Timestamp(year=origin - 29, month=1, day=1)
    s30 = np.clip((w30 - r["begin"]).dt.days / 365.25, 0, None).to_numpy()
    keep30 = r["stop"].to_numpy() > s30
    # constant hazard over the last 10 years
    w10 = pd.Timestamp(year=origin - 9, month=1, day=1)
    expo = ((r["stop_date"] - r["begin"].where(r["begin"] > w10, w10)).dt.days / 365.25).clip(lower=0).sum()
    n_ev10 = int(((r["ev"] == 1) & (r["stop_date"] >= w10)).sum())
    info = {"reference_alliances": int(len(r)), "reference_events": int(r["ev"].sum()),
            "recent_10y_events": n_ev10, "recent_10y_alliance_years": float(expo)}
    for h in horizons:
        s, _ = SC.km_conditional(np.zeros(len(r)), r["stop"], r["ev"], a0, h)
        undefined["km_all"] += int(np.isnan(s).sum())
        out[f"km_all_{h:g}"] = np.where(np.isnan(s), 1.0, s)
        s, _ = SC.km_conditional(s30[keep30], r["stop"].to_numpy()[keep30], r["ev"].to_numpy()[keep30], a0, h)
        undefined["km_30y"] += int(np.isnan(s).sum())
        out[f"km_30y_{h:g}"] = np.where(np.isnan(s), 1.0, s)
        sc = np.full(len(targets), np.nan)
        for c in np.unique(cls_t):
            g = r[r["cls"] == c]
            m = cls_t == c
            sc[m], _ = SC.km_conditional(np.zeros(len(g)), g["stop"], g["ev"], a0[m], h)
        undefined["km_class"] += int(np.isnan(sc).sum())
        out[f"km_class_{h:g}"] = np.where(np.isnan(sc), 1.0, sc)
        out[f"const_10y_{h:g}"] = SC.constant_hazard_survival(n_ev10, expo, h) if expo > 0 else np.nan
    info["baseline_undefined"] = undefined
    return out, info


def outcomes_at(targets: pd.DataFrame, origin: int, h: float, event: str) -> pd.DataFrame:
    """Outcome at 31 Dec origin + h: survived (1/0, NaN if unknown), known, time (years from the origin, truncated at
    h), event_in_window."""
    cut = as_of_date(origin)
    hz = pd.Timestamp(year=int(origin + h), month=12, day=31) if float(h).is_integer() else cut + pd.Timedelta(days=365.25 * h)
    ev = event_indicator(targets, event).to_numpy().astype(bool)
    end = targets["end"]
    ended_by = (end.notna() & (end <= hz)).to_numpy()
    end_eff = end.fillna(CENSOR_DATE)
    known = np.where(ended_by, ev, (end_eff >= hz).to_numpy())
    survived = np.where(known, (~ended_by).astype(float), np.nan)
    t = (end_eff.where(end_eff < hz, hz) - cut).dt.days / 365.25
    return pd.DataFrame({"survived": survived, "known": known.astype(bool), "time": t.to_numpy(float),
                         "event_in_window": (ended_by & ev).astype(int)}, index=targets.index)


# ---------------------------------------------------------------------------------------------- landmark frame
def _flags(data, targets: pd.DataFrame, origin: int) -> pd.DataFrame:
    my = data.member_years
    cur = my[my["year"] == origin]
    war = cur.groupby("atopid")["at_war"].agg(lambda s: 1.0 if (s == 1).any() else (np.nan if s.isna().any() else 0.0))
    members = my.groupby("atopid")["ccode"].agg(lambda s: frozenset(int(c) for c in s))
    f = pd.DataFrame(index=targets.index)
    f["bilateral_major_minor_defence"] = ((targets["bilateral"] == 1) & (targets["asymmetric"] == 1)
                                          & (targets["defense"] == 1)).to_numpy()
    f["formed_in_wartime"] = (targets["wartime"] == 1).to_numpy()
    f["member_at_war_at_origin"] = war.reindex(targets["atopid"]).to_numpy() == 1
    f["member_at_war_unknown"] = np.isnan(war.reindex(targets["atopid"]).to_numpy(float))
    mem = members.reindex(targets["atopid"])
    f["soviet_bilateral_since_1945"] = [(m is not None and not (isinstance(m, float)) and SOVIET in m and len(m) == 2
                                         and b >= 1945) for m, b in zip(mem, targets["begyr"])]
    return f


def origin_rows(data, T: int, hT, event: str = "any-end", use_cache: bool = True, oracle: bool = True) -> dict:
    """The back-test's work at one origin T (a pure function of its arguments; a task on a Dask worker): refit on what
    was observable at T, predict every alliance in force for the horizons ``hT``, baselines, outcomes and flags.
    Returns ``{"T", "rows": [frame per horizon], "info": origin info (or {"error": ...} if the fit failed),
    "not_predicted": {reason: count}, "fit_cache", "oracle_held_segments"}``."""
    out = {"T": T, "rows": [], "info": {}, "not_predicted": {}, "fit_cache": None, "oracle_held_segments": 0}
    try:
        fm, fi = fit(data, event, cutoff=T, use_cache=use_cache)
    except PactwatchError as exc:
        out["info"] = {"error": str(exc)}
        return out
    out["fit_cache"] = fi["fit_cache"]
    if fm.info.get("train_years", [0, 0])[1] > T:
        raise PactwatchError(f"internal: the fit at origin {T} uses alliance-years up to {fm.info['train_years'][1]}")
    tg = in_force_at(data, T)
    base, binfo = baselines_at(data, T, tg, hT, event)
    refc, rinfo = PL.origin_reference_columns(data, T, tg, hT, event)  # reference classes (pooling.py)
    binfo["reference_class_missing"] = rinfo
    flags = _flags(data, tg, T)
    pred = {h: np.full(len(tg), np.nan) for h in hT}
    orc = {h: np.full(len(tg), np.nan) for h in hT}
    why = [None] * len(tg)
    day = as_of_date(T)
    from .cases import load_scenarios
    from .war_timing import WarData

    scen, wars = load_scenarios(), WarData()  # the forecast's status quo; COW wars (the timing uses those ended by T)
    for i, aid in enumerate(tg["atopid"].to_numpy()):
        # all horizons; if the longest goes beyond the training data's ages, the shortest alone
        for hh in ([hT, [min(hT)]] if len(hT) > 1 else [hT]):
            try:
                r = predict_alliance_at(data, fm, int(aid), day, hh, oracle=oracle, scenarios=scen, wars=wars)
            except PactwatchError as exc:
                why[i] = _reason(str(exc))
                continue
            for h in hh:
                pred[h][i] = r["status_quo"][h]
                if oracle:
                    orc[h][i] = r["oracle"][h]
            out["oracle_held_segments"] += r["oracle_held_segments"]
            if len(hh) == len(hT):
                why[i] = None
            break
    for h in hT:
        oc = outcomes_at(tg, T, h, event)
        miss = np.isnan(pred[h])
        for w in (why[j] or "the longer horizon only" for j in np.flatnonzero(miss)):
            key = f"{h:g}y: {w}"
            out["not_predicted"][key] = out["not_predicted"].get(key, 0) + 1
        df = pd.DataFrame({"origin": T, "horizon": h, "atopid": tg["atopid"].to_numpy(), "begyr": tg["begyr"].to_numpy(),
                           "a0": tg["a0"].to_numpy(), "model": pred[h], "oracle": orc[h],
                           **{b: base[f"{b}_{h:g}"].to_numpy() for b in BASELINES},
                           **{c: refc[f"{c}_{h:g}"].to_numpy() for c in PL.CLASSES},
                           **{f"{c}_{k}": refc[f"{c}_{k}"].to_numpy() for c in PL.CLASSES for k in ("n", "at_risk")}})
        df = pd.concat([df, oc.reset_index(drop=True), flags.reset_index(drop=True)], axis=1)
        out["rows"].append(df)
    out["info"] = {"in_force": int(len(tg)), "train_alliances": fm.info.get("n_alliances"),
                   "train_events": fm.info.get("n_events"), "train_years": fm.info.get("train_years"),
                   "fit_cache": fi["fit_cache"], **binfo,
                   **{k: fm.info[k] for k in ("alliance_years_dropped_excluded_years", "events_in_excluded_years")
                      if k in fm.info}}
    return out


def landmark_frame(data, origins: dict, event: str = "any-end", *, use_cache: bool = True, oracle: bool = True,
                   progress=None, engine=None) -> tuple[pd.DataFrame, dict]:
    """One row per (origin, alliance in force): model (status quo, and oracle) and baseline predictions for every
    horizon whose origin list holds the origin, outcomes and subgroup flags. Returns (frame, info with counts).

    ``engine`` (:class:`pactwatch.news.engine.Engine`, default in-process): where the origins run, one task per origin
    (:func:`origin_rows`); on Dask the data are sent to each worker once. Results are assembled in origin order, so
    the frame is the same whichever engine ran it."""
    all_origins = sorted(set(o for v in origins.values() for o in v))
    hs = sorted(origins)
    rows, info = [], {"origins": {}, "not_predicted": {}, "fits": {"hit": 0, "miss": 0}, "oracle_held_segments": 0}
    t0 = time.perf_counter()
    done = [0]

    def report(i: int, r: dict) -> None:
        done[0] += 1
        if progress and "error" not in r["info"]:
            progress(f"origin {r['T']} ({done[0]}/{len(all_origins)}): {r['info']['in_force']} alliances in force, "
                     f"{time.perf_counter() - t0:.0f}s")

    tasks = [(T, [h for h in hs if T in origins[h]], event, use_cache, oracle) for T in all_origins]
    for r in run_tasks(origin_rows, tasks, engine, on_result=report, shared=(data,)):
        T = r["T"]
        info["origins"][T] = r["info"]
        if "error" in r["info"]:
            continue
        info["fits"]["hit" if r["fit_cache"] == "hit" else "miss"] += 1
        info["oracle_held_segments"] += r["oracle_held_segments"]
        for k, v in r["not_predicted"].items():
            info["not_predicted"][k] = info["not_predicted"].get(k, 0) + v
        rows.extend(r["rows"])
    frame = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    return frame, info


# -------------------------------------------------------------------------------------------------------- scoring
SUBGROUPS = {"bilateral_major_minor_defence": "Bilateral major–minor defence pacts",
             "formed_in_wartime": "Alliances formed in wartime",
             "member_at_war_at_origin": "A member at war at the origin",
             "soviet_bilateral_since_1945": "Soviet/Russian bilateral treaties since 1945"}


def scored_rows(frame: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Rows that can be scored (model prediction and outcome known) and counts of the others."""
    n_unknown = int((~frame["known"]).sum())
    n_nomodel = int((frame["known"] & frame["model"].isna()).sum())
    f = frame[frame["known"] & frame["model"].notna()].copy()
    return f, {"rows": int(len(frame)), "outcome_unknown": n_unknown, "no_model_prediction": n_nomodel,
               "scored": int(len(f))}


def per_origin_table(f: pd.DataFrame) -> list[dict]:
    out = []
    for (h, T), g in f.groupby(["horizon", "origin"]):
        y = g["survived"].to_numpy(float)
        r = {"horizon": h, "origin": int(T), "n": int(len(g)), "n_events": int((1 - y).sum()),
             **{m: SC.brier(g[m].to_numpy(float), y) for m in (METHOD, *BASELINES)}}
        r["best_baseline"] = min(BASELINES, key=lambda b: r[b])
        r["model_minus_best"] = r[METHOD] - r[r["best_baseline"]]
        r["auc"] = SC.auc(g[METHOD].to_numpy(float), y)
        out.append(r)
    return out


def score(frame: pd.DataFrame, *, dev_end: int = 1990, include_later: bool = False, n_boot: int = 200,
          level: float = 0.9, seed: int = 0, concordance: bool = True, plots_dir=None, progress=None) -> dict:
    """Pooled and per-origin scores for the development origins (<= dev_end) and, if ``include_later``, the later
    ones; subgroups; the oracle diagnostic. See :func:`pactwatch.models.scoring.compare`."""
    f, counts = scored_rows(frame)
    splits = {"development": f[f["origin"] <= dev_end]}
    if include_later:
        splits["later"] = f[f["origin"] > dev_end]
    res = {"counts": counts, "splits": {}}
    for sname, fs in splits.items():
        sres = {"origins": [int(fs["origin"].min()), int(fs["origin"].max())] if len(fs) else None, "horizons": {}}
        for h, g in fs.groupby("horizon"):
            if progress:
                progress(f"scoring {sname} origins, horizon {h:g} years ({len(g)} alliance-origins)")
            pooled = SC.compare(g, METHOD, list(BASELINES), n_boot=n_boot, level=level, seed=seed, horizon=h,
                                concordance=concordance)
            orc = g.dropna(subset=["oracle"])
            oracle = {"n": int(len(orc)), "brier": SC.brier(orc["oracle"], orc["survived"]) if len(orc) else None,
                      "model_brier_same_rows": SC.brier(orc[METHOD], orc["survived"]) if len(orc) else None,
                      "note": "diagnostic only: the covariates actually recorded after the origin replace the held ones"}
            subs = {}
            for col, label in SUBGROUPS.items():
                sg = g[g[col]]
                if len(sg) == 0 or sg["atopid"].nunique() < 2:
                    subs[col] = {"label": label, "n": int(len(sg)), "note": "too few alliances to score"}
                    continue
                subs[col] = {"label": label, **SC.compare(sg, METHOD, list(BASELINES), n_boot=n_boot, level=level,
                                                          seed=seed, horizon=h, concordance=False)}
            rel = {m: SC.reliability_table(g[m].to_numpy(float), g["survived"].to_numpy(float)).to_dict("records")
                   for m in (METHOD, pooled.get("best_baseline")) if m}
            sres["horizons"][f"{h:g}"] = {"pooled": pooled, "oracle": oracle, "subgroups": subs, "reliability": rel,
                                          "per_origin": per_origin_table(g)}
            if plots_dir:
                sres["horizons"][f"{h:g}"]["plot"] = reliability_plot(rel, pooled, h, sname, plots_dir)
        res["splits"][sname] = sres
    return res


def reliability_plot(rel: dict, pooled: dict, h: float, split: str, plots_dir) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = Path(plots_dir)
    d.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--", label="perfect calibration")
    for m, tab in rel.items():
        if not tab:
            continue
        x = [r["predicted"] for r in tab]
        y = [r["observed"] for r in tab]
        lab = "model (status quo)" if m == METHOD else f"best baseline: {m}"
        ax.plot(x, y, marker="o", label=lab)
    hi = max([0.05] + [max(r["predicted"], r["observed"]) for t in rel.values() for r in t]) * 1.1
    ax.set_xlim(0, min(1, hi))
    ax.set_ylim(0, min(1, hi))
    ax.set_xlabel(f"predicted probability of ending within {h:g} years")
    ax.set_ylabel("observed share ended")
    ax.set_title(f"Reliability, {split} origins, {h:g}-year horizon\n(deciles of prediction; n = {pooled['n']})",
                 fontsize=9)
    ax.legend(fontsize=8)
    p = d / f"reliability_{split}_{h:g}y.png"
    fig.tight_layout()
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return str(p)


def soviet_table(frame: pd.DataFrame, data, *, dev_end: int, include_later: bool) -> list[dict]:
    """Each Soviet/Russian bilateral treaty since 1945 at each origin: the model's and the baselines' forecasts beside
    what happened (development origins only unless ``include_later``)."""
    f = frame[frame["soviet_bilateral_since_1945"]]
    if not include_later:
        f = f[f["origin"] <= dev_end]
    names = {}
    my = data.member_years
    for aid in f["atopid"].unique():
        cc = sorted(set(my.loc[my["atopid"] == aid, "ccode"].astype(int)) - {SOVIET})
        names[aid] = "USSR/Russia–" + "/".join(data.states.get(c, {}).get("abb", str(c)) for c in cc)
    out = []
    for r in f.sort_values(["atopid", "origin", "horizon"]).itertuples(index=False):
        out.append({"atopid": int(r.atopid), "name": names[r.atopid], "formed": int(r.begyr), "origin": int(r.origin),
                    "horizon": float(r.horizon), "age": round(float(r.a0), 2),
                    "model": None if np.isnan(r.model) else float(r.model),
                    **{b: float(getattr(r, b)) for b in BASELINES},
                    "survived": None if np.isnan(r.survived) else int(r.survived)})
    return out


def named_cases(frame: pd.DataFrame, data, atopids) -> list[dict]:
    """Each named alliance at the first origin it is scored (the forecast made nearest its formation), every horizon:
    the model's and the baselines' forecasts beside what happened."""
    f = frame[frame["atopid"].isin([int(a) for a in atopids]) & frame["model"].notna()]
    my = data.member_years
    out = []
    for aid, g in f.groupby("atopid"):
        T = int(g["origin"].min())
        cc = sorted(set(my.loc[my["atopid"] == aid, "ccode"].astype(int)))
        name = "–".join(data.states.get(c, {}).get("abb", str(c)) for c in cc)
        for r in g[g["origin"] == T].sort_values("horizon").itertuples(index=False):
            out.append({"atopid": int(aid), "name": name, "formed": int(r.begyr), "origin": T, "horizon": float(r.horizon),
                        "age": round(float(r.a0), 2), "model": float(r.model),
                        **{b: float(getattr(r, b)) for b in BASELINES},
                        "survived": None if np.isnan(r.survived) else int(r.survived)})
    return sorted(out, key=lambda r: (r["formed"], r["atopid"], r["horizon"]))


# --------------------------------------------------------------------------------------------------- event study
def event_study(data, src=None, *, event: str = "any-end", window=(-3, 5), level: float = 0.9) -> dict:
    """The termination hazard around the end of COW inter-state wars (see :mod:`pactwatch.models.event_study`)."""
    from pactwatch.models import event_study as ES
    from pactwatch.panels.base import get_source

    w = get_source(src).table("cow_war_inter")
    parts = []
    for k in (1, 2):
        s, e = w[f"StartYear{k}"].astype("int64"), w[f"EndYear{k}"].astype("int64")
        ok = s > 0
        e = np.where(e == -7, DATA_STATE_END, np.where(e < 0, s, e))
        parts.append(pd.DataFrame({"war": w["WarNum"].astype(int), "ccode": w["ccode"].astype(int), "start": s,
                                   "end": e})[ok])
    wars = pd.concat(parts, ignore_index=True)
    wars["world_war"] = wars["war"].isin(WORLD_WARS)
    a = data.eval.alliances.copy()
    a["ev"] = event_indicator(a, event).to_numpy()
    endyr = a.set_index("atopid")["end"].dt.year
    evs = a.set_index("atopid")["ev"]
    y = data.eval.years[["atopid", "year"]].copy()
    y["ended"] = ((endyr.reindex(y["atopid"]).to_numpy() == y["year"].to_numpy())
                  & (evs.reindex(y["atopid"]).to_numpy() == 1)).astype(int)
    my = data.member_years
    mem = my.groupby("atopid")["ccode"].agg(lambda s: frozenset(int(c) for c in s)).rename("members").reset_index()
    al = a[["atopid", "begyr"]].merge(mem, on="atopid", how="inner")
    win = ES.war_windows(y, al, wars, window)
    tab = ES.hazard_table(win, level)
    pp = ES.pre_post(win, level)
    return {"table": tab.to_dict("records"), "pre_post": pp.to_dict("records"), "n_wars": int(wars["war"].nunique()),
            "wars_with_alliances_in_window": int(win["war"].nunique()), "level": level, "window": list(window),
            "note": "hazard = terminations per alliance-year in years relative to the war's end (k = 0: the war's last "
                    "year); an alliance-year near several war ends counts once per war; world wars apart; exact "
                    "Poisson intervals; post/pre = k 0..+1 against k -3..-1. COW 4.0 wars end in 2007."}


# ---------------------------------------------------------------------------------------------------- the ledger
def ledger_path() -> Path:
    from pactwatch.paths import home

    return home() / "backtest_looks.json"


def read_ledger() -> dict:
    p = ledger_path()
    if not p.exists():
        return {"later_looks_total": 0, "looks": []}
    try:
        d = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise PactwatchError(f"{p}: the back-test ledger is unreadable ({exc}); fix or move it — it counts how often "
                             "the later origins were scored") from None
    if not isinstance(d, dict) or "looks" not in d:
        raise PactwatchError(f"{p}: not a back-test ledger (no 'looks' list)")
    return d


#: The project's committed record of every scoring of the later origins, on any machine (the home ledger above counts
#: this machine's only; a fresh machine would otherwise start again at 0).
PROJECT_LOOKS = Path(__file__).resolve().parents[3] / "docs" / "backtest-looks.json"


def project_looks() -> list[dict]:
    """The looks recorded in :data:`PROJECT_LOOKS` ([] when the file is not there, e.g. an installed package)."""
    try:
        return list(json.loads(PROJECT_LOOKS.read_text(encoding="utf-8")).get("looks", []))
    except (OSError, ValueError):
        return []


def record_look(spec: dict, origins: list[int]) -> dict:
    """Append one look at the later origins (before they are scored); returns the updated ledger. Its
    ``later_looks_total`` counts this machine's looks together with the project's record (:data:`PROJECT_LOOKS`; a
    look of this machine already in that record, by time and specification hash, counted once)."""
    d = read_ledger()
    d["looks"].append({"at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), "spec_hash": spec["hash"],
                       "origins": [min(origins), max(origins)] if origins else None})
    known = {(x.get("at"), x.get("spec_hash")) for x in project_looks()}
    d["later_looks_total"] = len(known) + sum(1 for x in d["looks"] if (x["at"], x["spec_hash"]) not in known)
    d["looks_this_spec"] = sum(1 for x in d["looks"] if x["spec_hash"] == spec["hash"])
    p = ledger_path()
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_suffix(".tmp")
    tmp.write_text(json.dumps(d, indent=1))
    tmp.replace(p)
    return d


def _case_file_atopids() -> list[int]:
    """ATOP ids of the case files marked ``backtest: true`` (the historical cases; illustrations)."""
    from .cases import list_names, load_case

    out = []
    for n in list_names("cases"):
        try:
            c = load_case(n)
        except PactwatchError:
            continue  # a broken case file is reported where cases are listed; it is not an illustration
        if c.backtest and c.kind == "atop" and c.atopid is not None:
            out.append(int(c.atopid))
    return out


# ------------------------------------------------------------------------------------------- choosing the spec
#: The pre-declared selection rule (docs/forecast-spec.md): highest pooled 5-year Brier skill against the best
#: baseline on the development origins; within :data:`SELECTION_MARGIN` of the best, fewer covariates; then the higher
#: 10-year skill.
SELECTION_MARGIN = 0.005


def dev_summary(res: dict) -> dict:
    """One candidate's development numbers from a back-test result (:func:`run_backtest`)."""
    out = {"spec": res["spec"].get("model_spec"), "n_covariates": len(res["spec"]["covariates"])
           + len(res["spec"]["tv_covariates"])}
    for h, r in res["scores"]["splits"]["development"]["horizons"].items():
        p = r["pooled"]
        m = p["methods"][METHOD]
        out[f"{h}y"] = {"n": p["n"], "n_events": p["n_events"], "best_baseline": p.get("best_baseline"),
                        "skill": m["brier_skill_vs_best"], "skill_interval": p.get("brier_skill_interval"),
                        "brier": m["brier"], "cal_slope": m["slope"], "cal_intercept": m["intercept"], "auc": m["auc"]}
    return out


def select_spec(rows: list[dict], *, margin: float = SELECTION_MARGIN) -> dict:
    """Apply the pre-declared rule to candidates' development numbers (:func:`dev_summary` rows with ``eligible``):
    highest 5-year skill; among those within ``margin`` of it, the fewest covariates; then the higher 10-year skill.
    Returns {"chosen", "best_skill", "within_margin"}."""
    ok = [r for r in rows if r.get("eligible", True) and r.get("5y") and r["5y"].get("skill") is not None]
    if not ok:
        raise PactwatchError("no eligible candidate with a development score")
    best = max(r["5y"]["skill"] for r in ok)
    near = [r for r in ok if r["5y"]["skill"] >= best - margin]
    pick = min(near, key=lambda r: (r["n_covariates"], -(r.get("10y") or {}).get("skill", float("-inf"))))
    return {"chosen": pick["spec"], "best_skill": best, "within_margin": sorted(r["spec"] for r in near)}


# ------------------------------------------------------------------------------------------------------- run it
def run_backtest(src=None, *, start: int = 1950, end: int | None = None, step: int = 1, horizons=(5.0, 10.0),
                 n_boot: int = 200, level: float = 0.9, seed: int = 0, dev_end: int = 1990, event: str = "any-end",
                 include_later: bool = True, plots_dir=None, use_cache: bool = True, oracle: bool = True,
                 event_study_window=(-3, 5), data=None, progress=None, engine=None, spec=None) -> dict:
    """The whole back-test (see the module docstring); a JSON-ready dict. ``spec``: the model specification
    (:class:`pactwatch.models.specs.ModelSpec` or its name; default the forecast's, :data:`FORECAST_SPEC`); every
    origin's fit and prediction use it. ``include_later=False`` scores the development origins only (no look at the
    later ones is recorded). ``engine``
    (:class:`pactwatch.news.engine.Engine`): where the per-origin refits and predictions run (default in-process;
    the scores are always computed here)."""
    from pactwatch.models.base import jsonable

    from .training import build_data

    t0 = time.perf_counter()
    if not 0 < level < 1:
        raise PactwatchError(f"interval level must be in (0, 1), got {level}")
    if n_boot < 10:
        raise PactwatchError(f"the bootstrap needs at least 10 draws, got {n_boot}")
    origins, notes = origins_for(horizons, start, end, step)
    if not include_later:  # development origins only: the later ones are neither predicted nor scored
        n_later = sum(1 for v in origins.values() for o in v if o > dev_end)
        origins = {h: [o for o in v if o <= dev_end] for h, v in origins.items()}
        if not all(origins.values()):
            raise PactwatchError(f"no development origin (<= {dev_end}) between {start} and the last origin")
        if n_later:
            notes.append(f"development origins only (<= {dev_end}): {n_later} later horizon-origin(s) not run")
    ms = resolve_spec(spec if spec is not None else (data.eval.spec if data is not None else None))
    spec = frozen_spec(event, horizons, origins, dev_end, ms)  # frozen before anything is scored
    later = sorted(set(o for v in origins.values() for o in v if o > dev_end))
    if data is None:
        data, _ = build_data(src, spec=ms, use_cache=use_cache, progress=progress)
    elif data.eval.spec != ms:
        raise PactwatchError(f"back-test of specification {ms.name!r} given panels built for {data.eval.spec.name!r}")
    frame, info = landmark_frame(data, origins, event, use_cache=use_cache, oracle=oracle, progress=progress,
                                 engine=engine)
    failed = {T: v["error"] for T, v in info["origins"].items() if "error" in v}
    for T, err in sorted(failed.items()):
        notes.append(f"origin {T} not back-tested: the model could not be fitted ({err})")
    if frame.empty:
        raise PactwatchError("no origin could be back-tested: " + "; ".join(notes[-3:]))
    ledger = None
    if include_later and later:
        ledger = record_look(spec, later)
    elif include_later:
        notes.append(f"no origin after {dev_end}: nothing later to score")
    else:
        ledger = read_ledger()
    sc = score(frame, dev_end=dev_end, include_later=include_later and bool(later), n_boot=n_boot, level=level, seed=seed,
               plots_dir=plots_dir, progress=progress)
    if progress:
        progress("event study of war endings")
    es = event_study(data, src, event=event, window=event_study_window, level=level)
    pool = PL.pool_backtest(frame, BASELINES, dev_end=dev_end, include_later=include_later and bool(later),
                            n_boot=n_boot, level=level, seed=seed, progress=progress)
    out = {"schema": "pactwatch.backtest-landmark/1", "spec": spec, "notes": notes,
           "baselines": BASELINE_LABELS, "fit_info": info, "scores": sc,
           "soviet_bilateral": soviet_table(frame, data, dev_end=dev_end, include_later=include_later and bool(later)),
           "named_cases": named_cases(frame, data, (*NAMED_SOVIET, *_case_file_atopids())),
           "event_study": es, "pooling": pool,
           "data": {"fingerprint": dict(data.fingerprint), "hash": fingerprint_hash(data.fingerprint)},
           "settings": {"start": start, "end": end, "step": step, "horizons": [float(h) for h in horizons],
                        "n_boot": n_boot, "level": level, "seed": seed, "dev_end": dev_end, "event": event,
                        "include_later": include_later},
           "later_origins": {"scored": bool(include_later and later), "origins": [min(later), max(later)] if later else None,
                             "times_scored_total": (ledger or {}).get("later_looks_total", 0),
                             "times_scored_this_spec": (ledger or {}).get("looks_this_spec", 0),
                             "ledger": str(ledger_path())},
           "runtime_seconds": round(time.perf_counter() - t0, 1)}
    return jsonable(out)
