"""Benchmark: the landmark back-test (``pactwatch backtest``), wall time and peak memory.

Two timings, each in a fresh subprocess (peak RSS per run) with its own empty PACTWATCH_HOME:

- ``cold``: builds the panels, fits the model at every origin (cached per origin under paths.home()/cache/forecast),
  predicts and scores;
- ``warm``: the same again with panels and fits from the cache.

Only development origins are scored (``include_later=False``), so the benchmark never counts as a look at the later
origins. Defaults are a short run; ``--start 1950 --end 1990 --boot 200`` is the whole development back-test.

    PACTWATCH_DATA_DIR=/work/shared/data .venv/bin/python bench/backtest_bench.py [--start 1970] [--end 1975] [--boot 50]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pactwatch.data.source import DataSource
from pactwatch.scenarios.landmark import run_backtest
start, end, step, boot = (int(x) for x in sys.argv[1:5])
r = run_backtest(DataSource(), start=start, end=end, step=step, horizons=(5.0, 10.0), n_boot=boot,
                 dev_end=end, include_later=False)
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
p = r["scores"]["splits"]["development"]["horizons"]["5"]["pooled"]
print(json.dumps({"wall_s": round(wall, 1), "peak_rss_mb": round(peak, 1), "origins": [start, end, step],
                  "boot": boot, "fits": r["fit_info"]["fits"], "scored_5y": p["n"]}))
"""


def compare_workers(start: int, end: int, step: int) -> None:
    import time

    from pactwatch.data.source import DataSource
    from pactwatch.news.engine import Engine, client_for, run_tasks
    from pactwatch.scenarios import landmark as L
    from pactwatch.scenarios.training import build_data

    data, _ = build_data(DataSource(), use_cache=True)
    origins = {5.0: list(range(start, end + 1, step)), 10.0: list(range(start, end + 1, step))}
    tasks = [(T, [5.0, 10.0], "any-end", False, True) for T in origins[5.0]]
    print(json.dumps({"load_average_before": os.getloadavg(), "origins": [start, end, step], "tasks": len(tasks)}))
    t0 = time.perf_counter()
    ref, _ = L.landmark_frame(data, origins, use_cache=False)
    walls = {"inprocess": time.perf_counter() - t0}
    print(json.dumps({"engine": "inprocess", "wall_s": round(walls["inprocess"], 2)}))
    for n in (1, 2):
        eng = Engine("dask", workers=n)
        t0 = time.perf_counter()
        with client_for(eng) as client:
            client.wait_for_workers(n)
            client.run(lambda: __import__("pactwatch.scenarios.landmark"))  # imports, as a real run pays once a worker
            cpu0 = client.run(time.process_time)
            t1 = time.perf_counter()
            lead = client.scatter([data], broadcast=True, hash=False)
            t2 = time.perf_counter()
            futs = [client.submit(L.origin_rows, *lead, *a, pure=False) for a in tasks]
            res = client.gather(futs)
            t3 = time.perf_counter()
            per_worker = {w: len(v) for w, v in client.has_what().items()}  # data + results held per worker
            cpu = client.run(time.process_time)
            cpu = [round(cpu[w] - cpu0[w], 1) for w in cpu]
        frame = __import__("pandas").concat([d for r in res for d in r["rows"]], ignore_index=True)
        same = frame.equals(ref)
        walls[n] = t3 - t1
        print(json.dumps({"engine": f"dask-{n}", "cluster_start_s": round(t1 - t0, 2), "scatter_s": round(t2 - t1, 3),
                          "tasks_s": round(t3 - t2, 2), "wall_without_start_s": round(t3 - t1, 2),
                          "wall_with_start_s": round(time.perf_counter() - t0, 2), "frame_equals_inprocess": same,
                          "keys_held_per_worker": list(per_worker.values()), "cpu_s_per_worker": cpu}))
    print(json.dumps({"ratio_2_vs_1_workers": round(walls[1] / walls[2], 2),
                      "ratio_2_workers_vs_inprocess": round(walls["inprocess"] / walls[2], 2),
                      "load_average_after": os.getloadavg()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=1970)
    ap.add_argument("--end", type=int, default=1975)
    ap.add_argument("--step", type=int, default=1)
    ap.add_argument("--boot", type=int, default=50)
    ap.add_argument("--workers-compare", action="store_true", help="1 vs 2 Dask workers on the per-origin work")
    a = ap.parse_args()
    if a.workers_compare:
        with tempfile.TemporaryDirectory() as home:
            os.environ["PACTWATCH_HOME"] = home
            compare_workers(a.start, a.end, a.step)
        return
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PACTWATCH_HOME": home}
        for mode in ("cold", "warm"):
            out = subprocess.run([sys.executable, "-c", CHILD, str(a.start), str(a.end), str(a.step), str(a.boot)],
                                 env=env, capture_output=True, text=True)
            if out.returncode != 0:
                sys.stderr.write(out.stderr)
                raise SystemExit(f"{mode} run failed")
            res = json.loads(out.stdout.strip().splitlines()[-1])
            print(json.dumps({"mode": mode, **res}))


if __name__ == "__main__":
    main()
