"""Benchmark: the full rus-prk-2024 forecast (every default scenario, Monte Carlo included), wall time and peak memory.

Three timings, each in a fresh subprocess so peak RSS is per run:

- ``cold``: empty cache: builds the ATOP/COW panels, fits the time-varying Cox model, runs the forecast;
- ``warm``: panels and fit from the cache (paths.home()/cache/forecast), then the forecast — what a user sees the
  second time;
- ``backtest``: the four historical cases (a refit per case at its formation year).

    PACTWATCH_DATA_DIR=/work/shared/data .venv/bin/python bench/forecast_bench.py [--sims 1000] [--as-of 2026-11-26]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from pactwatch.data.source import DataSource
mode, sims, as_of = sys.argv[1], int(sys.argv[2]), sys.argv[3]
src = DataSource()
if mode == "backtest":
    from pactwatch.scenarios.backtest import backtest
    r = backtest(n_sims=min(sims, 1000), src=src).to_json()
    extra = {"brier": r["brier"]}
else:
    from pactwatch.scenarios.forecast import forecast_case
    r = forecast_case("rus-prk-2024", sims=sims, as_of=as_of, source=src).to_json()
    extra = {"scenarios": len(r["scenarios"]), "cache": r["model"]["cache"],
             "status_quo_5y": r["scenarios"][0]["survival"][2]["point"]}
wall = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"mode": mode, "wall_s": round(wall, 2), "peak_rss_mb": round(peak, 1), **extra}))
"""


def run(mode, sims, as_of, home):
    env = {**os.environ, "PACTWATCH_HOME": home}
    out = subprocess.run([sys.executable, "-c", CHILD, mode, str(sims), as_of], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--as-of", default="2026-11-26")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        t = time.perf_counter()
        rows = [run("cold", a.sims, a.as_of, home), run("warm", a.sims, a.as_of, home),
                run("backtest", a.sims, a.as_of, home)]
    for r in rows:
        print(json.dumps(r))
    print(f"total {time.perf_counter() - t:.1f} s; cpu count {os.cpu_count()}")


if __name__ == "__main__":
    main()
