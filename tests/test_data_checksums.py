"""Checksums wherever data is read: a same-size edit of a registered file (two header names swapped) is refused by
read_table, DataSource, the forecast's data fingerprint and the `forecast` command, with a DataError naming the file,
the expected and the found sha256 and what to do. Digests are cached by path, size, mtime, ctime and inode.

Every damaged file is a copy made in a tmp dir; the rest of the data directory is symlinked to the shared files."""
import hashlib
import json
import os

import pytest

from pactwatch.data.readers import read_table
from pactwatch.data.registry import find_file
from pactwatch.data.source import DataSource
from pactwatch.errors import DataError
from tests.helpers.data import damage, mirror_data_dir, run_cli

PHASE = "atop/atop5_1aph.csv"


def _swap_defense_offense(b: bytes) -> bytes:
    head, rest = b.split(b"\n", 1)
    out = head.replace(b",defense,", b",@@,").replace(b",offense,", b",defense,").replace(b",@@,", b",offense,")
    assert out != head and len(out) == len(head)
    return out + b"\n" + rest


@pytest.fixture
def swapped(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    path = damage(root, PHASE, _swap_defense_offense)
    assert path.stat().st_size == (data_dir / PHASE).stat().st_size  # same size: only the checksum can tell
    return root, path


def _assert_names_mismatch(msg: str, path, found: str) -> None:
    spec = find_file(PHASE)
    assert str(path) in msg and spec.sha256 in msg and found in msg
    assert "altered" in msg and "pactwatch data fetch --force --dataset atop-5.1" in msg


def test_read_table_refuses_same_size_edit(swapped):
    root, path = swapped
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    with pytest.raises(DataError) as ei:
        read_table("atop_phase", root)
    _assert_names_mismatch(str(ei.value), path, found)
    # The explicit escape hatch for a copy changed on purpose still reads it.
    assert list(read_table("atop_phase", root, verify="size").columns).index("offense") < \
        list(read_table("atop_phase", root, verify="size").columns).index("defense")


def test_datasource_refuses_same_size_edit_unless_told(swapped):
    root, path = swapped
    with pytest.raises(DataError, match="atop5_1aph.csv: sha256"):
        DataSource(data_dir=root).table("atop_phase")
    assert len(DataSource(data_dir=root, verify="size").table("atop_phase")) == find_file(PHASE).rows
    # Unaltered files read as before.
    assert len(DataSource(data_dir=root).table("cow_states")) == 243


def test_forecast_fingerprint_refuses_same_size_edit(swapped):
    from pactwatch.scenarios.training import data_fingerprint

    root, path = swapped
    with pytest.raises(DataError) as ei:
        data_fingerprint(DataSource(data_dir=root))
    _assert_names_mismatch(str(ei.value), path, hashlib.sha256(path.read_bytes()).hexdigest())


def test_forecast_command_exits_with_the_checksum_error(swapped, capsys, monkeypatch):
    root, path = swapped
    code, out, err = run_cli(["forecast", "rus-prk-2024", "--json", "--data-dir", root, "--db", root / "no.duckdb"],
                             capsys, monkeypatch)
    msg = " ".join(err.split())
    assert code == DataError.exit_code, (out[:300], err)
    assert "atop5_1aph.csv: sha256" in msg and "Traceback" not in out + err and out.strip() == ""


def test_checksum_cache_rehashes_a_changed_file(tmp_path):
    from pactwatch.data.readers import cached_sha256

    f = tmp_path / "x.csv"
    f.write_bytes(b"a,b\n1,2\n")
    first = cached_sha256(f)
    assert first == hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    cache = json.loads((tmp_path / "pwhome" / "cache" / "checksums.json").read_text())
    assert cache[str(f.resolve())]["sha256"] == first
    # Same size, mtime put back: the ctime (and inode, for a replaced file) still tell the cache the file changed.
    st = f.stat()
    f.write_bytes(b"a,b\n1,3\n")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert cached_sha256(f) == hashlib.sha256(b"a,b\n1,3\n").hexdigest()


def test_checksum_cache_is_used_for_unchanged_files(tmp_path, monkeypatch):
    import pactwatch.data.readers as R
    from pactwatch.data.readers import cached_sha256

    f = tmp_path / "y.csv"
    f.write_bytes(b"c\n1\n")
    calls = []
    real = R.sha256_file
    monkeypatch.setattr(R, "sha256_file", lambda p: calls.append(p) or real(p))
    a, b = cached_sha256(f), cached_sha256(f)
    assert a == b and len(calls) == 1
    R._CACHE_MEMO.clear()  # a new process: read back from checksums.json
    assert cached_sha256(f) == a and len(calls) == 1
