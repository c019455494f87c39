"""Monte Carlo engine on synthetic alliances with a known model: exact survival along paths, intervals that contain
the point forecast and narrow as parameter uncertainty shrinks, the war-ends shock in the direction of its sign."""
import numpy as np
import pandas as pd
import pytest

from pactwatch.models.cox import predict_survival_path
from pactwatch.scenarios.cases import ResolvedCase, load_scenarios
from pactwatch.scenarios.engine import Engine, draw_betas, median_time
from pactwatch.scenarios.forecast import run_scenarios
from pactwatch.scenarios.shocks import MemberState
from pactwatch.scenarios.training import fitted_from_rows

COVS = ["defense", "any_at_war"]


def synth(n=400, beta=(-0.5, 1.0), seed=0, years=40):
    """Alliance-year rows: constant 'defense', 'any_at_war' switching on/off (10%/30% per year); yearly hazard
    0.05 * exp(x'beta)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        d = float(rng.random() < 0.5)
        w = 0.0
        for t in range(years):
            w = float(rng.random() < 0.1) if w == 0 else float(rng.random() > 0.3)
            p = 1 - np.exp(-0.05 * np.exp(beta[0] * d + beta[1] * w))
            ev = int(rng.random() < p)
            rows.append({"atopid": i, "start": float(t), "stop": t + 1.0, "event": ev, "defense": d, "any_at_war": w})
            if ev:
                break
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def fm():
    return fitted_from_rows(synth(), COVS)


def _Z(B, K, defense, war):
    Z = np.zeros((B, K, 2))
    Z[:, :, 0] = defense
    Z[:, :, 1] = np.asarray(war)[None, :] if np.ndim(war) else war
    return Z


def test_point_matches_cox_path_prediction(fm):
    a0, H = 3.4, 10.0
    eng = Engine(fm, a0, H)
    bounds = np.array([a0, 5.0, 8.0, a0 + H])
    war = [1.0, 0.0, 1.0]
    S = eng.survival(fm.coef[None, :], eng.baseline(fm.coef[None, :]), _Z(1, 3, 1.0, war), bounds)[:, 0]
    path = pd.DataFrame({"start": bounds[:-1], "stop": bounds[1:], "defense": 1.0, "any_at_war": war})
    ref = predict_survival_path(fm.baseline, path, pd.Series(fm.coef, index=COVS), a0 + eng.grid,
                                center=pd.Series(fm.center, index=COVS))
    assert np.allclose(S, ref.to_numpy(), atol=1e-10)


def test_baseline_recomputed_at_estimate_equals_breslow(fm):
    a0, H = 2.0, 10.0
    eng = Engine(fm, a0, H)
    cum = eng.baseline(fm.coef[None, :])[:, 0]
    bh = fm.baseline
    inc = bh.diff().fillna(bh.iloc[0])
    w = (bh.index > a0) & (bh.index <= a0 + H)
    assert np.allclose(cum, np.cumsum(inc[w].to_numpy()))


def _width(fm, scale, noise, n=2000, seed=3):
    eng = Engine(fm, 1.0, 10.0)
    m = fm.with_variance(scale)
    rng = np.random.default_rng(seed)
    b = draw_betas(m, n, rng)
    S = eng.survival(b, eng.baseline(b, rng if noise else None), _Z(n, 1, 1.0, 1.0), np.array([1.0, 11.0]))
    pt = eng.survival(m.coef[None, :], eng.baseline(m.coef[None, :]), _Z(1, 1, 1.0, 1.0), np.array([1.0, 11.0]))[:, 0]
    lo, hi = np.quantile(S, [0.05, 0.95], axis=1)
    i = np.argmin(np.abs(eng.grid - 5))
    return pt[i], lo[i], hi[i]


def test_intervals_contain_point_and_narrow(fm):
    widths = []
    for scale in (1.0, 0.25, 0.01):
        pt, lo, hi = _width(fm, scale, noise=False)
        assert lo <= pt <= hi
        widths.append(hi - lo)
    assert widths[0] > widths[1] > widths[2]
    assert widths[2] < 0.2 * widths[0]  # sd scales with sqrt(variance): 0.1x at 0.01
    pt, lo, hi = _width(fm, 1.0, noise=True)
    assert lo <= pt <= hi


def test_more_data_narrower_intervals():
    w = []
    for n in (150, 1200):
        m = fitted_from_rows(synth(n=n, seed=5), COVS)
        pt, lo, hi = _width(m, 1.0, noise=True)
        assert lo <= pt <= hi
        w.append(hi - lo)
    assert w[1] < 0.7 * w[0]


def test_median_time():
    g = np.linspace(0, 20, 241)
    S = np.exp(-0.1 * g)[:, None]
    assert median_time(g, S)[0] == pytest.approx(np.log(2) / 0.1, abs=1e-3)
    assert np.isinf(median_time(g, np.ones((241, 1)))[0])


def _rc(at_war=True):
    st = [MemberState(1, True, at_war, frozenset()), MemberState(2, False, at_war, frozenset())]
    return ResolvedCase(case=None, atopid=None, in_force=pd.Timestamp("2020-01-01"),
                        members=[{"ccode": 1}, {"ccode": 2}], formation={"defense": 1.0}, states=st, state_source="test")


def test_run_scenarios_war_ends_direction_and_intervals(fm):
    sc = load_scenarios()
    # a user-written yearly chance (a number, not 'from-data': this synthetic case has no war start, which would give
    # the rate for age 0, close to the war-ends scenario's)
    sq = sc["status-quo"]
    sh = sq.shocks[0]
    sc["status-quo"] = sq.model_copy(update={"shocks": [sh.model_copy(update={
        "timing": sh.timing.model_copy(update={"p_per_year": 0.2})})]})
    res, a0 = run_scenarios(_rc(), fm, sc, ["status-quo", "war-ends"], as_of=pd.Timestamp("2023-06-30"),
                            horizon=10.0, n_sims=400, level=0.9, seed=1)
    sq, we = res
    sign = np.sign(fm.coef[COVS.index("any_at_war")])
    for a, b in zip(sq["survival"], we["survival"]):
        assert a["lower"] <= a["point"] <= a["upper"] and b["lower"] <= b["point"] <= b["upper"]
    # ending the war (1 -> 0) divides the hazard by exp(coef): survival rises when coef > 0, falls when coef < 0
    d5 = we["survival"][2]["point"] - sq["survival"][2]["point"]
    assert np.sign(d5) == sign and abs(d5) > 0.01
    assert we["vs_status_quo"][2]["point"] == pytest.approx(d5)
    # the war-ends path: at war in the as-of year, and zero at the horizon's end
    assert we["path"][0]["any_at_war"] == 1 and we["path"][-1]["any_at_war"] == 0
    drivers = {d["covariate"]: d for d in sq["drivers"]}
    assert drivers["any_at_war"]["log_hazard"] == pytest.approx(fm.coef[1] * (1 - fm.reference[1]))
    with pytest.raises(Exception, match="does not use"):
        run_scenarios(_rc(), fm, sc, ["leader-change"], as_of=pd.Timestamp("2023-06-30"), horizon=5.0, n_sims=20,
                      level=0.9, seed=1)
