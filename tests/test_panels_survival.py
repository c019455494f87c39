"""The alliance-survival table (pactwatch.panels.survival): age clock and delayed entry, the censoring date, covariate
timing, counted (never silent) exclusions, and that evaluation, forecast training and the replications take their rows
from the one table."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.data.atop import CENSOR_DATE, LAST_YEAR
from pactwatch.data.source import DataSource
from pactwatch.models import evaluation as E
from pactwatch.models import specs as S
from pactwatch.panels import survival as SV

YEAR = 365.25


@pytest.fixture(scope="module")
def table(src):
    return SV.survival_table(src)


def _alliances(rows):
    """Synthetic alliances: (atopid, begin, end or None, x)."""
    a = pd.DataFrame(rows, columns=["atopid", "begin", "end", "x"])
    a["begin"] = pd.to_datetime(a["begin"])
    a["end"] = pd.to_datetime(a["end"])
    a["begyr"] = a["begin"].dt.year
    a["event"] = a["end"].notna().astype("int64")
    a["event_atop"] = a["event"]
    a["cause"] = a["event"] * 2
    return a


# ------------------------------------------------------------------------------------------- clock and censoring
def test_delayed_entry_keeps_the_true_age():
    # formed 1 Jul 1870, still in effect; the time-varying covariate is unknown before 1875 (as Archigos leaders are)
    a = _alliances([(1, "1870-07-01", None, 1.0)])
    fu, n = SV.follow_up(a, covariates=["x"])
    years = pd.DataFrame({"atopid": 1, "year": np.arange(1870, 1881)})
    years["z"] = np.where(years["year"] < 1875, np.nan, 0.5)
    rows, counts = SV.counting_process(years, fu[["atopid", "begin", "begyr", "duration", "event", "x"]],
                                       through_year=1880, tv_covariates=["z"], covariates=["x"])
    assert counts["tv_rows"] == 11 and counts["tv_rows_dropped_missing"] == 5 and len(rows) == 6
    # the first kept row starts at the alliance's age on 1 Jan 1875, not at 0
    age_1875 = (pd.Timestamp("1875-01-01") - pd.Timestamp("1870-07-01")).days / YEAR
    assert rows["start"].iloc[0] == pytest.approx(age_1875) and age_1875 > 4
    assert np.allclose(rows["stop"].to_numpy()[:-1], rows["start"].to_numpy()[1:])  # contiguous yearly intervals
    assert rows["stop"].iloc[-1] == pytest.approx((pd.Timestamp("1881-01-01") - pd.Timestamp("1870-07-01")).days / YEAR)
    assert rows["event"].sum() == 0


def test_formation_year_starts_at_age_zero_and_the_end_year_carries_the_event():
    a = _alliances([(1, "1950-03-01", "1953-06-30", 1.0)])
    fu, _ = SV.follow_up(a, covariates=["x"])
    years = pd.DataFrame({"atopid": 1, "year": [1950, 1951, 1952, 1953], "z": 0.0})
    rows, counts = SV.counting_process(years, fu, through_year=LAST_YEAR, tv_covariates=["z"], covariates=["x"])
    assert rows["start"].iloc[0] == 0.0
    assert rows["stop"].iloc[-1] == pytest.approx((pd.Timestamp("1953-06-30") - pd.Timestamp("1950-03-01")).days / YEAR)
    assert rows["event"].tolist() == [0, 0, 0, 1] and counts["tv_events"] == 1


def test_follow_up_censors_at_the_censoring_date():
    a = _alliances([(1, "1950-01-01", "1965-01-01", 1.0),   # ends after the cut-off: censored there
                    (2, "1950-01-01", "1955-01-01", 1.0),   # ends before it: event
                    (3, "1952-01-01", None, 0.0)])          # in effect at the data's end
    fu, n = SV.follow_up(a, censor_at=pd.Timestamp("1960-12-31"))
    fu = fu.set_index("atopid")
    assert fu["event"].tolist() == [0, 1, 0] and n["censored"] == 2
    assert fu.loc[1, "duration"] == pytest.approx((pd.Timestamp("1960-12-31") - pd.Timestamp("1950-01-01")).days / YEAR)
    full, n = SV.follow_up(a)  # default: ATOP 5.1's censoring date, 31 Dec 2018
    full = full.set_index("atopid")
    assert full.loc[3, "duration"] == pytest.approx((pd.Timestamp("2018-12-31") - pd.Timestamp("1952-01-01")).days / YEAR)
    assert full["event"].tolist() == [1, 1, 0] and n["censored"] == 1


def test_table_censors_alliances_in_effect_at_the_atop_censoring_date(table):
    a = table.alliances
    assert CENSOR_DATE == pd.Timestamp("2018-12-31")
    inf = a[a["end"].isna()]
    assert len(inf) > 300 and (inf["event"] == 0).all()
    assert np.allclose(inf["duration_years"], (CENSOR_DATE - inf["begin"]).dt.days / YEAR)
    assert (a.loc[a["event"] == 1, "end"] <= CENSOR_DATE).all()
    assert table.years["year"].max() == LAST_YEAR
    # follow-up to the censoring date reproduces the table's durations and events
    fu, n = SV.follow_up(a)
    assert n == {"excluded_incomplete": 0, "excluded_no_follow_up": 0, "censored": int((a["event"] == 0).sum())}
    assert np.allclose(fu["duration"], a["duration_years"]) and (fu["event"] == a["event"]).all()


def test_every_excluded_row_is_counted():
    a = _alliances([(1, "1950-01-01", "1955-01-01", 1.0),
                    (2, "1951-01-01", None, np.nan),             # incomplete covariate
                    (3, "1960-12-31", "1970-01-01", 1.0),        # formed on the cut-off: no follow-up
                    (4, "1952-01-01", "1958-06-01", 0.0)])
    fu, n = SV.follow_up(a, censor_at=pd.Timestamp("1960-12-31"), covariates=["x"])
    assert n["excluded_incomplete"] == 1 and n["excluded_no_follow_up"] == 1
    assert len(fu) + n["excluded_incomplete"] + n["excluded_no_follow_up"] == len(a)
    years = pd.DataFrame({"atopid": [1] * 6 + [4] * 7, "year": [*range(1950, 1956), *range(1952, 1959)]})
    years["z"] = 1.0
    years.loc[(years["atopid"] == 4) & (years["year"] == 1958), "z"] = np.nan  # the end year of alliance 4
    rows, c = SV.counting_process(years, fu, through_year=1960, tv_covariates=["z"], covariates=["x"])
    assert c["tv_rows"] - c["tv_rows_dropped_missing"] == len(rows)
    assert c["tv_rows_dropped_missing"] == 1 and c["tv_events_lost_missing"] == 1 and c["tv_events"] == 1


def test_table_logs_years_without_members(table):
    steps = {r["step"]: r for r in table.log}
    assert steps["alliance_years"]["years_without_members"] > 0
    assert steps["survival_table"]["alliance_years"] == len(table.years)
    assert steps["survival_table"]["incomplete_formation_covariates"] == int(
        table.alliances[list(SV.FORMATION_COVARIATES)].isna().any(axis=1).sum())


# ---------------------------------------------------------------------------------------------- covariate timing
class _Truncated(DataSource):
    """The same data with the capability and democracy sources cut after ``last`` (as if built in that year)."""

    def __init__(self, data_dir, last):
        super().__init__(data_dir=data_dir)
        self.last = last

    def table(self, name):
        t = super().table(name)
        if name in ("cow_nmc", "polity5", "cw_democracy"):
            return t[t["year"] <= self.last]
        return t


def test_time_varying_covariates_are_not_measured_after_their_year(data_dir, table):
    last = 1950
    cut = SV.survival_table(_Truncated(data_dir, last))
    cols = ["max_cinc_change", "min_cinc_ratio", "max_cinc_ratio", "cap_change", "max_abs_polity2_change",
            "regime_change"]
    key = ["atopid", "year"]
    full = table.years.loc[table.years["year"] <= last, key + cols].reset_index(drop=True)
    early = cut.years.loc[cut.years["year"] <= last, key + cols].reset_index(drop=True)
    assert full[cols].notna().sum().min() > 1000  # the comparison covers real values
    pd.testing.assert_frame_equal(full, early)
    # formation covariates of alliances formed by then do not change either
    formed = table.alliances["begyr"] <= last
    pd.testing.assert_frame_equal(table.alliances.loc[formed, ["atopid", "dem_share"]],
                                  cut.alliances.loc[formed, ["atopid", "dem_share"]])


# ------------------------------------------------------------------------------------------- one table, many users
def test_evaluation_reads_the_survival_table(src, table):
    d = E.load_data(src, "formation")
    pd.testing.assert_frame_equal(d.alliances, table.alliances)
    want = table.years[["atopid", "year", *d.spec.tv_covariates]].astype({c: float for c in d.spec.tv_covariates})
    pd.testing.assert_frame_equal(d.years, want)


def test_forecast_training_reads_the_survival_table(forecast_data, src):
    from pactwatch.scenarios import training as T

    ev = forecast_data.eval
    # the forecast specification uses the extended covariates (UCDP/PRIO war, extended UDS, threat data)
    assert S.needs_extended(ev.spec)
    table = SV.survival_table(src, extended=True)
    pd.testing.assert_frame_equal(ev.alliances, table.alliances)
    want = E.evaluation_data(table, "forecast")
    pd.testing.assert_frame_equal(ev.years, want.years)
    # the forecast specification is the one named specification the evaluation can score
    assert T.FORECAST_SPEC == S.model_spec("forecast") and ev.spec == S.model_spec("forecast")
    # its world-war years are left out of training as rows (counted), everything else through the same two functions
    ex = set(ev.spec.exclude_years)
    assert ex and {1914, 1918, 1939, 1945} <= ex
    kept = E.EvaluationData(alliances=want.alliances, years=want.years[~want.years["year"].isin(ex)].reset_index(drop=True),
                            spec=want.spec, log=want.log)
    rows, info = T.training_rows(forecast_data, cutoff=1989)
    sp = E.split_at(kept, 1989)
    pd.testing.assert_frame_equal(rows, sp.train_tv)
    assert info["alliance_years_dropped_excluded_years"] == int((want.years["year"].isin(ex)
                                                                 & (want.years["year"] <= 1989)).sum()) > 0
    # whole data: follow-up to 31 Dec 2018 through the same two functions
    rows, info = T.training_rows(forecast_data)
    fu, _ = SV.follow_up(table.alliances, covariates=want.spec.covariates)
    ref, _ = SV.counting_process(kept.years, fu[["atopid", "begin", "begyr", "duration", "event", *want.spec.covariates]],
                                 tv_covariates=want.spec.tv_covariates, covariates=want.spec.covariates)
    pd.testing.assert_frame_equal(rows, ref)
    assert info["tv_rows"] - info["tv_rows_dropped_missing"] == len(rows)


def test_replications_read_the_survival_table(data_dir, table):
    from pactwatch.replications import bennett as bn
    from pactwatch.replications import leeds_savun as ls
    from tests.helpers.alliance_panels import alliance_panels

    p = alliance_panels(data_dir)
    d, counts = ls.build(p)
    y = table.years
    cols = ["atopid", "year", "event", "alliance_age", "cap_change", "regime_change", "asymmetric"]
    ref = y[y["atopid"].isin(d["atopid"].unique()) & (y["year"] <= ls.OBS_END)][cols].reset_index(drop=True)
    got = d[cols].copy()
    got["asymmetric"] = got["asymmetric"].astype("Float64")
    ref = ref.assign(asymmetric=ref["asymmetric"].astype("Float64"))
    pd.testing.assert_frame_equal(got, ref)
    assert (d["start"] == d["alliance_age"]).all() and counts["alliance_years"] == len(d)
    b = bn.build(p, 1816, 1984)
    ref = y[y["atopid"].isin(table.alliances.loc[table.alliances["begyr"].between(1816, 1984), "atopid"])
            & (y["year"] <= 1984)]
    assert b[["atopid", "year"]].reset_index(drop=True).equals(ref[["atopid", "year"]].reset_index(drop=True))
    assert np.array_equal(b["cap_change"].to_numpy(), ref["cap_change"].to_numpy(), equal_nan=True)
