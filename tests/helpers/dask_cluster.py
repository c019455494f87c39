"""Module-scoped fixtures for the Dask tests: a local cluster of two worker processes and an engine on it (import both
names into a test module to use them)."""
from __future__ import annotations

import pytest

from pactwatch.news.engine import make_engine

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    yield c
    c.close()


@pytest.fixture(scope="module")
def engine(cluster):
    return make_engine("dask", scheduler=cluster.scheduler_address)
