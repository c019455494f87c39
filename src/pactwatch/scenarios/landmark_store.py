"""The stored landmark back-test and the forecast's ``validation`` made from it.

``pactwatch backtest`` runs :func:`pactwatch.scenarios.landmark.run_backtest` (7–16 minutes) and stores its JSON result
under ``paths.home()/backtest/<spec-hash>-<data-hash>.json`` (:func:`save_landmark`, atomic write): ``spec-hash`` is
the frozen specification's sha256 (covariates, event, origins, horizons, code version), ``data-hash`` one sha256 over
the data tables' checksums (:func:`.landmark.fingerprint_hash`). :func:`load_landmark` returns the stored result for a
specification and data, or None.

A forecast never runs the back-test (too slow): :func:`validation` looks up the result for the default specification
(:func:`.landmark.default_spec`, the forecast's event) and the forecast's data, and summarises it (:func:`summary`):
pooled skill against the best baseline on the development and the later origins with intervals, calibration slope,
how often the later origins were looked at, the subgroup table and the named Soviet/Russian cases as illustrations.
When none is stored it says so and how to compute it.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from pactwatch.errors import PactwatchError

from . import landmark as L

STORE_SCHEMA = "pactwatch.backtest-landmark/1"
COMMAND = "pactwatch backtest"
EXPECTED_MINUTES = [7, 16]  # with cached fits .. refitting every origin (2 cores)


def store_dir() -> Path:
    from pactwatch.paths import home

    return home() / "backtest"


def _data_hash(fingerprint) -> str:
    return fingerprint if isinstance(fingerprint, str) else L.fingerprint_hash(fingerprint)


def store_path(spec_hash: str, fingerprint) -> Path:
    """Where the result for ``spec_hash`` and the data ``fingerprint`` (the tables' checksums, or their hash) lives."""
    return store_dir() / f"{spec_hash}-{_data_hash(fingerprint)}.json"


def save_landmark(result: dict) -> Path:
    """Store a :func:`.landmark.run_backtest` result (atomic: written to a temporary file, then renamed)."""
    try:
        spec_hash, data_hash = result["spec"]["hash"], result["data"]["hash"]
    except (KeyError, TypeError):
        raise PactwatchError("back-test result: no spec hash or data hash to store it under (not a "
                             f"{STORE_SCHEMA} result)") from None
    p = store_path(spec_hash, data_hash)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(f".{p.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(result, allow_nan=False), encoding="utf-8")
        tmp.replace(p)
    except (OSError, ValueError) as exc:
        tmp.unlink(missing_ok=True)
        raise PactwatchError(f"{p}: cannot store the back-test result ({exc})") from None
    return p


def load_landmark(spec_hash: str, fingerprint) -> dict | None:
    """The stored back-test for ``spec_hash`` and the data ``fingerprint``, or None when none is stored. A stored file
    that cannot be read or is not such a result is an error naming the file (it is left in place)."""
    p = store_path(spec_hash, fingerprint)
    if not p.exists():
        return None
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PactwatchError(f"{p}: the stored back-test is unreadable ({exc}); run `{COMMAND}` again to replace "
                             "it") from None
    ok = (isinstance(d, dict) and d.get("schema") == STORE_SCHEMA and d.get("spec", {}).get("hash") == spec_hash
          and d.get("data", {}).get("hash") == _data_hash(fingerprint))
    if not ok:
        raise PactwatchError(f"{p}: not the stored back-test of specification {spec_hash[:16]} and data "
                             f"{_data_hash(fingerprint)[:16]}; run `{COMMAND}` again to replace it")
    return d


# ------------------------------------------------------------------------------------------------------ summary
def _skill(split: str, h: str, p: dict, origins, labels: dict) -> dict:
    if "methods" not in p or not p.get("best_baseline"):
        return {"split": split, "horizon": float(h), "origins": origins, "n": int(p.get("n", 0)),
                "n_alliances": int(p.get("n_alliances", 0)), "n_events": int(p.get("n_events", 0)),
                "beats_best_baseline": p.get("beats_best_baseline", "not scored"), "note": p.get("note")}
    b = p["best_baseline"]
    mi = p.get("model_intervals", {})
    m = p["methods"]["model"]
    return {"split": split, "horizon": float(h), "origins": origins, "n": p["n"], "n_alliances": p["n_alliances"],
            "n_events": p["n_events"], "model_brier": m["brier"], "best_baseline": b,
            "best_baseline_label": labels.get(b, b), "best_baseline_brier": p["methods"][b]["brier"],
            "brier_diff": p["brier_diff_vs_best"], "brier_diff_lower": p["brier_diff_interval"][0],
            "brier_diff_upper": p["brier_diff_interval"][1], "skill": p["brier_skill_vs_best"],
            "skill_lower": p["brier_skill_interval"][0], "skill_upper": p["brier_skill_interval"][1],
            "beats_best_baseline": p["beats_best_baseline"], "calibration_slope": m.get("slope"),
            "calibration_slope_lower": (mi.get("slope") or [None, None])[0],
            "calibration_slope_upper": (mi.get("slope") or [None, None])[1], "auc": m.get("auc"),
            "auc_lower": (mi.get("auc") or [None, None])[0], "auc_upper": (mi.get("auc") or [None, None])[1]}


def summary(res: dict, file=None) -> dict:
    """The forecast-sized summary of a stored back-test (the fields of :class:`.result.LandmarkSummary`)."""
    labels = res.get("baselines", L.BASELINE_LABELS)
    pooled, subs, sub_of = [], [], []
    for split, s in res["scores"]["splits"].items():
        for h, r in s["horizons"].items():
            pooled.append(_skill(split, h, r["pooled"], s.get("origins"), labels))
            for key, sg in r["subgroups"].items():
                subs.append(_skill(split, h, sg, s.get("origins"), labels))
                sub_of.append(key)
    named = res.get("named_cases")
    if named is None:  # a result stored before named cases were recorded: the first origin of each Soviet treaty
        seen, named = set(), []
        for r in res.get("soviet_bilateral", []):
            if r["atopid"] in L.NAMED_SOVIET and r["model"] is not None and (r["atopid"], r["horizon"]) not in seen:
                seen.add((r["atopid"], r["horizon"]))
                named.append(r)
    soviet = {r["atopid"] for r in res.get("soviet_bilateral", [])}
    ill = [{"atopid": r["atopid"], "name": r["name"], "formed": r["formed"], "origin": r["origin"],
            "horizon": r["horizon"], "age": r["age"], "model": r["model"],
            "baselines": {b: r[b] for b in L.BASELINES if r.get(b) is not None}, "survived": r["survived"],
            "subgroup": "soviet_bilateral_since_1945" if r["atopid"] in soviet else None}
           for r in named]
    lo = res.get("later_origins", {})
    spec = res["spec"]
    st = res.get("settings", {})
    return {"spec_hash": spec["hash"], "data_hash": res["data"]["hash"], "frozen_at": spec.get("frozen_at", ""),
            "event": spec["event"]["name"], "level": float(st.get("level", pooled[0].get("level", 0.9) if pooled else 0.9)),
            "n_boot": int(st.get("n_boot", 0)), "dev_end": int(spec["dev_end"]),
            "origins": {f"{float(h):g}": [min(v), max(v)] for h, v in spec["origins"].items() if v},
            "baselines": labels, "pooled": pooled, "subgroups": subs, "subgroup_labels": dict(L.SUBGROUPS),
            "subgroup_of": sub_of, "illustrations": ill, "illustrations_subgroup": "soviet_bilateral_since_1945",
            "later_scored": bool(lo.get("scored")), "later_looks_total": int(lo.get("times_scored_total", 0)),
            "later_looks_this_spec": int(lo.get("times_scored_this_spec", 0)),
            "counts": {k: int(v) for k, v in res["scores"]["counts"].items()}, "notes": list(res.get("notes", [])),
            "file": str(file) if file else "", "pooling": res.get("pooling"),
            "event_study": ({k: es[k] for k in ("pre_post", "level", "window", "note") if k in es}
                            if (es := res.get("event_study")) else None)}


def validation(event: str, fingerprint) -> dict:
    """The forecast's ``validation`` (the fields of :class:`.result.Validation`) for a forecast with ``event`` on the
    data ``fingerprint``: the stored back-test's summary, or what to run to compute it."""
    spec_hash = L.default_spec(event)["hash"]
    dh = _data_hash(fingerprint)
    base = {"command": COMMAND + ("" if event == "any-end" else f" --event {event}"),
            "expected_minutes": list(EXPECTED_MINUTES), "spec_hash": spec_hash, "data_hash": dh}
    try:
        res = load_landmark(spec_hash, dh)
    except PactwatchError as exc:
        return {**base, "status": "unreadable", "message": str(exc), "landmark": None}
    if res is None:
        return {**base, "status": "not computed", "landmark": None,
                "message": (f"No landmark back-test is stored for this model specification ({spec_hash[:16]}) and "
                            f"data ({dh[:16]}): its track record is unknown. Run `{base['command']}` (about "
                            f"{EXPECTED_MINUTES[0]}–{EXPECTED_MINUTES[1]} minutes) to compute and store it; later "
                            "forecasts and reports then quote it.")}
    p = store_path(spec_hash, dh)
    return {**base, "status": "stored", "landmark": summary(res, p),
            "message": f"Landmark back-test stored in {p} (specification frozen {res['spec'].get('frozen_at', '?')})."}
