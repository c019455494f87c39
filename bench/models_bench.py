"""Microbenchmark: forecasting from an already fitted time-varying Cox model (target: well under 100 ms per subject).

Synthetic data shaped like ATOP alliance-years: 750 alliances followed yearly (integer ages, so many tied event
times), 6 covariates of which 2 vary over time. Prints fit time and the median / max of repeated predictions.

    .venv/bin/python bench/models_bench.py
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd

from pactwatch.models import CoxTV


def alliance_years(n=750, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        base = rng.normal(size=4)
        life = max(1, int(np.ceil(rng.exponential(25 * np.exp(-0.3 * base[0])))))
        cens = int(rng.integers(1, 120))
        end = min(life, cens)
        cap = 0.0
        for age in range(end):
            cap += rng.normal(scale=0.1)
            rows.append((i, age, age + 1, int(age + 1 == life and life <= cens), *base, cap, rng.binomial(1, 0.1)))
    return pd.DataFrame(rows, columns=["atopid", "start", "stop", "event", "x1", "x2", "x3", "x4", "capchange", "regime"])


def timeit(fn, reps=200):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1000 * np.median(ts), 1000 * np.max(ts)


def main():
    df = alliance_years()
    covs = ["x1", "x2", "x3", "x4", "capchange", "regime"]
    t0 = time.perf_counter()
    m = CoxTV().fit(df, event_col="event", id_col="atopid", start_col="start", stop_col="stop", covariates=covs)
    fit_s = time.perf_counter() - t0
    print(f"data: {len(df)} alliance-years, {df.atopid.nunique()} alliances, {int(df.event.sum())} ends")
    print(f"fit (lifelines + clustered sandwich): {fit_s:.2f} s")
    x = df[covs].iloc[[0]]
    times = np.arange(1, 31)
    path = pd.DataFrame({"start": np.arange(10, 30.0), "stop": np.arange(11, 31.0)})
    for c in covs:
        path[c] = float(x[c].iloc[0])
    path.loc[path.start >= 15, "capchange"] += 1.0  # a shock at age 15
    for label, fn in [
        ("predict_survival, 1 subject x 30 times", lambda: m.predict_survival(x, times)),
        ("predict_survival_interval(delta), 1 subject", lambda: m.predict_survival_interval(x, times, method="delta")),
        ("predict_survival_path, 20 segments", lambda: m.predict_survival_path(path, times[10:])),
    ]:
        med, mx = timeit(fn)
        print(f"{label:48s} median {med:7.2f} ms   max {mx:7.2f} ms   {'OK' if med < 100 else 'TOO SLOW'} (< 100 ms)")


if __name__ == "__main__":
    main()
