"""The seam between the web app and the forecast engine (:mod:`pactwatch.scenarios`, issue 4).

The engine is imported lazily, on the first forecast request, so the app starts, and every other page works, without it.
When it is missing every forecast answers 503 (``ForecastUnavailable``) with a message saying so.

The engine's result (``schema`` "pactwatch.forecast/1", see :mod:`pactwatch.scenarios.forecast`) is passed through
the API unchanged. For the pages, :func:`normalize` picks out per scenario: ``curve`` {t, point, lower, upper} (survival
by years from the as-of date, with the Monte Carlo band), ``survival`` [{t, point, lower, upper}] at 1/3/5/10 years,
``median_remaining`` {point, lower, upper, beyond_horizon}, ``drivers`` [{label, delta_s5, log_hazard}]; and
``analogues.rows``, ``base_rate`` and ``notes``. Nothing is computed or invented here.
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
    import types

    try:
        engine = importlib.import_module("pactwatch.scenarios")
    except ImportError as exc:
        raise ForecastUnavailable("the forecast engine (pactwatch.scenarios) is not installed in this version "
                                  f"({exc}); case files are listed but cannot be forecast") from None
    fn = getattr(engine, "forecast", None)
    if fn is None or isinstance(fn, types.ModuleType):  # the function may live in pactwatch.scenarios.forecast
        try:
            fn = getattr(importlib.import_module("pactwatch.scenarios.forecast"), "forecast", None)
        except ImportError:
            fn = None
    if not callable(fn):
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
    import importlib

    for mod, attr, args in ((engine, "scenario_names", ()), (engine, "list_scenarios", ()),
                            ("pactwatch.scenarios.cases", "list_names", ("scenarios",))):
        if engine is None:
            break
        try:
            m = importlib.import_module(mod) if isinstance(mod, str) else mod
            fn = getattr(m, attr, None)
            names = [str(s) for s in fn(*args)] if callable(fn) else []
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
        msg = str(exc)
        raise WebError(422, "Forecast failed", msg if name in msg else f"case {name!r}: {msg}") from None
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
    c = _pick(sc, "curve", "survival_curve")
    c = c if isinstance(c, dict) else sc
    t = _pick(c, "t", "years", "time", "times")
    s = _pick(c, "point", "s", "survival", "surv")
    if not (isinstance(t, list) and isinstance(s, list) and len(t) == len(s) and t):
        return None
    lo, hi = _pick(c, "lower", "lo"), _pick(c, "upper", "hi")
    ok = lambda v: isinstance(v, list) and len(v) == len(t)  # noqa: E731
    return {"t": t, "s": s, "lo": lo if ok(lo) else None, "hi": hi if ok(hi) else None}


def _survival_rows(v) -> list[dict]:
    """[{t, point, lower, upper}] from the engine's list, or from a {t: p} mapping."""
    if isinstance(v, dict):
        return [{"t": k, "point": p, "lower": None, "upper": None} for k, p in v.items()]
    if isinstance(v, list):
        return [{"t": r.get("t"), "point": r.get("point", r.get("estimate")), "lower": r.get("lower"),
                 "upper": r.get("upper")} for r in v if isinstance(r, dict)]
    return []


def normalize(result: dict) -> dict:
    """What the pages draw (see the module docstring); missing parts come back empty, never made up."""
    scs = result.get("scenarios") if isinstance(result, dict) else None
    if isinstance(scs, dict):
        scs = [{"name": k, **(v if isinstance(v, dict) else {"value": v})} for k, v in scs.items()]
    out = []
    for sc in scs or []:
        if not isinstance(sc, dict):
            continue
        drivers = []
        for d in sc.get("drivers") or []:
            if not isinstance(d, dict):
                continue
            v = _pick(d, "delta_s5", "contribution")
            if isinstance(v, (int, float)):
                drivers.append({"name": str(_pick(d, "label", "name", "covariate")), "contribution": v,
                                "log_hazard": d.get("log_hazard"), "value_now": d.get("value_now"),
                                "reference": d.get("reference")})
        med = sc.get("median_remaining")
        if isinstance(med, (int, float)):
            med = {"point": med, "lower": None, "upper": None, "beyond_horizon": False}
        out.append({"name": str(_pick(sc, "name", "scenario", "id") or "scenario"),
                    "label": _pick(sc, "label") or _pick(sc, "name"), "description": sc.get("description"),
                    "curve": _curve(sc), "survival": _survival_rows(sc.get("survival")),
                    "median_remaining": med if isinstance(med, dict) else None, "drivers": drivers,
                    "timing_notes": sc.get("timing_notes") or []})
    an = result.get("analogues") if isinstance(result, dict) else None
    rows = an.get("rows") if isinstance(an, dict) else an
    br = result.get("base_rate") if isinstance(result, dict) else None
    return {"scenarios": out, "analogues": rows if isinstance(rows, list) else [],
            "analogue_info": an if isinstance(an, dict) else {},
            "base_rate": br if isinstance(br, dict) else None,
            "notes": [n for n in (result.get("notes") or []) if isinstance(n, str)] if isinstance(result, dict) else [],
            "meta": {k: result.get(k) for k in ("as_of", "horizon", "level", "n_sims", "runtime_seconds", "event")
                     if isinstance(result, dict)}}
