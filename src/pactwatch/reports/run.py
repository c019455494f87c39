"""Forecast → back-test → report, orchestrated once (used by ``pactwatch forecast --report`` and ``pactwatch main``).

:func:`forecast_and_report` forecasts the case (:func:`pactwatch.scenarios.forecast.forecast_case`), runs the back-test
over the historical cases with the same event definition, interval level and seed (at most
:data:`BACKTEST_MAX_SIMS` draws), attaches it to the result as ``validation`` and, when a path is given, writes the HTML
report from that one result.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pactwatch.scenarios.result import ForecastResult

#: The back-test's Monte Carlo draws are capped here (it runs one forecast per historical case).
BACKTEST_MAX_SIMS = 1000


@dataclass
class ForecastRun:
    result: ForecastResult
    report: Path | None = None


def backtest_for(result: ForecastResult, *, source=None, use_cache: bool = True, progress=None):
    """The back-test matching ``result`` (event, level, seed; draws capped at :data:`BACKTEST_MAX_SIMS`), or None when
    no case file is marked ``backtest: true``."""
    from pactwatch.scenarios import backtest as BT

    names = BT.backtest_cases()
    if not names:
        return None
    return BT.backtest(names, event=result.event.name, n_sims=min(result.n_sims, BACKTEST_MAX_SIMS),
                       level=result.level, seed=result.seed, src=source, use_cache=use_cache, progress=progress)


def forecast_and_report(case, scenarios: list[str] | None = None, *, as_of=None, source=None, sims: int = 1000,
                        seed: int = 0, horizon: float = 10.0, event: str = "any-end", level: float = 0.9,
                        k_analogues: int = 8, use_cache: bool = True, backtest: bool = True, report=None,
                        progress=None) -> ForecastRun:
    """Forecast ``case`` (arguments as :func:`~pactwatch.scenarios.forecast.forecast_case`), add the back-test as the
    result's ``validation`` (``backtest=True``) and write the report to ``report`` (a path; None: no report)."""
    from pactwatch.scenarios.forecast import forecast_case

    from .report import render_report

    res = forecast_case(case, scenarios, as_of=as_of, source=source, sims=sims, seed=seed, horizon=horizon,
                        event=event, level=level, k_analogues=k_analogues, use_cache=use_cache, progress=progress)
    if backtest:
        if progress:
            progress("back-test")
        res.validation = backtest_for(res, source=source, use_cache=use_cache, progress=progress)
    path = render_report(res, report) if report is not None else None
    return ForecastRun(result=res, report=path)
