"""Benchmark: the main job end to end and the HTML report alone, wall time and peak memory.

- ``main cold``: ``pactwatch main`` in a fresh PACTWATCH_HOME: builds the DuckDB store, the panels, fits the model,
  forecasts rus-prk-2024 under every default scenario (Monte Carlo), runs the back-test, writes the report;
- ``main warm``: the same again (store up to date, panels and fit from the cache);
- ``report``: render_report alone on that forecast (two matplotlib charts, Jinja2), best of 3, and the file's size.

Each ``main`` run is a subprocess; its peak RSS is ru_maxrss of the child.

    PACTWATCH_DATA_DIR=/work/shared/data .venv/bin/python bench/report_bench.py [--sims 1000] [--as-of 2026-11-26]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACTWATCH = str(Path(sys.executable).with_name("pactwatch"))
WRAP = ("import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
        "print('peak_rss_kb', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(rc)")


def run_main(home: str, sims: int, as_of: str) -> dict:
    env = {**os.environ, "PACTWATCH_HOME": home}
    t = time.perf_counter()
    # a fresh wrapper process per run, so the child's peak RSS is this run's alone
    out = subprocess.run([sys.executable, "-c", WRAP, PACTWATCH, "main", "--json", "--sims", str(sims), "--as-of", as_of],
                         env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if out.returncode != 0:
        raise SystemExit(out.stderr)
    peak = int(out.stderr.strip().splitlines()[-1].split()[-1])
    res = json.loads(out.stdout)
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak / 1024, 1),
            "build": res["build"], "report": res["report"], "report_kb": round(Path(res["report"]).stat().st_size / 1024),
            "_res": res}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sims", type=int, default=1000)
    ap.add_argument("--as-of", default="2026-11-26")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as home:
        cold = run_main(home, a.sims, a.as_of)
        warm = run_main(home, a.sims, a.as_of)
        from pactwatch.reports import render_report

        res = cold.pop("_res")
        warm.pop("_res")
        times = []
        for _ in range(3):
            t = time.perf_counter()
            render_report(res["forecast"], Path(home) / "r.html", backtest=res["backtest"])
            times.append(time.perf_counter() - t)
        print(json.dumps({"mode": "main cold", **cold}))
        print(json.dumps({"mode": "main warm", **warm}))
        print(json.dumps({"mode": "report", "wall_s": round(min(times), 2),
                          "report_kb": round((Path(home) / "r.html").stat().st_size / 1024)}))
    print(f"sims {a.sims}; cpu count {os.cpu_count()}")


if __name__ == "__main__":
    main()
