"""`pactwatch data check` and check_all(): every registered file, present / size / sha256 / columns / rows."""
import json

import pandas as pd
import pytest

from pactwatch.data.check import check_all
from pactwatch.data.registry import all_files, find_file, registry
from pactwatch.errors import DataError, DataMissingError
from tests.helpers.data import damage, mirror_data_dir, run_cli


def test_full_check_of_the_shared_data(data_dir):
    statuses = check_all(data_dir, full=True)
    assert len(statuses) == len(all_files())
    by_path = {s.path: s for s in statuses}
    # cow-nmc-7.0 is optional and not in the shared data: reported, not a failure.
    nmc7 = by_path["cow/NMC-70-abridged.csv"]
    assert nmc7.status == "absent (optional)" and not nmc7.failed and not nmc7.present
    failed = [s for s in statuses if s.failed]
    assert failed == []
    for s in statuses:
        if s.present:
            assert s.bytes == (data_dir / s.path).stat().st_size
    # Row counts, checked against an independent count: lines in a file without quoted newlines, minus the header.
    states = by_path["cow/states2016.csv"]
    assert states.sha256_ok is True and states.columns_ok is True and states.version == "2016"
    assert states.rows == len((data_dir / "cow/states2016.csv").read_text().strip().splitlines()) - 1 == 243
    mindist = by_path["peacesciencer/cow_mindist.csv.gz"]
    assert mindist.rows == len(pd.read_csv(data_dir / mindist.path, usecols=[0]))
    # Documents are checked by bytes only.
    pdf = by_path["atop/atop_5_1_codebook.pdf"]
    assert pdf.sha256_ok is True and pdf.columns_ok is None and pdf.rows is None


def test_quick_check_is_size_and_header_only(data_dir):
    statuses = check_all(data_dir, full=False)
    present = [s for s in statuses if s.present]
    assert all(s.sha256_ok is None and s.rows is None for s in present)
    assert all(s.columns_ok for s in present if s.table and not s.path.endswith((".pdf", ".txt")) and s.table)


@pytest.fixture
def damaged_dir(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    # same size, renamed column: only the header check (quick) or the sha256 (full) can see it
    damage(root, "cow/states2016.csv", lambda b: b.replace(b"stateabb", b"stateabx", 1))
    damage(root, "cow/majors2016.csv", lambda b: b[: len(b) // 2])  # truncated
    (root / "cow/system2016.csv").unlink()  # missing
    return root


def test_check_reports_each_bad_file(damaged_dir):
    by_path = {s.path: s for s in check_all(damaged_dir, full=True, datasets=["cow-states-2016", "atop-5.1"])}
    s = by_path["cow/states2016.csv"]
    assert s.status == "sha256 mismatch" and s.sha256_ok is False and "states2016.csv" in s.problem
    m = by_path["cow/majors2016.csv"]
    assert m.status == "wrong size" and "truncated" in m.problem and "majors2016.csv" in m.problem
    y = by_path["cow/system2016.csv"]
    assert y.status == "missing" and not y.present and "system2016.csv" in y.problem and "pactwatch data fetch" in y.problem
    assert sum(x.failed for x in by_path.values()) == 3

    quick = {s.path: s for s in check_all(damaged_dir, full=False)}
    assert quick["cow/states2016.csv"].columns_ok is False
    assert "missing expected column(s) stateabb" in quick["cow/states2016.csv"].problem


def test_cli_check_fails_with_a_message_naming_each_file(damaged_dir, capsys, monkeypatch):
    code, out, err = run_cli(["data", "check", "--data-dir", damaged_dir, "--quick"], capsys, monkeypatch)
    assert code == DataError.exit_code
    text = " ".join((out + err).split())
    for name in ("states2016.csv", "majors2016.csv", "system2016.csv"):
        assert name in text
    assert "3 of " in err and "failed the check" in err and "Traceback" not in out + err
    assert "absent (optional)" in out


def test_cli_check_json_and_missing_only_exit_code(data_dir, tmp_path, capsys, monkeypatch):
    root = mirror_data_dir(data_dir, tmp_path / "data")
    code, out, err = run_cli(["data", "check", "--data-dir", root, "--json", "--quick"], capsys, monkeypatch)
    assert code == 0, err
    records = json.loads(out)
    assert {r["path"] for r in records} == {f.path for f in all_files()}
    assert all(r["version"] == registry()[r["dataset"]].version for r in records)
    (root / "cow/states2016.csv").unlink()
    code, out, err = run_cli(["data", "check", "--data-dir", root, "--json", "--dataset", "cow-states-2016"], capsys, monkeypatch)
    assert code == DataMissingError.exit_code
    assert [r["status"] for r in json.loads(out)] == ["missing", "ok", "ok"]
    assert "states2016.csv: missing" in err


def test_converted_file_with_other_bytes_is_judged_by_columns_and_rows(data_dir, tmp_path):
    spec = find_file("cw_democracy")
    assert spec.source.convert == "rda"
    root = mirror_data_dir(data_dir, tmp_path / "data", only=[spec.path])
    # Re-written with fewer float digits (as a re-conversion could): other bytes, same table.
    damage(root, spec.path, lambda b: pd.read_csv(data_dir / spec.path).to_csv(index=False, float_format="%.12g").encode())
    (s,) = [x for x in check_all(root, full=True, datasets=["democracy"])]
    assert not s.failed and s.sha256_ok is False and s.rows == spec.rows and "converted" in s.note
    # ... but losing rows is caught.
    damage(root, spec.path, lambda b: b[: b.rfind(b"\n", 0, len(b) - 1) + 1])
    (s,) = check_all(root, full=True, datasets=["democracy"])
    assert s.failed and f"{spec.rows - 1} data rows, expected {spec.rows}" in s.problem


def test_no_data_dir(monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("PACTWATCH_DATA_DIR", raising=False)
    code, out, err = run_cli(["data", "check", "--data-dir", tmp_path / "nope"], capsys, monkeypatch)
    assert code == DataMissingError.exit_code and "does not exist" in err and "Traceback" not in err
