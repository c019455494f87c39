"""Benchmark: event coding of a partitioned corpus in-process and on a Dask local cluster of 1 and 2 workers.

Builds a corpus of synthetic articles of 25 sentences each from the gold sentences in $PACTWATCH_EVENTS_DIR/gold (read
at run time, shuffled per article with a fixed seed so every article is a distinct text; nothing is copied into the
repository), at least ``--sentences`` sentences in ``--partitions`` article files, then codes it:

- ``inprocess``: :func:`pactwatch.events.corpus.code_corpus` in this process (pipeline loaded before timing);
- ``dask-1`` / ``dask-2``: the same on ``LocalCluster(n_workers=N, threads_per_worker=1, processes=True)``, each
  worker's pipeline loaded before timing (its load time is reported apart).

Reports sentences/s, the 2-over-1 ratio and scaling efficiency (ratio / 2), resident memory per worker after coding,
the scheduler's overhead per task (wall time of ``--noop`` empty tasks on the 2-worker cluster, per task; and, for
the coding run, wall x workers minus the tasks' own coding time, per task), and the load average before and after
(the machine may be shared: other processes take cores from the workers, so ratios are lower bounds). The tasks'
own CPU time (``sent_per_cpu_s``, ``cpu_share_of_task_wall``: CPU time over wall time inside the tasks, 1.0 = the
worker had its core to itself) separates the coder's cost from the cores other processes took.

    PACTWATCH_EVENTS_DIR=/work/shared/events .venv/bin/python bench/scale_bench.py [--sentences 5000] [--partitions 40]
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from pathlib import Path


def gold_sentences(events_dir: Path) -> list[str]:
    out = []
    for f in sorted((events_dir / "gold").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                t = json.loads(line).get("text") or ""
                if len(t) > 20:
                    out.append(" ".join(t.split()))
    return out


def build_corpus(root: Path, sentences: list[str], n_sent: int, n_parts: int, per_article: int = 25) -> dict:
    from pactwatch.news.corpus import write_articles
    from pactwatch.news.ingest import Article
    from pactwatch.news.store import split_sentences

    rng = random.Random(15)
    n_art = -(-n_sent // per_article)
    arts = []
    for k in range(n_art):
        body = "\n".join(rng.sample(sentences, per_article))
        arts.append(Article(text=f"Bulletin {k}\n{body}", date="2024-06-15", date_basis="given",
                            source="bench"))
    for p in range(n_parts):  # one source label per group of articles: n_parts article files
        write_articles(arts[p::n_parts], root, label=f"desk{p:03d}")
    n_sents = sum(len(split_sentences(a.text)) for a in arts)
    from pactwatch.news.corpus import ARTICLES, parquet_files

    return {"articles": len(arts), "sentences": n_sents, "article_files": len(parquet_files(root, ARTICLES))}


def warm(spec) -> dict:
    """Load the pipeline in this (worker) process; its load time and pid."""
    t0 = time.perf_counter()
    spec.nlp()
    return {"pid": os.getpid(), "load_s": round(time.perf_counter() - t0, 2)}


def rss_mb() -> float:
    import psutil

    return round(psutil.Process().memory_info().rss / 2**20, 1)


def noop(i):
    return i


def fresh(src: Path, dst: Path) -> Path:
    from pactwatch.news.corpus import ARTICLES

    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src / ARTICLES, dst / ARTICLES)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sentences", type=int, default=5000)
    ap.add_argument("--partitions", type=int, default=40)
    ap.add_argument("--noop", type=int, default=2000, help="empty tasks for the scheduler overhead")
    args = ap.parse_args()

    import distributed

    from pactwatch.events.corpus import CoderSpec, code_corpus
    from pactwatch.events.refs import resolve_events_dir
    from pactwatch.news.engine import make_engine

    load0 = os.getloadavg()
    tmp = Path(tempfile.mkdtemp(prefix="pw-scale-"))
    spec = CoderSpec.resolved(root_model=False)
    src = tmp / "src"
    info = build_corpus(src, gold_sentences(Path(resolve_events_dir())), args.sentences, args.partitions)
    out = {"corpus": info, "cpu_count": os.cpu_count(), "loadavg_before": [round(x, 2) for x in load0], "runs": {}}

    w = warm(spec)
    t0, c0 = time.perf_counter(), time.process_time()
    r = code_corpus(fresh(src, tmp / "inproc"), spec)
    dt_, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    out["runs"]["inprocess"] = {"wall_s": round(dt_, 2), "sent_per_s": round(info["sentences"] / dt_, 1),
                                "pipeline_load_s": w["load_s"], "rss_mb": rss_mb(), "events": r["events"],
                                "sent_per_cpu_s": round(info["sentences"] / cpu_s, 1)}

    for n in (1, 2):
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as client:
            loads = client.run(warm, spec)
            eng = make_engine("dask", scheduler=cluster.scheduler_address)
            t0 = time.perf_counter()
            r = code_corpus(fresh(src, tmp / f"dask{n}"), spec, eng)
            dt_ = time.perf_counter() - t0
            mem = client.run(rss_mb)
            task_s = sum(t["seconds"] for t in r["tasks"])
            cpu_s = sum(t["cpu_seconds"] for t in r["tasks"])
            run = {"wall_s": round(dt_, 2), "sent_per_s": round(info["sentences"] / dt_, 1), "tasks": len(r["tasks"]),
                   "pipeline_load_s": [v["load_s"] for v in loads.values()], "rss_mb_per_worker": list(mem.values()),
                   "overhead_ms_per_task": round(1000 * max(0.0, dt_ * n - task_s) / max(1, len(r["tasks"])), 1),
                   "events": r["events"], "pids": len({t["pid"] for t in r["tasks"]}),
                   "task_cpu_s": round(cpu_s, 1), "sent_per_cpu_s": round(info["sentences"] / cpu_s, 1),
                   "cpu_share_of_task_wall": round(cpu_s / task_s, 2)}
            if n == 2:
                t0 = time.perf_counter()
                client.gather(client.map(noop, range(args.noop), pure=False))
                run["noop_ms_per_task"] = round(1000 * (time.perf_counter() - t0) / args.noop, 3)
            out["runs"][f"dask-{n}"] = run
    shutil.rmtree(tmp, ignore_errors=True)
    R = out["runs"]
    out["ratio_2_over_1"] = round(R["dask-2"]["sent_per_s"] / R["dask-1"]["sent_per_s"], 2)
    out["scaling_efficiency"] = round(out["ratio_2_over_1"] / 2, 2)
    out["ratio_dask1_over_inprocess"] = round(R["dask-1"]["sent_per_s"] / R["inprocess"]["sent_per_s"], 2)
    out["same_events"] = len({R[k]["events"] for k in R}) == 1
    out["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
