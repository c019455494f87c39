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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=int, default=1970)
    ap.add_argument("--end", type=int, default=1975)
    ap.add_argument("--step", type=int, default=1)
    ap.add_argument("--boot", type=int, default=50)
    a = ap.parse_args()
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
