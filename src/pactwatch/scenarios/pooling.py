"""Reference classes beside the model and a pooled forecast weighted on the back-test (issue 13, items 6 and 8).

Reference classes, generalised to any alliance
----------------------------------------------
The case's three reference classes (:data:`pactwatch.panels.survival.REFERENCE_CLASSES`: post-1945 bilateral
major–minor defence pacts, Soviet/Russian bilateral treaties since 1945, the DPRK's own alliances) are instances of
three rules that apply to any alliance X at any date:

- ``ref_design`` — X's **design class**: alliances with X's obligation class
  (:func:`pactwatch.models.specs.obligation_type`), X's bilateral/multilateral value, X's major–minor value and X's era
  (formed 1946 or later, or before) — for RUS–PRK 2024 this is "post-1945 bilateral major–minor defence pacts";
- ``ref_major`` — the **bilateral treaties of X's major-power member(s)** (COW majors in the origin year; formed 1945
  or later if X was, else before 1945) — for RUS–PRK "Soviet/Russian bilateral treaties since 1945". Missing (NaN,
  counted) when X has no major-power member;
- ``ref_members`` — **the alliances of X's own minor member(s)** (every alliance any of them belonged to; all members
  when X has no minor member) — for RUS–PRK "the DPRK's own alliances".

Each is an age-conditional Kaplan–Meier forecast S(a0 + h | a0) computed only from what was observable at the origin
(the back-test's baseline code, :func:`pactwatch.models.scoring.km_conditional`): alliances formed by 31 Dec of the
origin year, follow-up censored there, membership from member-years up to that year. X's own record is censored at
its age a0, so it never enters its own conditional forecast. Where nobody in the class was at risk just after a0 the
forecast is missing (NaN, counted), never filled in.

Pooling
-------
Generalised logit pool: logit(p) = w0 + w_model·logit(model) + Σ_k w_k·logit(class_k) + Σ_k v_k·[class_k missing],
p = the probability of still being in effect at the horizon, probabilities clipped to [:data:`EPS`, 1 − EPS]; a
missing class contributes its own intercept v_k instead of w_k·logit (a missing-indicator term, fitted with a
sd-1 Gaussian prior against separation, :data:`MISSING_PRIOR_PRECISION`; counted).
Weights are fitted by maximum likelihood (logistic log-loss of the outcome "still in effect at T + h") on the
back-test's **development origins only** with w_model, w_k >= 0 (a source never pushes against its own direction) and
no sum-to-one constraint (the weights also recalibrate: the model's raw 5-year forecasts are over-dispersed, calibration
slope well below 1). The intercept and missing-indicator terms are free. Two pools are fitted: ``pooled`` (model and
classes) and ``classes`` (the classes alone: the fallback).

Scores: development origins **in-sample** (the fitted weights on their own rows: optimistic, shown as such) and
**out-of-fold** (:data:`N_FOLDS`-fold cross-validation with folds of whole alliances, so no alliance's rows are in the
fold that fitted its weights); the later origins are scored with the development weights, only when the back-test is
asked to score them (that run is one counted look: :func:`pactwatch.scenarios.landmark.record_look`).

Decision rule (issue 13): headline = ``pooled`` when the pooled 5-year Brier skill against the back-test's best
baseline is above zero with its whole 90% interval above zero and the calibration slope is in [0.8, 1.2] — judged on
the later origins when they were scored (out of sample: the weights come from the development origins), else on the
development origins out of fold; otherwise the headline falls back to ``classes`` and the result says so.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pactwatch.data.atop import CENSOR_DATE
from pactwatch.errors import PactwatchError
from pactwatch.models import scoring as SC
from pactwatch.models.specs import event_indicator, obligation_type

#: The generalised reference classes (columns of the landmark frame: ``{name}`` per horizon, ``{name}_n``).
CLASSES = ("ref_design", "ref_major", "ref_members")
CLASS_LABELS = {
    "ref_design": "its design class (obligation class × bilateral × major–minor × formed after 1945 or not)",
    "ref_major": "the bilateral treaties of its major-power member",
    "ref_members": "the alliances of its own (minor) member(s)",
}
#: The case's named class each rule reproduces for RUS–PRK 2024 (panels.survival.REFERENCE_CLASSES keys).
CASE_CLASS_OF = {"ref_design": "major-minor-defence-post1945", "ref_major": "soviet-russian-bilateral-since-1945",
                 "ref_members": "dprk"}
POOLS = {"pooled": ("model", *CLASSES), "classes": CLASSES}
EPS = 0.005
#: Gaussian prior (ridge) on each missing-class term: sd 1 on the logit scale. A class is missing mostly for old
#: alliances (nobody in the class was ever at risk at their age) that rarely ended, so the unpenalised term runs off to
#: infinity (separation) and would pin the pool at 0 or 1 for such an alliance.
MISSING_PRIOR_PRECISION = 1.0
N_FOLDS = 10
RULE = {"horizon": 5.0, "skill_above": 0.0, "slope_range": (0.8, 1.2), "level": 0.9}
POOLING_VERSION = 1
CHECK_WORDS = {"skill_above_zero": "skill above 0", "interval_above_zero": "interval above 0",
               "slope_in_range": "calibration slope in range"}


def _logit(p) -> np.ndarray:
    p = np.clip(np.asarray(p, float), EPS, 1 - EPS)
    return np.log(p / (1 - p))


# ---------------------------------------------------------------------------------------------- reference classes
def reference_pool(data, cut: pd.Timestamp, event: str) -> pd.DataFrame:
    """Alliances formed by ``cut`` with follow-up censored there: ``stop`` (years from begin), ``ev`` (ended under
    ``event`` by ``cut``), ``cls``, ``bilateral``, ``asymmetric``, ``begyr``, ``members`` (frozenset of COW codes with a
    member-year up to ``cut``'s year)."""
    a = data.eval.alliances
    r = a[a["begin"] <= cut].copy()
    ev = event_indicator(r, event).to_numpy()
    ended = (r["end"].notna() & (r["end"] <= cut)).to_numpy()
    r["ev"] = np.where(ended, ev, 0)
    stop_d = r["end"].where(ended, cut)
    r["stop"] = (stop_d - r["begin"]).dt.days / 365.25
    r["cls"] = obligation_type(r).to_numpy()
    my = data.member_years
    my = my[my["year"] <= cut.year]
    mem = my.groupby("atopid")["ccode"].agg(lambda s: frozenset(int(c) for c in s))
    r["members"] = [m if isinstance(m, frozenset) else frozenset() for m in mem.reindex(r["atopid"])]
    return r.reset_index(drop=True)


def _masks(ref: pd.DataFrame, t: dict) -> dict:
    """Boolean masks over ``ref`` for each class of target ``t`` (dict with cls, bilateral, asymmetric, begyr, majors,
    minors); None where the class is undefined for the target."""
    out = {}
    keys = (t["cls"], t["bilateral"], t["asymmetric"], t["begyr"])
    if any(k is None or (isinstance(k, float) and np.isnan(k)) for k in keys):
        out["ref_design"] = None
    else:
        post = t["begyr"] >= 1946
        out["ref_design"] = ((ref["cls"] == t["cls"]) & (ref["bilateral"] == t["bilateral"])
                             & (ref["asymmetric"] == t["asymmetric"]) & ((ref["begyr"] >= 1946) == post)).to_numpy()
    if t["majors"]:
        post = t["begyr"] >= 1945
        out["ref_major"] = ((ref["bilateral"] == 1).to_numpy() & ((ref["begyr"] >= 1945) == post).to_numpy()
                            & np.array([bool(m & t["majors"]) for m in ref["members"]], bool))
    else:
        out["ref_major"] = None
    own = t["minors"] or t["majors"]
    out["ref_members"] = np.array([bool(m & own) for m in ref["members"]], bool) if own else None
    return out


def class_forecasts(ref: pd.DataFrame, targets: list[dict], horizons) -> tuple[pd.DataFrame, dict]:
    """Age-conditional KM forecast of each class for each target (dicts with a0 and the :func:`_masks` keys).
    Columns ``{class}_{h:g}`` (NaN where undefined or nobody at risk after a0), ``{class}_n`` (alliances in the class),
    ``{class}_at_risk`` (in effect just after a0). Info: counts of missing values by reason."""
    out = {f"{c}_{h:g}": np.full(len(targets), np.nan) for c in CLASSES for h in horizons}
    out.update({f"{c}_{s}": np.zeros(len(targets), int) for c in CLASSES for s in ("n", "at_risk")})
    info = {c: {"undefined": 0, "nobody_at_risk": 0} for c in CLASSES}
    stop, ev = ref["stop"].to_numpy(float), ref["ev"].to_numpy(int)
    for i, t in enumerate(targets):
        for c, m in _masks(ref, t).items():
            if m is None:
                info[c]["undefined"] += 1
                continue
            out[f"{c}_n"][i] = int(m.sum())
            out[f"{c}_at_risk"][i] = int((stop[m] > t["a0"]).sum())
            if out[f"{c}_at_risk"][i] == 0:
                info[c]["nobody_at_risk"] += 1
                continue
            for h in horizons:
                s, _ = SC.km_conditional(np.zeros(int(m.sum())), stop[m], ev[m], [t["a0"]], h)
                out[f"{c}_{h:g}"][i] = s[0]
    return pd.DataFrame(out), info


def origin_targets(data, origin: int, tg: pd.DataFrame) -> list[dict]:
    """The class keys of the alliances in force at ``origin`` (rows of ``landmark.in_force_at``): majors and minors are
    the members' COW major-power status in their last member-year up to the origin year."""
    my = data.member_years
    cur = my[(my["year"] <= origin) & my["atopid"].isin(tg["atopid"])].sort_values("year")
    last = cur.groupby(["atopid", "ccode"])["cowmaj"].last().reset_index()
    cls = obligation_type(tg).to_numpy()
    out = []
    for k, r in enumerate(tg.itertuples(index=False)):
        m = last[last["atopid"] == r.atopid]
        majors = frozenset(int(c) for c, v in zip(m["ccode"], m["cowmaj"]) if v == 1)
        minors = frozenset(int(c) for c, v in zip(m["ccode"], m["cowmaj"]) if v == 0)
        asym = None if pd.isna(r.asymmetric) else int(r.asymmetric)
        out.append({"a0": float(r.a0), "cls": cls[k], "bilateral": int(r.bilateral), "asymmetric": asym,
                    "begyr": int(r.begyr), "majors": majors, "minors": minors})
    return out


def origin_reference_columns(data, origin: int, tg: pd.DataFrame, horizons, event: str) -> tuple[pd.DataFrame, dict]:
    """The reference-class columns of the landmark frame at ``origin`` for the alliances ``tg`` in force then; only
    alliances formed by 31 Dec ``origin`` and their follow-up to that day enter."""
    cut = pd.Timestamp(year=int(origin), month=12, day=31)
    ref = reference_pool(data, cut, event)
    return class_forecasts(ref, origin_targets(data, origin, tg), horizons)


def case_reference_classes(data, rc, a0: float, horizons, event: str, level: float = 0.9, as_of=None) -> list[dict]:
    """The three classes for a resolved case (:class:`.cases.ResolvedCase`) from the ATOP alliances formed by the
    as-of date with follow-up to it (or to 31 Dec 2018, ATOP's end, whichever is earlier: a historical forecast sees
    nothing after its as-of date), the case's own alliance left out, conditional on the case's age ``a0``: one dict
    per class with its description, n, alliances at risk,
    and per horizon the survival with its interval (:func:`pactwatch.models.baserates.conditional_base_rates`: Greenwood
    exponential, exact binomial when no alliance ended)."""
    from pactwatch.models.baserates import conditional_base_rates

    f = rc.formation
    cut = CENSOR_DATE if as_of is None else min(pd.Timestamp(as_of), CENSOR_DATE)
    ref = reference_pool(data, cut, event)
    if rc.atopid is not None:
        ref = ref[ref["atopid"] != rc.atopid].reset_index(drop=True)
    members = rc.members
    t = {"a0": float(a0), "cls": obligation_type(pd.DataFrame([f])).iloc[0], "bilateral": int(f["bilateral"]),
         "asymmetric": None if f.get("asymmetric") is None or pd.isna(f["asymmetric"]) else int(f["asymmetric"]),
         "begyr": int(rc.in_force.year),
         "majors": frozenset(int(m["ccode"]) for m in members if m.get("major")),
         "minors": frozenset(int(m["ccode"]) for m in members if not m.get("major"))}
    out = []
    for c, m in _masks(ref, t).items():
        row = {"name": c, "label": CLASS_LABELS[c], "case_class": CASE_CLASS_OF[c], "n": 0, "n_at_risk": 0,
               "survival": []}
        if m is None:
            row["note"] = "undefined for this case (no major-power member)" if c == "ref_major" else "undefined"
            out.append(row)
            continue
        g = ref.loc[m, ["atopid", "stop", "ev"]].rename(columns={"stop": "duration_years", "ev": "event_def"})
        cb = conditional_base_rates({c: g}, ages=(float(a0),), horizons=tuple(float(h) for h in horizons),
                                    alpha=1 - level)
        row["n"] = int(len(g))
        row["n_at_risk"] = int(cb["n_at_risk"].iloc[0]) if len(cb) else 0
        for r in cb.itertuples(index=False):
            ok = not np.isnan(r.survival)
            row["survival"].append({"t": float(r.horizon), "estimate": float(r.survival) if ok else None,
                                    "lower": float(r.lower) if ok else None, "upper": float(r.upper) if ok else None,
                                    "events": int(r.events), "interval": r.interval or None})
        out.append(row)
    return out


# ------------------------------------------------------------------------------------------------------ pooling
def design(frame: pd.DataFrame, comps, h: float | None = None) -> tuple[np.ndarray, list[str]]:
    """Design matrix of the pool: logits of each component (0 where missing) and, for the classes, a missing
    indicator. ``frame`` columns are the component names (one horizon's rows)."""
    cols, names = [], []
    for c in comps:
        p = frame[c].to_numpy(float)
        miss = np.isnan(p)
        cols.append(np.where(miss, 0.0, _logit(np.where(miss, 0.5, p))))
        names.append(c)
        if c != "model":
            cols.append(miss.astype(float))
            names.append(f"{c}:missing")
    return np.column_stack(cols) if cols else np.zeros((len(frame), 0)), names


def fit_weights(frame: pd.DataFrame, comps, outcome: str = "survived") -> dict:
    """Maximum-likelihood weights of the logit pool on the rows of ``frame`` (no missing model value or outcome):
    intercept and missing-indicator terms free, component weights >= 0. A missing-indicator with no missing row is
    fixed at 0 and flagged (``unidentified``)."""
    from scipy.optimize import minimize

    if "model" in comps and frame["model"].isna().any():
        raise PactwatchError("pooling: rows without a model forecast must be removed (and counted) before fitting")
    y = frame[outcome].to_numpy(float)
    if np.isnan(y).any():
        raise PactwatchError("pooling: rows with an unknown outcome must be removed (and counted) before fitting")
    if len(y) == 0 or y.min() == y.max():
        raise PactwatchError(f"pooling: cannot fit weights on {len(y)} row(s) with a single outcome value")
    X, names = design(frame, comps)
    X = np.column_stack([np.ones(len(y)), X])
    names = ["intercept", *names]
    unident = [n for j, n in enumerate(names) if n.endswith(":missing") and X[:, j].sum() == 0]
    bounds = [(0.0, None) if n in comps else ((0.0, 0.0) if n in unident else (None, None)) for n in names]

    pen = np.array([MISSING_PRIOR_PRECISION if n.endswith(":missing") else 0.0 for n in names])

    def nll(w):
        z = X @ w
        ll = y * z - np.logaddexp(0, z)
        g = X.T @ (y - 1 / (1 + np.exp(-z)))
        return -ll.sum() + 0.5 * float(pen @ w ** 2), -g + pen * w

    w0 = np.zeros(len(names))
    w0[0] = float(_logit(y.mean()))
    for j, n in enumerate(names):
        if n in comps:
            w0[j] = 1.0 / len(comps)
    r = minimize(nll, w0, jac=True, method="L-BFGS-B", bounds=bounds)
    if not r.success and not np.isfinite(r.fun):
        raise PactwatchError(f"pooling: the weight fit failed ({r.message})")
    w = dict(zip(names, (float(v) for v in r.x)))
    return {"components": list(comps), "intercept": w["intercept"],
            "weights": {c: w[c] for c in comps},
            "missing": {c: w[f"{c}:missing"] for c in comps if c != "model"},
            "unidentified": unident, "n": int(len(y)), "n_events": int((1 - y).sum()),
            "missing_rows": {c: int(np.isnan(frame[c].to_numpy(float)).sum()) for c in comps if c != "model"},
            "log_likelihood": float(-r.fun), "converged": bool(r.success)}


def apply_weights(w: dict, values: dict | pd.DataFrame) -> np.ndarray:
    """The pooled probability for ``values`` (a frame with the component columns, or a dict component -> probability
    or None). A missing component whose missing-indicator was never seen in fitting gives NaN."""
    f = pd.DataFrame([{c: (np.nan if v is None else v) for c, v in values.items()}]) if isinstance(values, dict) else values
    z = np.full(len(f), float(w["intercept"]))
    bad = np.zeros(len(f), bool)
    for c in w["components"]:
        p = f[c].to_numpy(float)
        miss = np.isnan(p)
        if c == "model":
            bad |= miss
        elif c in w.get("unidentified", []):
            bad |= miss
        z += np.where(miss, float(w["missing"].get(c, 0.0)) if c != "model" else 0.0,
                      float(w["weights"][c]) * _logit(np.where(miss, 0.5, p)))
    out = 1 / (1 + np.exp(-z))
    return np.where(bad, np.nan, out)


def _folds(ids: np.ndarray, k: int, seed: int) -> np.ndarray:
    u = np.unique(ids)
    perm = np.random.default_rng(seed).permutation(len(u))
    fold_of = dict(zip(u[perm], np.arange(len(u)) % k))
    return np.array([fold_of[i] for i in ids])


def out_of_fold(frame: pd.DataFrame, comps, k: int = N_FOLDS, seed: int = 0) -> np.ndarray:
    """Pooled forecasts for each row from weights fitted on the other folds (folds = whole alliances)."""
    fold = _folds(frame["atopid"].to_numpy(), k, seed)
    out = np.full(len(frame), np.nan)
    for j in range(k):
        tr, te = fold != j, fold == j
        if not te.any():
            continue
        try:
            w = fit_weights(frame[tr], comps)
        except PactwatchError:
            continue  # e.g. a single outcome value outside this fold: its rows stay unpooled (counted as not_pooled)
        out[te] = apply_weights(w, frame[te])
    return out


def _score(g: pd.DataFrame, col: str, baselines, h: float, n_boot: int, level: float, seed: int) -> dict:
    ok = g[col].notna()
    if not ok.any():
        return {"n": 0, "not_pooled": int(len(g)), "note": "no pooled forecast to score"}
    s = SC.compare(g[ok], col, list(baselines), n_boot=n_boot, level=level, seed=seed, horizon=h, concordance=False)
    m = s["methods"][col]
    return {"n": s["n"], "n_alliances": s["n_alliances"], "n_events": s["n_events"], "not_pooled": int((~ok).sum()),
            "brier": m["brier"], "log_loss": m["log_loss"], "calibration_slope": m.get("slope"),
            "calibration_intercept": m.get("intercept"), "auc": m.get("auc"),
            "slope_interval": (s.get("model_intervals") or {}).get("slope"),
            "best_baseline": s["best_baseline"], "best_baseline_brier": s["methods"][s["best_baseline"]]["brier"],
            "skill": s.get("brier_skill_vs_best"), "skill_interval": s.get("brier_skill_interval"),
            "brier_diff": s.get("brier_diff_vs_best"), "brier_diff_interval": s.get("brier_diff_interval"),
            "beats_best_baseline": s.get("beats_best_baseline")}


def _components_brier(g: pd.DataFrame, baselines) -> dict:
    """Brier score of the model, each class and each baseline on the rows where it has a value (n given)."""
    y = g["survived"].to_numpy(float)
    out = {}
    for c in ("model", *CLASSES, *baselines):
        if c not in g:
            continue
        p = g[c].to_numpy(float)
        ok = ~np.isnan(p)
        out[c] = {"n": int(ok.sum()), "brier": SC.brier(p[ok], y[ok]) if ok.any() else None}
    return out


def decide(splits: dict, rule: dict = RULE) -> dict:
    """Apply the issue's rule to the pooled scores (``splits``: split -> horizon -> pool -> scores)."""
    hk = f"{rule['horizon']:g}"
    if "later" in splits and hk in splits["later"]:
        on, s = "later origins (out of sample: weights from the development origins)", splits["later"][hk]["pooled"]
    elif "development" in splits and hk in splits["development"]:
        on, s = ("development origins, out of fold (later origins not scored)",
                 splits["development"][hk]["pooled_out_of_fold"])
    else:
        return {"headline": "classes", "decided_on": None, "passed": False,
                "reason": f"no {hk}-year pooled score to judge: the headline falls back to the pooled reference classes"}
    lo, hi = rule["slope_range"]
    sk, iv, sl = s.get("skill"), s.get("skill_interval") or [None, None], s.get("calibration_slope")
    checks = {"skill_above_zero": sk is not None and sk > rule["skill_above"],
              "interval_above_zero": iv[0] is not None and iv[0] > rule["skill_above"],
              "slope_in_range": sl is not None and lo <= sl <= hi}
    passed = all(checks.values())
    fmt = lambda v: "n/a" if v is None else f"{v:+.3f}"  # noqa: E731
    desc = (f"pooled {hk}-year Brier skill against the best baseline ({s.get('best_baseline')}) {fmt(sk)} "
            f"[{fmt(iv[0])}, {fmt(iv[1])}], calibration slope {'n/a' if sl is None else f'{sl:.2f}'}, on the {on}")
    reason = (f"{desc}: the rule (skill > 0 with its whole {rule['level']:.0%} interval above 0, slope in "
              f"[{lo}, {hi}]) is met, so the headline is the pooled forecast of the model and the reference classes"
              if passed else
              f"{desc}: the rule (skill > 0 with its whole {rule['level']:.0%} interval above 0, slope in [{lo}, {hi}]) "
              f"is NOT met (failed: {', '.join(CHECK_WORDS[k] for k, v in checks.items() if not v)}), so the "
              "headline falls back to the pooled reference classes")
    return {"headline": "pooled" if passed else "classes", "decided_on": on, "passed": passed, "checks": checks,
            "skill": sk, "skill_interval": list(iv), "calibration_slope": sl, "reason": reason, "rule": dict(rule)}


def pool_backtest(frame: pd.DataFrame, baselines, *, dev_end: int = 1990, include_later: bool = False,
                  n_boot: int = 200, level: float = 0.9, seed: int = 0, progress=None) -> dict:
    """Fit the pools on the development origins of a landmark frame (rows with a model forecast and a known
    outcome), score them (development: in-sample and out of fold; later: with the development weights, only when
    ``include_later``) and apply the decision rule. JSON-ready."""
    f = frame[frame["known"] & frame["model"].notna()]
    out = {"version": POOLING_VERSION, "method": "generalised logit pool, ML weights >= 0 with free intercept and "
           "missing-class terms, fitted on the development origins", "eps": EPS, "n_folds": N_FOLDS,
           "classes": dict(CLASS_LABELS), "case_class_of": dict(CASE_CLASS_OF), "dev_end": int(dev_end),
           "weights": {}, "splits": {}, "missing": {}}
    for h, g in f.groupby("horizon"):
        hk = f"{h:g}"
        dev = g[g["origin"] <= dev_end]
        out["missing"][hk] = {c: int(g[c].isna().sum()) for c in CLASSES}
        if len(dev) == 0 or dev["survived"].nunique() < 2:
            continue
        if progress:
            progress(f"pooling: fitting weights on {len(dev)} development rows, horizon {hk} years")
        try:
            ws = {p: fit_weights(dev, comps) for p, comps in POOLS.items()}
        except PactwatchError as exc:
            out.setdefault("errors", {})[hk] = str(exc)
            continue
        out["weights"][hk] = ws
        d = dev.copy()
        for p, comps in POOLS.items():
            d[p] = apply_weights(ws[p], d)
            d[f"{p}_out_of_fold"] = out_of_fold(dev, comps, seed=seed)
        sd = {"origins": [int(d["origin"].min()), int(d["origin"].max())], "components": _components_brier(d, baselines)}
        for col in ("pooled", "pooled_out_of_fold", "classes", "classes_out_of_fold"):
            sd[col] = _score(d, col, baselines, h, n_boot, level, seed)
        sd["pooled"]["note"] = "in sample: the weights were fitted on these rows (optimistic)"
        sd["classes"]["note"] = "in sample: the weights were fitted on these rows (optimistic)"
        out["splits"].setdefault("development", {})[hk] = sd
        lat = g[g["origin"] > dev_end]
        if include_later and len(lat):
            lt = lat.copy()
            for p in POOLS:
                lt[p] = apply_weights(ws[p], lt)
            out["splits"].setdefault("later", {})[hk] = {
                "origins": [int(lt["origin"].min()), int(lt["origin"].max())],
                "components": _components_brier(lt, baselines),
                **{p: _score(lt, p, baselines, h, n_boot, level, seed) for p in POOLS}}
    out["decision"] = decide(out["splits"])
    return out


def headline(pooling: dict | None, model: dict, classes: list[dict]) -> dict:
    """The case's headline from the stored back-test's pooling (weights and decision; never refitted here), the
    model's status-quo survival per horizon (``model``: {h: p}) and the case's classes (:func:`case_reference_classes`).
    Without a stored result the parts alone are returned, and the result says so."""
    parts = {"model": {f"{h:g}": v for h, v in model.items()}, "classes": classes}
    if not pooling or not pooling.get("weights"):
        return {"status": "no stored back-test", "rule": None, "headline": None, "probabilities": [], "parts": parts,
                "message": "No stored back-test holds pooling weights for this model and data: the pooled forecast "
                           "cannot be made; the model and the reference classes are shown side by side only."}
    dec = pooling.get("decision", {})
    which = dec.get("headline", "classes")
    probs = []
    for h in sorted(model):
        hk = f"{h:g}"
        ws = pooling["weights"].get(hk)
        if not ws:
            continue
        vals = {"model": model[h]}
        for c in classes:
            est = next((s["estimate"] for s in c["survival"] if abs(s["t"] - h) < 1e-9), None)
            vals[c["name"]] = est
        row = {"t": float(h), "values": vals}
        for p in POOLS:
            v = apply_weights(ws[p], {k: vals[k] for k in ws[p]["components"]})[0]
            row[p] = None if np.isnan(v) else float(v)
            row[f"{p}_weights"] = {"intercept": ws[p]["intercept"], **ws[p]["weights"],
                                   **{f"{k} missing": v for k, v in ws[p]["missing"].items()}}
        row["headline"] = row[which]
        probs.append(row)
    return {"status": "stored", "headline": which, "rule": dec.get("reason"), "decided_on": dec.get("decided_on"),
            "passed": dec.get("passed"), "probabilities": probs, "parts": parts,
            "message": ("headline = the pooled forecast of the model and the reference classes" if which == "pooled"
                        else "headline = the pooled reference classes (the model's pool failed the back-test rule)")}
