"""bremer-1992's cache of the built panel: a cached run gives exactly the figures and frame of a fresh build, and any
change to an input file, the code or the variant misses the cache (a stale frame is never read)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from pactwatch.data.registry import find_file
from pactwatch.data.source import DataSource
from pactwatch.errors import DataError
from pactwatch.replications import bremer as B


def _linked_copy(data_dir: Path, dst: Path, real: tuple[str, ...]) -> Path:
    """A data directory of symlinks to ``data_dir``'s files, except ``real`` tables, which are copied (to be edited)."""
    copy = {find_file(t).path for t in real}
    for f in data_dir.rglob("*"):
        if f.is_file():
            rel = f.relative_to(data_dir).as_posix()
            t = dst / rel
            t.parent.mkdir(parents=True, exist_ok=True)
            if rel in copy:
                shutil.copyfile(f, t)
            else:
                t.symlink_to(f)
    return dst


def _same_size_edit(path: Path, old: str, new: str) -> None:
    assert len(old) == len(new)
    raw = path.read_bytes()
    assert raw.count(old.encode()) == 1, old
    path.write_bytes(raw.replace(old.encode(), new.encode()))


def _figures(r: B.BremerResult) -> tuple:
    return r.n, r.n_onsets, r.loglik, r.loglik_null, r.coef_rows, r.missing_rows, r.step_rows, r.panel_rows


def test_cached_run_equals_a_fresh_build(data_dir, tmp_path):
    src = DataSource(data_dir=data_dir, db=tmp_path / "none.duckdb")
    fresh = B.bremer_1992(src)  # no cache
    cold = B.bremer_1992(src, use_cache=True)
    assert fresh.cache is None and cold.cache["hit"] is False and cold.cache["stored"] is True
    assert Path(cold.cache["path"]).is_file() and Path(cold.cache["path"]).parent == B.cache_dir()
    warm = B.bremer_1992(DataSource(data_dir=data_dir, db=tmp_path / "none.duckdb"), use_cache=True)
    assert warm.cache["hit"] is True and warm.cache["key"] == cold.cache["key"]
    assert _figures(warm) == _figures(cold) == _figures(fresh)
    assert warm.n == B.PEER["n"] and round(warm.loglik, 3) == B.PEER["loglik"]
    assert all(r["equal"] for r in warm.comparison())
    # the whole analysis frame, dtypes (nullable integers included), order and log, as the build made it
    pd.testing.assert_frame_equal(warm.data, fresh.data, check_exact=True)
    assert warm.data.attrs["pactwatch_log"] == fresh.data.attrs["pactwatch_log"]
    pd.testing.assert_frame_equal(warm.coefficients, fresh.coefficients)
    pd.testing.assert_frame_equal(warm.missing, fresh.missing)
    # the corrected variant has its own entry
    cor = B.bremer_1992(src, variant="corrected", use_cache=True)
    assert cor.cache["hit"] is False and cor.cache["key"] != cold.cache["key"] and cor.n == 106_314
    assert B.bremer_1992(src, variant="corrected", use_cache=True).cache["hit"] is True


def test_changed_input_file_misses_the_cache(data_dir, tmp_path):
    """A same-size edit of one input (USA's simulated GDP per capita in 1816; cw_gdppop is a converted file, so no
    registered checksum rejects it) gives another key: the panel is rebuilt with the new value, never read stale."""
    dd = _linked_copy(data_dir, tmp_path / "data", real=("cw_gdppop",))
    f = dd / find_file("cw_gdppop").path
    src = lambda: DataSource(data_dir=dd, db=tmp_path / "none.duckdb")  # noqa: E731
    first = B.bremer_1992(src(), use_cache=True)
    assert B.bremer_1992(src(), use_cache=True).cache["hit"] is True
    _same_size_edit(f, "2.0,1816.0,2668.1045663973555,", "2.0,1816.0,9668.1045663973555,")
    again = B.bremer_1992(src(), use_cache=True)
    assert again.cache["hit"] is False and again.cache["key"] != first.cache["key"]
    row = again.data[(again.data.ccode1 == 2) & (again.data.ccode2 == 200) & (again.data.year == 1816)]
    assert row["mrgdppc1"].tolist() == [9668.1045663973555]
    assert again.loglik != first.loglik
    assert not Path(first.cache["path"]).exists()  # the superseded entry of the variant is removed
    assert B.bremer_1992(src(), use_cache=True).cache["hit"] is True


def test_altered_registered_file_is_an_error_not_a_cache_hit(data_dir, tmp_path):
    """A file with a registered sha256 edited after the cache was filled: the same DataError as without the cache."""
    dd = _linked_copy(data_dir, tmp_path / "data", real=("cow_majors",))
    f = dd / find_file("cow_majors").path
    assert B.bremer_1992(DataSource(data_dir=dd, db=tmp_path / "none.duckdb"), use_cache=True).cache["stored"]
    raw = f.read_bytes()
    f.write_bytes(raw.replace(b"1816", b"1817", 1))  # same size
    assert len(f.read_bytes()) == len(raw)
    with pytest.raises(DataError, match="sha256"):
        B.bremer_1992(DataSource(data_dir=dd, db=tmp_path / "none.duckdb"), use_cache=True)


def test_cache_key_covers_code_variant_and_verification(data_dir, tmp_path, monkeypatch):
    src = DataSource(data_dir=data_dir, db=tmp_path / "none.duckdb")
    key, parts = B.cache_key(src, "peacesciencer")
    assert set(parts["inputs"]) == {"store", *B.INPUT_TABLES} and all(parts["inputs"][t] for t in B.INPUT_TABLES)
    assert B.cache_key(src, "corrected")[0] != key
    assert B.cache_key(DataSource(data_dir=data_dir, db=tmp_path / "none.duckdb", verify="size"), "peacesciencer")[0] != key
    monkeypatch.setattr(B, "_code_digest", lambda: "another version of the panel code")
    assert B.cache_key(src, "peacesciencer")[0] != key


def test_damaged_cache_entry_is_rebuilt(data_dir, tmp_path):
    src = DataSource(data_dir=data_dir, db=tmp_path / "none.duckdb")
    cold = B.bremer_1992(src, use_cache=True)
    entry = Path(cold.cache["path"])
    good = entry.read_bytes()
    for damaged in (b"not a zip file", good[: len(good) // 2]):  # garbage; a truncated zip
        entry.write_bytes(damaged)
        again = B.bremer_1992(src, use_cache=True)
        assert again.cache["hit"] is False and "unreadable" in again.cache["error"] and again.cache["stored"]
        assert _figures(again) == _figures(cold)
    assert B.bremer_1992(src, use_cache=True).cache["hit"] is True


def test_input_specs_kept_beside_the_cache_equal_the_registry():
    code = B._code_digest()
    first = B._input_specs(code)  # from the registry, then written
    kept = B._input_specs(code)  # read back
    assert kept == first == {t: find_file(t) for t in B.INPUT_TABLES}
    assert [p.name for p in B.cache_dir().glob("specs-*.json")] == [f"specs-{code[:40]}.json"]
    B._input_specs("0" * 64)  # another code version replaces it
    assert [p.name for p in B.cache_dir().glob("specs-*.json")] == [f"specs-{'0' * 40}.json"]


def test_a_build_reading_a_table_the_key_omits_is_not_cached(data_dir, tmp_path, monkeypatch):
    src = DataSource(data_dir=data_dir, db=tmp_path / "none.duckdb")
    monkeypatch.setattr(B, "INPUT_TABLES", tuple(t for t in B.INPUT_TABLES if t != "cw_gdppop"))
    r = B.bremer_1992(src, use_cache=True)
    assert r.cache["stored"] is False and "cw_gdppop" in r.cache["error"] and not list(B.cache_dir().glob("*.npz"))
    assert r.n == B.PEER["n"] and any("cache not written" in n for n in r.notes)
