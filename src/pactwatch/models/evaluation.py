"""Honest out-of-time evaluation of alliance durability models against a Kaplan–Meier baseline.

Design (one split at cut-off year C)
------------------------------------
- **Training**: alliances formed in or before C (``begyr`` <= C). Their follow-up is truncated at 31 Dec C: an
  alliance that ended after C is administratively censored there, and its event (and cause) is not used. Alliance-years
  (time-varying model) are kept only for years <= C, the last interval ending at 31 Dec C. Nothing dated after C enters
  training. Alliances formed on 31 Dec C have no follow-up before the cut-off and are left out (counted).
- **Test**: alliances formed after C (``begyr`` > C), followed from formation to their end or to the data's end
  (31 Dec 2018, ATOP 5.1), with the chosen event definition (:mod:`pactwatch.models.specs`).
- Both sides use complete cases for the specification's covariates; excluded alliances are counted per side, and
  every model, the baseline included, is scored on exactly the same test alliances.

Metrics (all on the test alliances; time in years since formation)
------------------------------------------------------------------
- Harrell's C and Uno's C (IPCW, event times < the horizon H). Risk = Cox linear predictor / forest risk score, or minus
  the restricted mean survival over 1..H for KM and Weibull. The KM baseline gives every alliance the same curve, so its
  C is 0.5 by construction (all pairs tied).
- Brier score at 5 and 10 years and the integrated Brier score over the yearly grid 1..H (IPCW, Graf et al.).
- Time-dependent (cumulative/dynamic) AUC at 1..H.
- Calibration at 5 years: by decile of the predicted probability of ending within 5 years, mean prediction vs the
  Kaplan–Meier proportion observed to end (a model with one prediction for everyone, the baseline, has one bin).
  ``cal_error_5y``: size-weighted mean |predicted − observed| over bins with a known observed value.
- The IPCW censoring distribution G is estimated on the test alliances (their censoring — by 31 Dec 2018 — differs
  from the training side's, which is at the cut-off).
- Horizon H = min(20, the 90th percentile of test follow-up, the longest training follow-up), floored to a whole
  year: beyond it fewer than 10% of test alliances are still under observation (or the training data say nothing). Brier at 10 years is NaN (with a note) when H < 10.
- Paired bootstrap of the test alliances (``n_boot`` resamples): 95% intervals for the difference to the baseline of the
  integrated Brier score and of Uno's C. The verdict is interval-based (:func:`verdict`): ``beats_baseline`` is True
  only when the 95% interval of the IBS difference lies below 0 *and* that of the Uno's C difference above 0 ("yes");
  "no" when either interval lies wholly on the wrong side; "not distinguishable" when an interval includes 0 (even if
  the point estimates favour the model: ``better_point`` records those); None / "no interval" without a bootstrap.
  ``significant`` is kept as an alias of ``beats_baseline``.

Models: ``km`` (baseline), ``cox`` (Cox PH on the formation covariates), ``weibull`` (Weibull AFT, same covariates),
``forest`` (random survival forest, same covariates), ``tvcox`` (Cox on alliance-year rows with the formation
covariates plus time-varying ones). The time-varying Cox cannot see a test alliance's future, so it is scored on the
**status-quo path**: its time-varying covariates are set to 0 for the whole horizon — the value the change measures
(capability change, regime change since formation) have at formation by construction, and "no war, no new outside
alliance" for the yearly indicators. Its predictions therefore differ from the static Cox through coefficients adjusted
for later shocks and a shock-free baseline; expect it to be optimistic (too high survival) when shocks are common.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE
from pactwatch.errors import PactwatchError
from pactwatch.panels import survival as SV

from . import metrics as M
from .base import ModelError, jsonable
from .specs import CAUSES, EventDefinition, ModelSpec, event_definition, model_spec

DATA_END = CENSOR_DATE
DAYS_PER_YEAR = SV.DAYS_PER_YEAR
MAX_HORIZON = 20
T_CALIBRATION = 5.0
BRIER_TIMES = (5.0, 10.0)

MODEL_LABELS = {
    "km": "Kaplan–Meier (baseline)",
    "cox": "Cox PH",
    "weibull": "Weibull AFT",
    "forest": "Random survival forest",
    "tvcox": "Time-varying Cox (status-quo path)",
}
DEFAULT_MODELS = ("km", "cox", "weibull", "forest", "tvcox")


class EvaluationError(PactwatchError):
    """An evaluation cannot be run as asked (bad cut-off, no events, unknown model...)."""


# ------------------------------------------------------------------------------------------------------------- data
@dataclass
class EvaluationData:
    """The alliance-survival table (:func:`pactwatch.panels.survival.survival_table`) seen through one model
    specification: ``alliances`` (one row per alliance: dates, outcome, cause, formation covariates) and ``years``
    (atopid, year and the specification's time-varying covariates as floats), split at any cut-off."""

    alliances: pd.DataFrame
    years: pd.DataFrame
    spec: ModelSpec
    log: list = field(default_factory=list)


def evaluation_data(table: SV.SurvivalTable, spec: str | ModelSpec = "formation") -> EvaluationData:
    """The frames a specification needs from the survival table (no data are read here)."""
    sp = spec if isinstance(spec, ModelSpec) else model_spec(spec)
    a = table.alliances
    miss = [c for c in sp.covariates if c not in a.columns]
    tv = [c for c in sp.tv_covariates if c not in table.years.columns]
    if miss or tv:
        raise EvaluationError(f"the survival table lacks covariate(s) {miss + tv} of specification {sp.name!r}")
    y = table.years[["atopid", "year", *sp.tv_covariates]].copy()
    for c in sp.tv_covariates:
        y[c] = y[c].astype("Float64").astype(float)
    log = [{"step": "load", "rows": int(len(a)), "note": f"ATOP 5.1 alliances with spec {sp.name!r}",
            "incomplete_covariates": int(a[list(sp.covariates)].isna().any(axis=1).sum()),
            "alliance_years": int(len(y))}]
    return EvaluationData(alliances=a, years=y, spec=sp, log=log)


def load_data(src=None, spec: str = "formation", *, alliances_df=None, member_years=None, years_df=None,
              table: SV.SurvivalTable | None = None) -> EvaluationData:
    """:func:`evaluation_data` of the survival table built by :func:`pactwatch.panels.survival.survival_table` from
    ``src`` (or of ``table`` when given; pre-built panels can be passed to avoid rebuilding them)."""
    model_spec(spec)  # an unknown name fails before the panels are built
    if table is None:
        table = SV.survival_table(src, alliances=alliances_df, member_years=member_years, alliance_years=years_df)
    return evaluation_data(table, spec)


@dataclass
class Split:
    cutoff: int
    event: EventDefinition
    train: pd.DataFrame  # one row per alliance: duration, event + covariates (truncated at the cut-off)
    test: pd.DataFrame  # one row per alliance: duration, event + covariates (to 31 Dec 2018)
    train_tv: pd.DataFrame  # alliance-year (start, stop] rows, truncated at the cut-off
    info: dict


def split_at(data: EvaluationData, cutoff: int, event: str = "any-end", *, check_test: bool = True) -> Split:
    """Training/test split at ``cutoff`` (see the module docstring): training follow-up administratively censored
    at 31 Dec ``cutoff``; test = alliances formed after ``cutoff``, followed to 31 Dec 2018. Follow-up and the
    counting-process rows come from :func:`pactwatch.panels.survival.follow_up` / ``counting_process``.

    ``check_test=False`` builds the training side only for a fit that never scores the test side (the forecast's
    refits at a landmark origin): the test side may then be empty or without events (e.g. cut-offs after 2004, when
    no alliance formed later ended by 2018). The training side's checks always apply; ``evaluate`` keeps both."""
    ev = event_definition(event)
    try:
        c = int(cutoff)
    except (TypeError, ValueError):
        raise EvaluationError(f"cut-off must be a year, got {cutoff!r}") from None
    a = data.alliances
    lo, hi = int(a["begyr"].min()), int(DATA_END.year)
    if c != cutoff or not lo <= c < hi:
        raise EvaluationError(f"cut-off {cutoff!r}: must be a whole year in {lo}..{hi - 1} (alliances must be formed on "
                              "both sides of it)")
    covs = list(data.spec.covariates)
    cut = pd.Timestamp(year=c, month=12, day=31)
    info: dict = {"cutoff": c, "train_follow_up_ends": str(cut.date()), "test_follow_up_ends": str(DATA_END.date())}

    tr = a[a["begyr"] <= c]
    info["train_formed"] = f"{int(tr['begyr'].min())}-{c}"
    tr, n = SV.follow_up(tr, ev.name, censor_at=cut, covariates=covs)
    info["train_excluded_incomplete"] = n["excluded_incomplete"]
    info["train_excluded_no_follow_up"] = n["excluded_no_follow_up"]
    info["train_censored_at_cutoff"] = n["censored"]

    te = a[a["begyr"] > c]
    info["test_formed"] = f"{c + 1}-{int(te['begyr'].max()) if len(te) else c + 1}"
    te, n = SV.follow_up(te, ev.name, censor_at=DATA_END, covariates=covs)
    info["test_excluded_incomplete"] = n["excluded_incomplete"]
    if n["excluded_no_follow_up"] and check_test:
        raise EvaluationError(f"{n['excluded_no_follow_up']} test alliance(s) have zero duration")
    info["test_checked"] = bool(check_test)

    for side, d in (("train", tr), ("test", te)) if check_test else (("train", tr),):
        if len(d) == 0 or d["event"].sum() == 0:
            raise EvaluationError(f"cut-off {c}: the {side} set has {len(d)} alliances and {int(d['event'].sum())} "
                                  f"events under '{ev.name}'; choose another cut-off")
    info.update(train_alliances=int(len(tr)), train_events=int(tr["event"].sum()), test_alliances=int(len(te)),
                test_events=int(te["event"].sum()))
    keep = ["atopid", "begin", "begyr", "duration", "event", *covs]
    tv, n = SV.counting_process(data.years, tr[keep], through_year=c, tv_covariates=data.spec.tv_covariates,
                                covariates=covs)
    info.update(n)
    return Split(cutoff=c, event=ev, train=tr[keep].reset_index(drop=True), test=te[keep].reset_index(drop=True),
                 train_tv=tv, info=info)


# ----------------------------------------------------------------------------------------------------------- models
def _fit_predict(name: str, sp: Split, spec: ModelSpec, times: np.ndarray, *, forest_trees: int, seed: int):
    """Fit model ``name`` on the split's training data; return (surv: times x n_test array, risk: n_test, model)."""
    from .cox import CoxTV
    from .km import KaplanMeier
    from .ml import SurvivalForest
    from .parametric import WeibullAFT

    covs = list(spec.covariates)
    tr, te = sp.train, sp.test
    risk = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if name == "km":
            m = KaplanMeier().fit(tr, "duration", "event")
            surv = m.predict_survival(te, times)
        elif name == "cox":
            m = CoxTV().fit(tr, "duration", "event", covariates=covs)
            surv = m.predict_survival(te, times)
            risk = m.predict_risk(te).to_numpy()
        elif name == "weibull":
            m = WeibullAFT().fit(tr, "duration", "event", covariates=covs)
            surv = m.predict_survival(te, times)
        elif name == "forest":
            m = SurvivalForest("rsf", n_estimators=forest_trees, random_state=seed, n_jobs=2).fit(
                tr, "duration", "event", covariates=covs)
            surv = m.predict_survival(te, times)
            risk = m.predict_risk(te).to_numpy()
        elif name == "tvcox":
            tvc = list(spec.tv_covariates)
            m = CoxTV().fit(sp.train_tv, event_col="event", covariates=covs + tvc, id_col="atopid", start_col="start",
                            stop_col="stop")
            X = te.assign(**{c: 0.0 for c in tvc})
            surv = m.predict_survival(X, times)
            risk = m.predict_risk(X).to_numpy()
        else:
            raise EvaluationError(f"unknown model {name!r}; choose from {', '.join(MODEL_LABELS)}")
    if risk is None:
        risk = -M.restricted_mean(surv).to_numpy()
    return surv.to_numpy(float), np.asarray(risk, float), m


def horizon(test_durations, train_durations=None) -> int:
    """Evaluation horizon: min(20, floor of the 90th percentile of test follow-up, floor of the longest training
    follow-up — the non-parametric models cannot predict beyond it), at least 2 years."""
    q = float(np.quantile(np.asarray(test_durations, float), 0.9))
    h = min(MAX_HORIZON, math.floor(q))
    if train_durations is not None:
        h = min(h, math.floor(float(np.max(train_durations))))
    if h < 2:
        raise EvaluationError(f"follow-up too short for evaluation (90th percentile of test follow-up {q:.2f} years, "
                              f"horizon {h})")
    return int(h)


def _score(te_y, surv: np.ndarray, risk: np.ndarray, times: np.ndarray, H: int) -> dict:
    """Point metrics for one model on the test set; G from the test set."""
    d, e = te_y
    out = {}
    out.update(M.harrell_c(d, e, risk))
    out["uno_c"] = M.uno_c(te_y, te_y, risk, tau=float(H))["uno_c"]
    out["ibs"] = M.integrated_brier(te_y, te_y, surv, times)["integrated_brier"]
    curve = M.brier_curve(te_y, te_y, surv, times)
    for t in BRIER_TIMES:
        hit = np.isclose(curve["time"], t)
        out[f"brier_{int(t)}"] = float(curve.loc[hit, "brier"].iloc[0]) if hit.any() else float("nan")
    auc = M.time_auc(te_y, te_y, 1 - surv, times)
    out["mean_auc"] = auc["mean_auc"]
    out["_auc"] = auc["auc"]
    i5 = int(np.flatnonzero(np.isclose(times, T_CALIBRATION))[0])
    p5 = 1 - surv[i5]
    n_bins = 1 if np.ptp(p5) < 1e-12 else min(10, len(d))
    cal = M.calibration_table(d, e, p5, T_CALIBRATION, n_bins=n_bins)
    ok = cal["observed"].notna()
    out["cal_error_5y"] = float(np.average(cal.loc[ok, "difference"].abs(), weights=cal.loc[ok, "n"])) if ok.any() else float("nan")
    out["_calibration"] = cal
    return out


def ipcw_ibs(y, surv: np.ndarray, times: np.ndarray) -> float:
    """Integrated IPCW Brier score exactly as scikit-survival's ``integrated_brier_score`` with the censoring
    distribution estimated on the same data (G = Kaplan–Meier of the censoring times), but without its check that
    every grid time lies within the observed follow-up (a bootstrap resample may lack the shortest durations; the score
    is still defined there). ``surv``: times x subjects. Checked against :func:`metrics.integrated_brier` in the tests."""
    from sksurv.nonparametric import CensoringDistributionEstimator

    d, e = np.asarray(y[0], float), np.asarray(y[1]).astype(bool)
    cens = CensoringDistributionEstimator().fit(M.surv_array(d, e))
    g_t = cens.predict_proba(times)
    g_y = cens.predict_proba(d)
    g_t[g_t == 0] = np.inf
    g_y[g_y == 0] = np.inf
    case = (d[None, :] <= times[:, None]) & e[None, :]
    ctrl = d[None, :] > times[:, None]
    bs = (surv**2 * case / g_y[None, :] + (1 - surv) ** 2 * ctrl / g_t[:, None]).mean(axis=1)
    return float(np.trapezoid(bs, times) / (times[-1] - times[0]))


def _boot(te_y, preds: dict, times: np.ndarray, H: int, n_boot: int, seed: int) -> dict:
    """Paired bootstrap over test alliances: per model, arrays of (ibs, uno_c) minus the baseline's."""
    d, e = te_y
    rng = np.random.default_rng(seed)
    n = len(d)
    res = {k: {"ibs": [], "uno_c": []} for k in preds if k != "km"}
    failed = 0
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        y = (d[idx], e[idx])
        if e[idx].sum() == 0:
            failed += 1
            continue
        try:
            base_ibs = ipcw_ibs(y, preds["km"][0][:, idx], times)
            base_c = M.uno_c(y, y, preds["km"][1][idx], tau=float(H))["uno_c"]
            vals = {}
            for k, (s, r) in preds.items():
                if k == "km":
                    continue
                vals[k] = (ipcw_ibs(y, s[:, idx], times) - base_ibs,
                           M.uno_c(y, y, r[idx], tau=float(H))["uno_c"] - base_c)
        except ModelError:
            failed += 1
            continue
        for k, (di, dc) in vals.items():
            res[k]["ibs"].append(di)
            res[k]["uno_c"].append(dc)
    return {"draws": res, "failed": failed}


def verdict(ibs_interval, uno_c_interval) -> str:
    """Whether a model beats the baseline, from the bootstrap intervals of its differences (model − baseline) in the
    integrated Brier score (lower is better) and Uno's C (higher is better): "yes" only when both intervals exclude 0
    on the model's side; "no" when either lies wholly on the baseline's side; "not distinguishable" when an interval
    includes 0; "no interval" without them."""
    if ibs_interval is None or uno_c_interval is None:
        return "no interval"
    (lo_i, hi_i), (lo_c, hi_c) = ibs_interval, uno_c_interval
    if any(not np.isfinite(v) for v in (lo_i, hi_i, lo_c, hi_c)):
        return "no interval"
    if hi_i < 0 and lo_c > 0:
        return "yes"
    if lo_i > 0 or hi_c < 0:
        return "no"
    return "not distinguishable"


def evaluate_split(data: EvaluationData, cutoff: int, event: str = "any-end", *, models: Sequence[str] = DEFAULT_MODELS,
                   forest_trees: int = 200, n_boot: int = 200, seed: int = 0,
                   progress: Callable[[str], None] | None = None) -> dict:
    """Fit every model on alliances formed up to ``cutoff`` (follow-up truncated there) and score them on alliances
    formed after it. Returns a JSON-ready dict: ``info`` (counts), ``models`` (one row per model with the metrics,
    the differences to the baseline and ``beats_baseline``), ``calibration`` and ``auc`` per model."""
    models = list(dict.fromkeys(models))
    unknown = [m for m in models if m not in MODEL_LABELS]
    if unknown:
        raise EvaluationError(f"unknown model(s) {unknown}; choose from {', '.join(MODEL_LABELS)}")
    if "km" not in models:
        models = ["km", *models]  # the baseline is always there
    sp = split_at(data, cutoff, event)
    H = horizon(sp.test["duration"], sp.train["duration"])
    times = np.arange(1.0, H + 1.0)
    te_y = (sp.test["duration"].to_numpy(float), sp.test["event"].to_numpy(float))
    rows, preds, cal, auc = [], {}, {}, {}
    for name in models:
        t0 = time.perf_counter()
        row = {"model": name, "label": MODEL_LABELS[name]}
        try:
            surv, risk, m = _fit_predict(name, sp, data.spec, times, forest_trees=forest_trees, seed=seed)
            if np.isnan(surv).any():
                raise EvaluationError(f"{name}: predictions are NaN within the horizon (training follow-up too short)")
            sc = _score(te_y, surv, risk, times, H)
            cal[name] = sc.pop("_calibration")
            auc[name] = sc.pop("_auc")
            row.update(sc)
            row["n_train_rows"] = int(m.n_rows_)
            preds[name] = (surv, risk)
        except (PactwatchError, ValueError, np.linalg.LinAlgError, ArithmeticError) as exc:
            row["error"] = str(exc)
        row["fit_seconds"] = round(time.perf_counter() - t0, 2)
        rows.append(row)
        if progress:
            progress(f"{cutoff}: {name}")
    if "km" not in preds:
        raise EvaluationError(f"cut-off {cutoff}: the Kaplan–Meier baseline failed: {rows[0].get('error')}")
    boot = _boot(te_y, preds, times, H, n_boot, seed) if n_boot > 0 else {"draws": {}, "failed": 0}
    if progress:
        progress(f"{cutoff}: bootstrap")
    base = next(r for r in rows if r["model"] == "km")
    for r in rows:
        if "error" in r:
            r["beats_baseline"] = None
            continue
        r["delta_ibs"] = r["ibs"] - base["ibs"]
        r["delta_uno_c"] = r["uno_c"] - base["uno_c"]
        if r["model"] == "km":
            r["beats_baseline"] = None
            continue
        r["better_point"] = bool(r["delta_ibs"] < 0 and r["delta_uno_c"] > 0)
        dr = boot["draws"].get(r["model"], {"ibs": [], "uno_c": []})
        if len(dr["ibs"]) >= 10:
            lo_i, hi_i = np.quantile(dr["ibs"], [0.025, 0.975])
            lo_c, hi_c = np.quantile(dr["uno_c"], [0.025, 0.975])
            r.update(delta_ibs_lo=lo_i, delta_ibs_hi=hi_i, delta_uno_c_lo=lo_c, delta_uno_c_hi=hi_c)
            r["verdict"] = verdict((lo_i, hi_i), (lo_c, hi_c))
            r["beats_baseline"] = r["verdict"] == "yes"
        else:
            r["verdict"] = verdict(None, None)
            r["beats_baseline"] = None
        r["significant"] = r["beats_baseline"]
    notes = [f"Uno's C uses event times < {H} years; IPCW censoring distribution from the test alliances"]
    if sp.info["test_events"] < 20:
        notes.append(f"only {sp.info['test_events']} test events: concordance and calibration are very uncertain")
    if H < 10:
        notes.append(f"horizon {H} < 10 years: Brier at 10 years not computed")
    out = {
        "cutoff": sp.cutoff,
        "event": {"name": sp.event.name, "description": sp.event.description},
        "spec": {"name": data.spec.name, "description": data.spec.description, "covariates": list(data.spec.covariates),
                 "tv_covariates": list(data.spec.tv_covariates)},
        "data_end": str(DATA_END.date()),
        "horizon": H, "times": times.tolist(), "t_calibration": T_CALIBRATION,
        "info": sp.info,
        "models": rows,
        "bootstrap": {"n_boot": n_boot, "failed": boot["failed"], "seed": seed},
        "calibration": {k: v.to_dict(orient="records") for k, v in cal.items()},
        "auc": {k: {"times": times.tolist(), "auc": v} for k, v in auc.items()},
        "notes": notes,
    }
    return jsonable(out)


def evaluate_rolling(data: EvaluationData, cutoffs: Sequence[int], event: str = "any-end", **kw) -> dict:
    """:func:`evaluate_split` at each cut-off, plus a summary per model over the cut-offs (means of the metrics and of
    the differences to the baseline; how many cut-offs it beats the baseline at)."""
    cs = sorted(dict.fromkeys(int(c) for c in cutoffs))
    if not cs:
        raise EvaluationError("rolling: give at least one cut-off year")
    splits = [evaluate_split(data, c, event, **kw) for c in cs]
    return jsonable({"cutoffs": cs, "event": splits[0]["event"], "spec": splits[0]["spec"], "splits": splits,
                     "summary": summary_table(splits).to_dict(orient="records")})


def models_table(result: dict) -> pd.DataFrame:
    """The per-model metric rows of one split as a DataFrame."""
    return pd.DataFrame(result["models"])


def summary_table(splits: Sequence[dict]) -> pd.DataFrame:
    """One row per model over several splits."""
    rows = []
    for s in splits:
        for r in s["models"]:
            rows.append({**r, "cutoff": s["cutoff"]})
    df = pd.DataFrame(rows)
    if "error" not in df.columns:
        df["error"] = None
    out = []
    for name, g in df.groupby("model", sort=False):
        ok = g[g["error"].isna()]
        rec = {"model": name, "label": MODEL_LABELS[name], "cutoffs": int(len(g)), "failed": int(len(g) - len(ok))}
        for c in ("harrell_c", "uno_c", "ibs", "brier_5", "brier_10", "mean_auc", "cal_error_5y", "delta_ibs",
                  "delta_uno_c"):
            rec[f"mean_{c}"] = float(ok[c].mean()) if c in ok and ok[c].notna().any() else float("nan")
        if name != "km":
            rec["beats_baseline"] = int(ok["beats_baseline"].eq(True).sum())  # interval-based (see verdict)
            rec["significant"] = rec["beats_baseline"]
            rec["better_point"] = int(ok["better_point"].eq(True).sum()) if "better_point" in ok else 0
        out.append(rec)
    res = pd.DataFrame(out)
    for c in ("beats_baseline", "significant", "better_point"):
        if c in res:
            res[c] = res[c].astype("Int64")  # NA for the baseline row, counts stay integers
    return res


__all__ = ["EvaluationData", "Split", "evaluation_data", "load_data", "split_at", "verdict", "evaluate_split", "evaluate_rolling", "horizon",
           "models_table", "summary_table", "MODEL_LABELS", "DEFAULT_MODELS", "CAUSES", "EvaluationError"]
