"""Dyad-years against peacesciencer's cow_ddy and its list of false dyads."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.errors import PactwatchError
from pactwatch.panels.dyads import dyad_years, naive_dyad_years


@pytest.fixture(scope="module")
def directed(src):
    return dyad_years(1816, 2016, directed=True, src=src)


@pytest.fixture(scope="module")
def ps_ddy(src):
    ps = src.table("ps_cow_ddy")
    ps = ps[ps["year"] <= 2016]  # peacesciencer's cow_ddy carries 2016 members forward to 2024 (mry = TRUE)
    return ps.astype("int64").reset_index(drop=True)


def test_directed_counts_equal_cow_ddy_every_year(directed, ps_ddy):
    ours = directed.groupby("year").size()
    theirs = ps_ddy.groupby("year").size()
    assert list(ours.index) == list(range(1816, 2017))
    pd.testing.assert_series_equal(ours, theirs, check_names=False)
    assert len(directed) == len(ps_ddy) == 1912290


def test_directed_dyad_set_equals_cow_ddy(directed, ps_ddy):
    k = lambda d: (d["ccode1"].to_numpy() * 1000 + d["ccode2"].to_numpy()) * 10000 + d["year"].to_numpy()
    assert np.array_equal(np.sort(k(directed)), np.sort(k(ps_ddy)))
    assert not directed.duplicated().any()
    assert (directed["ccode1"] != directed["ccode2"]).all()
    # sorted by ccode1, ccode2, year
    assert directed.equals(directed.sort_values(["ccode1", "ccode2", "year"], ignore_index=True))


def test_naive_count_exceeds_by_exactly_the_false_dyads(src, directed):
    naive = naive_dyad_years(1816, 2016, directed=True, src=src)
    false = src.table("ps_false_cow_dyads")[["ccode1", "ccode2", "year"]].astype("int64")
    assert len(naive) - len(directed) == len(false) == 60
    extra = naive.merge(directed, how="left", indicator=True)
    extra = extra[extra["_merge"] == "left_only"].drop(columns="_merge")
    pd.testing.assert_frame_equal(
        extra.sort_values(["ccode1", "ccode2", "year"], ignore_index=True),
        false.sort_values(["ccode1", "ccode2", "year"], ignore_index=True),
    )
    # e.g. Germany (until 8 May 1945) and the Netherlands (re-entered later in 1945) are not a dyad in 1945
    assert not ((directed["ccode1"] == 210) & (directed["ccode2"] == 255) & (directed["year"] == 1945)).any()


def test_non_directed_is_half(src, directed):
    nd = dyad_years(1816, 2016, directed=False, src=src)
    assert len(nd) * 2 == len(directed)
    assert (nd["ccode1"] < nd["ccode2"]).all()
    mirrored = pd.concat([nd, nd.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})])
    assert len(mirrored.merge(directed)) == len(directed)


def test_window(src, directed):
    w = dyad_years(1900, 1910, directed=True, src=src)
    assert w["year"].between(1900, 1910).all()
    assert len(w) == int(directed["year"].between(1900, 1910).sum())


def test_bad_input_and_carry_forward(src):
    with pytest.raises(PactwatchError, match="after 2016"):
        dyad_years(2000, 2018, src=src)
    with pytest.raises(PactwatchError, match="is after end"):
        dyad_years(1950, 1900, src=src)
    cf = dyad_years(2016, 2018, src=src, carry_forward=True)
    sizes = cf.groupby("year").size()
    assert sizes.loc[2017] == sizes.loc[2018] == sizes.loc[2016]
    assert cf.attrs["pactwatch_log"][-1]["carried_forward"] == 2 * sizes.loc[2016]
