"""A table, and a whole pipeline, are the same whether read from the files or from the built DuckDB store."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.data.source import DataSource
from pactwatch.data.store import build_store, loadable_files


@pytest.fixture(scope="module")
def store(data_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "pw.duckdb"
    build_store(data_dir, db, progress=False)
    return db


def _same_values(a: pd.DataFrame, b: pd.DataFrame, name: str) -> None:
    assert list(a.columns) == list(b.columns), name
    assert len(a) == len(b), name
    for c in a.columns:
        x, y = a[c], b[c]
        if x.dtype.kind in "ifb" and y.dtype.kind in "ifb":
            assert np.allclose(x.to_numpy(float), y.to_numpy(float), equal_nan=True, rtol=0, atol=1e-9), (name, c)
        else:
            assert (x.isna() == y.isna()).all(), (name, c)
            assert (x[x.notna()].astype(str).to_numpy() == y[y.notna()].astype(str).to_numpy()).all(), (name, c)


def test_every_table_reads_the_same_from_store_and_files(data_dir, store):
    files, db = DataSource(data_dir=data_dir), DataSource(data_dir=data_dir, db=store)
    names = [f.table for f in loadable_files() if (data_dir / f.path).exists()]
    assert len(names) > 50
    for name in names:
        t = db.table(name)
        assert not any(isinstance(d, pd.api.extensions.ExtensionDtype) for d in t.dtypes), name
        _same_values(files.table(name), t, name)


def test_bremer_pipeline_is_identical_from_the_store(data_dir, store):
    from pactwatch.replications.bremer import bremer_1992

    a = bremer_1992(DataSource(data_dir=data_dir))
    b = bremer_1992(DataSource(data_dir=data_dir, db=store))
    assert a.n == b.n and a.step_rows == b.step_rows
    assert abs(a.loglik - b.loglik) < 1e-9
