"""bremer-1992: the default variant against peacesciencer 1.2.9's own figures (run in R), the corrected variant against
independent pandas figures, the logit against statsmodels, the CLI."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.replications import bremer as B


# peacesciencer 1.2.9 in R, its bremer-example vignette word for word (R 4.2.2, dplyr 1.1.4, stevemisc 1.9.0, isard 0.2.0):
# rows after each step, N, log-likelihood, glm coefficients and standard errors as R printed them.
PEER_ROWS = {"create_dyadyears": 842_655, "filter_prd": 111_991, "add_gml_mids": 111_991, "add_spells": 111_991,
             "add_nmc": 111_991, "add_democracy": 111_991, "add_atop_alliance": 111_991, "add_sim_gdp_pop": 111_991}
PEER_N, PEER_LL = 106_031, -9801.391625
PEER_COEF = {  # term: (coef, se)
    "const": (-3.5577968, 0.076443813), "landcontig": (1.0553348, 0.058143098), "cincprop": (1.0555626, 0.082491702),
    "cowmajdyad": (0.1134041, 0.059365276), "atop_defense": (-0.12995587, 0.05844265),
    "mindemest": (-0.28620791, 0.029940324), "minmgdppc": (-6.2425401e-06, 4.2840478e-06),
    "minmilit": (29.821554, 2.3848308), "gmlmidspell": (-0.14621013, 0.0051237001),
    "gmlmidspell2": (0.0025060641, 0.0001375379), "gmlmidspell3": (-1.1796812e-05, 9.1211638e-07),
}


@pytest.fixture(scope="module")
def result(src):
    return B.bremer_1992(src)


@pytest.fixture(scope="module")
def corrected(src):
    return B.bremer_1992(src, variant="corrected")


def test_default_variant_equals_peacesciencer(result):
    ours = {B.PEER_STEP_NAMES[r["step"]]: r["rows"] for r in result.step_rows if r["step"] in B.PEER_STEP_NAMES}
    assert ours == PEER_ROWS
    assert result.n == PEER_N
    assert result.loglik == pytest.approx(PEER_LL, abs=1e-3)
    for term, (coef, se) in PEER_COEF.items():
        got = result.coefficients.loc[term]
        assert round(got["coef"], 4) == round(coef, 4), term
        assert got["coef"] == pytest.approx(coef, rel=1e-5), term
        # R's glm takes its covariance from the weights of its last IRLS pass (stopping at a deviance change < 1e-8), we
        # from the converged estimates: the standard errors agree to about 2e-4
        assert got["se"] == pytest.approx(se, rel=1e-3), term
    assert all(r["equal"] for r in result.comparison())


def test_corrected_variant_differs_only_by_contiguity(result, corrected):
    keys = ["ccode1", "ccode2", "year"]
    a, b = result.data, corrected.data
    assert len(b) == 112_282 and len(b) - len(a) == 291
    both = b.merge(a[keys], on=keys, how="left", indicator=True)
    extra = both[both["_merge"] == "left_only"]
    assert len(a.merge(b[keys], on=keys)) == len(a)  # every peacesciencer row is kept
    # the extra rows are contiguous for COW but not major-power dyads: peacesciencer coded them 0
    assert (extra["conttype"] >= 1).all() and not ((extra["cowmaj1"] == 1) | (extra["cowmaj2"] == 1)).any()
    years = set(extra.loc[(extra.ccode1 == 345) & (extra.ccode2 == 350), "year"])  # Yugoslavia-Greece, land border
    assert len(years) == 79 and min(years) == 1913 and max(years) == 1993
    assert corrected.n == 106_314 and corrected.loglik == pytest.approx(-9846.004, abs=1e-3)
    assert not all(r["equal"] for r in corrected.comparison()[:3])
    # the other columns agree on the common rows (not the spells: they count panel rows, and the corrected panel has more)
    m = a.merge(b, on=keys, suffixes=("", "_c"))
    for c in ["gmlmidonset", "cinc1", "aeuds2", "atop_defense", "mrgdppc1"]:
        np.testing.assert_array_equal(m[c].to_numpy(float), m[c + "_c"].to_numpy(float))


def test_first_month_contiguity_against_month_by_month_expansion(src):
    """peacesciencer's add_contiguity(slice = "first"), written out literally: every record expanded month by month, the
    earliest month of each year wins, ties to the record listed first."""
    from pactwatch.panels.steps import contiguity_dyad_years

    c = src.table("cow_contdir").reset_index(drop=True)
    rows = []
    for i, r in enumerate(c.itertuples()):
        sd, ed = pd.Timestamp(r.stdate), pd.Timestamp(r.enddate)
        for m in pd.date_range(sd, ed, freq="MS"):
            rows.append((int(r.ccode1), int(r.ccode2), m.year, m.month, i, int(r.conttype)))
    x = pd.DataFrame(rows, columns=["ccode1", "ccode2", "year", "month", "rec", "conttype"])
    x = x.sort_values(["ccode1", "ccode2", "year", "month", "rec"]).drop_duplicates(["ccode1", "ccode2", "year"])
    ours = contiguity_dyad_years(src, rule="first-month")
    pd.testing.assert_frame_equal(
        ours.sort_values(["ccode1", "ccode2", "year"]).reset_index(drop=True).astype("int64"),
        x[["ccode1", "ccode2", "year", "conttype"]].reset_index(drop=True).astype("int64"))
    fm = ours.set_index(["ccode1", "ccode2", "year"])["conttype"]
    cl = contiguity_dyad_years(src, rule="closest").set_index(["ccode1", "ccode2", "year"])["conttype"]
    assert fm[(325, 345, 1950)] == 0 and cl[(325, 345, 1950)] == 1  # Italy-Yugoslavia: the overlapping type-0 spell


def test_unknown_variant_is_a_clear_error(src):
    with pytest.raises(PactwatchError, match="variant"):
        B.bremer_1992(src, variant="nope")


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


def test_corrected_row_counts_match_independent_figures(corrected, src):
    result = corrected
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


def test_recodes_against_pandas(src, result):
    raw = result.data
    assert not result.rescaled
    d = B.recode(B.bremer_panel(src), rescale=True)
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
    for k in expect:  # the default fits the unscaled variables, as peacesciencer does
        np.testing.assert_allclose(B.r2sd(raw[k].to_numpy(float)), d[k].to_numpy(float), rtol=1e-10, atol=1e-12, equal_nan=True)
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
    assert "peacesciencer 1.2.9 (R)" in table.stdout and "published: not available" not in table.stdout
    assert out["variant"] == "peacesciencer" and out["peer"]["n"] == PEER_N and all(r["equal"] for r in out["comparison"])
    cor = runner.invoke(app, ["replicate", "bremer-1992", "--variant", "corrected", "--json", "--data-dir", str(data_dir),
                              "--db", str(tmp_path / "none.duckdb")])
    assert cor.exit_code == 0 and json.loads(cor.stdout)["variant"] == "corrected"
    wrong = runner.invoke(app, ["replicate", "bremer-1992", "--variant", "nope", "--data-dir", str(data_dir)])
    assert wrong.exit_code != 0 and "peacesciencer, corrected" in str(wrong.exception)
    with pytest.raises(PactwatchError, match="bremer-1992"):
        get_replication("bremer-1993")
    bad = runner.invoke(app, ["replicate", "nonsense"])
    assert bad.exit_code != 0 and isinstance(bad.exception, PactwatchError) and "known:" in str(bad.exception)
