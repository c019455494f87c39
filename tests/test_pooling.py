"""The reference classes beside the model and the logit pool weighted on the back-test (scenarios/pooling.py)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pactwatch.scenarios import pooling as PL
from pactwatch.scenarios.result import Headline

BASELINES = ("km_all", "const_10y")


# ------------------------------------------------------------------------------------------- synthetic back-test
def synthetic_frame(seed: int = 0, n_alliances: int = 150, origins=range(1970, 2000), informative: bool = True):
    """A landmark-like frame: one row per (origin, alliance), 5-year horizon; the model is the true survival
    probability when ``informative`` (else noise), the classes are noisy versions of it, baselines are constants."""
    rng = np.random.default_rng(seed)
    rows = []
    risk = rng.uniform(-1.5, 3.5, n_alliances)  # logit of survival per alliance
    for T in origins:
        for a in range(n_alliances):
            z = risk[a] + rng.normal(0, 0.3)
            p = 1 / (1 + np.exp(-z))
            y = float(rng.uniform() < p)
            model = p if informative else rng.uniform(0.05, 0.95)
            rows.append({"origin": T, "horizon": 5.0, "atopid": a, "known": True, "survived": y, "model": model,
                         "ref_design": np.clip(p + rng.normal(0, 0.15), 0.01, 0.99),
                         "ref_major": np.nan if a % 3 == 0 else np.clip(p + rng.normal(0, 0.25), 0.01, 0.99),
                         "ref_members": np.clip(p + rng.normal(0, 0.3), 0.01, 0.99),
                         "km_all": 0.7, "const_10y": 0.65, "time": 5.0 if y else 2.0, "event_in_window": int(1 - y)})
    return pd.DataFrame(rows)


def test_weights_are_fitted_on_development_rows_only():
    f = synthetic_frame(n_alliances=60, origins=range(1980, 1996))
    a = PL.pool_backtest(f, BASELINES, dev_end=1990, include_later=True, n_boot=10)
    g = f.copy()
    later = g["origin"] > 1990
    g.loc[later, "survived"] = 1 - g.loc[later, "survived"]  # every later outcome flipped
    g.loc[later, "event_in_window"] = 1 - g.loc[later, "event_in_window"]
    b = PL.pool_backtest(g, BASELINES, dev_end=1990, include_later=True, n_boot=10)
    assert a["weights"] == b["weights"]
    # ... while the later scores do change (the later rows are scored, with the development weights)
    assert a["splits"]["later"]["5"]["pooled"]["brier"] != b["splits"]["later"]["5"]["pooled"]["brier"]
    # and a development outcome does move the weights
    c = f.copy()
    c.loc[c["origin"] == 1980, "survived"] = 1 - c.loc[c["origin"] == 1980, "survived"]
    assert PL.pool_backtest(c, BASELINES, dev_end=1990, n_boot=10)["weights"] != a["weights"]


def test_pool_weights_are_non_negative_and_missing_class_has_its_own_term():
    f = synthetic_frame(n_alliances=60, origins=range(1980, 1991))
    w = PL.fit_weights(f, PL.POOLS["pooled"])
    assert all(v >= 0 for v in w["weights"].values())
    assert w["weights"]["model"] > 0.5  # the model is the truth here: it carries the pool
    assert w["missing_rows"]["ref_major"] == int(f["ref_major"].isna().sum()) > 0
    p = PL.apply_weights(w, f)
    assert not np.isnan(p).any() and ((p > 0) & (p < 1)).all()


def _scores(skill, lo, hi, slope):
    s = {"skill": skill, "skill_interval": [lo, hi], "calibration_slope": slope, "best_baseline": "km_all"}
    return {"later": {"5": {"pooled": s}}}


@pytest.mark.parametrize("skill,lo,hi,slope,which", [
    (0.05, 0.01, 0.09, 1.0, "pooled"),
    (0.05, -0.01, 0.09, 1.0, "classes"),   # interval reaches below zero
    (-0.02, -0.05, 0.01, 1.0, "classes"),  # no skill
    (0.05, 0.01, 0.09, 0.5, "classes"),    # over-dispersed
    (0.05, 0.01, 0.09, 1.3, "classes"),    # under-dispersed
])
def test_decision_rule_falls_back_to_the_classes_when_skill_or_calibration_fail(skill, lo, hi, slope, which):
    d = PL.decide(_scores(skill, lo, hi, slope))
    assert d["headline"] == which
    assert ("NOT met" in d["reason"]) == (which == "classes")
    assert d["decided_on"].startswith("later origins")


def test_uninformative_model_falls_back_end_to_end():
    f = synthetic_frame(seed=1, n_alliances=60, origins=range(1980, 1996), informative=False)
    f["ref_design"] = f["ref_members"] = 0.5  # classes carry nothing either
    f["ref_major"] = np.nan
    res = PL.pool_backtest(f, BASELINES, dev_end=1990, include_later=True, n_boot=20)
    assert res["decision"]["headline"] == "classes" and res["decision"]["passed"] is False
    assert "later origins" in res["decision"]["decided_on"]
    # without the later origins the rule is judged on the development origins, out of fold
    dev = PL.pool_backtest(f, BASELINES, dev_end=1990, include_later=False, n_boot=20)
    assert "later" not in dev["splits"] and dev["decision"]["decided_on"].startswith("development origins, out of fold")


def test_informative_model_passes_the_rule_end_to_end():
    f = synthetic_frame(seed=2, n_alliances=120, origins=range(1980, 1996))
    res = PL.pool_backtest(f, BASELINES, dev_end=1990, include_later=True, n_boot=50)
    assert res["decision"]["headline"] == "pooled", res["decision"]["reason"]


# ------------------------------------------------------------------------------------------ reference classes
def _alliance(aid, begin, end, defense=1, bilateral=1, asymmetric=1):
    return {"atopid": aid, "begin": pd.Timestamp(begin), "end": pd.Timestamp(end) if end else pd.NaT,
            "begyr": pd.Timestamp(begin).year, "event": int(end is not None), "event_atop": int(end is not None),
            "cause": "abrogation" if end else None, "duration_years": 1.0, "defense": defense, "offense": 0,
            "neutral": 0, "nonagg": 0, "consul": 0, "bilateral": bilateral, "asymmetric": asymmetric}


def synthetic_data(extra=()):
    # state 2 is a major power, 700/710/720 minor ones
    al = [_alliance(1, "1950-01-01", "1958-06-01"), _alliance(2, "1952-01-01", "1961-01-01"),
          _alliance(3, "1955-01-01", None), _alliance(4, "1956-01-01", "1975-01-01"),
          _alliance(5, "1957-06-01", None), *extra]
    members = {1: (2, 700), 2: (2, 710), 3: (2, 700), 4: (2, 720), 5: (2, 710), 9: (2, 700), 10: (2, 710)}
    rows = []
    for a in al:
        last = (a["end"].year if pd.notna(a["end"]) else 2018)
        for yr in range(a["begyr"], last + 1):
            for c in members[a["atopid"]]:
                rows.append({"atopid": a["atopid"], "ccode": c, "year": yr, "cowmaj": int(c == 2)})
    return SimpleNamespace(eval=SimpleNamespace(alliances=pd.DataFrame(al)), member_years=pd.DataFrame(rows))


def _columns(data, origin=1960):
    from pactwatch.scenarios.landmark import in_force_at

    tg = in_force_at(data, origin)
    cols, info = PL.origin_reference_columns(data, origin, tg, [5.0], "any-end")
    return tg, cols, info


def test_reference_columns_use_only_data_before_the_origin():
    base = synthetic_data()
    tg, cols, _ = _columns(base)
    assert set(tg["atopid"]) == {2, 3, 4, 5}
    assert cols["ref_design_5"].notna().any()
    # an alliance formed after the origin, of the same design, the same major and the same minor members, that ends
    # at once: invisible at the origin
    later = synthetic_data(extra=[_alliance(9, "1962-01-01", "1962-06-01"), _alliance(10, "1961-03-01", "1961-04-01")])
    _, cols2, _ = _columns(later)
    pd.testing.assert_frame_equal(cols, cols2)
    # an ending after the origin (alliance 4 ends in 1975 instead of never) is invisible too
    d3 = synthetic_data()
    d3.eval.alliances.loc[d3.eval.alliances["atopid"] == 3, "end"] = pd.Timestamp("1963-01-01")
    _, cols3, _ = _columns(d3)
    pd.testing.assert_frame_equal(cols, cols3)
    # ... whereas an ending before the origin changes them (the test can fail)
    d4 = synthetic_data()
    d4.eval.alliances.loc[d4.eval.alliances["atopid"] == 3, "end"] = pd.Timestamp("1959-01-01")
    _, cols4, _ = _columns(d4, 1960)
    assert not cols.equals(cols4)


def test_reference_class_without_major_member_is_missing_and_counted():
    d = synthetic_data()
    d.member_years.loc[d.member_years["ccode"] == 2, "cowmaj"] = 0  # nobody is a major power
    _, cols, info = _columns(d)
    assert cols["ref_major_5"].isna().all()
    assert info["ref_major"]["undefined"] == 4


# -------------------------------------------------------------------------------------------------- headline
def _classes():
    return [{"name": c, "label": PL.CLASS_LABELS[c], "case_class": PL.CASE_CLASS_OF[c], "n": 10, "n_at_risk": 8,
             "survival": [{"t": 5.0, "estimate": 0.9, "lower": 0.8, "upper": 0.95, "events": 1,
                           "interval": "Greenwood (exponential)"}]} for c in PL.CLASSES]


def test_headline_names_its_rule():
    f = synthetic_frame(seed=3, n_alliances=60, origins=range(1980, 1996), informative=False)
    pool = PL.pool_backtest(f, BASELINES, dev_end=1990, include_later=True, n_boot=20)
    h = PL.headline(pool, {5.0: 0.79}, _classes())
    Headline.model_validate(h)
    assert h["status"] == "stored" and h["headline"] == pool["decision"]["headline"]
    assert h["rule"] == pool["decision"]["reason"] and "rule" in h["rule"]
    row = h["probabilities"][0]
    assert row["headline"] == row[h["headline"]]
    expect = PL.apply_weights(pool["weights"]["5"][h["headline"]],
                              {"model": 0.79, **{c: 0.9 for c in PL.CLASSES}})[0]
    assert row["headline"] == pytest.approx(expect)
    # no stored back-test: the parts only, and it says so
    none = PL.headline(None, {5.0: 0.79}, _classes())
    Headline.model_validate(none)
    assert none["status"] == "no stored back-test" and none["headline"] is None and not none["probabilities"]
    assert none["parts"]["model"] == {"5": 0.79}


# --------------------------------------------------------------------------------------------- trust paragraph
def _skill_row(split, skill, lo, hi, slope):
    return {"split": split, "horizon": 5.0, "origins": [1950, 1990] if split == "development" else [1991, 2007],
            "n": 100, "n_alliances": 20, "n_events": 10, "model_brier": 0.1, "best_baseline": "const_10y",
            "best_baseline_label": "c", "best_baseline_brier": 0.1, "brier_diff": 0.0, "brier_diff_lower": -0.01,
            "brier_diff_upper": 0.01, "skill": skill, "skill_lower": lo, "skill_upper": hi,
            "beats_best_baseline": "not distinguishable", "calibration_slope": slope, "calibration_slope_lower": 0.1,
            "calibration_slope_upper": 0.5}


def test_trust_paragraph_reports_skill_looks_verdict_blind_spots_and_event_study():
    from pactwatch.reports.present import trust_paragraph

    f = synthetic_frame(seed=1, n_alliances=60, origins=range(1980, 1996), informative=False)
    pool = PL.pool_backtest(f, BASELINES, dev_end=1990, include_later=True, n_boot=20)
    assert pool["decision"]["headline"] == "classes"
    v = {"status": "stored", "landmark": {
        "level": 0.9, "later_looks_this_spec": 2, "later_looks_total": 3,
        "pooled": [_skill_row("development", 0.006, -0.02, 0.031, 0.17), _skill_row("later", 0.187, 0.134, 0.263, 0.92)],
        "pooling": pool,
        "event_study": {"pre_post": [{"world_war": False, "group": "formed_in_war", "post_events": 36, "pre_events": 5,
                                      "rate_ratio": 2.52, "lower": 1.11, "upper": 6.74}]}}}
    result = {"horizon": 10.0, "times": [1.0, 5.0, 10.0], "case": {"members": [{"ccode": 365}, {"ccode": 731}]},
              "model": {"covariates": ["any_at_war", "shared_rivals", "any_leader_change"]},
              "scenarios": [{"name": "war-ends", "vs_status_quo": [{"t": 1, "point": 0.0, "lower": 0, "upper": 0},
                                                                   {"t": 5, "point": 0.088, "lower": 0.018,
                                                                    "upper": 0.188}, {"t": 10, "point": 0.1,
                                                                                      "lower": 0, "upper": 0.2}]}]}
    txt = trust_paragraph(result, v)
    assert "+0.6%" in txt and "+18.7%" in txt and "scored twice with this specification (3 times in all)" in txt
    assert "0.17" in txt and "0.92" in txt  # calibration slopes
    assert "the rule is not met" in txt and "the headline is the pooled reference classes" in txt
    assert "What the model cannot speak to" in txt and "shared rivals" in txt and "DPRK" in txt
    assert "+9 points" in txt and "×2.5 [1.1, 6.7]" in txt and "disagree" in txt
    # a model without the rivalry covariate: US policy does not enter at all
    result["model"]["covariates"] = ["any_at_war"]
    result["case"]["members"] = [{"ccode": 2}, {"ccode": 20}]
    txt2 = trust_paragraph(result, v)
    assert "US policy does not enter the model at all" in txt2 and "DPRK" not in txt2
    # no stored back-test: it says the skill is unknown
    assert "unknown" in trust_paragraph(result, {"status": "not computed"})


def test_case_classes_see_nothing_after_the_as_of_date():
    rc = SimpleNamespace(formation={"defense": 1.0, "offense": 0.0, "neutral": 0.0, "nonagg": 0.0, "consul": 0.0,
                                    "bilateral": 1.0, "asymmetric": 1.0},
                         atopid=None, in_force=pd.Timestamp("1959-01-01"),
                         members=[{"ccode": 2, "major": True}, {"ccode": 700, "major": False}])
    a = PL.case_reference_classes(synthetic_data(), rc, 1.0, [5.0], "any-end", as_of="1960-06-30")
    b = PL.case_reference_classes(synthetic_data(extra=[_alliance(9, "1961-01-01", "1961-06-01")]), rc, 1.0, [5.0],
                                  "any-end", as_of="1960-06-30")
    assert a == b
    assert [c["n"] for c in a] == [5, 5, 2]  # design class, the major's bilateral treaties, state 700's alliances
    # with the as-of date after it, the new alliance (same design, same members) is in every class
    c = PL.case_reference_classes(synthetic_data(extra=[_alliance(9, "1961-01-01", "1961-06-01")]), rc, 1.0, [5.0],
                                  "any-end", as_of="1962-06-30")
    assert [x["n"] for x in c] == [6, 6, 3]
