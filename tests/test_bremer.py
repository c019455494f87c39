"""bremer-1992: row counts against independent pandas figures, the logit against statsmodels, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.replications import bremer as B


@pytest.fixture(scope="module")
def result(src):
    return B.bremer_1992(src)


def _rows(res, step):
    return [r["rows"] for r in res.step_rows if r["step"] == step][-1]


def _independent_prd(src) -> pd.DataFrame:
    """Non-directed PRD dyad-years 1816-2010 from peacesciencer's cow_ddy, cow_contdir (spells, type 1-5) and the COW
    majors2016 list, with plain pandas."""
    d = src.table("ps_cow_ddy")
    d = d[(d["ccode1"] < d["ccode2"]) & (d["year"] <= 2010)][["ccode1", "ccode2", "year"]].astype("int64")
    c = src.table("cow_contdir")
    c = c[c["conttype"] > 0]
    rows = []
    for r in c.itertuples():
        a, b = int(min(r.ccode1, r.ccode2)), int(max(r.ccode1, r.ccode2))
        for y in range(int(str(r.stdate)[:4]), int(str(r.enddate)[:4]) + 1):
            rows.append((a, b, y))
    contig = pd.DataFrame(rows, columns=["ccode1", "ccode2", "year"]).drop_duplicates().assign(contig=1)
    m = src.table("cow_majors")
    maj = pd.DataFrame([(int(r.ccode), y) for r in m.itertuples() for y in range(int(r.styear), int(r.endyear) + 1)],
                       columns=["ccode", "year"]).drop_duplicates().assign(major=1)
    d = d.merge(contig, how="left", on=["ccode1", "ccode2", "year"])
    d = d.merge(maj.rename(columns={"ccode": "ccode1", "major": "maj1"}), how="left", on=["ccode1", "year"])
    d = d.merge(maj.rename(columns={"ccode": "ccode2", "major": "maj2"}), how="left", on=["ccode2", "year"])
    return d[(d["contig"] == 1) | (d["maj1"] == 1) | (d["maj2"] == 1)]


def test_step_row_counts_match_independent_figures(result, src):
    d = src.table("ps_cow_ddy")
    nd = d[(d["ccode1"] < d["ccode2"]) & (d["year"] <= 2010)]
    assert _rows(result, "dyad_years") == len(nd)
    prd = _independent_prd(src)
    assert _rows(result, "filter_prd") == len(prd)
    # every later step keeps the PRD rows
    after = [r["rows"] for r in result.step_rows[[r["step"] for r in result.step_rows].index("filter_prd"):]]
    assert set(after) == {len(prd)}
    assert len(result.data) == len(prd)
    got = result.data[["ccode1", "ccode2", "year"]].sort_values(["ccode1", "ccode2", "year"]).to_numpy()
    np.testing.assert_array_equal(got, prd[["ccode1", "ccode2", "year"]].sort_values(["ccode1", "ccode2", "year"]).to_numpy())


def test_onsets_and_spells(result, src):
    g = src.table("gml_mid_ddydisps")
    g = g[(g["ccode1"] < g["ccode2"]) & (g["gmlmidonset"] == 1)].astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    keys = result.data[["ccode1", "ccode2", "year"]]
    assert (result.data["gmlmidonset"] == 1).sum() == len(keys.merge(g[["ccode1", "ccode2", "year"]]))
    assert result.data["gmlmidspell"].notna().all() and (result.data["gmlmidspell"] >= 0).all()


def test_recodes_against_pandas(result):
    d = result.data
    lo = lambda a, b: d[[a, b]].min(axis=1, skipna=False)  # noqa: E731
    hi = lambda a, b: d[[a, b]].max(axis=1, skipna=False)  # noqa: E731

    def r2sd(s):
        return (s - s.mean()) / (2 * s.std())  # pandas: skipna, ddof=1 (R's sd)

    milit = pd.DataFrame({"m1": d["milper1"].astype(float) / d["tpop1"].astype(float),
                          "m2": d["milper2"].astype(float) / d["tpop2"].astype(float)}).replace([np.inf, -np.inf], np.nan)
    expect = {
        "cincprop": r2sd((lo("cinc1", "cinc2") / hi("cinc1", "cinc2")).replace([np.inf, -np.inf], np.nan)),
        "mindemest": r2sd(lo("aeuds1", "aeuds2")),
        "minmgdppc": r2sd(lo("mrgdppc1", "mrgdppc2")),
        "minmilit": r2sd(milit.min(axis=1, skipna=False)),
    }
    for k, v in expect.items():
        np.testing.assert_allclose(d[k].to_numpy(float), v.to_numpy(float), rtol=1e-10, atol=1e-12, equal_nan=True)
        x = d[k].dropna()
        assert abs(x.mean()) < 1e-10 and abs(x.std() - 0.5) < 1e-10
    assert ((d["landcontig"] == 1) == (d["conttype"] == 1)).all()
    assert ((d["cowmajdyad"] == 1) == ((d["cowmaj1"] == 1) | (d["cowmaj2"] == 1))).all()


def test_listwise_deletion_report(result):
    d = result.data
    complete = d[B.MODEL_VARS].dropna()
    assert result.n == len(complete)
    miss = result.missing
    assert miss.loc["(any)", "na"] == len(d) - len(complete)
    for v in B.MODEL_VARS:
        assert miss.loc[v, "na"] == d[v].isna().sum()
    assert miss["dropped_only_for_this"].drop("(any)").sum() <= miss.loc["(any)", "na"]
    assert result.n_onsets == int(complete["gmlmidonset"].sum())


def test_logit_matches_statsmodels_logit_and_glm(result):
    import statsmodels.api as sm

    d = result.data[B.MODEL_VARS + ["gmlmidspell2", "gmlmidspell3"]].dropna()
    X = sm.add_constant(d[B.TERMS].astype(float), has_constant="add")
    y = d["gmlmidonset"].astype(float)
    glm = sm.GLM(y, X, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=100)
    logit = sm.Logit(y, X).fit(method="newton", tol=1e-12, maxiter=100, disp=0)
    ours = result.coefficients
    for ref in (glm, logit):
        np.testing.assert_allclose(ours["coef"].to_numpy(), ref.params.to_numpy(), rtol=1e-6, atol=1e-12)
        np.testing.assert_allclose(ours["se"].to_numpy(), ref.bse.to_numpy(), rtol=1e-6, atol=1e-12)
    assert result.loglik == pytest.approx(logit.llf, abs=1e-6)
    assert result.loglik == pytest.approx(glm.llf, abs=1e-6)
    assert result.loglik_null == pytest.approx(logit.llnull, abs=1e-6)
    np.testing.assert_allclose(ours["p"].to_numpy(), logit.pvalues.to_numpy(), rtol=1e-6, atol=1e-300)
    assert result.converged


def test_logit_newton_known_truth():
    rng = np.random.default_rng(3)
    n = 20000
    X = np.column_stack([np.ones(n), rng.normal(size=n), rng.integers(0, 50, n) ** 3 / 1e3])
    beta = np.array([-1.0, 0.8, -0.01])
    y = (rng.random(n) < 1 / (1 + np.exp(-X @ beta))).astype(float)
    fit = B.logit_newton(y, X)
    assert fit.converged
    assert np.all(np.abs(fit.params - beta) < 4 * np.sqrt(np.diag(fit.cov)))
    with pytest.raises(PactwatchError, match="singular"):
        B.logit_newton(y, np.column_stack([X, X[:, 1]]))


def test_cli_json_and_unknown_name(src, data_dir, tmp_path):
    from typer.testing import CliRunner

    from pactwatch.cli import app
    from pactwatch.cli.replicate import get_replication

    runner = CliRunner()
    res = runner.invoke(app, ["replicate", "bremer-1992", "--json", "--data-dir", str(data_dir), "--db", str(tmp_path / "none.duckdb")])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["n"] > 100000 and out["step_rows"][0]["step"] == "dyad_years"
    assert [c["term"] for c in out["coefficients"]] == ["const", *B.TERMS]
    assert any(m["variable"] == "minmilit" for m in out["missing"])
    table = runner.invoke(app, ["replicate", "bremer-1992", "--data-dir", str(data_dir), "--db", str(tmp_path / "none.duckdb")])
    assert table.exit_code == 0 and "log-likelihood" in table.stdout and "filter_prd" in table.stdout
    with pytest.raises(PactwatchError, match="bremer-1992"):
        get_replication("bremer-1993")
    bad = runner.invoke(app, ["replicate", "nonsense"])
    assert bad.exit_code != 0 and isinstance(bad.exception, PactwatchError) and "known:" in str(bad.exception)
