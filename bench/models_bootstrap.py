"""Benchmark: the main time-varying Cox model on the real ATOP alliance-years, 200 bootstrap refits in parallel, and the
latency of a forecast from the fitted model (target: well under 100 ms, fast enough for a web page).

    PACTWATCH_DATA_DIR=../shared/data .venv/bin/python bench/models_bootstrap.py [--n-boot 200] [--jobs 2] [--json]

Model ("main" specification)
    Cox PH on alliance-years (pactwatch ``alliance_years``): every ATOP 5.1 alliance formed 1816-2016, rows (age, age+1]
    up to 2016 (the last year of COW capabilities), event = the alliance ended (ATOP end date); alliances in effect at
    the end of 2016 are censored. Time-varying covariates: capability change since formation (max over members of
    |log CINC / CINC at entry|), regime change (a member's Polity2 moved 3+ points since entry), a member joined a new
    outside alliance, major-minor asymmetry, log number of members, members share a strategic rival; plus wartime
    formation. Rows with a missing covariate are dropped (count printed). SEs clustered by alliance, Efron ties.

Bootstrap
    ``--n-boot`` refits on samples of whole alliances drawn with replacement (a drawn alliance keeps all its years and
    gets a fresh id), spread over ``--jobs`` worker processes (concurrent.futures, fork). Prints the wall time, the
    bootstrap SEs beside the clustered sandwich SEs, and peak memory: maximum resident set size of this process and of
    the largest (joined) worker, from ``resource.getrusage`` (RUSAGE_SELF / RUSAGE_CHILDREN; Linux reports KiB).

Forecast latency
    From the fitted model, for one alliance: S(t | x) at ages 1..30 (``predict_survival``), the same with delta-method
    intervals, and survival along its observed covariate path conditional on its current age (``predict_survival_path``).
    Median and maximum over 200 calls.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd

TERMS = ["cap_change", "regime_change", "new_outside_alliance", "asymmetric", "log_members", "shared_rival", "wartime"]
LAST_YEAR = 2016

_DATA: pd.DataFrame | None = None  # set in each worker (inherited through fork, or by the initializer)


def main_data(src) -> tuple[pd.DataFrame, dict]:
    """The alliance-years of the main specification and a count of what was dropped."""
    from pactwatch.panels.alliances import alliance_years, alliances

    a = alliances(src)
    ay = alliance_years(src)
    ids = a.loc[a["begyr"].between(1816, LAST_YEAR), "atopid"]
    d = ay[ay["atopid"].isin(ids) & (ay["year"] <= LAST_YEAR)].copy()
    lr = np.log(d[["min_cinc_ratio", "max_cinc_ratio"]].astype(float))
    d["cap_change"] = lr.abs().max(axis=1, skipna=False)
    pc = d["max_abs_polity2_change"].astype(float)
    d["regime_change"] = (pc >= 3).astype(float).where(pc.notna())
    d["new_outside_alliance"] = d["any_new_outside_alliance"].astype(float)
    d["asymmetric"] = d["asymmetric"].astype(float)
    d["log_members"] = np.log(d["n_members"].astype(float))
    d["shared_rival"] = d["any_shared_rival"].astype(float)
    d["wartime"] = d["atopid"].map(a.set_index("atopid")["wartime"]).astype(float)
    d["start"] = (d["year"] - d["begyr"]).astype(float)
    d["stop"] = d["start"] + 1
    na = d[TERMS].isna().any(axis=1)
    info = {"alliance_years": int(len(d)), "alliances": int(d["atopid"].nunique()), "events": int(d["event"].sum()),
            "dropped_missing": int(na.sum()), "events_dropped": int(d.loc[na, "event"].sum())}
    d = d.loc[~na, ["atopid", "year", "start", "stop", "event", *TERMS]].reset_index(drop=True)
    return d, info


def fit(d: pd.DataFrame):
    from pactwatch.models import CoxTV

    return CoxTV().fit(d, event_col="event", covariates=TERMS, id_col="atopid", start_col="start", stop_col="stop")


def _init(d):
    global _DATA
    _DATA = d


def _boot(seed: int) -> np.ndarray | None:
    """One refit on alliances drawn with replacement; None if the refit fails (counted by the caller)."""
    d = _DATA
    rng = np.random.default_rng(seed)
    codes, ids = pd.factorize(d["atopid"])
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(ids) + 1))
    draw = rng.integers(0, len(ids), size=len(ids))
    rows = np.concatenate([order[bounds[k]:bounds[k + 1]] for k in draw])
    new_id = np.repeat(np.arange(len(draw)), bounds[draw + 1] - bounds[draw])
    s = d.iloc[rows].reset_index(drop=True)
    s["atopid"] = new_id
    try:
        return fit(s).params_.to_numpy()
    except Exception:  # a degenerate resample; counted
        return None


def _timeit(fn, reps=200):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return 1000 * float(np.median(ts)), 1000 * float(np.max(ts))


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-boot", type=int, default=200)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=20070401)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from pactwatch.data.source import default_source

    out: dict = {"cpu_count": os.cpu_count(), "n_boot": args.n_boot, "jobs": args.jobs}
    t0 = time.perf_counter()
    d, info = main_data(default_source())
    out["panel_build_s"] = time.perf_counter() - t0
    out["data"] = info | {"rows_used": int(len(d)), "alliances_used": int(d["atopid"].nunique()),
                          "events_used": int(d["event"].sum())}

    t0 = time.perf_counter()
    m = fit(d)
    out["fit_s"] = time.perf_counter() - t0
    s = m.summary

    seeds = np.random.SeedSequence(args.seed).generate_state(args.n_boot).tolist()
    _init(d)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.jobs, initializer=_init, initargs=(d,)) as ex:
        res = list(ex.map(_boot, seeds, chunksize=max(1, args.n_boot // (4 * args.jobs))))
    out["bootstrap_wall_s"] = time.perf_counter() - t0
    ok = [r for r in res if r is not None]
    out["bootstrap_failed"] = args.n_boot - len(ok)
    B = np.vstack(ok)
    out["coefficients"] = [{"term": t, "coef": float(s.loc[t, "coef"]), "se_clustered": float(s.loc[t, "se_robust"]),
                            "se_bootstrap": float(B[:, i].std(ddof=1))} for i, t in enumerate(TERMS)]
    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    ru_child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out["peak_rss_mib"] = {"main_process": ru_self / 1024, "largest_worker": ru_child / 1024}

    # forecast latency for one alliance: the one with the longest observed history, at its latest year
    longest = d["atopid"].value_counts().index[0]
    last = d[d["atopid"] == longest].sort_values("year").iloc[-1]
    x = pd.DataFrame([last[TERMS].astype(float)])
    times = np.arange(1, 31, dtype=float)
    hist = d[d["atopid"] == last["atopid"]].sort_values("start")
    path = hist[["start", "stop", *TERMS]]
    lat = {}
    for label, fn in [("predict_survival (1 alliance, 30 ages)", lambda: m.predict_survival(x, times)),
                      ("predict_survival_interval delta (1 alliance, 30 ages)",
                       lambda: m.predict_survival_interval(x, times, method="delta")),
                      (f"predict_survival_path ({len(path)} observed years)",
                       lambda: m.predict_survival_path(path, times[times > path['start'].min()]))]:
        med, mx = _timeit(fn)
        lat[label] = {"median_ms": med, "max_ms": mx, "ok_under_100ms": med < 100}
    out["forecast_latency"] = lat
    out["forecast_alliance"] = {"atopid": int(longest), "years": int(len(path))}

    if args.json:
        print(json.dumps(out, indent=2))
        return out
    dd = out["data"]
    print(f"data: {dd['alliance_years']} alliance-years, {dd['alliances']} alliances, {dd['events']} ends; dropped "
          f"{dd['dropped_missing']} rows with a missing covariate ({dd['events_dropped']} ends) -> "
          f"{dd['rows_used']} rows, {dd['alliances_used']} alliances, {dd['events_used']} ends")
    print(f"panel build: {out['panel_build_s']:.1f} s   main Cox fit (lifelines + clustered sandwich): "
          f"{out['fit_s']:.2f} s")
    print(f"bootstrap: {args.n_boot} refits on {args.jobs} worker processes ({out['cpu_count']} cores): "
          f"{out['bootstrap_wall_s']:.1f} s wall, {out['bootstrap_failed']} failed")
    print(f"peak RSS: main process {out['peak_rss_mib']['main_process']:.0f} MiB, largest worker "
          f"{out['peak_rss_mib']['largest_worker']:.0f} MiB")
    print(f"{'term':22s} {'coef':>8s} {'se clust':>9s} {'se boot':>9s}")
    for r in out["coefficients"]:
        print(f"{r['term']:22s} {r['coef']:8.3f} {r['se_clustered']:9.3f} {r['se_bootstrap']:9.3f}")
    print(f"forecast for atopid {int(longest)} ({len(path)} observed years):")
    for label, v in lat.items():
        print(f"{label:58s} median {v['median_ms']:7.2f} ms  max {v['max_ms']:7.2f} ms  "
              f"{'OK' if v['ok_under_100ms'] else 'TOO SLOW'} (< 100 ms)")
    return out


if __name__ == "__main__":
    main()
