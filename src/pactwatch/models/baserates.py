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
        raise PactwatchError(f"by: unknown grouping(s) {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
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


def conditional_base_rates(frames: dict[str, pd.DataFrame], *, ages: Sequence[float] = (0, 2),
                           horizons: Sequence[float] = (5, 10), alpha: float = 0.10,
                           duration_col: str = "duration_years", event_col: str = "event_def") -> pd.DataFrame:
    """Age-conditional Kaplan–Meier base rates for reference classes (``frames``: name -> one row per alliance, e.g.
    :func:`pactwatch.panels.survival.reference_class_frames`).

    For an alliance that has lasted ``age`` years, the probability that it is still in effect ``h`` years later:
    S(age + h | age) = S(age + h) / S(age), estimated by a Kaplan–Meier curve over the alliances still in effect at
    ``age`` with time measured from ``age`` (lifelines ``KaplanMeierFitter``; its interval is the exponential (log−log)
    Greenwood interval at level 1 − ``alpha``). One row per (class, age, horizon): ``n`` (alliances in the class),
    ``n_at_risk`` (in effect at ``age``), ``events`` (ended within (age, age + h]), ``censored_within`` (left follow-up
    within it), ``survival``, ``lower``, ``upper``. NaN where no alliance was followed as far as age + h (never
    carried forward) or none was at risk. With no event in the window the Greenwood interval collapses to [1, 1]; the
    lower bound is then the exact binomial one, (alpha/2)^(1/m) for m alliances followed over the whole window
    (``interval`` says which)."""
    from lifelines import KaplanMeierFitter

    rows = []
    for name, f in frames.items():
        miss = [c for c in (duration_col, event_col) if c not in f.columns]
        if miss:
            raise PactwatchError(f"reference class {name!r}: columns {miss} missing")
        d = f[duration_col].to_numpy(float)
        e = f[event_col].to_numpy(int)
        for age in ages:
            risk = d > age
            t, ev = d[risk] - age, e[risk]
            for h in horizons:
                row = {"reference_class": name, "age": float(age), "horizon": float(h), "n": int(len(f)),
                       "n_at_risk": int(risk.sum()), "events": int(((t <= h) & (ev == 1)).sum()),
                       "censored_within": int(((t <= h) & (ev == 0)).sum()),
                       "survival": np.nan, "lower": np.nan, "upper": np.nan, "interval": ""}
                if risk.sum() and t.max() >= h:
                    km = KaplanMeierFitter(alpha=alpha).fit(t, ev)
                    row["survival"] = float(km.survival_function_at_times(h).iloc[0])
                    ci = km.confidence_interval_survival_function_
                    idx = ci.index.searchsorted(h, side="right") - 1
                    row["lower"], row["upper"] = (float(ci.iloc[idx, 0]), float(ci.iloc[idx, 1])) if idx >= 0 else (1.0, 1.0)
                    if row["events"] == 0:
                        # no event: Greenwood's interval collapses to [1, 1]; use the exact (Clopper–Pearson) bound
                        # for 0 events among the alliances followed over the whole horizon
                        n_full = row["n_at_risk"] - row["censored_within"]
                        row["lower"] = float((alpha / 2) ** (1 / n_full)) if n_full > 0 else 0.0
                        row["interval"] = "exact binomial (no events)"
                    else:
                        row["interval"] = "Greenwood (exponential)"
                rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update({"alpha": alpha, "estimator": "Kaplan-Meier over alliances in effect at the age, time from the age "
                      "(lifelines; exponential Greenwood interval)"})
    return out
