"""A bounded load test of the web API on loopback: N concurrent clients for at most D seconds.

    .venv/bin/python bench/web_load.py [--concurrency 50] [--duration 60] [--target alliances|forecast|all]
                                       [--url http://127.0.0.1:8000] [--data-dir DIR] [--json]

Without ``--url`` the script starts ``python -m pactwatch.cli.serve`` on a free 127.0.0.1 port (one uvicorn process,
the default worker threads), waits for it and warms it (the ATOP tables are loaded by the first request: that load is
reported separately as ``warmup_s`` and is not part of the latencies), and stops it at the end.

Workloads (each client loops over its list until the time is up)
    alliances  GET /api/alliances with a mix of queries (member by code, abbreviation and name; year; obligation;
               paging) and GET /api/alliances/{atopid} for a spread of alliances.
    forecast   GET /api/cases/{case}/forecast for each scenario the engine offers (the first call per scenario computes
               the Monte Carlo forecast; later ones hit the app's cache). Skipped with a note when the engine is not
               installed.

Reported per workload: requests, errors (non-2xx or transport errors, by status), p50/p95/p99/max latency (ms) and
requests per second. Latency is measured on the client (httpx, HTTP/1.1 keep-alive), so it includes queueing in the
server: with 50 clients on 2 cores, p95 is dominated by waiting for a worker thread, not by the work of one request.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: str | None) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    env = dict(os.environ)
    if data_dir:
        env["PACTWATCH_DATA_DIR"] = data_dir
    proc = subprocess.Popen([sys.executable, "-m", "pactwatch.cli.serve", "--port", str(port), "--log-level", "warning"],
                            cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/api/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start within 60 s")


def alliance_requests() -> list[tuple[str, dict]]:
    q = [("/api/alliances", p) for p in (
        {"member": "365"}, {"member": "RUS", "year": 2010}, {"member": "korea"}, {"obligation": "defense", "year": 1950},
        {"year": 1914}, {"member": "2", "obligation": "defense"}, {"obligation": "consul", "limit": 10, "offset": 20},
        {"member": "france", "year": 1939}, {}, {"member": "710"})]
    q += [(f"/api/alliances/{a}", {}) for a in (1005, 1010, 2050, 3180, 3260, 3440, 3670, 3765, 4940, 5035)]
    return q


async def run(url: str, reqs: list[tuple[str, dict]], concurrency: int, duration: float) -> dict:
    lat: list[float] = []
    errors: dict[str, int] = {}
    stop = time.perf_counter() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        async def worker(k: int):
            i = k
            while time.perf_counter() < stop:
                path, params = reqs[i % len(reqs)]
                i += 1
                t0 = time.perf_counter()
                try:
                    r = await client.get(path, params=params)
                    ok = 200 <= r.status_code < 300
                    key = str(r.status_code)
                except httpx.HTTPError as exc:
                    ok, key = False, type(exc).__name__
                lat.append(time.perf_counter() - t0)
                if not ok:
                    errors[key] = errors.get(key, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker(k) for k in range(concurrency)))
        wall = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in lat)

    def pct(p):
        return round(ms[min(len(ms) - 1, int(p / 100 * len(ms)))], 1) if ms else None

    return {"requests": len(ms), "errors": sum(errors.values()), "errors_by_status": errors, "wall_s": round(wall, 1),
            "req_per_s": round(len(ms) / wall, 1) if wall else None, "p50_ms": pct(50), "p95_ms": pct(95),
            "p99_ms": pct(99), "max_ms": round(ms[-1], 1) if ms else None,
            "mean_ms": round(statistics.fmean(ms), 1) if ms else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="An already running server (default: start one)")
    ap.add_argument("--data-dir", default=os.environ.get("PACTWATCH_DATA_DIR"))
    ap.add_argument("--concurrency", type=int, default=50)
    ap.add_argument("--duration", type=float, default=60.0, help="Seconds per workload (at most)")
    ap.add_argument("--target", choices=["alliances", "forecast", "all"], default="all")
    ap.add_argument("--case", default="rus-prk-2024")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if not 1 <= a.concurrency <= 500 or not 0 < a.duration <= 600:
        raise SystemExit("--concurrency 1..500 and --duration up to 600 s")
    proc = None
    url = a.url
    if url is None:
        proc, url = start_server(a.data_dir)
    out: dict = {"url": url, "concurrency": a.concurrency, "duration_s": a.duration}
    try:
        t0 = time.perf_counter()
        httpx.get(f"{url}/api/alliances", params={"limit": 1}, timeout=300).raise_for_status()
        out["warmup_s"] = round(time.perf_counter() - t0, 2)
        if a.target in ("alliances", "all"):
            out["alliances"] = asyncio.run(run(url, alliance_requests(), a.concurrency, a.duration))
        if a.target in ("forecast", "all"):
            cases = httpx.get(f"{url}/api/cases", timeout=60).json()
            if not any(c["name"] == a.case for c in cases["cases"]):
                out["forecast"] = {"skipped": f"no case {a.case!r} in the cases folder"}
            else:
                from pactwatch.scenarios.cases import list_names

                names = list_names("scenarios") or [None]
                reqs = [(f"/api/cases/{a.case}/forecast", {"scenario": s} if s else {}) for s in names]
                t0 = time.perf_counter()
                first = httpx.get(url + reqs[0][0], params=reqs[0][1], timeout=600)
                out["forecast_first_call_s"] = round(time.perf_counter() - t0, 2)
                out["forecast_first_call_status"] = first.status_code
                out["forecast"] = asyncio.run(run(url, reqs, a.concurrency, a.duration))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    if a.json:
        print(json.dumps(out, indent=2))
        return
    print(f"{url}: {a.concurrency} concurrent clients, {a.duration:g} s per workload; warm-up {out['warmup_s']} s")
    if "forecast_first_call_s" in out:
        print(f"  forecast first call (computes; status {out['forecast_first_call_status']}): {out['forecast_first_call_s']} s; "
              "later calls per scenario are served from the app's cache")
    for k in ("alliances", "forecast"):
        r = out.get(k)
        if r is None:
            continue
        if "skipped" in r:
            print(f"  {k:9s} skipped: {r['skipped']}")
            continue
        print(f"  {k:9s} {r['requests']:6d} requests  {r['errors']} errors {r['errors_by_status'] or ''}  "
              f"{r['req_per_s']} req/s  p50 {r['p50_ms']} ms  p95 {r['p95_ms']} ms  p99 {r['p99_ms']} ms  max {r['max_ms']} ms")


if __name__ == "__main__":
    main()
