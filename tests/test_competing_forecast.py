"""Competing-risk forecasts (issue 13 item 2): each cause's cumulative incidence along the scenario paths, and "ends for
any reason but replacement" beside the any-end survival.

- the discrete Aalen–Johansen form: the causes' incidences add up to the all-cause probability 1 − exp(−sum_k H_k),
  each is non-decreasing and in [0, 1], a cause without hazard gets exactly 0;
- on synthetic alliances with known cause-specific hazards: the forecast recovers each cause's incidence, a cause that
  never happened in the training rows gets 0, and (causes sharing one covariate effect) the causes' sum agrees with
  the pooled any-end model's 1 − S;
- on ATOP and the Russia–DPRK case: incidences (points and interval ends) sum to at most the all-cause probability;
  at a typical alliance-year the four causes (with replacement) agree with the any-end model; the any-end numbers are
  the same with competing risks on or off.
"""
import numpy as np
import pandas as pd
import pytest

from pactwatch.scenarios import forecast as F
from pactwatch.scenarios.cases import ResolvedCase, load_scenarios
from pactwatch.scenarios.engine import Engine, cumulative_incidence
from pactwatch.scenarios.shocks import MemberState
from pactwatch.scenarios.training import fit, fitted_from_rows

AS_OF = "2026-11-26"
COVS = ["defense", "any_at_war"]
#: true yearly cause-specific hazards at defense = 0, at war = 0; both causes share the covariate effects
H1, H2, BETA = 0.03, 0.02, (-0.5, 1.0)


# --------------------------------------------------------------------------------------------- the discrete form
def test_incidences_add_up_to_the_all_cause_probability():
    rng = np.random.default_rng(0)
    dH = rng.exponential(0.02, size=(3, 120, 50))
    dH[2] = 0.0  # a cause without hazard
    dH[:, 0] = 0.0
    H = np.cumsum(dH, axis=1)
    Fk = cumulative_incidence(H)
    assert np.allclose(Fk.sum(0), 1 - np.exp(-H.sum(0)), atol=1e-12)
    assert (np.diff(Fk, axis=1) >= -1e-15).all() and (Fk >= 0).all() and (Fk <= 1).all()
    assert (Fk[2] == 0).all()
    # one cause alone: its incidence is 1 − exp(−H)
    assert np.allclose(cumulative_incidence(H[:1])[0], 1 - np.exp(-H[0]))
    # two causes with proportional hazards split the all-cause probability in that proportion
    two = cumulative_incidence(np.stack([H[0], 3 * H[0]]))
    assert np.allclose(two[1], 3 * two[0])


# ------------------------------------------------------------------------------------------------ synthetic data
def synth_causes(n=2500, seed=1, years=30):
    """Alliance-year rows with a cause code: 1 and 2 happen (yearly hazards H1, H2 × exp(x'BETA)); 3 never does."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        d = float(rng.random() < 0.5)
        w = 0.0
        for t in range(years):
            w = float(rng.random() < 0.1) if w == 0 else float(rng.random() > 0.3)
            rel = np.exp(BETA[0] * d + BETA[1] * w)
            h = np.array([H1, H2]) * rel
            ended = rng.random() < 1 - np.exp(-h.sum())
            cause = int(rng.choice([1, 2], p=h / h.sum())) if ended else 0
            rows.append({"atopid": i, "start": float(t), "stop": t + 1.0, "cause": cause, "defense": d, "any_at_war": w})
            if ended:
                break
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def synthetic():
    rows = synth_causes()
    fits = {name: fitted_from_rows(rows.assign(event=(rows["cause"] == code).astype(int)), COVS, event=name)
            for name, code in (("breach", 1), ("lapse", 2), ("state-death", 3))}
    any_end = fitted_from_rows(rows.assign(event=(rows["cause"] > 0).astype(int)), COVS)
    return rows, fits, any_end


def _rc(at_war=True):
    st = [MemberState(1, True, at_war, frozenset()), MemberState(2, False, at_war, frozenset())]
    return ResolvedCase(case=None, atopid=None, in_force=pd.Timestamp("2020-01-01"),
                        members=[{"ccode": 1}, {"ccode": 2}], formation={"defense": 1.0}, states=st, state_source="test")


def _scenarios():
    """The shipped scenarios with a status quo that holds every covariate (no yearly chance of the war ending), so the
    true incidences of the synthetic model are known in closed form."""
    sc = dict(load_scenarios())
    sc["status-quo"] = sc["status-quo"].model_copy(update={"shocks": []})
    return sc


def _run(fm, competing, seed=1, n=300):
    res, a0 = F.run_scenarios(_rc(), fm, _scenarios(), ["status-quo", "war-ends"], as_of=pd.Timestamp("2023-06-30"),
                              horizon=10.0, n_sims=n, level=0.9, seed=seed, competing=competing)
    return res


def test_synthetic_incidences_recover_the_causes_and_a_cause_without_events_is_zero(synthetic):
    rows, fits, any_end = synthetic
    assert fits["state-death"].info["n_events"] == 0
    res = _run(any_end, {n: m for n, m in fits.items()})
    sq = res[0]["_competing"]
    inc = {c["cause"]: c["by_t"] for c in sq["incidence"]}
    # the cause that never happened: exactly 0, points and intervals
    assert all(p["point"] == 0 and p["upper"] == 0 for p in inc["state-death"])
    # the status quo holds defense = 1 and war on for ten years: constant hazards, so the true incidences are known
    rel = np.exp(BETA[0] + BETA[1])
    for k, t in enumerate([1.0, 3.0, 5.0, 10.0]):
        tot = (H1 + H2) * rel
        for name, h in (("breach", H1), ("lapse", H2)):
            true = h * rel / tot * (1 - np.exp(-tot * t))
            p = inc[name][k]
            assert p["t"] == t and p["lower"] <= p["point"] <= p["upper"]
            # the yearly baseline is estimated from ~40–60 events per age: the truth lies in the 90% interval
            assert p["lower"] <= true <= p["upper"] and p["point"] == pytest.approx(true, abs=0.03)
        # with one covariate effect for every cause the pooled any-end model is right too: the sums agree
        s = sq["not_replaced"][k]["point"]
        assert s == pytest.approx(sum(inc[n][k]["point"] for n in inc), abs=1e-12)
        assert s == pytest.approx(1 - res[0]["survival"][k]["point"], abs=0.02)


def test_synthetic_any_end_numbers_unchanged_with_competing_on(synthetic):
    _, fits, any_end = synthetic
    on, off = _run(any_end, fits, seed=4), _run(any_end, None, seed=4)
    for a, b in zip(on, off):
        assert "_competing" in a and "_competing" not in b
        for key in ("survival", "vs_status_quo", "median_remaining", "curve", "drivers"):
            assert a[key] == b[key]


def test_cause_models_must_share_the_forecast_covariates(synthetic):
    rows, fits, any_end = synthetic
    other = fitted_from_rows(rows.assign(event=(rows["cause"] == 1).astype(int)), ["any_at_war", "defense"])
    with pytest.raises(Exception, match="covariates"):
        _run(any_end, {"breach": other})


# ------------------------------------------------------------------------------------------------------ ATOP data
@pytest.fixture(scope="module")
def rus_prk(forecast_ctx):
    return F.forecast_case("rus-prk-2024", sims=200, as_of=AS_OF, seed=0, ctx=forecast_ctx).to_json()


def test_cause_specific_incidences_sum_to_at_most_the_all_cause_probability(rus_prk):
    comp = rus_prk["competing"]
    assert [c["name"] for c in comp["causes"]] == ["breach", "lapse", "state-death"]
    assert {s["name"] for s in comp["scenarios"]} == {s["name"] for s in rus_prk["scenarios"]}
    for sc in comp["scenarios"]:
        allc = sc["not_replaced"]
        for k, t in enumerate(rus_prk["times"]):
            pts = [c["by_t"][k] for c in sc["incidence"]]
            # the point: equal to 1 − S of the cause-specific sum (up to rounding)
            assert sum(p["point"] for p in pts) <= allc[k]["point"] + 1e-12
            assert sum(p["point"] for p in pts) == pytest.approx(allc[k]["point"], abs=1e-12)
            # per draw each cause is at most the sum, so are its interval ends
            for p in pts:
                assert 0 <= p["lower"] <= p["point"] <= 1 and p["lower"] <= p["upper"] <= 1
                assert p["lower"] <= allc[k]["lower"] + 1e-12 and p["upper"] <= allc[k]["upper"] + 1e-12
        for c in sc["incidence"]:  # cumulative incidences never fall
            for key in ("point", "lower", "upper"):
                v = [p[key] for p in c["by_t"]]
                assert all(b >= a - 1e-12 for a, b in zip(v, v[1:])), (sc["name"], c["cause"], key)
        cum = sc["curve"]["cumulative"]
        assert all(np.all(np.diff(v) >= -1e-12) for v in cum.values())


def test_four_causes_agree_with_any_end_at_a_typical_alliance_year(forecast_ctx):
    """The any-end model and the cause-specific ones (with replacement as a fourth cause) describe the same endings:
    at the training medians (a typical alliance-year) their all-cause probabilities agree within 2 points. They are not
    equal: four proportional-hazards models do not add up to one, and for an unusual profile (Russia–DPRK: formed in
    wartime, at war) the cause models can differ more — they let war act differently on each way of ending."""
    ctx = forecast_ctx
    models = dict(F.cause_models(ctx, use_cache=False))
    rep, _ = fit(ctx.data, "replacement", penalizer=F.COMPETING_PENALIZER, use_cache=False)
    fa = ctx.model
    a0, h = 2.0, 10.0
    Z = fa.reference[None, None, :]
    bounds = np.array([a0, a0 + h])
    e = Engine(fa, a0, h)
    S_any = e.survival(fa.coef[None], e.baseline(fa.coef[None]), Z, bounds)[:, 0]
    H = {}
    for name, m in [*((n, m) for n, (m, _) in models.items()), ("replacement", rep)]:
        em = Engine(m, a0, h)
        H[name] = em.cumulative_hazard(m.coef[None], em.baseline(m.coef[None]), Z, bounds)[:, 0]
    three = cumulative_incidence(np.stack([H[n] for n in F.COMPETING])).sum(0)
    four = 1 - np.exp(-sum(H.values()))
    for t in (5.0, 10.0):
        i = int(np.argmin(np.abs(e.grid - t)))
        assert three[i] <= four[i]
        assert four[i] == pytest.approx(1 - S_any[i], abs=0.02)
    # the training events add up: every any-end ending is one of the three causes or a replacement
    n = {k: m.info["n_events"] for k, (m, _) in models.items()}
    assert sum(n.values()) + rep.info["n_events"] == fa.info["n_events"]


def test_any_end_numbers_unchanged_with_competing_on_or_off(rus_prk, forecast_ctx):
    off = F.forecast_case("rus-prk-2024", sims=200, as_of=AS_OF, seed=0, ctx=forecast_ctx, competing=False).to_json()
    assert off["competing"] is None and rus_prk["competing"] is not None
    assert off["scenarios"] == rus_prk["scenarios"]
    assert off["base_rate"] == rus_prk["base_rate"]


def test_report_and_cli_show_the_incidences_as_present_writes_them(rus_prk, forecast_ctx):
    from pactwatch.reports import present as P
    from pactwatch.reports.report import render_html

    tab = P.competing_table(rus_prk)
    assert [s["name"] for s in tab["scenarios"]] == ["status-quo", "war-ends"]
    sq = next(s for s in rus_prk["competing"]["scenarios"] if s["name"] == "status-quo")
    p5 = sq["incidence"][0]["by_t"][rus_prk["times"].index(5.0)]
    cell = P.pct_ci(p5["point"], p5["lower"], p5["upper"])
    assert tab["scenarios"][0]["rows"][0]["cells"][rus_prk["times"].index(5.0)] == cell
    html = render_html(rus_prk)
    sec = html[html.index('id="competing"'):html.index('id="drivers"')]
    assert 'id="competing-table"' in sec and cell in sec and "Ends for any reason but replacement" in sec
    assert "Abrogation, violation or breach" in sec and "data:image/png;base64," in sec
    # without competing risks: no table, no chart, no section
    off = {**rus_prk, "competing": None}
    assert P.competing_table(off) is None and 'id="competing"' not in render_html(off)


def test_cause_models_count_the_case_from_the_treaty_it_replaces(rus_prk):
    """Russia–DPRK 2024 replaces ATOP 4940 (same members) on entry into force: its cause models' spell age runs from
    4940's begin (9 Feb 2000), the survival forecast's from 4 Dec 2024; the cause fits' rows are merged spells."""
    comp = rus_prk["competing"]
    assert comp["age_offset_years"] == pytest.approx((pd.Timestamp("2024-12-04") - pd.Timestamp("2000-02-09")).days
                                                     / 365.25)
    assert "2000-02-09" in comp["age"] and "4940" in comp["age"]
    assert rus_prk["case"]["age_at_as_of"] == pytest.approx((pd.Timestamp(AS_OF) - pd.Timestamp("2024-12-04")).days
                                                            / 365.25)
    assert comp["replacements_linked"] > 0 and comp["replacements_censored"] > 0
    assert comp["spells"] < rus_prk["model"]["info"]["n_alliances"]
    for c in comp["causes"]:  # the endings the baseline rests on at the case's ages: counted, never more than all
        assert 0 <= c["n_events_at_case_ages"] <= c["n_events"]
