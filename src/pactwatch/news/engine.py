"""Where independent tasks run: in this process (the default) or on a Dask cluster.

pactwatch is embedded by default (one process, DuckDB). For jobs that outgrow one machine (coding millions of
articles, importing years of GDELT files) the same task functions run on a Dask ``distributed`` cluster: an existing
scheduler (``scheduler="tcp://host:8786"``, e.g. one started by ``dask-jobqueue`` on SLURM/PBS, see docs/scale.md) or a
local cluster of ``workers`` processes (one thread each). Nothing here schedules: Dask does.

A task must be a module-level function whose arguments and result pickle, and must be safe to run twice (Dask
re-runs a task whose worker died; pactwatch's tasks write their output atomically under a name that says what it
holds, so a second run finds the file and does nothing). Results come back in input order, whatever order the
workers finish in.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Iterator, Sequence

from pactwatch.errors import PactwatchError

ENGINES = ("inprocess", "dask")
#: how often Dask retries a task that raised (a worker that died is handled by the scheduler's own
#: ``distributed.scheduler.allowed-failures``, default 3)
RETRIES = 2


@dataclass(frozen=True)
class Engine:
    """``kind``: ``inprocess`` or ``dask``; for dask either ``scheduler`` (address of a running scheduler) or
    ``workers`` (size of a local cluster: that many worker processes, one thread each)."""

    kind: str = "inprocess"
    scheduler: str | None = None
    workers: int | None = None
    retries: int = RETRIES
    #: an open ``distributed.Client`` (set by :func:`session`): tasks of several :func:`run_tasks` calls then share
    #: one cluster instead of starting (or connecting to) one per call
    client: Any = field(default=None, compare=False, repr=False)
    #: what a job keeps on the session's cluster between its run_tasks calls (data sent once, used by many tasks);
    #: a dict for the session's life (:func:`session`), None otherwise
    memo: dict | None = field(default=None, compare=False, repr=False)

    @property
    def is_dask(self) -> bool:
        return self.kind == "dask"

    def describe(self) -> str:
        if not self.is_dask:
            return "in-process"
        return f"dask scheduler {self.scheduler}" if self.scheduler else f"dask local cluster of {self.workers} workers"


def make_engine(kind: str | None = None, scheduler: str | None = None, workers: int | None = None) -> Engine:
    """Check the engine settings (errors name the argument: ``engine``, ``scheduler``, ``workers``)."""
    kind = kind or "inprocess"
    if kind not in ENGINES:
        raise PactwatchError(f"engine {kind!r}: use one of {', '.join(ENGINES)}")
    if kind == "inprocess":
        if scheduler or workers:
            raise PactwatchError("scheduler and workers apply to the dask engine only")
        return Engine()
    if scheduler and workers:
        raise PactwatchError("give either a scheduler address (an existing cluster) or a number of workers (a local "
                             "cluster), not both")
    if workers is not None and workers < 1:
        raise PactwatchError(f"workers {workers}: need at least 1")
    if not scheduler and not workers:
        import os

        workers = max(1, (os.cpu_count() or 1))
    return Engine("dask", scheduler=scheduler or None, workers=workers)


def _dask():
    try:
        import distributed
    except ImportError:
        raise PactwatchError("the dask engine needs the packages dask and distributed (pip install "
                             "dask==2026.8.0 distributed==2026.8.0)") from None
    return distributed


@contextlib.contextmanager
def session(engine: Engine | None) -> Iterator[Engine]:
    """The engine with one client (and local cluster) kept open until the block ends, for a job that calls
    :func:`run_tasks` several times (e.g. once per scenario). In-process, or already in a session: the engine as it is."""
    engine = engine or Engine()
    if not engine.is_dask or engine.client is not None:
        yield engine
        return
    with client_for(engine) as client:
        yield replace(engine, client=client, memo={})


@contextlib.contextmanager
def client_for(engine: Engine) -> Iterator[Any]:
    """A ``distributed.Client`` for the engine, closed (and a local cluster shut down) on exit; the session's client
    (:func:`session`), left open, when the engine has one."""
    if engine.client is not None:
        yield engine.client
        return
    distributed = _dask()
    if engine.scheduler:
        try:
            client = distributed.Client(engine.scheduler, timeout="30s")
        except (OSError, TimeoutError) as exc:
            raise PactwatchError(f"dask scheduler {engine.scheduler}: cannot connect ({exc})") from None
        try:
            yield client
        finally:
            client.close()
        return
    cluster = distributed.LocalCluster(n_workers=engine.workers, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def run_tasks(fn: Callable, args: Sequence[tuple], engine: Engine | None = None,
              on_result: Callable[[int, Any], None] | None = None, shared: tuple = ()) -> list:
    """``[fn(*shared, *a) for a in args]``, in-process or on Dask; results in input order. ``on_result(i, result)`` is
    called as each task finishes (progress). A task that raises fails the run with that error (after
    ``engine.retries`` retries on Dask); tasks already finished keep their output.

    ``shared``: leading arguments common to every task (e.g. a large data object). On Dask they are sent to every
    worker once (``client.scatter(..., broadcast=True)``) instead of once per task."""
    engine = engine or Engine()
    args = [tuple(a) for a in args]
    shared = tuple(shared)
    if not engine.is_dask or not args:
        out = []
        for i, a in enumerate(args):
            r = fn(*shared, *a)
            out.append(r)
            if on_result:
                on_result(i, r)
        return out
    distributed = _dask()
    with client_for(engine) as client:
        lead = client.scatter(list(shared), broadcast=True, hash=False) if shared else []
        futures = [client.submit(fn, *lead, *a, retries=engine.retries, pure=False) for a in args]
        index = {f.key: i for i, f in enumerate(futures)}
        out: list = [None] * len(args)
        try:
            for fut in distributed.as_completed(futures):
                i = index[fut.key]
                out[i] = fut.result()
                if on_result:
                    on_result(i, out[i])
        finally:
            client.cancel([f for f in futures if not f.done()])
        return out
