"""Scenario forecasts of an alliance's survival.

The API is one function, :func:`pactwatch.scenarios.forecast.forecast_case` (case, scenarios, as_of, source, sims,
seed, horizon, ...) returning a :class:`pactwatch.scenarios.result.ForecastResult` (one JSON form, JSON Schema in
``docs/forecast.schema.json``). Both names are available here; they load on first use, so importing the package stays
cheap.
"""
from __future__ import annotations

__all__ = ["forecast_case", "ForecastResult", "Backtest"]


def __getattr__(name: str):
    if name == "forecast_case":
        from .forecast import forecast_case

        return forecast_case
    if name in ("ForecastResult", "Backtest"):
        from . import result

        return getattr(result, name)
    raise AttributeError(f"module 'pactwatch.scenarios' has no attribute {name!r}")
