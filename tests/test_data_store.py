"""`pactwatch data build` / `data summary`: the typed DuckDB store, its provenance, atomic and idempotent builds."""
import datetime as dt
import hashlib
import json

import duckdb
import numpy as np
import pandas as pd
import pytest

import pactwatch
import pactwatch.data.store as store_mod
from pactwatch.data.readers import read_table
from pactwatch.data.registry import FileSpec, find_file, registry
from pactwatch.data.source import DataSource
from pactwatch.data.store import build_store, loadable_files, store_summary, tidy_types
from pactwatch.errors import DataError, DataMissingError
from tests.helpers.data import damage, leftovers, mirror_data_dir, run_cli


@pytest.fixture(scope="module")
def full_store(data_dir, tmp_path_factory):
    db = tmp_path_factory.mktemp("store") / "pw.duckdb"
    result = build_store(data_dir, db, progress=False)
    return db, result


def col_types(con, table):
    return dict(con.execute("select column_name, data_type from information_schema.columns where table_name = ?",
                            [table]).fetchall())


def test_full_build_loads_every_present_table(full_store, data_dir):
    db, r = full_store
    assert r.status == "built"
    expected = [f for f in loadable_files() if (data_dir / f.path).exists()]
    assert sorted(t for t, _ in r.tables) == sorted(f.table for f in expected)
    assert ("cow/NMC-70-abridged.csv", "absent (optional dataset cow-nmc-7.0)") in r.skipped
    with duckdb.connect(str(db), read_only=True) as con:
        prov = con.execute("select file, table_name, sha256, rows, columns, pactwatch_version from provenance").fetchall()
        assert len(prov) == len(expected)
        for file, table, sha, rows, ncol, ver in prov:
            spec = find_file(table)
            assert file == spec.path and sha == hashlib.sha256((data_dir / file).read_bytes()).hexdigest()
            assert rows == spec.rows and ver == pactwatch.__version__
            assert con.execute(f'select count(*) from "{table}"').fetchone()[0] == rows
            assert len(col_types(con, table)) == ncol
        ds = con.execute("select key, version, citation, loaded from datasets").fetchall()
        assert {k for k, *_ in ds} == set(registry())
        assert dict((k, loaded) for k, _, _, loaded in ds)["cow-nmc-7.0"] is False
        comment = con.execute("select comment from duckdb_tables() where table_name = 'atop_member'").fetchone()[0]
        assert "Alliance Treaty Obligations and Provisions" in comment and "5.1" in comment and "Leeds" in comment


def test_types(full_store, data_dir):
    db, _ = full_store
    with duckdb.connect(str(db), read_only=True) as con:
        # R conversions store ccode/year as 2.0/1816.0: whole floats become integers; continuous stays DOUBLE.
        t = col_types(con, "cw_democracy")
        assert t["ccode"] == "BIGINT" and t["year"] == "BIGINT" and t["euds"] == "DOUBLE" and t["v2x_polyarchy"] == "DOUBLE"
        assert t["polity2"] == "BIGINT"  # whole values with NA
        raw = pd.read_csv(data_dir / "regime/cw_democracy.csv")
        nulls = con.execute("select count(*) from cw_democracy where polity2 is null").fetchone()[0]
        assert nulls == raw["polity2"].isna().sum() > 0
        assert con.execute("select sum(ccode), sum(year) from cw_democracy").fetchone() == (raw.ccode.sum(), raw.year.sum())
        # ISO dates become DATE; other text stays VARCHAR.
        t = col_types(con, "archigos")
        assert t["startdate"] == "DATE" and t["leader"] == "VARCHAR" and t["obsid"] == "VARCHAR"
        arch = pd.read_csv(data_dir / "peacesciencer/archigos.csv")
        first = con.execute("select startdate from archigos where obsid = ?", [arch.obsid[0]]).fetchone()[0]
        assert first == dt.date.fromisoformat(arch.startdate[0])
        # COW missing codes are kept as published (-9 stays -9).
        nmc = read_table("cow_nmc", data_dir)
        n9 = int((nmc["milex"] == -9).sum())
        assert n9 > 0 and con.execute("select count(*) from cow_nmc where milex = -9").fetchone()[0] == n9


def test_rebuild_is_up_to_date_unless_forced(full_store, data_dir):
    db, _ = full_store
    mtime = db.stat().st_mtime_ns
    r = build_store(data_dir, db, progress=False)
    assert r.status == "up to date" and db.stat().st_mtime_ns == mtime and len(r.tables) > 50
    assert r.seconds < 5


def test_store_summary_and_datasource(full_store, data_dir, capsys, monkeypatch):
    db, _ = full_store
    summary = store_summary(db)
    by_table = {s["table"]: s for s in summary}
    assert by_table["cow_states"] == {**by_table["cow_states"], "dataset": "cow-states-2016", "version": "2016", "rows": 243}
    code, out, err = run_cli(["data", "summary", "--db", db, "--json"], capsys, monkeypatch)
    assert code == 0 and {r["table"] for r in json.loads(out)} == set(by_table)
    # DataSource reads the store when it has the table: same rows and values as the file.
    src = DataSource(data_dir=data_dir, db=db)
    a, b = src.table("cow_states"), read_table("cow_states", data_dir)
    assert len(a) == len(b) and list(a.columns) == list(b.columns) and (a["ccode"].to_numpy() == b["ccode"].to_numpy()).all()


def test_summary_without_a_store(tmp_path, capsys, monkeypatch):
    with pytest.raises(DataMissingError, match="data build"):
        store_summary(tmp_path / "none.duckdb")
    (tmp_path / "junk.duckdb").write_bytes(b"not a database" * 100)
    code, out, err = run_cli(["data", "summary", "--db", tmp_path / "junk.duckdb"], capsys, monkeypatch)
    assert code == DataError.exit_code and "junk.duckdb" in err and "Traceback" not in err


def test_tidy_types_unit():
    df = pd.DataFrame({
        "ccode": [2.0, 20.0, np.nan],
        "share": [0.5, 1.0, 2.0],
        "allnan": [np.nan, np.nan, np.nan],
        "early": ["1494-01-01", None, "2010-12-31"],  # outside pandas' ns range: cast in SQL
        "notdate": ["2001-02-30", "2001-01-01", None],
        "name": ["a", "b", None],
        "big": [2.0**60, 1.0, 2.0],
    })
    typed, dates = tidy_types(df)
    assert str(typed["ccode"].dtype) == "Int64" and typed["ccode"].isna().sum() == 1
    assert typed["share"].dtype == float and typed["allnan"].dtype == float and typed["big"].dtype == float
    assert dates == ["early"]
    con = duckdb.connect()
    store_mod._load_table(con, FileSpec(path="x.csv", dataset="x", table="x"), df)
    t = col_types(con, "x")
    assert t == {"ccode": "BIGINT", "share": "DOUBLE", "allnan": "DOUBLE", "early": "DATE", "notdate": "VARCHAR",
                 "name": "VARCHAR", "big": "DOUBLE"}
    assert con.execute("select early from x").fetchall() == [(dt.date(1494, 1, 1),), (None,), (dt.date(2010, 12, 31),)]


SMALL = ["cow-states-2016", "cow-wars"]


@pytest.fixture
def small(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    db = tmp_path / "store" / "pw.duckdb"
    r = build_store(root, db, progress=False, datasets=SMALL)
    assert r.status == "built" and len(r.tables) == 8
    return root, db


def fingerprint(db):
    with duckdb.connect(str(db), read_only=True) as con:
        return (store_summary(db), con.execute("select * from cow_war_nonstate order by all").fetchall())


def test_failed_build_keeps_the_previous_store(small):
    root, db = small
    before = fingerprint(db)
    # The last file of the build is damaged: every earlier table has loaded into the temp store when it fails.
    assert [f.path for f in loadable_files(SMALL)][-1] == "cow/directed_dyadic_war.csv"
    damage(root, "cow/directed_dyadic_war.csv", lambda b: b[: len(b) - 500])
    with pytest.raises(DataError, match="directed_dyadic_war.csv.*truncated"):
        build_store(root, db, progress=False, datasets=SMALL)
    assert fingerprint(db) == before
    assert leftovers(db.parent) == [] and sorted(p.name for p in db.parent.iterdir()) == ["pw.duckdb"]


def test_interrupted_build_keeps_the_previous_store(small, monkeypatch):
    root, db = small
    before = fingerprint(db)
    real = store_mod._load_table
    calls = []

    def interrupt_on_third(con, spec, df):
        calls.append(spec.table)
        if len(calls) == 3:
            raise KeyboardInterrupt
        real(con, spec, df)

    monkeypatch.setattr(store_mod, "_load_table", interrupt_on_third)
    with pytest.raises(KeyboardInterrupt):
        build_store(root, db, progress=False, datasets=SMALL, force=True)
    assert fingerprint(db) == before and leftovers(db.parent) == []


def test_changed_file_triggers_rebuild(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    db = tmp_path / "pw.duckdb"
    keys = ["cow-states-2016", "rivalries-td"]
    assert build_store(root, db, progress=False, datasets=keys).status == "built"
    assert build_store(root, db, progress=False, datasets=keys).status == "up to date"
    # A converted file re-written with other bytes but the same table: the sha256 changed, so the store is rebuilt.
    td = find_file("td_rivalries")
    damage(root, td.path, lambda b: b.replace(b".0,", b".00,"))
    r = build_store(root, db, progress=False, datasets=keys)
    assert r.status == "built"
    with duckdb.connect(str(db), read_only=True) as con:
        sha = con.execute("select sha256 from provenance where table_name = 'td_rivalries'").fetchone()[0]
    assert sha == hashlib.sha256((root / td.path).read_bytes()).hexdigest() != td.sha256
    assert build_store(root, db, progress=False, datasets=keys, force=True).status == "built"


def test_altered_published_file_is_refused(small):
    root, db = small
    # Same size, one value changed: only the sha256 can tell. The store holds verified bytes only.
    damage(root, "cow/majors2016.csv", lambda b: b.replace(b"1816", b"1817", 1))
    with pytest.raises(DataError, match="majors2016.csv: sha256"):
        build_store(root, db, progress=False, datasets=SMALL)


def test_missing_required_file_builds_nothing(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    (root / "cow/states2016.csv").unlink()
    db = tmp_path / "pw.duckdb"
    with pytest.raises(DataMissingError, match="states2016.csv"):
        build_store(root, db, progress=False, datasets=SMALL)
    assert not db.exists() and leftovers(tmp_path) == []


def test_cli_build(data_dir, tmp_path, capsys, monkeypatch):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    db = tmp_path / "pw.duckdb"
    args = ["data", "build", "--data-dir", root, "--db", db, "--dataset", "cow-states-2016"]
    code, out, err = run_cli(args, capsys, monkeypatch)
    assert code == 0 and "built 3 tables" in out
    code, out, err = run_cli(args, capsys, monkeypatch)
    assert code == 0 and "up to date" in out
    damage(root, "cow/states2016.csv", lambda b: b.replace(b"stateabb", b"stateabx", 1))
    code, out, err = run_cli([*args, "--force"], capsys, monkeypatch)
    assert code == DataError.exit_code and "states2016.csv: sha256" in err and "altered" in err and "Traceback" not in out + err
    assert {r["table"] for r in store_summary(db)} == {"cow_states", "cow_system", "cow_majors"}


def test_unwritable_store_location_is_a_clear_error(data_dir, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DataError, match="cannot write the store"):
        build_store(data_dir, blocker / "pw.duckdb", progress=False, datasets=["cow-states-2016"])
