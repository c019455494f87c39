"""Back-test: forecast each historical case as of its formation, with only the data up to then, against what happened.

For a case formed in year Y (its ATOP begin date): the model is refitted on alliances formed up to Y with follow-up
censored at 31 Dec Y and alliance-years <= Y (``evaluation.split_at``'s truncation), leaving the case itself out; the
case's member states are those of year Y; the forecast is the status-quo path from age 0 (covariates held at their
formation-year values; the status quo's only shock, the yearly chance that a war a member fights ends, changes nothing
for a case with no member at war). Predicted survival at 5 and 10 years is set against the outcome in ATOP 5.1
under the same event definition (1 = still in effect t years after formation). The Brier score is the mean of
(predicted − outcome)^2 over the cases whose status at t is known; the Kaplan–Meier base rate of similar alliances
(same data window) is scored beside it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError
from pactwatch.models.base import jsonable
from pactwatch.models.specs import event_indicator

from .cases import list_names, load_case, load_scenarios, resolve
from .forecast import base_rate, context, run_scenarios
from .result import BACKTEST_SCHEMA, Backtest


def backtest_cases() -> list[str]:
    return [n for n in list_names("cases") if load_case(n).backtest]


def backtest(cases: list[str] | None = None, *, event: str = "any-end", n_sims: int = 400, level: float = 0.9,
             seed: int = 0, src=None, data=None, use_cache: bool = True, progress=None, times=(5.0, 10.0)) -> Backtest:
    """Forecast each back-test case (default: every case file with ``backtest: true``) from its formation with the
    data up to then, and score it (see the module docstring). Returns a :class:`.result.Backtest`."""
    from .training import build_data, path_inputs

    names = list(cases) if cases else backtest_cases()
    if not names:
        raise PactwatchError("no back-test cases (case files with 'backtest: true')")
    if data is None:
        data, _ = build_data(src, use_cache=use_cache, progress=progress)
    scen = load_scenarios()
    if "status-quo" not in scen:
        raise PactwatchError("the back-test needs the 'status-quo' scenario file")
    al = data.eval.alliances.copy()
    al["ev"] = event_indicator(al, event)
    rows = []
    for name in names:
        c = load_case(name)
        if c.kind != "atop":
            raise PactwatchError(f"back-test case {name!r} must be an ATOP case (its outcome comes from ATOP)")
        a = al[al["atopid"] == c.atopid].iloc[0]
        Y = int(a["begyr"])
        ctx = context(event=event, cutoff=Y, exclude=[int(c.atopid)], use_cache=use_cache, data=data)
        fm = ctx.model
        if fm.info["train_years"][1] > Y:
            raise PactwatchError(f"internal: back-test training for {name} reaches {fm.info['train_years'][1]} > {Y}")
        begin = pd.Timestamp(a["begin"])
        rc = resolve(c, data, begin)
        res, _ = run_scenarios(rc, fm, scen, ["status-quo"], as_of=begin, horizon=max(times), n_sims=n_sims,
                               level=level, seed=seed, times=times,
                               path_inputs=path_inputs(data, rc, begin, fm.covariates))
        br = base_rate(data, rc, 0.0, list(times), event, level, before_year=Y)
        dur, ev = float(a["duration_years"]), int(a["ev"])
        rec = {"case": name, "atopid": int(c.atopid), "name": c.name, "formed": str(begin.date()), "cutoff": Y,
               "train_years": fm.info["train_years"], "train_alliances": fm.info["n_alliances"],
               "train_events": fm.info["n_events"], "duration_years": dur, "ended": bool(a["event"] == 1),
               "event": ev, "how_ended": c.outcome.how if c.outcome else None, "by_t": []}
        for k, t in enumerate(times):
            known = ev == 1 or dur >= t
            actual = (1.0 if dur >= t or ev == 0 else 0.0) if known else None
            s = res[0]["survival"][k]
            b = br["survival"][k]["estimate"]
            rec["by_t"].append({"t": t, "predicted": s["point"], "lower": s["lower"], "upper": s["upper"],
                                "base_rate": b, "actual_survived": actual})
        rec["base_rate_filters"] = br["filters"]
        rows.append(rec)
        if progress:
            progress(name)
    brier = []
    for k, t in enumerate(times):
        pr = [(r["by_t"][k]["predicted"], r["by_t"][k]["base_rate"], r["by_t"][k]["actual_survived"]) for r in rows
              if r["by_t"][k]["actual_survived"] is not None]
        n = len(pr)
        model = float(np.mean([(p - y) ** 2 for p, _, y in pr])) if n else None
        kmp = [(b - y) ** 2 for _, b, y in pr if b is not None]
        brier.append({"t": t, "n_cases": n, "model": model, "base_rate": float(np.mean(kmp)) if kmp else None})
    return Backtest.model_validate(jsonable({"schema": BACKTEST_SCHEMA, "event": event, "level": level, "n_sims": n_sims, "cases": rows,
                     "brier": brier,
                     "note": "Each case is forecast from its formation date with a model fitted only on alliances formed "
                             "up to that year and follow-up censored at its end; status-quo path (no later shocks but the status quo's yearly chance that a member's war ends). "
                             "Four cases make a very noisy score: read it as a sanity check, not a validation."}))
