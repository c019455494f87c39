"""Replications leeds-savun-2007 and bennett-1997, checked against figures computed independently from the raw ATOP /
threat tables and against independent estimators (lifelines, scipy maximum likelihood)."""
import json
import math

import numpy as np
import pandas as pd
import pytest
from rich.console import Console
from scipy import optimize

from pactwatch.cli.replicate import get_replication
from pactwatch.errors import DataError
from pactwatch.replications import bennett as bn
from pactwatch.replications import leeds_savun as ls
from tests.helpers.alliance_panels import alliance_panels


def _text(renderable) -> str:
    con = Console(width=240, record=True, file=open("/dev/null", "w"))
    con.print(renderable)
    return con.export_text()


@pytest.fixture(scope="module")
def p(data_dir):
    return alliance_panels(data_dir)


@pytest.fixture(scope="module")
def ls_data(p):
    return ls.build(p)


@pytest.fixture(scope="module")
def ls_result(p):
    return ls.analyze(p)


@pytest.fixture(scope="module")
def bn_result(p):
    return bn.analyze(p, windows={"bennett": bn.WINDOWS["bennett"]})  # the extended window: same code, more rows


# ------------------------------------------------------------------------------------------------ Leeds & Savun
def test_ls_sample_matches_raw_atop(src, ls_data):
    df, counts = ls_data
    a, m = src.table("atop_alliance"), src.table("atop_member")
    formed = a[a["begyr"].between(1816, 1989)]
    assert counts["alliances_formed_1816_1989"] == len(formed)
    ids = set(df["atopid"].unique())
    assert counts["bilateral_alliances"] == len(ids) == len(formed) - counts["excluded_multilateral"]
    # every alliance that ever had at most two distinct members is in; the few others are succession cases
    n_members = m.groupby("atopid")["member"].nunique()
    two = set(formed.loc[formed["atopid"].map(n_members) <= 2, "atopid"])
    assert two <= ids
    assert len(ids - two) <= 10
    # window: begin year .. min(end year, 2003), one row per year (bilateral alliances have no member gaps)
    span = formed[formed["atopid"].isin(ids)].assign(
        last=lambda d: np.where((d["ineffect"] == 0) & (d["endyr"] <= 2003), d["endyr"], 2003))
    n = (span["last"] - span["begyr"] + 1).set_axis(span["atopid"])
    got = df.groupby("atopid").size()
    gap = (n - got)[lambda x: x != 0]
    assert counts["member_gap_years"] == {int(k): int(v) for k, v in gap.items()}
    # the missing rows are exactly the years no member record of the raw member file covers
    for aid, n_gap in gap.items():
        r = span.set_index("atopid").loc[aid]
        mem = m[m["atopid"] == aid]
        covered = {y for q in mem.itertuples() for y in range(int(q.yrent), int(q.yrexit if q.ineffect == 0 else 2003) + 1)}
        assert n_gap == len(set(range(int(r["begyr"]), int(r["last"]) + 1)) - covered)
    assert df["year"].max() == 2003 and not df.duplicated(["atopid", "year"]).any()
    assert (df.groupby("atopid")["start"].min() == 0).all()


def test_ls_abrogations_from_raw_member_file(src, ls_data):
    df, counts = ls_data
    ids = set(df["atopid"].unique())
    a, m = src.table("atop_alliance"), src.table("atop_member")
    ended = a[a["atopid"].isin(ids) & (a["ineffect"] == 0) & (a["endyr"] <= 2003)]
    mm = m.merge(ended[["atopid", "endyr", "endmo"]], on="atopid")
    broken = set(mm.loc[(mm["termmode"] == 3) & (mm["yrexit"] == mm["endyr"]) & (mm["moexit"] == mm["endmo"]), "atopid"])
    assert counts["ended_by_obs_end"] == len(ended)
    assert counts["abrogations"] == len(broken) == int((df["cause"] == 1).sum())
    assert set(df.loc[df["cause"] == 1, "atopid"]) == broken
    assert counts["other_ends"] == len(ended) - len(broken)
    assert counts["abrogations_term2"] == int((ended["term"] == 2).sum())
    # the event sits in the alliance's end year, once per ended alliance
    ev = df[df["cause"] > 0]
    assert ev["atopid"].is_unique
    assert (ev["year"].to_numpy() == ev["atopid"].map(ended.set_index("atopid")["endyr"]).to_numpy()).all()


def test_ls_threat_and_democracy_from_raw_tables(src, ls_data):
    df, _ = ls_data
    th = src.table("rep_leeds_savun_threat").dropna(subset=["ccode"])
    my = src.table("atop_member")
    # members of each sample alliance in each year, straight from the member file (bilateral: no re-entry in-year)
    rows = df[["atopid", "year"]].sample(400, random_state=1)
    thr = th.set_index(["ccode", "year"])["lsthreat"]
    from pactwatch.panels.states import democracy_state_years

    pol = democracy_state_years(src).set_index(["ccode", "year"])["polity2"]
    got = df.set_index(["atopid", "year"])
    n_checked = 0
    for aid, yr in rows.itertuples(index=False):
        mem = my[(my["atopid"] == aid) & (my["yrent"] <= yr) & ((my["ineffect"] == 1) | (my["yrexit"] >= yr))]
        ccs = sorted(set(mem["member"].astype(int)))
        vals = [thr.get((c, yr), np.nan) for c in ccs]
        exp_thr = np.nan if any(pd.isna(v) for v in vals) else max(vals)
        pv = [pol.get((c, yr), np.nan) for c in ccs]
        if any(v >= 6 for v in pv if pd.notna(v)):
            exp_dem = 1.0
        elif any(pd.isna(v) for v in pv):
            exp_dem = np.nan
        else:
            exp_dem = 0.0
        g = got.loc[(aid, yr)]
        assert (pd.isna(g["threat"]) and pd.isna(exp_thr)) or g["threat"] == pytest.approx(exp_thr), (aid, yr)
        assert (pd.isna(g["democracy"]) and pd.isna(exp_dem)) or g["democracy"] == exp_dem, (aid, yr)
        n_checked += 1
    assert n_checked == 400


def test_ls_coefficients_match_lifelines_refit(ls_data, ls_result):
    from lifelines import CoxTimeVaryingFitter

    df, _ = ls_data
    cc = df.dropna(subset=ls.TERMS)
    assert ls_result["counts"]["n_dropped_missing"] == len(df) - len(cc)
    assert ls_result["n"] == len(cc)
    for col, key in (("cause", "coefficients"), ("cause_term2", None)):
        d = cc[["atopid", "start", "stop", *ls.TERMS]].assign(ev=(cc[col] == 1).astype(int))
        lf = CoxTimeVaryingFitter().fit(d, id_col="atopid", event_col="ev", start_col="start", stop_col="stop")
        rows = ls_result[key] if key else ls_result["sensitivity_term2"]["coefficients"]
        for r in rows:
            assert r["coef"] == pytest.approx(lf.params_[r["term"]], abs=1e-6)
            assert r["se_naive"] == pytest.approx(lf.standard_errors_[r["term"]], rel=1e-5)
    # the other-ends model censors abrogations
    d = cc[["atopid", "start", "stop", *ls.TERMS]].assign(ev=(cc["cause"] == 2).astype(int))
    lf = CoxTimeVaryingFitter().fit(d, id_col="atopid", event_col="ev", start_col="start", stop_col="stop")
    for r in ls_result["other_end"]:
        assert r["coef"] == pytest.approx(lf.params_[r["term"]], abs=1e-6)


def test_ls_sign_report(ls_result):
    rows = {r["term"]: r for r in ls_result["coefficients"]}
    assert set(rows) == set(ls.TERMS)
    for term, exp in ls.EXPECTED.items():
        r = rows[term]
        if exp is None:
            assert r["sign_matches"] is None and r["expected_sign"] is None
        else:
            assert r["expected_sign"] == ("+" if exp > 0 else "-")
            assert r["sign_matches"] == (np.sign(r["coef"]) == exp)
        assert r["se"] > 0 and r["published_coef"] is None
    checked = [r for r in rows.values() if r["sign_matches"] is not None]
    assert ls_result["signs_matching"] == f"{sum(r['sign_matches'] for r in checked)}/5"
    assert "cluster" in ls_result["se_type"]


def test_ls_render_and_json(ls_result):
    from pactwatch.models.base import jsonable

    txt = _text(ls.render(jsonable(ls_result)))
    assert "published: not available" in txt and "alliance-year" in txt
    for r in ls_result["coefficients"]:
        assert f"{r['coef']:.3f}" in txt
    json.dumps(jsonable(ls_result), allow_nan=False)
    assert get_replication("leeds-savun-2007")["run"] is ls.run
    assert get_replication("bennett-1997")["run"] is bn.run


class _Fake:
    def __init__(self, df):
        self.df = df

    def table(self, name):
        return self.df


def test_ls_bad_threat_table():
    with pytest.raises(DataError, match="lsthreat"):
        ls.load_threat(_Fake(pd.DataFrame({"ccode": [2], "year": [1900]})))
    with pytest.raises(DataError, match="duplicated"):
        ls.load_threat(_Fake(pd.DataFrame({"ccode": [2, 2], "year": [1900, 1900], "lsthreat": [0.1, 0.2]})))
    th, n = ls.load_threat(_Fake(pd.DataFrame({"ccode": [2, None], "year": [1900, 2010], "lsthreat": [0.1, 0.0]})))
    assert n == 1 and len(th) == 1


# ------------------------------------------------------------------------------------------------------ Bennett
def _weibull_nll(theta, Z, start, stop, event):
    k = Z.shape[1]
    eta = Z @ theta[:k]
    rho = np.exp(theta[k])
    lam = np.exp(eta)
    H = (stop / lam) ** rho - (start / lam) ** rho
    logh = theta[k] - eta + (rho - 1) * (np.log(stop) - eta)
    return -(np.sum(event * logh) - np.sum(H))


def test_bennett_band_hazards_from_raw_atop(src, bn_result):
    a, m = src.table("atop_alliance"), src.table("atop_member")
    w = bn_result["windows"]["bennett"]
    f = a[a["begyr"].between(1816, 1984)]
    ended = (f["ineffect"] == 0) & (f["endyr"] <= 1984)
    end_age = (f["endyr"] - f["begyr"] + 1)[ended]
    assert w["alliances"] == len(f) and w["events"] == int(ended.sum())
    # ages (row stops) at which some member record covers the year, up to 1984
    beg = f.set_index("atopid")["begyr"]
    mm = m[m["atopid"].isin(beg.index)]
    years = {(r.atopid, y) for r in mm.itertuples()
             for y in range(int(r.yrent), int(min(r.yrexit if r.ineffect == 0 else 1984, 1984)) + 1)}
    ages = np.array([y - beg[aid] + 1 for aid, y in years])
    for r in w["marginal"]["band_hazards"]:
        lo, hi = r["age_from"], r["age_to"]
        assert r["events"] == int(((end_age > lo) & (end_age <= hi)).sum())
        assert r["exposure_years"] == int(((ages > lo) & (ages <= hi)).sum())
        assert r["hazard"] == pytest.approx(r["events"] / r["exposure_years"])
        assert r["lower"] <= r["hazard"] <= r["upper"]


def test_bennett_km_hazard_matches_lifelines(p, bn_result):
    from lifelines import KaplanMeierFitter

    d = bn.build(p, 1816, 1984)
    km = KaplanMeierFitter().fit(d["stop"], d["event"], entry=d["start"])
    sf = km.survival_function_["KM_estimate"]

    def S(t):
        return float(sf[sf.index <= t].iloc[-1])

    for r in bn_result["windows"]["bennett"]["marginal"]["band_hazards"]:
        top = min(r["age_to"], d.loc[(d["stop"] > r["age_from"]) & (d["stop"] <= r["age_to"]), "stop"].max())
        exp = -math.log(S(top) / S(r["age_from"])) / (top - r["age_from"])
        assert r["km_average_hazard"] == pytest.approx(exp, abs=1e-10)


def test_bennett_weibull_shapes_by_scipy(p, bn_result):
    d = bn.build(p, 1816, 1984)
    cc = d.dropna(subset=bn.TERMS)
    w = bn_result["windows"]["bennett"]
    assert w["n_dropped_missing"] == len(d) - len(cc)
    for rows, covs, got in ((d, [], w["marginal"]["weibull_all_rows"]), (cc, [], w["marginal"]["weibull_complete_cases"]),
                            (cc, bn.TERMS, w["conditional"])):
        Z = np.column_stack([rows[covs].to_numpy(float), np.ones(len(rows))])
        args = (Z, rows["start"].to_numpy(float), rows["stop"].to_numpy(float), rows["event"].to_numpy(float))
        x0 = np.zeros(Z.shape[1] + 1)
        x0[Z.shape[1] - 1] = 3.0
        opt = optimize.minimize(_weibull_nll, x0, args=args, method="BFGS", options={"gtol": 1e-8, "maxiter": 5000})
        assert got["p"] == pytest.approx(math.exp(opt.x[-1]), rel=1e-3)
        assert got["log_likelihood"] == pytest.approx(-opt.fun, abs=1e-3)
        assert got["lower"] < got["p"] < got["upper"]
        assert got["lower"] == pytest.approx(math.exp(got["log_p"] - 1.959964 * got["se_log_p"]), rel=1e-6)
        assert got["direction"] == ("rising" if got["p"] > 1 else "falling")
        assert got["significant"] == (got["lower"] > 1 or got["upper"] < 1)
    assert bn_result["conditional_p"] == w["conditional"]["p"]


def test_bennett_render(bn_result):
    from pactwatch.models.base import jsonable

    j = jsonable(bn_result)
    json.dumps(j, allow_nan=False)
    txt = _text(bn.render(j))
    assert "published: not available" in txt and "conditional" in txt and "marginal" in txt
    assert f"{bn_result['conditional_p']:.3f}" in txt
