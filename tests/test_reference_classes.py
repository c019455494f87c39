"""Reference classes beside the model (issue 13, item 6): who is in each class, and age-conditional Kaplan–Meier
base rates with n and intervals."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.models.baserates import conditional_base_rates
from pactwatch.panels import survival as SV


@pytest.fixture(scope="module")
def frames(src):
    return SV.reference_class_frames(SV.survival_table(src))


def test_reference_class_membership(frames):
    mm, su, kp = (frames[k] for k in ("major-minor-defence-post1945", "soviet-russian-bilateral-since-1945", "dprk"))
    assert ((mm["begyr"] >= 1946) & (mm["bilateral"] == 1) & (mm["asymmetric"] == 1) & (mm["defense"] == 1)).all()
    assert {3440, 3445}.issubset(set(mm["atopid"]))  # USSR-DPRK and PRC-DPRK 1961
    assert {3200, 3440, 3670, 3675, 3690, 3735, 3825, 3840, 3880, 4940}.issubset(set(su["atopid"]))
    assert su["members"].str.split(";").map(lambda m: "365" in m and len(m) >= 2).all()
    assert (su["bilateral"] == 1).all() and (su["begyr"] >= 1945).all()
    assert {3440, 3445, 4940}.issubset(set(kp["atopid"]))
    assert kp["members"].str.split(";").map(lambda m: "731" in m).all()


def test_conditional_base_rate_equals_a_hand_computed_kaplan_meier():
    # durations (years) and events; at age 2 the alliances still in effect are those lasting more than 2 years
    f = pd.DataFrame({"duration_years": [1.0, 3.0, 4.0, 6.0, 8.0, 12.0, 15.0],
                      "event_def": [1, 1, 0, 1, 1, 0, 0]})
    r = conditional_base_rates({"toy": f}, ages=(2,), horizons=(5,), alpha=0.1).iloc[0]
    # at risk at age 2: 3, 4, 6, 8, 12, 15 -> times from age 2: 1 (event), 2 (censored), 4 (event), 6, 10, 13
    # KM at 5 years: (1 - 1/6) * (1 - 1/4) = 0.625
    assert r["n"] == 7 and r["n_at_risk"] == 6 and r["events"] == 2 and r["censored_within"] == 1
    assert r["survival"] == pytest.approx(0.625)
    assert r["lower"] < 0.625 < r["upper"] and r["interval"].startswith("Greenwood")


def test_conditional_base_rate_is_unknown_past_follow_up_and_exact_without_events():
    f = pd.DataFrame({"duration_years": [3.0, 4.0, 9.0], "event_def": [0, 0, 0]})
    r = conditional_base_rates({"toy": f}, ages=(0,), horizons=(2, 20), alpha=0.1)
    two, twenty = r.iloc[0], r.iloc[1]
    assert two["survival"] == 1.0 and two["lower"] == pytest.approx(0.05 ** (1 / 3)) and "exact" in two["interval"]
    assert np.isnan(twenty["survival"])


def test_real_reference_classes_at_age_two(frames):
    r = conditional_base_rates(frames, ages=(2,), horizons=(5,)).set_index("reference_class")
    assert (r["n_at_risk"] <= r["n"]).all()
    ok = r["survival"].notna()
    assert ok.all()
    assert ((r["lower"] <= r["survival"]) & (r["survival"] <= r["upper"])).all()
    assert r.loc["soviet-russian-bilateral-since-1945", "n"] >= 30


def test_reference_classes_over_merged_spells(src):
    t = SV.survival_table(src)
    spells = SV.replacement_spells(t)[0]
    fr = SV.reference_class_frames(t, event="not-replaced", alliances=spells)
    su = fr["soviet-russian-bilateral-since-1945"]
    # the 1993 Indo-Russian treaty (4415) continues the 1971 Indo-Soviet one (3675): one spell, in the class by its
    # first treaty; the Sino-Soviet chain 2415;3030;3200 begins in 1937, so its spell is not "since 1945"
    assert "3675;4415" in set(su["atopids"]) and 4415 not in set(su["atopid"])
    assert not su["atopids"].str.contains("3200").any()
    assert set(su["event_def"]) <= {0, 1}
