"""The seam between the web app and the forecast engine (:mod:`pactwatch.scenarios`, issue 4).

The engine is imported lazily, on the first forecast request, so the app starts, and every other page works, without it.
When it is missing every forecast answers 503 (``ForecastUnavailable``) with a message saying so.

What the web app expects back (the pages draw whatever of it is present; the API passes the whole result through):

    {"case": "rus-prk-2024",
     "scenarios": [                                   # a list, or a mapping name -> scenario
        {"name": "war-ends",
         "curve": {"t": [0, 0.5, ...], "s": [1.0, ...], "lo": [...], "hi": [...]},   # survival and its band (years)
         "survival": {"1": 0.93, "3": ..., "5": ..., "10": ...},                  # optional point estimates
         "median_remaining": 7.5,                                                 # optional (years; None if beyond)
         "drivers": [{"name": "war", "contribution": -0.3}, ...]},                 # optional
        ...],
     "analogues": [{"atopid": ..., "members": ..., "duration_years": ..., "ended": ...}, ...],   # optional
     "base_rate": {...}}                                                           # optional

:func:`normalize` maps common spellings of these fields (``years``/``time``, ``survival``, ``lower``/``upper``, ...)
onto this shape for drawing; nothing is computed or invented here.
"""
from __future__ import annotations

import dataclasses
import inspect
from pathlib import Path
from typing import Any

from pactwatch.web.services import WebError, jsonable


class ForecastUnavailable(WebError):
    """The forecast engine is not installed (503)."""

    def __init__(self, detail: str):
        super().__init__(503, "Forecast engine not available", detail)


def _engine():
    import importlib

    try:
        engine = importlib.import_module("pactwatch.scenarios")
    except ImportError as exc:
        raise ForecastUnavailable("the forecast engine (pactwatch.scenarios) is not installed in this version "
                                  f"({exc}); case files are listed but cannot be forecast") from None
    fn = getattr(engine, "forecast", None)
    if fn is None:
        raise ForecastUnavailable("pactwatch.scenarios has no forecast() function")
    return engine, fn


def available() -> bool:
    """True if the forecast engine can be imported (nothing is run)."""
    try:
        _engine()
        return True
    except ForecastUnavailable:
        return False


def scenario_names(case: dict | None = None) -> list[str]:
    """Scenario names to offer in the picker: the engine's list when it has one, else the case file's own."""
    try:
        engine, _ = _engine()
    except ForecastUnavailable:
        engine = None
    for attr, args in (("scenario_names", ()), ("list_scenarios", ()), ("list_names", ("scenarios",))):
        fn = getattr(engine, attr, None)
        if callable(fn):
            try:
                names = [str(s) for s in fn(*args)]
            except Exception:  # noqa: BLE001 - the picker falls back to the case's list
                continue
            if names:
                return names
    for attr in ("SCENARIOS", "DEFAULT_SCENARIOS"):
        v = getattr(engine, attr, None)
        if v:
            return [str(s) for s in (v.keys() if isinstance(v, dict) else v)]
    return list((case or {}).get("scenarios") or [])


def _to_plain(res: Any) -> Any:
    if hasattr(res, "to_dict") and callable(res.to_dict):
        res = res.to_dict()
    elif dataclasses.is_dataclass(res) and not isinstance(res, type):
        res = dataclasses.asdict(res)
    return jsonable(res)


def case_forecast(name: str, scenarios: list[str] | None = None, cases_dir: Path | None = None) -> dict:
    """Forecast of case ``name`` (a validated case name, resolved inside ``cases_dir``) under ``scenarios`` (None: the
    engine's defaults), as plain JSON values. Raises ForecastUnavailable (503) when the engine is missing, WebError 404/422
    for an unknown case or a bad name, and WebError 422 with the engine's message when it rejects the case or a scenario.
    """
    from pactwatch.errors import PactwatchError
    from pactwatch.web.services import case_path, default_cases_dir

    path = case_path(cases_dir or default_cases_dir(), name)
    _, fn = _engine()
    params = inspect.signature(fn).parameters
    kwargs: dict[str, Any] = {}
    if scenarios:
        if "scenarios" in params:
            kwargs["scenarios"] = list(scenarios)
        elif "scenario" in params:
            kwargs["scenario"] = list(scenarios)
    try:
        res = fn(path, **kwargs)
    except WebError:
        raise
    except PactwatchError as exc:
        raise WebError(422, "Forecast failed", f"case {name!r}: {exc}") from None
    out = _to_plain(res)
    if isinstance(out, dict):
        out.setdefault("case", name)
    else:
        out = {"case": name, "result": out}
    return out


# --------------------------------------------------------------------------------------------------------------------
# shape for drawing
# --------------------------------------------------------------------------------------------------------------------

def _pick(d: dict, *keys):
    for k in keys:
        if isinstance(d, dict) and d.get(k) is not None:
            return d[k]
    return None


def _curve(sc: dict) -> dict | None:
    c = _pick(sc, "curve", "survival_curve", "curves")
    c = c if isinstance(c, dict) else sc
    t = _pick(c, "t", "years", "time", "times", "horizon_years")
    s = _pick(c, "s", "survival", "surv", "p", "median", "mean")
    if not (isinstance(t, list) and isinstance(s, list) and len(t) == len(s) and t):
        return None
    lo, hi = _pick(c, "lo", "lower", "low", "q05", "q025"), _pick(c, "hi", "upper", "high", "q95", "q975")
    ok = lambda v: isinstance(v, list) and len(v) == len(t)  # noqa: E731
    return {"t": t, "s": s, "lo": lo if ok(lo) else None, "hi": hi if ok(hi) else None}


def normalize(result: dict) -> dict:
    """Scenario list with ``name``, ``curve`` (or None), ``survival``, ``median_remaining``, ``drivers`` for the pages."""
    scs = result.get("scenarios") if isinstance(result, dict) else None
    if isinstance(scs, dict):
        scs = [{"name": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in scs.items()]
    out = []
    for sc in scs or []:
        if not isinstance(sc, dict):
            continue
        drivers = _pick(sc, "drivers", "contributions", "driver_contributions") or []
        if isinstance(drivers, dict):
            drivers = [{"name": k, "contribution": v} for k, v in drivers.items()]
        drivers = [{"name": str(_pick(d, "name", "driver", "covariate")),
                    "contribution": _pick(d, "contribution", "effect", "value", "log_hr")}
                   for d in drivers if isinstance(d, dict)]
        drivers = [d for d in drivers if isinstance(d["contribution"], (int, float))]
        out.append({"name": str(_pick(sc, "name", "scenario", "id") or "scenario"), "curve": _curve(sc),
                    "survival": _pick(sc, "survival_at", "survival_points", "probabilities") or
                    (sc.get("survival") if isinstance(sc.get("survival"), dict) else None),
                    "median_remaining": _pick(sc, "median_remaining", "median_remaining_years", "median"),
                    "drivers": drivers})
    analogues = result.get("analogues") if isinstance(result, dict) else None
    return {"scenarios": out, "analogues": analogues if isinstance(analogues, list) else []}
