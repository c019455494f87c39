"""Kaplan–Meier base rates: how long ATOP alliances like this one have lasted.

Unit: the alliance (ATOP 5.1, 789 alliances), from its begin date to its end or to the censoring date 31 Dec 2018.
Groups are defined at formation (phase-1 obligations, so later renegotiations do not leak in):

- ``obligation``: defense > offense > neutrality/non-aggression > consultation only (the strongest obligation);
- ``size``: bilateral or multilateral at formation;
- ``era``: formed 1815–1913, 1914–1945, 1946–1989, 1990–2018;
- ``wartime``: formed during a war its members fought (ATOP ``wartime``) or not;
- ``asymmetric``: major–minor (one COW major power and one or more minor ones) or not.

Each row: alliances, events, KM median with its log-log Greenwood interval where the curve crosses 0.5, and S(t) with
intervals at the requested times. A time past a group's last follow-up is NaN (unknown), never carried forward.
The event definition is explicit (``pactwatch.models.specs``: any-end, atop, death, violation, ...).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError

from .km import KaplanMeier
from .specs import event_definition, event_indicator, obligation_type

ERAS = ((1815, 1913, "1815–1913"), (1914, 1945, "1914–1945"), (1946, 1989, "1946–1989"), (1990, 2018, "1990–2018"))


def _era(begyr: pd.Series) -> pd.Series:
    out = pd.Series(pd.NA, index=begyr.index, dtype="object")
    for lo, hi, label in ERAS:
        out[(begyr >= lo) & (begyr <= hi)] = label
    return out


GROUPINGS = {
    "obligation": lambda a: obligation_type(a),
    "size": lambda a: pd.Series(np.where(a["bilateral"] == 1, "bilateral", "multilateral"), index=a.index)
    .where(a["bilateral"].notna()),
    "era": lambda a: _era(a["begyr"]),
    "wartime": lambda a: a["wartime"].map({1: "formed in wartime", 0: "formed in peacetime"}),
    "asymmetric": lambda a: a["asymmetric"].map({1: "major–minor", 0: "not major–minor"}),
}


def base_rates(alliances: pd.DataFrame, by: Sequence[str] = (), *, event: str = "any-end",
               times: Sequence[float] = (5, 10, 20), alpha: float = 0.05) -> pd.DataFrame:
    """One row per group (all alliances when ``by`` is empty). ``alliances`` is ``EvaluationData.alliances`` (from
    :func:`pactwatch.models.evaluation.load_data`): one row per alliance with outcome, cause and formation covariates.

    Alliances whose grouping value is unknown are counted in ``attrs['unclassified']`` and left out of the groups."""
    unknown = [b for b in by if b not in GROUPINGS]
    if unknown:
        raise PactwatchError(f"--by: unknown grouping(s) {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
    event_definition(event)
    a = alliances.copy()
    a["_event"] = event_indicator(a, event)
    keys = []
    for b in by:
        a[b] = GROUPINGS[b](a)
        keys.append(b)
    unclassified = int(a[keys].isna().any(axis=1).sum()) if keys else 0
    a = a.dropna(subset=keys) if keys else a
    times = np.asarray(times, float)
    rows = []
    groups = a.groupby(keys, sort=True) if keys else [((), a)]
    for key, sub in groups:
        key = key if isinstance(key, tuple) else (key,)
        km = KaplanMeier().fit(sub, "duration_years", "_event")
        ci = km.predict_survival_interval(None, times, alpha=alpha, method="delta")
        row = {**dict(zip(keys, key)), "alliances": int(len(sub)), "events": int(sub["_event"].sum()),
               "median_years": km.median_survival()}
        # interval for the median: where the lower/upper bands cross 0.5 on a fine grid
        grid = np.linspace(0, float(sub["duration_years"].max()), 2001)
        band = km.predict_survival_interval(None, grid, alpha=alpha, method="delta")
        lo_cross = grid[np.argmax(band["lower"].iloc[:, 0].to_numpy() <= 0.5)] if (band["lower"].iloc[:, 0] <= 0.5).any() else np.nan
        hi_cross = grid[np.argmax(band["upper"].iloc[:, 0].to_numpy() <= 0.5)] if (band["upper"].iloc[:, 0] <= 0.5).any() else np.nan
        row["median_lower"], row["median_upper"] = float(lo_cross), float(hi_cross)
        for j, t in enumerate(times):
            lab = f"S{t:g}"
            row[lab] = float(ci["estimate"].iloc[j, 0])
            row[f"{lab}_lower"] = float(ci["lower"].iloc[j, 0])
            row[f"{lab}_upper"] = float(ci["upper"].iloc[j, 0])
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update({"event": event, "unclassified": unclassified, "alpha": alpha,
                      "unit": "ATOP 5.1 alliances, begin date to end or 31 Dec 2018 (censored)"})
    return out
