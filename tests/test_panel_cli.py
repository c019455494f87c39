"""`pactwatch panel state-years|dyad-years` and the exporter (round trips for parquet/csv/dta)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from pactwatch.cli import app
from pactwatch.errors import PactwatchError
from pactwatch.panels.dyads import dyad_years
from pactwatch.panels.export import to_file, variable_labels
from pactwatch.panels.states import state_years
from pactwatch.panels.steps import add_atop_alliance, add_democracy, add_major_powers, add_nmc

runner = CliRunner()


@pytest.fixture(scope="module")
def panel(src):
    """A dyad-year panel with float, nullable-integer and NA columns, reaching past coverage (2017-2019)."""
    p = dyad_years(2015, 2019, src=src, carry_forward=True)
    p = p[p["ccode1"] < 300]
    p = add_atop_alliance(add_major_powers(add_democracy(add_nmc(p, src=src, keep=["cinc"]), src=src), src=src), src=src)
    assert p["cowmaj1"].isna().any() and p["atop_defense"].isna().any() and p["cinc1"].isna().any()
    return p


@pytest.mark.parametrize("ext", [".parquet", ".csv", ".dta"])
def test_export_round_trip(panel, tmp_path, ext):
    path = to_file(panel, tmp_path / f"p{ext}")
    back = {".parquet": pd.read_parquet, ".csv": pd.read_csv, ".dta": pd.read_stata}[ext](path)
    assert list(back.columns) == list(panel.columns) and len(back) == len(panel)
    for c in panel.columns:
        a = panel[c].to_numpy(dtype="float64", na_value=np.nan)
        b = back[c].to_numpy(dtype="float64", na_value=np.nan)
        np.testing.assert_allclose(b, a, rtol=1e-12, equal_nan=True, err_msg=f"{ext} {c}")
    if ext == ".parquet":
        pd.testing.assert_frame_equal(back, panel.reset_index(drop=True))  # dtypes kept exactly
        assert back.attrs.get("pactwatch_log") == panel.attrs["pactwatch_log"]


def test_dta_variable_labels(panel, tmp_path):
    path = to_file(panel, tmp_path / "p.dta")
    with pd.io.stata.StataReader(path) as r:
        labels = r.variable_labels()
    assert labels["cinc1"].startswith("CINC") and labels["cinc1"].endswith("state 1")
    assert labels["atop_defense"].startswith("ATOP defense")
    assert labels == {c: variable_labels([c]).get(c, "") for c in panel.columns}


def test_export_bad_extension_and_dir(panel, tmp_path):
    with pytest.raises(PactwatchError, match=r"unknown file type '\.xlsx'"):
        to_file(panel, tmp_path / "p.xlsx")
    with pytest.raises(PactwatchError, match="does not exist"):
        to_file(panel, tmp_path / "nodir" / "p.csv")


def test_cli_state_years(data_dir, tmp_path, src):
    out = tmp_path / "sy.parquet"
    res = runner.invoke(app, ["panel", "state-years", "--start", "2000", "--end", "2016", "--add", "nmc,democracy,majors",
                              "--out", str(out), "--data-dir", str(data_dir), "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    df = pd.read_parquet(out)
    expected = state_years(2000, 2016, src=src)
    assert info["rows"] == len(df) == len(expected)
    assert [r["step"] for r in info["log"]] == ["state_years", "add_nmc", "add_democracy", "add_major_powers"]
    assert all(r["rows"] == len(expected) for r in info["log"])
    assert {"cinc", "polity2", "cowmaj"} <= set(df.columns)


def test_cli_dyad_years_table_output(data_dir, tmp_path, src):
    out = tmp_path / "dy.csv"
    res = runner.invoke(app, ["panel", "dyad-years", "--start", "1816", "--end", "1830", "--directed", "--add", "cinc,contiguity",
                              "--out", str(out), "--data-dir", str(data_dir)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert len(df) == len(dyad_years(1816, 1830, directed=True, src=src))
    assert "+ cinc (add_nmc)" in res.output and "+ contiguity (add_contiguity)" in res.output
    assert f"{len(df):,} rows" in res.output


def test_cli_unknown_step_lists_valid_ones(data_dir, tmp_path):
    res = runner.invoke(app, ["panel", "dyad-years", "--add", "nmc,bogus", "--out", str(tmp_path / "x.csv"), "--data-dir", str(data_dir)])
    assert res.exit_code != 0
    assert isinstance(res.exception, PactwatchError)
    msg = str(res.exception)
    assert "bogus" in msg and "nmc" in msg and "democracy" in msg and "valid steps" in msg
    res = runner.invoke(app, ["panel", "state-years", "--out", str(tmp_path / "x.xlsx"), "--data-dir", str(data_dir)])
    assert isinstance(res.exception, PactwatchError) and ".xlsx" in str(res.exception)
    res = runner.invoke(app, ["panel", "state-years", "--end", "2020", "--out", str(tmp_path / "x.csv"), "--data-dir", str(data_dir)])
    assert isinstance(res.exception, PactwatchError) and "carry_forward" in str(res.exception)


def test_cli_error_is_clean_in_a_real_process(data_dir, tmp_path):
    exe = Path(sys.executable).parent / "pactwatch"
    if not exe.exists():
        pytest.skip("console script not installed")
    env = {**os.environ, "PACTWATCH_DATA_DIR": str(data_dir)}
    p = subprocess.run([str(exe), "panel", "state-years", "--add", "nope", "--out", str(tmp_path / "x.csv")],
                       capture_output=True, text=True, env=env, timeout=120)
    assert p.returncode != 0 and "Traceback" not in p.stderr and "valid steps" in p.stderr


def test_cli_refuses_a_step_that_changes_the_rows(data_dir, tmp_path, monkeypatch):
    """A (plugin) step that drops rows is refused with a clear error, and nothing is written."""
    from pactwatch.panels import steps

    monkeypatch.setitem(steps.STEPS, "drop-one", lambda panel, src=None: panel.iloc[1:])
    out = tmp_path / "x.csv"
    res = runner.invoke(app, ["panel", "state-years", "--start", "2000", "--end", "2001", "--add", "drop-one",
                              "--out", str(out), "--data-dir", str(data_dir)])
    assert isinstance(res.exception, PactwatchError)
    assert "drop-one" in str(res.exception) and "changed the number of rows" in str(res.exception)
    assert not out.exists()
