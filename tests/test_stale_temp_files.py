"""A store build or a fetch killed outright (SIGKILL: no `finally` runs) leaves its temporary files (`<db>.tmp-<pid>`
and its `.wal`; `.part-<pid>-*`, `.pactwatch-fetch-<pid>-*`); the next build / fetch removes those of processes that are
gone, and leaves those of a live one alone."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from pactwatch.data.store import build_store
from tests.helpers.data import mirror_data_dir

SMALL = ["cow-states-2016", "cow-wars"]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_killed_build_leftovers_are_removed_by_the_next_build(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    db = tmp_path / "store" / "pw.duckdb"
    # A real build, killed with SIGKILL while loading its third table.
    script = textwrap.dedent(f"""
        import os, signal
        import pactwatch.data.store as S
        real, n = S._load_table, []
        def load(con, spec, df):
            n.append(1)
            if len(n) == 3:
                con.execute("checkpoint")
                os.kill(os.getpid(), signal.SIGKILL)
            real(con, spec, df)
        S._load_table = load
        S.build_store({str(root)!r}, {str(db)!r}, progress=False, datasets={SMALL!r})
    """)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    p = subprocess.Popen([sys.executable, "-c", script], env=env, stderr=subprocess.PIPE, text=True)
    _, err = p.communicate(timeout=300)
    assert p.returncode == -signal.SIGKILL, err
    left = sorted(x.name for x in db.parent.iterdir())
    assert f"pw.duckdb.tmp-{p.pid}" in left and set(left) <= {f"pw.duckdb.tmp-{p.pid}", f"pw.duckdb.tmp-{p.pid}.wal"}
    assert not db.exists()
    # A temp file of a live build (this test's parent process stands in for it) must survive.
    live = db.with_name(f"pw.duckdb.tmp-{os.getppid()}")
    live.write_bytes(b"in progress")
    r = build_store(root, db, progress=False, datasets=SMALL)
    assert r.status == "built"
    assert sorted(x.name for x in db.parent.iterdir()) == sorted(["pw.duckdb", live.name])


def test_stale_temp_files_of_dead_or_old_processes_are_removed(tmp_path):
    from pactwatch.data.tempfiles import STALE_AFTER_SECONDS, remove_stale

    db = tmp_path / "pw.duckdb"
    dead = _dead_pid()
    files = {n: tmp_path / n for n in (f"pw.duckdb.tmp-{dead}", f"pw.duckdb.tmp-{dead}.wal",
                                         f"pw.duckdb.tmp-{os.getppid()}", f"pw.duckdb.tmp-{os.getppid()}.wal",
                                         "pw.duckdb", "other.duckdb.tmp-1", "pw.duckdb.tmp-x")}
    for f in files.values():
        f.write_bytes(b"x")
    removed = {p.name for p in remove_stale(db)}
    assert removed == {f"pw.duckdb.tmp-{dead}", f"pw.duckdb.tmp-{dead}.wal"}
    # A live pid's file untouched for longer than the limit is stale too (the pid may have been reused).
    old = time.time() - STALE_AFTER_SECONDS - 60
    os.utime(files[f"pw.duckdb.tmp-{os.getppid()}"], (old, old))
    assert {p.name for p in remove_stale(db)} == {f"pw.duckdb.tmp-{os.getppid()}"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["pw.duckdb", f"pw.duckdb.tmp-{os.getppid()}.wal", "other.duckdb.tmp-1", "pw.duckdb.tmp-x"])


def test_killed_fetch_leftovers_are_removed_by_the_next_fetch(data_dir, tmp_path):
    from pactwatch.data.fetch import fetch

    root = mirror_data_dir(data_dir, tmp_path / "data", only=["cow/states2016.csv", "cow/system2016.csv",
                                                              "cow/majors2016.csv"])
    dead, live = _dead_pid(), os.getppid()
    stale = [root / "cow" / f".part-{dead}-states2016.csv", root / "cow" / f".part-{dead}-src-system2016.csv",
             root / f".pactwatch-fetch-{dead}-x1y2"]
    keep = [root / "cow" / f".part-{live}-states2016.csv", root / f".pactwatch-fetch-{live}-abcd"]
    for p in stale + keep:
        if p.name.startswith(".pactwatch-fetch-"):
            p.mkdir()
            (p / "0-download.zip").write_bytes(b"partial")
        else:
            p.write_bytes(b"partial")
    results = fetch(root, ["cow-states-2016"], progress=False)  # every file present and verified: nothing to download
    assert {r.status for r in results} == {"skipped"}
    assert not any(p.exists() for p in stale) and all(p.exists() for p in keep)
