"""Base rates against lifelines' Kaplan–Meier computed directly from the raw ATOP alliance file."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from lifelines import KaplanMeierFitter

from pactwatch.errors import PactwatchError
from pactwatch.models.baserates import base_rates


@pytest.fixture(scope="module")
def alliances(src):
    from pactwatch.models.evaluation import load_data

    return load_data(src).alliances


def _raw_durations(data_dir):
    a = pd.read_csv(Path(data_dir) / "atop/atop5_1a.csv")
    def date(y, m, d):
        return pd.to_datetime(dict(year=y, month=m.clip(lower=1), day=d.where(d > 0, 15)), errors="coerce")
    beg = date(a.begyr, a.begmo, a.begday)
    ended = a.ineffect == 0
    end = date(a.endyr.where(ended, 2018), a.endmo.where(ended, 12), a.endday.where(ended, 31))
    return a.atopid, (end - beg).dt.days / 365.25, ended.astype(int), a.begyr


def test_overall_and_by_era_match_lifelines_on_raw_data(alliances, data_dir):
    ids, dur, ev, begyr = _raw_durations(data_dir)
    overall = base_rates(alliances)
    assert overall.alliances.iloc[0] == len(ids) == 789 and overall.events.iloc[0] == ev.sum()
    kmf = KaplanMeierFitter().fit(dur, ev)
    for t in (5, 10, 20):
        assert abs(overall[f"S{t}"].iloc[0] - kmf.survival_function_at_times(t).iloc[0]) < 2e-3
    assert abs(overall.median_years.iloc[0] - kmf.median_survival_time_) < 0.05
    era = base_rates(alliances, ["era"]).set_index("era")
    post89 = begyr >= 1990
    k2 = KaplanMeierFitter().fit(dur[post89], ev[post89])
    assert era.loc["1990–2018", "alliances"] == post89.sum()
    assert abs(era.loc["1990–2018", "S10"] - k2.survival_function_at_times(10).iloc[0]) < 2e-3
    # intervals bracket the estimate; the median's interval brackets the median
    for t in (5, 10, 20):
        assert (era[f"S{t}_lower"] <= era[f"S{t}"]).all() and (era[f"S{t}"] <= era[f"S{t}_upper"]).all()
    early = era.loc["1815–1913"]
    assert early.median_lower <= early.median_years <= early.median_upper


def test_groups_partition_the_alliances_and_unknown_grouping_is_an_error(alliances):
    t = base_rates(alliances, ["obligation", "size"])
    assert t.alliances.sum() + t.attrs["unclassified"] == len(alliances)
    with pytest.raises(PactwatchError, match="unknown grouping"):
        base_rates(alliances, ["colour"])
    with pytest.raises(PactwatchError, match="unknown event definition"):
        base_rates(alliances, event="forever")


def test_cli_json(data_dir, tmp_path):
    exe = str(Path(sys.executable).with_name("pactwatch"))
    env = {**os.environ, "PACTWATCH_DATA_DIR": str(data_dir), "PACTWATCH_HOME": str(tmp_path)}
    out = subprocess.run([exe, "base-rates", "--by", "obligation", "--event", "death", "--json"], capture_output=True,
                         text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout)
    assert res["event"] == "death" and {g["obligation"] for g in res["groups"]} >= {"defense", "offense"}
    bad = subprocess.run([exe, "base-rates", "--by", "colour"], capture_output=True, text=True, env=env, timeout=300)
    assert bad.returncode != 0 and "unknown grouping" in bad.stderr and "Traceback" not in bad.stderr
