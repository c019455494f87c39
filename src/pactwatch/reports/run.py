"""Forecast → validation → report, orchestrated once (used by ``pactwatch forecast --report`` and ``pactwatch main``).

:func:`forecast_and_report` forecasts the case (:func:`pactwatch.scenarios.forecast.forecast_case`, whose
``validation`` is the stored landmark back-test's summary, or how to compute it — the back-test itself, 7–16 minutes,
is run by ``pactwatch backtest``, never here) and, when a path is given, writes the HTML report from that one result.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pactwatch.scenarios.result import ForecastResult

#: The draws of ``pactwatch forecast --backtest`` (the historical cases, one forecast each) are capped here.
BACKTEST_MAX_SIMS = 1000


@dataclass
class ForecastRun:
    result: ForecastResult
    report: Path | None = None
    news: object = None  # the NewsSummary shown in the report (with the proposals' effects), when news was given


def forecast_and_report(case, scenarios: list[str] | None = None, *, as_of=None, source=None, sims: int = 1000,
                        seed: int = 0, horizon: float = 10.0, event: str = "any-end", level: float = 0.9,
                        k_analogues: int = 8, use_cache: bool = True, report=None,
                        progress=None, news=None, competing: bool = True, engine=None) -> ForecastRun:
    """Forecast ``case`` (arguments as :func:`~pactwatch.scenarios.forecast.forecast_case`) and write the report to
    ``report`` (a path; None: no report). The result's ``validation`` is always the stored back-test's summary (a
    file read, no computation). ``news``: what the news
    says (a :class:`pactwatch.monitor.summary.NewsSummary` or what ``run_monitor`` returned): each update it proposes
    is forecast once more on the status quo with the case changed in memory (:func:`.news.with_effects`), and the
    report shows it all; None: the report says no news was read. ``engine``: where the Monte Carlo arithmetic runs
    (as in ``forecast_case``; the news effects run in-process)."""
    from pactwatch.scenarios.forecast import forecast_case

    from .news import as_summary, with_effects
    from .report import render_report

    res = forecast_case(case, scenarios, as_of=as_of, source=source, sims=sims, seed=seed, horizon=horizon,
                        event=event, level=level, k_analogues=k_analogues, use_cache=use_cache, progress=progress,
                        competing=competing, engine=engine)
    summary = as_summary(news)
    if summary is not None and report is not None:
        summary = with_effects(summary, res, source=source, use_cache=use_cache)
    path = render_report(res, report, news=summary) if report is not None else None
    return ForecastRun(result=res, report=path, news=summary)


def current_validation(result) -> dict:
    """The validation ``result`` would get now (the stored landmark back-test may have been computed since the
    forecast was made and cached): looked up again for its event and data; JSON form."""
    from pactwatch.scenarios.landmark_store import validation
    from pactwatch.scenarios.result import as_json

    r = as_json(result)
    return validation(r["event"]["name"], r["model"]["data"])
