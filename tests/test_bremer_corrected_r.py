"""bremer-1992 ``variant="corrected"`` against the same rules written independently in R (tests/r/
bremer_corrected_crosscheck.R), from the same CSVs: a cross-implementation check of pactwatch's corrected variant, not a
replication check (the comparison with peacesciencer itself is in tests/test_bremer.py, against its figures).

Skipped when Rscript (with dplyr, readr, jsonlite) is not installed.
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from pactwatch.replications import bremer as B

RSCRIPT = shutil.which("Rscript")
SCRIPT = Path(__file__).parent / "r" / "bremer_corrected_crosscheck.R"


def _r_has(pkgs: list[str]) -> bool:
    code = "quit(status = as.integer(!all(sapply(c(%s), requireNamespace, quietly = TRUE))))" % ",".join(f'"{p}"' for p in pkgs)
    return subprocess.run([RSCRIPT, "-e", code], capture_output=True).returncode == 0


pytestmark = pytest.mark.skipif(RSCRIPT is None or not _r_has(["dplyr", "readr", "jsonlite"]),
                                reason="Rscript with dplyr, readr and jsonlite is not installed")


def test_corrected_variant_matches_independent_r_pipeline(src, data_dir, tmp_path):
    out = tmp_path / "r.json"
    proc = subprocess.run([RSCRIPT, str(SCRIPT), str(data_dir), str(out)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    r = json.loads(out.read_text())
    py = B.bremer_1992(src, variant="corrected")
    rows = {s["step"]: s["rows"] for s in py.step_rows}
    assert rows["dyad_years"] == r["dyad_years"]
    assert rows["filter_prd"] == r["prd"]
    assert py.n == r["n"] and py.n_onsets == r["onsets"]
    assert r["converged"]
    assert py.loglik == pytest.approx(r["loglik"], abs=1e-6)
    np.testing.assert_allclose(py.coefficients["coef"].to_numpy(), np.array(r["coef"]), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(py.coefficients["se"].to_numpy(), np.array(r["se"]), rtol=1e-6, atol=1e-12)
