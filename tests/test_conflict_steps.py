"""Conflict steps (pactwatch.panels.conflict) checked against figures computed independently from the raw tables."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.panels import conflict as C
from pactwatch.panels import prd as P


# ------------------------------------------------------------------------------------------------ reference counters
def btscs_loop(x: list[int]) -> list[int]:
    """DAMisc/stevemisc ``ps_btscs`` spell loop, transcribed line by line, with the length-1 case that R's ``2:length(x)``
    gets wrong (it iterates j = 2, 1 and compares x[2] = NA) handled as the single spell 0."""
    tmp = [0] * len(x)
    runcount = 0
    for j in range(1, len(x)):
        if x[j] == 0 and x[j - 1] == 0:
            runcount += 1
            tmp[j] = runcount
        if x[j] != 0 and x[j - 1] == 0:
            tmp[j] = runcount + 1
            runcount = 0
        if x[j] == 0 and x[j - 1] != 0:
            tmp[j] = runcount = 0
    return tmp


def spells_ongo_loop(x: list[int]) -> list[float]:
    """ps_spells(ongoing = TRUE) by hand: the first 1 of a run is a failure, later 1s are NA, counting restarts after."""
    out, count, prev = [], 0, 0
    for v in x:
        if v == 1 and prev == 1:
            out.append(np.nan)
        else:
            out.append(count)
            count = 0 if v == 1 else count + 1
        if v == 1 and prev == 1:
            count = 0
        prev = v
    return out


def reference_spells(df: pd.DataFrame, unit: list[str], event: str) -> pd.Series:
    """The loop above applied per unit (rows in year order), assembled back in the frame's row order."""
    s = df.sort_values([*unit, "year"])
    ev = s[event].astype(int).to_numpy()
    u = s[unit].to_numpy()
    cuts = np.flatnonzero((u[1:] != u[:-1]).any(axis=1)) + 1
    out = np.concatenate([btscs_loop(chunk.tolist()) for chunk in np.split(ev, cuts)])
    return pd.Series(out.astype(float), index=s.index).reindex(df.index)


# ------------------------------------------------------------------------------------------------ the counter itself
@pytest.mark.parametrize(
    "events, expected",
    [
        ([0, 0, 1, 0, 1, 1, 0], [0, 1, 2, 0, 1, 0, 0]),
        ([1], [0]),
        ([0], [0]),
        ([1, 1, 1], [0, 0, 0]),
        ([0, 0, 0, 0], [0, 1, 2, 3]),
        ([0, 1, 0, 0, 0, 1], [0, 1, 0, 1, 2, 3]),
    ],
)
def test_spell_counter_hand_cases(events, expected):
    n = len(events)
    got = C.spells(np.zeros(n, dtype=np.int64), np.arange(2000, 2000 + n), np.array(events, dtype=float))
    assert got.tolist() == expected
    assert btscs_loop(events) == expected  # the reference agrees with the hand figures too


def test_spell_counter_ongo_restarts_after_a_run():
    ev = [0, 1, 1, 1, 0, 0, 1, 0]
    got = C.spells(np.zeros(8, dtype=np.int64), np.arange(8), np.array(ev, dtype=float), ongo=True)
    exp = spells_ongo_loop(ev)
    np.testing.assert_array_equal(got, np.array(exp, dtype=float))
    assert np.isnan(got[2]) and np.isnan(got[3]) and got[4] == 0 and got[6] == 2


def test_spell_counter_random_against_loop():
    rng = np.random.default_rng(7)
    n_units = 300
    lens = rng.integers(1, 30, n_units)
    units = np.repeat(np.arange(n_units), lens)
    years = np.concatenate([np.arange(k) for k in lens]) + 1900
    ev = (rng.random(len(units)) < 0.2).astype(float)
    perm = rng.permutation(len(units))  # input order must not matter
    got = np.empty(len(units))
    got[perm] = C.spells(units[perm], years[perm], ev[perm])
    df = pd.DataFrame({"u": units, "year": years, "e": ev})
    np.testing.assert_array_equal(got, reference_spells(df, ["u"], "e").to_numpy())


# ------------------------------------------------------------------------------------------------ small built panel
def _tiny_panel() -> pd.DataFrame:
    rows = [(2, 20, y) for y in range(1990, 1995)] + [(2, 346, 1992)] + [(200, 220, y) for y in (1990, 1991)]
    return pd.DataFrame(rows, columns=["ccode1", "ccode2", "year"])


def test_peace_years_single_year_dyad_with_ongoing_dispute_does_not_break():
    p = _tiny_panel()
    p["gmlmidongoing"] = [0, 1, 1, 0, 0, 1, 0, 0]
    p["gmlmidonset"] = [0, 1, 0, 0, 0, 1, 0, 0]
    out = C.add_peace_years(p)
    assert out["gmlmidspell"].tolist() == [0, 1, 0, 0, 1, 0, 0, 1]
    assert len(out) == len(p) and out.attrs["pactwatch_log"][-1]["step"] == "add_spells(gmlmid, ongoing)"
    onset = C.add_spells(p, conflict_event_type="onset")
    assert onset["gmlmidspell"].tolist() == [0, 1, 0, 1, 2, 0, 0, 1]


def test_spells_na_beyond_coverage_and_na_inside_is_an_error():
    p = _tiny_panel()
    p["gmlmidongoing"] = [0, 1, 0, np.nan, np.nan, 1, 0, 0]
    p["gmlmidonset"] = p["gmlmidongoing"]
    out = C.add_spells(p)
    assert out["gmlmidspell"].isna().tolist() == [False, False, False, True, True, False, False, False]
    p.loc[1, "gmlmidongoing"] = np.nan
    p.loc[3, "gmlmidongoing"] = 0
    with pytest.raises(PactwatchError, match="between observed years"):
        C.add_spells(p)


def test_spells_need_a_conflict_series():
    with pytest.raises(PactwatchError, match="no conflict series"):
        C.add_spells(_tiny_panel())


def test_filter_prd_logic_on_built_panel():
    p = _tiny_panel().iloc[:4].copy()
    p["conttype"] = [0, 1, np.nan, np.nan]
    p["cowmaj1"] = [0, 0, 1, 0]
    p["cowmaj2"] = [0, 0, 0, 0]
    out = P.filter_prd(p)
    assert out["year"].tolist() == [1991, 1992]
    rec = out.attrs["pactwatch_log"][-1]
    assert rec["rows"] == 2 and rec["dropped"] == 2 and rec["dropped_unknown_contiguity"] == 1


def test_state_year_panel_errors_are_clear():
    sy = pd.DataFrame({"ccode": [2, 2], "year": [1990, 1991]})
    with pytest.raises(PactwatchError, match="dyad-year"):
        C.add_gml_mids(sy)
    with pytest.raises(PactwatchError, match="dyad-year"):
        P.filter_prd(sy)
    with pytest.raises(PactwatchError, match="type='intra'"):
        C.add_cow_wars(sy, type="inter")


# ------------------------------------------------------------------------------------------------ real data
@pytest.fixture(scope="module")
def nd_1992(src):
    """Non-directed dyad-years 1816-1992 taken from peacesciencer's own cow_ddy (independent of pactwatch's builder)."""
    d = src.table("ps_cow_ddy")
    d = d[(d["ccode1"] < d["ccode2"]) & (d["year"] <= 1992)][["ccode1", "ccode2", "year"]].astype("int64")
    return d.reset_index(drop=True)


def test_gml_mids_counts_match_source(nd_1992, src):
    out = C.add_gml_mids(nd_1992, src=src)
    g = src.table("gml_mid_ddydisps")
    g = g[g["ccode1"] < g["ccode2"]].astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    inner = nd_1992.merge(g, on=["ccode1", "ccode2", "year"])
    assert (out["gmlmidonset"] == 1).sum() == (inner["gmlmidonset"] == 1).sum()
    assert (out["gmlmidongoing"] == 1).sum() == (inner["gmlmidongoing"] == 1).sum()
    assert out["gmlmidonset"].notna().all() and len(out) == len(nd_1992)
    assert set(out.columns) == {"ccode1", "ccode2", "year", "gmlmidonset", "gmlmidongoing"}
    # the log says the same
    rec = out.attrs["pactwatch_log"][-1]
    assert rec["onsets"] == (inner["gmlmidonset"] == 1).sum() and rec["rows"] == len(nd_1992)


def test_peace_years_real_1816_1992(nd_1992, src):
    """The case that breaks peacesciencer's add_peace_years(): on 1816-1992 some dyads exist for one year only (states that
    entered in 1992) and have a dispute under way in it. Our spells work and equal the reference loop everywhere."""
    p = C.add_gml_mids(nd_1992, src=src)
    n_obs = p.groupby(["ccode1", "ccode2"])["year"].transform("size")
    single = p[(n_obs == 1) & (p["gmlmidongoing"] == 1)]
    assert len(single) > 0  # e.g. Yugoslavia-Bosnia 1992
    out = C.add_peace_years(p)
    assert (out.loc[single.index, "gmlmidspell"] == 0).all()
    ref = reference_spells(p, ["ccode1", "ccode2"], "gmlmidongoing")
    np.testing.assert_array_equal(out["gmlmidspell"].to_numpy(), ref.to_numpy())
    # identical to add_spells' default
    np.testing.assert_array_equal(C.add_spells(p)["gmlmidspell"].to_numpy(), out["gmlmidspell"].to_numpy())


def test_mids_na_after_coverage(src):
    p = pd.DataFrame({"ccode1": [2] * 8, "ccode2": [365] * 8, "year": list(range(2008, 2016))})
    out = C.add_cow_mids(C.add_gml_mids(p, src=src), src=src)
    assert out["gmlmidongoing"].isna().tolist() == [y > 2010 for y in range(2008, 2016)]
    assert out["cowmidongoing"].isna().tolist() == [y > 2014 for y in range(2008, 2016)]
    assert out.loc[out["year"] <= 2010, "gmlmidongoing"].isin([0, 1]).all()


def test_mids_on_directed_panel_match_source_rows(src):
    d = src.table("ps_cow_ddy")
    d = d[d["year"].between(1900, 1950)][["ccode1", "ccode2", "year"]].astype("int64").reset_index(drop=True)
    out = C.add_cow_mids(d, keep=["dispnum", "hostlev"], src=src)
    c = src.table("ps_cow_mid_ddydisps")
    c = c[c["year"].between(1900, 1950)].astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    inner = d.merge(c, on=["ccode1", "ccode2", "year"])
    assert (out["cowmidongoing"] == 1).sum() == len(inner)
    assert out["dispnum"].notna().sum() == len(inner)
    with pytest.raises(PactwatchError, match="unknown column"):
        C.add_cow_mids(d.head(), keep=["nonsense"], src=src)


def test_cow_inter_wars_whittled_one_row_per_dyad_year(nd_1992, src):
    out = C.add_cow_wars(nd_1992, src=src)
    w = src.table("ps_cow_war_inter").astype({"ccode1": "int64", "ccode2": "int64", "year": "int64"})
    w = w[w["ccode1"] < w["ccode2"]]
    per = w.groupby(["ccode1", "ccode2", "year"]).agg(onset=("cowinteronset", "max")).reset_index()
    inner = nd_1992.merge(per, on=["ccode1", "ccode2", "year"])
    assert (out["cowinterongoing"] == 1).sum() == len(inner)
    assert (out["cowinteronset"] == 1).sum() == (inner["onset"] == 1).sum()
    assert len(out) == len(nd_1992)
    assert (out["batdeath1"].dropna() >= 0).all()  # -9 / -8 became NA


def test_intra_wars_state_years(src):
    sys_ = src.table("cow_system")[["ccode", "year"]].astype("int64")
    sys_ = sys_[sys_["year"] <= 2010].reset_index(drop=True)
    out = C.add_cow_wars(sys_, type="intra", src=src)
    w = src.table("ps_cow_war_intra")
    w = w[w["primary_state"] == 1].rename(columns={"ccodea": "ccode"}).astype({"ccode": "int64", "year": "int64"})
    inner = sys_.merge(w[["ccode", "year"]].drop_duplicates(), on=["ccode", "year"])
    assert (out["cowintraongoing"] == 1).sum() == len(inner)
    assert out.loc[out["year"] > 2008, "cowintraongoing"].isna().all()
    assert out.loc[out["year"] <= 2007, "cowintraongoing"].notna().all()
    cc = C.add_cow_wars(sys_, type="intra", intratype="central control", src=src)
    assert (cc["cowintraongoing"] == 1).sum() < (out["cowintraongoing"] == 1).sum()
    sp = C.add_spells(out.loc[out["year"] <= 2007].reset_index(drop=True))
    assert sp["cowintraspell"].notna().all()


def test_strategic_rivalries(src):
    t = src.table("tss_rivalries")
    expected = set()
    for r in t.itertuples():
        for y in range(int(r.start), int(r.end) + 1):
            a, b = int(r.ccode1), int(r.ccode2)
            a, b = (305 if a == 300 and y >= 1919 else a), (305 if b == 300 and y >= 1919 else b)
            if y >= 1816:
                expected.add((min(a, b), max(a, b), y))
    ex = pd.DataFrame(sorted(expected), columns=["ccode1", "ccode2", "year"])
    d = src.table("ps_cow_ddy")
    nd = d[d["ccode1"] < d["ccode2"]][["ccode1", "ccode2", "year"]].astype("int64").reset_index(drop=True)
    out = C.add_strategic_rivalries(nd, src=src)
    assert (out["ongoingrivalry"] == 1).sum() == len(nd.merge(ex))
    inside = out["year"] <= 2020
    assert out.loc[inside, "ongoingrivalry"].notna().all() and out.loc[~inside, "ongoingrivalry"].isna().all()
    late = pd.DataFrame({"ccode1": [2] * 4, "ccode2": [365] * 4, "year": [2018, 2019, 2020, 2021]})
    lo = C.add_strategic_rivalries(late, src=src)
    assert lo["ongoingrivalry"].tolist()[:3] == [1, 1, 1] and np.isnan(lo["ongoingrivalry"].iloc[3])
    # Austria after 1918 carries the Austria-Hungary rivalry with Serbia/Yugoslavia (tssr_id 76), as in peacesciencer
    aus = out[(out["ccode1"] == 305) & (out["ccode2"] == 345) & (out["ongoingrivalry"] == 1)]
    assert len(aus) > 0 and set(aus["tssr_id"]) == {76}
    td = C.add_strategic_rivalries(late.assign(year=[2008, 2009, 2010, 2011]), data="td", src=src)
    assert np.isnan(td["ongoingrivalry"].iloc[3])
    sy = C.add_strategic_rivalries(pd.DataFrame({"ccode": [2, 2], "year": [1950, 2021]}), src=src)
    assert sy["n_rivalries"].iloc[0] >= 1 and np.isnan(sy["n_rivalries"].iloc[1])


def test_filter_prd_prescreen_gives_the_same_rows_as_the_full_path(src):
    from pactwatch.panels.dyads import dyad_years
    from pactwatch.panels.steps import add_contiguity, add_major_powers

    p = dyad_years(1816, 2016, src=src)
    fast = P.filter_prd(p, src=src)
    full = P.filter_prd(add_major_powers(add_contiguity(p, src=src), src=src), src=src)
    cols = ["ccode1", "ccode2", "year", "conttype", "cowmaj1", "cowmaj2"]
    pd.testing.assert_frame_equal(fast[cols].reset_index(drop=True), full[cols].reset_index(drop=True))
    steps = [r["step"] for r in fast.attrs["pactwatch_log"]]
    assert "filter_prd (pre-screen)" in steps
    assert fast.attrs["pactwatch_log"][-1]["dropped"] == len(p) - len(fast)


class _NullableSource:
    """Serves the tables with pandas nullable dtypes (Int64, string, NA), the way the DuckDB store returns them."""

    def __init__(self, src):
        self._src = src

    def table(self, name):
        return self._src.table(name).convert_dtypes()


def test_steps_give_the_same_result_from_nullable_typed_tables(nd_1992, src):
    p = nd_1992[nd_1992["year"] >= 1900].reset_index(drop=True)
    sy = src.table("cow_system")[["ccode", "year"]].astype("int64")
    sy = sy[sy["year"].between(1950, 2010)].reset_index(drop=True)
    outs = []
    for s in (src, _NullableSource(src)):
        d = C.add_spells(C.add_cow_wars(C.add_cow_mids(C.add_gml_mids(p, src=s), keep=["dispnum"], src=s), src=s))
        d = C.add_strategic_rivalries(d, src=s)
        st = C.add_strategic_rivalries(C.add_cow_wars(sy, type="intra", src=s), src=s)
        outs.append((d, st))
    for a, b in zip(*outs):
        for c in a.columns:
            x, y = a[c], b[c]
            if x.dtype.kind in "iufb" and str(y.dtype) not in ("string", "object"):
                np.testing.assert_allclose(x.to_numpy(float, na_value=np.nan), y.to_numpy(float, na_value=np.nan),
                                           equal_nan=True, err_msg=c)
            else:
                assert (x.astype(str).where(x.notna(), "NA") == y.astype(str).where(y.notna(), "NA")).all(), c


def test_conflict_and_steps_import_one_way():
    """panels.conflict imports neither panels.steps nor panels.prd; steps lists the conflict steps; prd builds on steps."""
    import subprocess
    import sys

    code = ("import sys, pactwatch.panels.conflict; "
            "assert 'pactwatch.panels.steps' not in sys.modules and 'pactwatch.panels.prd' not in sys.modules; "
            "from pactwatch.panels.steps import STEPS; assert STEPS['mids'] is pactwatch.panels.conflict.add_gml_mids")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
