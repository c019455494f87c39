"""Competing risks on replacement-merged spells (issue 13 item 2): the cause-specific fits' rows merge a linked
replacement into its successor's spell (one spell, a continuous age clock, no ending at the hand-over, the treaty in
force's covariates), an unlinked replacement stays censored, the case's age for the cause models runs from its
relationship's start, and the any-end numbers do not move."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from pactwatch.models.evaluation import EvaluationData
from pactwatch.models.specs import ModelSpec
from pactwatch.scenarios import forecast as F
from pactwatch.scenarios.cases import ResolvedCase
from pactwatch.scenarios.training import spell_data, training_rows

T = pd.Timestamp
#: atopid -> (begin, end, cause, members, defense): 1 -> 2 a linked replacement (same members, successor begins on
#: the predecessor's end), 2 ends in a breach; 3 is replaced by 4 whose members differ (unlinked: censored)
TREATIES = {1: (T("1950-03-01"), T("1960-06-30"), 3, (1, 2), 0.0),
            2: (T("1960-06-30"), T("1975-05-01"), 1, (1, 2), 1.0),
            3: (T("1955-01-01"), T("1965-01-01"), 3, (3, 4), 1.0),
            4: (T("1965-01-01"), T("1980-07-01"), 2, (3, 5), 0.0)}
TERMMODE = {1: 3, 2: 1, 3: 2}


def synthetic_data():
    al, yrs, my, panel = [], [], [], []
    for aid, (b, e, cause, mem, dfn) in TREATIES.items():
        al.append({"atopid": aid, "begin": b, "end": e, "begyr": b.year, "event": 1, "event_atop": 1,
                   "duration_years": (e - b).days / 365.25, "termmode_final": TERMMODE[cause], "termcaus_final": np.nan,
                   "cause": cause, "defense": dfn})
        panel.append({"atopid": aid, "termmode_members": ";".join(f"{c}:{TERMMODE[cause]}" for c in mem)})
        for y in range(b.year, e.year + 1):
            yrs.append({"atopid": aid, "year": y, "any_at_war": float(y % 3 == 0)})
            my.extend({"atopid": aid, "ccode": c, "year": y} for c in mem)
    spec = ModelSpec("test", "synthetic", ("defense",), ("any_at_war",))
    ev = EvaluationData(alliances=pd.DataFrame(al), years=pd.DataFrame(yrs), spec=spec)
    return SimpleNamespace(eval=ev, alliances=pd.DataFrame(panel), member_years=pd.DataFrame(my))


def test_linked_treaties_are_one_spell_with_a_continuous_age_clock_and_no_ending_at_the_hand_over():
    d = synthetic_data()
    rows, info = training_rows(d, "breach", merge_replacements=True)
    s1 = rows[rows["atopid"] == 1].sort_values("start")
    assert 2 not in set(rows["atopid"])  # the successor's years are in its predecessor's spell
    # the age clock runs from the first treaty's begin to the successor's end without a gap or a restart
    assert s1["start"].iloc[0] == 0.0
    assert np.allclose(s1["start"].to_numpy()[1:], s1["stop"].to_numpy()[:-1])
    assert s1["stop"].iloc[-1] == pytest.approx((T("1975-05-01") - T("1950-03-01")).days / 365.25)
    # one ending, the successor's breach at the spell's end; none at the hand-over in 1960
    assert s1["event"].sum() == 1 and s1["event"].iloc[-1] == 1
    # each spell-year carries the formation covariates of the treaty in force (hand-over year: the predecessor's)
    year = 1950 + np.floor(s1["start"].to_numpy() + 2 / 12).astype(int)
    assert (s1["defense"].to_numpy() == np.where(year <= 1960, 0.0, 1.0)).all()
    rs = info["replacement_spells"]
    assert rs["replacements_linked_in_rows"] == 1 and rs["replacements_unlinked_in_rows"] == 1
    assert rs["linked_all"] == 1 and rs["unlinked_all"] == 1
    # treaty by treaty (the any-end model's rows) the successor restarts at age 0 as its own alliance
    flat, _ = training_rows(d, "breach")
    assert flat[flat["atopid"] == 2]["start"].min() == 0.0 and flat["event"].sum() == rows["event"].sum()


def test_an_unlinked_replacement_stays_censored():
    d = synthetic_data()
    for event in ("breach", "lapse", "state-death", "not-replaced"):
        rows, _ = training_rows(d, event, merge_replacements=True)
        s3 = rows[rows["atopid"] == 3]
        assert len(s3) and s3["event"].sum() == 0  # censored at its end
        assert s3["stop"].max() == pytest.approx((T("1965-01-01") - T("1955-01-01")).days / 365.25)
        assert set(rows["atopid"]) == {1, 3, 4}  # 4 is a spell of its own (other members)
    lapse, _ = training_rows(d, "lapse", merge_replacements=True)
    assert lapse.loc[lapse["atopid"] == 4, "event"].sum() == 1 and lapse["event"].sum() == 1
    sd, counts = spell_data(d)
    assert counts["linked"] == 1 and counts["unlinked"] == 1 and len(sd.alliances) == 3


def _ctx():
    return F.Context(data=synthetic_data(), model=None, cache={}, event="any-end")


def _case(replaces, members=(1, 2), in_force="1976-01-01"):
    c = SimpleNamespace(replaces=SimpleNamespace(value=replaces) if replaces is not None else None)
    return ResolvedCase(case=c, atopid=None, in_force=T(in_force), members=[{"ccode": m} for m in members],
                        formation={}, states=[], state_source="test")


def test_the_cases_cause_model_age_runs_from_its_relationships_first_treaty():
    ctx = _ctx()
    off, text = F.relationship_start(ctx, _case(2))  # replaces treaty 2, itself the successor of treaty 1
    assert off == pytest.approx((T("1976-01-01") - T("1950-03-01")).days / 365.25)
    assert "1950-03-01" in text and "ATOP 1" in text
    # other members than the predecessor's: no link, the treaty's own clock
    off, text = F.relationship_start(ctx, _case(2, members=(1, 7)))
    assert off == 0.0 and "does not merge" in text
    assert F.relationship_start(ctx, _case(None))[0] == 0.0
    assert F.relationship_start(ctx, _case(99))[0] == 0.0  # a predecessor outside the data


def test_any_end_numbers_unchanged_when_the_cause_models_use_the_spell_age():
    from pactwatch.scenarios.cases import load_scenarios
    from pactwatch.scenarios.shocks import MemberState
    from pactwatch.scenarios.training import fitted_from_rows

    covs = ["defense", "any_at_war"]
    rng = np.random.default_rng(3)
    rec = []
    for i in range(800):  # yearly cause hazards rising with age, so an older clock sees a larger hazard
        d = float(rng.random() < 0.5)
        for t in range(40):
            w = float(rng.random() < 0.3)
            h = np.array([0.005, 0.003]) * (1 + t / 5) * np.exp(-0.5 * d + 0.8 * w)
            end = rng.random() < 1 - np.exp(-h.sum())
            rec.append({"atopid": i, "start": float(t), "stop": t + 1.0, "defense": d, "any_at_war": w,
                        "cause": int(rng.choice([1, 2], p=h / h.sum())) if end else 0})
            if end:
                break
    rows = pd.DataFrame(rec)
    fits = {n: fitted_from_rows(rows.assign(event=(rows["cause"] == k).astype(int)), covs, event=n)
            for n, k in (("breach", 1), ("lapse", 2))}
    any_end = fitted_from_rows(rows.assign(event=(rows["cause"] > 0).astype(int)), covs)
    sc = dict(load_scenarios())
    sc["status-quo"] = sc["status-quo"].model_copy(update={"shocks": []})
    st = [MemberState(1, True, True, frozenset()), MemberState(2, False, True, frozenset())]

    def _rc():
        return ResolvedCase(case=None, atopid=None, in_force=T("2020-01-01"), members=[{"ccode": 1}, {"ccode": 2}],
                            formation={"defense": 1.0}, states=st, state_source="test")

    _scenarios = lambda: sc  # noqa: E731
    kw = dict(as_of=T("2023-06-30"), horizon=10.0, n_sims=100, level=0.9, seed=2)
    off, _ = F.run_scenarios(_rc(), any_end, _scenarios(), ["status-quo", "war-ends"], **kw)
    on, _ = F.run_scenarios(_rc(), any_end, _scenarios(), ["status-quo", "war-ends"], competing=fits,
                            competing_age_offset=6.0, **kw)
    same, _ = F.run_scenarios(_rc(), any_end, _scenarios(), ["status-quo", "war-ends"], competing=fits, **kw)
    for a, b in zip(on, off):
        for key in ("survival", "vs_status_quo", "median_remaining", "curve", "drivers"):
            assert a[key] == b[key]
    # the offset moves the cause models along their own baseline (older ages), not the any-end one
    assert on[0]["_competing"]["not_replaced"] != same[0]["_competing"]["not_replaced"]


def test_thin_cause_models_are_called_thin_in_the_report_text():
    from pactwatch.reports import present as P

    def res(n):
        return {"competing": {"causes": [{"label": "Breach", "n_events_at_case_ages": n[0]},
                                         {"label": "Lapse", "n_events_at_case_ages": n[1]}]}}

    thin = P.competing_thin(res([5, 0]))
    assert thin and "5 training endings" in thin and "lapse 0" in thin and "incidence of about 0" in thin
    assert P.competing_thin(res([40, 12])) is None
    assert P.competing_thin({"competing": {"causes": [{"label": "Breach"}]}}) is None  # counts unknown: no claim
