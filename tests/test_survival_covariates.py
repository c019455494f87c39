"""Lagged covariates, UCDP/PRIO war status and the other data-based covariates of the alliance-survival table
(issue 13, item 3): no lagged covariate carries information from the outcome's year."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.data.source import DataSource
from pactwatch.models import specs as S
from pactwatch.panels import conflict as C
from pactwatch.panels import survival as SV

T = 2000  # a year inside every source's coverage (UCDP, GML MIDs, Leeds-Savun threat, NMC, V-Dem/UDS, Archigos)


class _AlteredYear(DataSource):
    """The real data with every year-``T`` input of the time-varying covariates altered."""

    def __init__(self, data_dir, year):
        super().__init__(data_dir=data_dir)
        self.year = year

    def table(self, name):
        t = super().table(name)
        y = self.year
        if name == "ucdp_acd":  # no conflict at all in year T
            return t[t["year"] != y]
        if name == "gml_mid_ddydisps":
            return t[t["year"] != y]
        if name == "cow_nmc":
            t = t.copy()
            t.loc[t["year"] == y, "cinc"] = t.loc[t["year"] == y, "cinc"] * 3
            return t
        if name in ("cw_democracy", "polity5"):
            t = t.copy()
            for c in ("euds", "polity2", "v2x_polyarchy"):
                if c in t.columns:
                    t.loc[t["year"] == y, c] = -t.loc[t["year"] == y, c] + 1
            return t
        if name == "rep_leeds_savun_threat":
            t = t.copy()
            t.loc[t["year"] == y, "lsthreat"] = 0.999
            return t
        return t


@pytest.fixture(scope="module")
def ext(src):
    return SV.survival_table(src, extended=True)


@pytest.fixture(scope="module")
def altered(data_dir):
    return SV.survival_table(_AlteredYear(data_dir, T), extended=True)


def _lagged_columns(years):
    return [c for c in years.columns if c.endswith("_lag1")]


# ------------------------------------------------------------------------------------------------------ lags
def test_lag_is_the_same_alliances_value_in_the_year_before():
    y = pd.DataFrame({"atopid": [1, 1, 1, 1, 2, 2], "year": [1950, 1951, 1952, 1954, 1960, 1961],
                      "begyr": [1950] * 4 + [1960] * 2,
                      "any_at_war": [1, 0, 1, 1, 0, 1], "cap_change": [0.0, 0.2, 0.5, 0.1, 0.0, 0.3]})
    out, counts = SV.add_lags(y, ["any_at_war", "cap_change"])
    a = out[out["atopid"] == 1]
    # formation year: no year before -> NA for events, the formation value (0 by construction) for change-since-entry
    assert np.isnan(a["any_at_war_lag1"].iloc[0]) and a["cap_change_lag1"].iloc[0] == 0.0
    assert a["any_at_war_lag1"].iloc[1:3].tolist() == [1.0, 0.0]
    assert a["cap_change_lag1"].iloc[1:3].tolist() == [0.0, 0.2]
    # 1953 has no row (no members): 1954's lag is NA, not 1952's value
    assert np.isnan(a["any_at_war_lag1"].iloc[3]) and np.isnan(a["cap_change_lag1"].iloc[3])
    # never the other alliance's value
    assert np.isnan(out.loc[out["atopid"] == 2, "any_at_war_lag1"].iloc[0])
    assert counts == {"lag_rows_formation_year": 2, "lag_rows_after_member_gap": 1}


def test_every_time_varying_covariate_has_a_lag(ext):
    for c in (*SV.TIME_VARYING_COVARIATES, *SV.EXTENDED_COVARIATES, *SV.OTHER_TIME_VARYING):
        assert SV.lag_name(c) in ext.years.columns, c


def test_no_lagged_covariate_uses_same_year_information(ext, altered):
    key = ["atopid", "year"]
    lags = _lagged_columns(ext.years)
    assert len(lags) >= 30
    base = ext.years.set_index(key).sort_index()
    alt = altered.years.set_index(key).sort_index()
    at_t = base.index.get_level_values("year") == T
    # the alteration reached the contemporaneous covariates of year T ...
    moved = [c for c in ("cap_change", "max_abs_euds_change", "any_at_war_ucdp", "lsthreat_max", "max_abs_polyarchy_change")
             if not base.loc[at_t, c].equals(alt.loc[at_t, c])]
    assert len(moved) == 5, moved
    # ... and the year after's lags (so this comparison can fail) ...
    nxt = base.index.get_level_values("year") == T + 1
    assert not base.loc[nxt, "any_at_war_ucdp_lag1"].equals(alt.loc[nxt, "any_at_war_ucdp_lag1"])
    assert not base.loc[nxt, "lsthreat_max_lag1"].equals(alt.loc[nxt, "lsthreat_max_lag1"])
    # ... but no lagged value of year T or earlier changed
    upto = base.index.get_level_values("year") <= T
    pd.testing.assert_frame_equal(base.loc[upto, lags], alt.loc[upto, lags])


def test_previous_forecast_spec_is_kept_and_candidates_are_lagged():
    old = S.model_spec("forecast-2026-11")  # the same-year specification before the choice on the back-test
    assert old.tv_covariates == ("cap_change", "max_abs_polity2_change", "any_at_war", "at_war_x_wartime",
                                 "any_leader_change", "any_new_outside_alliance", "shared_rivals")
    for name in S.CANDIDATE_SPECS[1:]:
        sp = S.model_spec(name)
        assert sp.covariates == old.covariates
        assert all(c.endswith("_lag1") for c in sp.tv_covariates), name
    assert not S.needs_extended("forecast-lag") and S.needs_extended("forecast-threat")
    # the forecast's specification now is the chosen one: every time-varying covariate lagged
    assert all(c.endswith("_lag1") for c in S.model_spec("forecast").tv_covariates)


def test_candidate_specs_find_their_columns(ext):
    for name in S.CANDIDATE_SPECS:
        sp = S.model_spec(name)
        missing = [c for c in (*sp.covariates,) if c not in ext.alliances.columns]
        missing += [c for c in sp.tv_covariates if c not in ext.years.columns]
        assert not missing, (name, missing)


# --------------------------------------------------------------------------------------------------- UCDP/PRIO
class _FakeSource:
    def __init__(self, tables):
        self.tables = tables

    def table(self, name):
        return self.tables[name]


def _ucdp_row(cid, year, typ, a, b="", a2="", b2="", intensity=1, cum=0):
    return {"conflict_id": cid, "year": year, "type_of_conflict": typ, "intensity_level": intensity,
            "cumulative_intensity": cum, "gwno_a": a, "gwno_b": b, "gwno_a_2nd": a2, "gwno_b_2nd": b2}


def test_ucdp_participants_are_mapped_from_gleditsch_ward_to_cow():
    u = pd.DataFrame([
        _ucdp_row(1, 1989, 2, "260", "678"),                       # FRG and North Yemen before unification
        _ucdp_row(1, 1995, 2, "260", "678", cum=1),                 # united Germany 255, united Yemen 679
        _ucdp_row(2, 2010, 4, "700", "", a2="2, 200, 340", b2="365", intensity=2, cum=1),  # Serbia 340 -> 345
        _ucdp_row(3, 2010, 3, "750", ""),                           # intra-state: not counted
        _ucdp_row(4, 2010, 1, "200", ""),                           # extra-systemic: not counted
    ])
    out = C.ucdp_state_years(_FakeSource({"ucdp_acd": u})).set_index(["ccode", "year"])
    assert set(out.index) == {(260, 1989), (678, 1989), (255, 1995), (679, 1995),
                              (700, 2010), (2, 2010), (200, 2010), (345, 2010), (365, 2010)}
    assert out.loc[(260, 1989), "ucdp_war"] == 0 and out.loc[(255, 1995), "ucdp_war"] == 1
    assert out.loc[(365, 2010), "ucdp_war_year"] == 1 and out.loc[(345, 2010), "ucdp_conflict_ids"] == "2"


def test_ucdp_rejects_participant_codes_that_are_not_numbers():
    u = pd.DataFrame([_ucdp_row(1, 2000, 2, "2", "Iraq")])
    with pytest.raises(Exception, match="Gleditsch"):
        C.ucdp_state_years(_FakeSource({"ucdp_acd": u}))


def test_ucdp_real_file_russia_at_war_with_ukraine_in_2022(src):
    u = C.ucdp_state_years(src).set_index(["ccode", "year"])
    for cc in (365, 369):  # COW Russia, Ukraine (GW codes are the same)
        r = u.loc[(cc, 2022)]
        assert "13243" in r["ucdp_conflict_ids"].split(";") and r["ucdp_war"] == 1
        assert r["ucdp_interstate_war_year"] == 1  # >= 1,000 battle deaths in 2022: the spliced definition says war
    # Russia-Georgia 2008 stayed under 1,000 battle deaths in UCDP: a conflict year, not an inter-state war year
    assert u.loc[(365, 2008), "ucdp_conflict"] == 1 and u.loc[(365, 2008), "ucdp_interstate_war_year"] == 0
    raw = src.table("ucdp_acd")
    assert set(raw.loc[(raw["conflict_id"] == 13243) & (raw["year"] == 2022), "type_of_conflict"]) == {2}
    # united Germany appears under COW 255, never under GW 260 after 1990
    assert not any(cc == 260 and y >= 1990 for cc, y in u.index)


def test_combined_war_is_cow_to_2007_and_ucdp_after(ext):
    y = ext.years
    early, late = y[y["year"] <= 2007], y[y["year"] > 2007]
    pd.testing.assert_series_equal(early["any_at_war_cow_ucdp"], early["any_at_war"].astype("Float64").astype(float),
                                   check_names=False)
    pd.testing.assert_series_equal(late["any_at_war_cow_ucdp"], late["any_at_war_ucdp_interstate"], check_names=False)
    assert late["any_at_war"].isna().all() and late["any_at_war_cow_ucdp"].notna().all()
    step = [s for s in ext.log if s["step"] == "extended_covariates"][0]
    assert step["alliance_years_war_from_ucdp"] == int(late["any_at_war_cow_ucdp"].notna().sum()) > 0


def test_russia_dprk_2000_treaty_years_take_war_status_from_ucdp(ext):
    y = ext.years.set_index(["atopid", "year"])
    # Russia fought the internationalised conflicts in Ukraine (from 2014) and Syria (from 2015): the 2000 treaty
    # (ATOP 4940) is at war in 2015-2018 on the combined measure, NA on COW's alone
    assert y.loc[(4940, 2016), "any_at_war_ucdp"] == 1
    assert pd.isna(y.loc[(4940, 2016), "any_at_war"])


# ------------------------------------------------------------------------------------------ regime and threat
def test_extended_uds_regime_change_reaches_past_polity(src, ext):
    y = ext.years
    assert y.loc[y["year"] == 2018, "regime_change_euds"].notna().mean() > 0.95
    # the source reaches the forecast's years, where Polity5 (ended 2018) does not
    d = src.table("cw_democracy")
    for cc in (365, 731):
        assert d.loc[(d["ccode"] == cc) & (d["year"] == 2024), "euds"].notna().all()
        assert d.loc[(d["ccode"] == cc) & (d["year"] == 2024), "polity2"].isna().all()
    both = y[y["regime_change"].notna() & y["regime_change_euds"].notna()]
    assert abs(both["regime_change"].mean() - both["regime_change_euds"].mean()) < 0.01  # the calibration stated


def test_peace_scale_spot_checks(src):
    p = C.peace_scale_years(src).set_index(["ccode1", "ccode2", "year"])["peace_min"]
    assert p.loc[(731, 2, 2015)] == 0.0 and p.loc[(2, 731, 2015)] == 0.0     # DPRK-US severe rivalry
    assert p.loc[(2, 20, 2000)] == 1.0                                      # US-Canada security community
    assert (260, 2, 1970) in p.index and (255, 2, 1970) not in p.index      # West Germany under COW 260


def test_threat_covariates_and_war_end(ext):
    y = ext.years.set_index(["atopid", "year"])
    # PRC-DPRK 1961 (3445): the US is a severe rival of both in the peace scale -> a shared severe rival
    assert y.loc[(3445, 1970), "shared_rival_grade"] == 2
    assert y.loc[(3445, 1970), "n_shared_severe_rivals"] >= 1
    assert y["lsthreat_max"].dropna().between(0, 1).all()
    assert y.loc[y.index.get_level_values("year") > 2010, "common_mid_opponent_10y"].isna().all()
    # war_ended_0_2 is 1 only for alliances formed in wartime, in the three years from their war's end
    a = ext.alliances.set_index("atopid")
    on = ext.years[ext.years["war_ended_0_2"] == 1]
    assert (on["atopid"].map(a["wartime"]) == 1).all()
    assert on.groupby("atopid").size().max() <= 3
    step = [s for s in ext.log if s["step"] == "extended_covariates"][0]
    assert step["wartime_alliances"] == int((a["wartime"] == 1).sum())


def test_the_default_table_reads_no_extended_source(data_dir):
    """The forecast's cached panels are keyed by the tables they read: the default table must not read more."""
    from pactwatch.scenarios.training import DATA_TABLES

    s = DataSource(data_dir=data_dir)
    t = SV.survival_table(s)
    assert set(s._cache) <= set(DATA_TABLES)
    assert "any_at_war_lag1" in t.years.columns and "any_at_war_ucdp" not in t.years.columns
    assert {"ucdp_acd", "rep_leeds_savun_threat", "gml_mid_ddydisps"} <= set(SV.EXTENDED_TABLES)


def _kappa(a, b):
    po = (a == b).mean()
    pe = a.mean() * b.mean() + (1 - a.mean()) * (1 - b.mean())
    return (po - pe) / (1 - pe)


def test_the_spliced_ucdp_definition_is_the_one_that_reproduces_cow(ext):
    y = ext.years
    both = y[y["year"].between(1946, 2007) & y["any_at_war"].notna()]
    cow = both["any_at_war"].astype(int)
    k = {c: _kappa(cow, both[c]) for c in ("any_at_war_ucdp", "any_at_war_ucdp_war", "any_at_war_ucdp_interstate")}
    assert max(k, key=k.get) == "any_at_war_ucdp_interstate"
    assert k["any_at_war_ucdp_interstate"] > 0.7 and k["any_at_war_ucdp"] < 0.3  # the figures in the docstring
