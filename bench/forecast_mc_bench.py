"""Benchmark: the forecast's Monte Carlo (`pactwatch forecast CASE --sims N`) in-process and on a Dask local cluster
of 1 and 2 workers.

The data and the fitted model are built once (through the caches under $PACTWATCH_HOME) and shared by every run;
each cluster is started and warmed (pactwatch's engine imported on every worker) before timing. For each engine:
the wall time of ``forecast_case`` and, inside it, of the distributable arithmetic (``baseline_draws`` for the
Breslow baseline of every draw, ``survival_draws`` for every scenario's survival curves), the tasks, and whether every
number equals the in-process result. Also the scheduler's overhead per task (``--noop`` empty tasks on the 2-worker
cluster) and the load average before and after (the machine may be shared: ratios are then lower bounds).

    PACTWATCH_DATA_DIR=... .venv/bin/python bench/forecast_mc_bench.py [--sims 20000] [--case rus-prk-2024]
"""
from __future__ import annotations

import argparse
import json
import os
import time


def warm() -> int:
    import pactwatch.scenarios.engine  # noqa: F401

    return os.getpid()


def noop(i):
    return i


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sims", type=int, default=20000)
    ap.add_argument("--case", default="rus-prk-2024")
    ap.add_argument("--as-of", default="2026-11-26")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--noop", type=int, default=2000, help="empty tasks for the scheduler overhead")
    args = ap.parse_args()

    import distributed

    from pactwatch.news import engine as NE
    from pactwatch.scenarios import forecast as F
    from pactwatch.scenarios.result import as_json

    load0 = os.getloadavg()
    ctx = F.context()
    timers = {"baseline_draws": 0.0, "survival_draws": 0.0}
    tasks = {"n": 0}
    for name in timers:
        real = getattr(F, name)

        def timed(*a, _real=real, _name=name, **k):
            t0 = time.perf_counter()
            try:
                return _real(*a, **k)
            finally:
                timers[_name] += time.perf_counter() - t0

        setattr(F, name, timed)
    real_run = NE.run_tasks

    def counted(fn, args, engine=None, **k):
        args = list(args)
        tasks["n"] += len(args)
        return real_run(fn, args, engine, **k)

    NE.run_tasks = counted

    def run(engine=None) -> tuple[dict, dict]:
        for k in timers:
            timers[k] = 0.0
        tasks["n"] = 0
        t0, c0 = time.perf_counter(), time.process_time()
        res = F.forecast_case(args.case, as_of=args.as_of, sims=args.sims, seed=args.seed, ctx=ctx, engine=engine)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        mc = sum(timers.values())
        out = as_json(res)
        out.pop("runtime_seconds")
        return out, {"wall_s": round(wall, 2), "driver_cpu_s": round(cpu, 2), "mc_arithmetic_s": round(mc, 2),
                     "baseline_s": round(timers["baseline_draws"], 2), "survival_s": round(timers["survival_draws"], 2),
                     "tasks": tasks["n"]}

    run()  # warm: imports, caches
    ref, r = run()
    result = {"sims": args.sims, "scenarios": len(ref["scenarios"]), "cpu_count": os.cpu_count(),
              "loadavg_before": [round(x, 2) for x in load0], "runs": {"inprocess": r}}
    for n in (1, 2):
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            client.run(warm)
            eng = NE.make_engine("dask", scheduler=cluster.scheduler_address)
            with NE.session(eng) as mc:
                run(mc)  # warm: the workers' first tasks (imports, the shared arrays' first transfer)
                out, r = run(mc)
            r["identical_to_inprocess"] = out == ref
            if n == 2:
                t0 = time.perf_counter()
                client.gather(client.map(noop, range(args.noop), pure=False))
                r["noop_ms_per_task"] = round(1000 * (time.perf_counter() - t0) / args.noop, 3)
            result["runs"][f"dask-{n}"] = r
    R = result["runs"]
    result["wall_ratio_1_over_2_workers"] = round(R["dask-1"]["wall_s"] / R["dask-2"]["wall_s"], 2)
    result["mc_ratio_1_over_2_workers"] = round(R["dask-1"]["mc_arithmetic_s"] / R["dask-2"]["mc_arithmetic_s"], 2)
    result["mc_ratio_inprocess_over_2_workers"] = round(R["inprocess"]["mc_arithmetic_s"] / R["dask-2"]["mc_arithmetic_s"], 2)
    result["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
