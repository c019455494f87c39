"""Coding uncertainty (issue 13 item 4): uncertain case values carry weighted alternatives, the Monte Carlo samples
them, and the result reports each alternative's swing of the status quo."""
import copy
import math

import numpy as np
import pytest
import yaml

from pactwatch.errors import PactwatchError
from pactwatch.scenarios import forecast as F
from pactwatch.scenarios import paths as P
from pactwatch.scenarios.cases import load_case, read_yaml
from pactwatch.scenarios.codings import Coding, case_with, draw_codings, uncertain_codings
from pactwatch.scenarios.schema import Alternative, Case, parse

AS_OF = "2026-11-26"
CASE = "rus-prk-2024"


def _raw():
    return read_yaml(load_case(CASE).__dict__["_path"])


def _parse(d):
    return parse(Case, d, "case.yaml")


# ------------------------------------------------------------------------------------------------------ sampling
def _coding(name, value, alts):
    return Coding((name,), value, "src", tuple(Alternative[object](value=v, weight=w, source="why") for v, w in alts))


def test_sampled_readings_follow_their_weights_independently():
    a = _coding("a", 0, [(1, 0.3)])
    b = _coding("b", "x", [("y", 0.2), ("z", 0.05)])
    c = _coding("c", 1, [(0, 0.0)])
    n = 40_000
    C = draw_codings([a, b, c], n, seed=7)
    assert C.shape == (n, 3)
    for j, (cod, want) in enumerate([(a, [0.7, 0.3]), (b, [0.75, 0.2, 0.05]), (c, [1.0, 0.0])]):
        got = np.bincount(C[:, j], minlength=len(want)) / n
        se = np.sqrt(np.asarray(want) * (1 - np.asarray(want)) / n)
        assert np.all(np.abs(got - want) <= 4 * se + 1e-12), (cod.name, got, want)
    # independent across values: the joint share of (a = 1, b = y) is the product of the weights
    joint = np.mean((C[:, 0] == 1) & (C[:, 1] == 1))
    assert abs(joint - 0.3 * 0.2) <= 4 * math.sqrt(0.06 * 0.94 / n)
    # reproducible from the seed, and a different seed gives other draws
    assert np.array_equal(C, draw_codings([a, b, c], n, seed=7))
    assert not np.array_equal(C, draw_codings([a, b, c], n, seed=8))


def test_case_file_codings_list_alternatives_with_weights():
    cods = {c.name: c for c in uncertain_codings(load_case(CASE))}
    non = cods["obligations.nonagg"]
    assert non.values == [0, 1] and np.allclose(non.weights, [0.7, 0.3])
    for name in ("design.renunciation", "design.econ_linkage", "design.length"):
        assert cods[name].alternatives and 0 < cods[name].weights[0] < 1
        assert all(len(a.source) > 40 for a in cods[name].alternatives)  # each says why
    # uncertain without alternatives: listed, nothing to sample
    assert cods["formation.major_powers"].alternatives == ()


def test_case_with_replaces_one_value_and_validates():
    c = load_case(CASE)
    c2 = case_with(c, {("obligations", "nonagg"): 1})
    assert c2.obligations.nonagg.value == 1 and c2.obligations.nonagg.alternatives == []
    assert c2.obligations.defense == c.obligations.defense and c.obligations.nonagg.value == 0
    with pytest.raises(Exception):
        case_with(c, {("obligations", "nonagg"): 2})


# -------------------------------------------------------------------------------------------------------- schema
@pytest.mark.parametrize("alts, where", [
    ([{"value": "none", "weight": 0.5, "source": "reason a"}, {"value": "conditional", "weight": 0.5, "source": "b c"}],
     "design.length.alternatives"),
    ([{"value": "none", "weight": 1.0, "source": "reason a"}], "design.length.alternatives"),
    ([{"value": "none", "weight": 0.7, "source": "reason a"}, {"value": "conditional", "weight": 0.6, "source": "b c"}],
     "design.length.alternatives"),
])
def test_schema_rejects_weights_summing_to_one_or_more(alts, where):
    d = _raw()
    d["design"]["length"]["alternatives"] = alts
    with pytest.raises(PactwatchError) as e:
        _parse(d)
    assert f"field '{where}'" in str(e.value) and "less than 1" in str(e.value)


@pytest.mark.parametrize("section, key, value, words", [
    ("obligations", "nonagg", 2, "obligations.nonagg.alternatives.0.value"),
    ("design", "renunciation", "perhaps", "design.renunciation.alternatives.0.value"),
    ("design", "length", "forever", "design.length.alternatives.0.value"),
    ("formation", "major_powers", [99999], "not a COW state code"),
])
def test_schema_rejects_an_alternative_invalid_for_the_field(section, key, value, words):
    d = _raw()
    d[section][key]["uncertain"] = True
    d[section][key]["alternatives"] = [{"value": value, "weight": 0.2, "source": "a reading"}]
    with pytest.raises(PactwatchError) as e:
        _parse(d)
    assert words in str(e.value)


def test_schema_rules_for_alternatives():
    d = _raw()
    ok = copy.deepcopy(d)
    ok["obligations"]["nonagg"]["alternatives"][0]["weight"] = 0.0  # weight 0 is allowed
    _parse(ok)
    bad = copy.deepcopy(d)  # only an uncertain value may list alternatives
    bad["obligations"]["defense"]["alternatives"] = [{"value": 0, "weight": 0.1, "source": "a reading"}]
    with pytest.raises(PactwatchError, match="obligations.defense.alternatives'.*uncertain"):
        _parse(bad)
    bad = copy.deepcopy(d)  # an alternative must differ from the coded value
    bad["obligations"]["nonagg"]["alternatives"][0]["value"] = 0
    with pytest.raises(PactwatchError, match="repeats the coded value"):
        _parse(bad)
    bad = copy.deepcopy(d)  # a negative weight
    bad["obligations"]["nonagg"]["alternatives"][0]["weight"] = -0.1
    with pytest.raises(PactwatchError, match="nonagg.alternatives.0.weight"):
        _parse(bad)
    bad = copy.deepcopy(d)  # a fixed term needs its years, also as an alternative
    bad["design"]["length"]["alternatives"] = [{"value": "fixed", "weight": 0.1, "source": "a reading"}]
    with pytest.raises(PactwatchError, match="design.length.alternatives'.*years"):
        _parse(bad)


# ------------------------------------------------------------------------------------------------------ forecast
NAMES = ["status-quo", "war-ends", "leader-change"]


def _without_alternatives(d, zero: bool):
    d = copy.deepcopy(d)

    def walk(x):
        if isinstance(x, dict):
            if "alternatives" in x:
                if zero:
                    for a in x["alternatives"]:
                        a["weight"] = 0.0
                else:
                    x.pop("alternatives")
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(d)
    return _parse(d)


def test_zero_weights_or_no_alternatives_give_the_forecast_without_codings(forecast_ctx):
    d = _raw()
    plain = F.forecast_case(_without_alternatives(d, zero=False), NAMES, sims=300, as_of=AS_OF, ctx=forecast_ctx)
    zero = F.forecast_case(_without_alternatives(d, zero=True), NAMES, sims=300, as_of=AS_OF, ctx=forecast_ctx)
    # today's arithmetic: run_scenarios without any coding draws
    c = _without_alternatives(d, zero=False)
    rc = F.resolve(c, forecast_ctx.data, F.pd.Timestamp(AS_OF))
    old, _ = F.run_scenarios(rc, forecast_ctx.model, F.load_scenarios(), NAMES, as_of=F.pd.Timestamp(AS_OF),
                             horizon=10.0, n_sims=300, level=0.9, seed=0,
                             path_inputs=F.path_inputs(forecast_ctx.data, rc, F.pd.Timestamp(AS_OF),
                                                       forecast_ctx.model.covariates))
    assert [s.model_dump() for s in zero.scenarios] == [s.model_dump() for s in plain.scenarios]
    for r in (plain, zero):
        for s, o in zip(r.scenarios, old):
            assert [x.model_dump() for x in s.survival] == o["survival"]
            assert s.curve.lower == o["curve"]["lower"] and s.curve.upper == o["curve"]["upper"]
            assert [x.model_dump() for x in s.vs_status_quo] == o["vs_status_quo"]
    assert plain.codings.swings == [] and all(v.status != "sampled" for v in plain.codings.values)
    assert zero.codings.n_variants == 1 and all(v.frequencies[1:] == [0.0] * (len(v.frequencies) - 1)
                                                for v in zero.codings.values if v.status == "sampled")


@pytest.fixture(scope="module")
def shockless(tmp_path_factory):
    """A scenario folder whose status quo has no shocks (one covariate path: the proportional-hazards identity holds
    exactly) and a war-ends scenario."""
    d = tmp_path_factory.mktemp("scen")
    (d / "status-quo.yaml").write_text(yaml.safe_dump({"name": "status-quo", "label": "Status quo", "shocks": []}))
    (d / "war-ends.yaml").write_text(yaml.safe_dump({
        "name": "war-ends", "label": "War ends",
        "shocks": [{"kind": "war-ends", "timing": {"dist": "uniform", "low": 0, "high": 3}}]}))
    return d


@pytest.fixture(scope="module")
def with_codings(forecast_ctx, shockless):
    return F.forecast_case(CASE, sims=400, as_of=AS_OF, ctx=forecast_ctx, scenario_dir=shockless)


def test_nonagg_swing_has_the_sign_and_size_the_coefficient_implies(with_codings, forecast_ctx):
    r = with_codings
    coef = dict(zip(forecast_ctx.model.covariates, forecast_ctx.model.coef))["nonagg"]
    sw = next(s for s in r.codings.swings if s.path == "obligations.nonagg")
    assert r.codings.scenario == "status-quo" and r.codings.t == pytest.approx(5.0)
    assert sw.coded == 0 and sw.alternative == 1 and sw.weight == pytest.approx(0.3)
    s0 = sw.survival_coded
    # nonagg is constant along the path, so reading it as 1 multiplies the hazard by exp(coef): S1 = S0 ** exp(coef)
    assert sw.survival_alternative == pytest.approx(s0 ** math.exp(coef), rel=1e-9)
    assert np.sign(sw.swing) == -np.sign(coef) and sw.swing == pytest.approx(s0 ** math.exp(coef) - s0, abs=1e-9)
    assert sw.lower < sw.swing < sw.upper and (sw.lower > 0 or sw.upper < 0)  # |z| of the coefficient is large


def test_swings_match_forecasts_at_each_reading(with_codings, forecast_ctx, shockless):
    r = with_codings
    base = F.forecast_case(_without_alternatives(_raw(), zero=False), ["status-quo"], sims=400, as_of=AS_OF,
                           ctx=forecast_ctx, scenario_dir=shockless)
    i5 = r.times.index(5.0)
    at_coded = base.scenarios[0].survival[i5].point
    assert r.codings.survival_at_coded == pytest.approx(at_coded, abs=1e-12)
    for sw in r.codings.swings:
        d = _raw()
        node = d
        for k in sw.path.split("."):
            node = node[k]
        node["value"] = sw.alternative
        alt = F.forecast_case(_without_alternatives(d, zero=False), ["status-quo"], sims=400, as_of=AS_OF,
                              ctx=forecast_ctx, scenario_dir=shockless)
        assert sw.survival_alternative == pytest.approx(alt.scenarios[0].survival[i5].point, abs=1e-12)
    length = next(s for s in r.codings.swings if s.path == "design.length")
    assert length.swing == 0 and not length.changes_covariates  # 'none' and 'indefinite' are the same covariates


def test_point_is_the_mixture_over_readings_by_their_weights(with_codings, forecast_ctx, shockless):
    import itertools

    r = with_codings
    i5 = r.times.index(5.0)
    cods = [c for c in uncertain_codings(load_case(CASE)) if c.alternatives]
    want = 0.0
    for row in itertools.product(*(range(len(c.values)) for c in cods)):
        d = _raw()
        p = 1.0
        for c, k in zip(cods, row):
            node = d
            for key in c.path:
                node = node[key]
            node["value"] = c.values[k]
            p *= c.weights[k]
        f = F.forecast_case(_without_alternatives(d, zero=False), ["status-quo"], sims=100, as_of=AS_OF,
                            ctx=forecast_ctx, scenario_dir=shockless)
        want += p * f.scenarios[0].survival[i5].point
    assert r.scenarios[0].survival[i5].point == pytest.approx(want, abs=1e-12)
    assert r.scenarios[0].survival[i5].point != pytest.approx(r.codings.survival_at_coded, abs=1e-3)


def test_intervals_include_coding_uncertainty(with_codings, forecast_ctx, shockless):
    r = with_codings
    i5 = r.times.index(5.0)
    sq = r.scenarios[0].survival[i5]
    freq = {v.path: v.frequencies for v in r.codings.values if v.status == "sampled"}
    assert r.codings.n_variants > 1 and r.scenarios[0].n_distinct_paths == r.codings.n_variants
    assert min(s.survival_alternative for s in r.codings.swings) < sq.point < max(s.survival_alternative
                                                                                for s in r.codings.swings)
    assert abs(freq["obligations.nonagg"][1] - 0.3) < 0.08
    base = F.forecast_case(_without_alternatives(_raw(), zero=False), ["status-quo"], sims=400, as_of=AS_OF,
                           ctx=forecast_ctx, scenario_dir=shockless).scenarios[0].survival[i5]
    assert (sq.upper - sq.lower) > (base.upper - base.lower)
    # differences to the status quo stay paired: the same coding draw in both scenarios
    we = r.scenarios[1].vs_status_quo[i5]
    assert we.lower < we.point < we.upper


def test_report_shows_swings_beside_scenarios(with_codings):
    from pactwatch.reports import charts, present
    from pactwatch.reports.report import render_html

    res = with_codings.to_json()
    rows = charts.sensitivity_rows(res)
    assert [r["group"] for r in rows] == ["coding"] * len(res["codings"]["swings"]) + ["scenario"]
    assert charts.sensitivity_chart(res).startswith("data:image/png;base64,")
    cells = present.swing_rows(res)
    assert cells[0]["path"] == max(res["codings"]["swings"], key=lambda s: abs(s["swing"]))["path"]
    html = render_html(res)
    assert 'id="coding-sensitivity"' in html and 'id="swing-table"' in html and "obligations.nonagg" in html
    assert "no alternatives given" in html


def test_formation_only_readings_reuse_the_coded_path_exactly(forecast_ctx):
    """The fast path (the coded path with the formation columns replaced and derived columns recomputed) equals the
    full build for every reading and every timing of a scenario whose shock changes the at-war interaction."""
    from pactwatch.scenarios import shocks as SH
    from pactwatch.scenarios.codings import coding_draws

    c = load_case(CASE)
    day = F.pd.Timestamp(AS_OF)
    rc = F.resolve(c, forecast_ctx.data, day)
    d = _raw()
    d["formation"]["wartime"]["uncertain"] = True  # wartime enters the derived at_war_x_wartime column
    d["formation"]["wartime"]["alternatives"] = [{"value": 0, "weight": 0.4, "source": "a reading"}]
    c2 = _parse(d)
    cd = coding_draws(c2, rc, lambda cc: F.resolve(cc, forecast_ctx.data, day), 500, 0)
    assert len(cd.variants) > 2
    sc = F.load_scenarios()
    shocks = SH.scenario_shocks("war-ends", sc)
    grid = SH.path_grid(rc.in_force, day, 10.0)
    T = np.array([[y] for y in range(grid.years[0], grid.years[0] + 4)])
    covs = forecast_ctx.model.covariates
    pb = P.PathBuilder(grid, cd, shocks, T, covs, 0, 1)
    for jc in range(len(cd.variants)):
        for jt in range(len(T)):
            assert np.array_equal(pb.Z(jt, jc), pb.df(jt, jc)[covs].to_numpy(float))
    # readings that leave the member states as coded take the quick path, checked against the full build; a reading
    # of wartime also changes the members' formation-war state (panels.state), so it is built in full
    same = [jc for jc in range(1, len(cd.variants)) if cd.variants[jc].states == cd.variants[0].states]
    assert same and all(pb.fast[jc] == "checked" for jc in same)
    i = next(k for k, c in enumerate(covs) if "x_wartime" in c)  # war x formed in wartime (lagged in the spec)
    wt0 = next(jc for jc, v in enumerate(cd.variants) if v.formation["wartime"] == 0)
    assert pb.Z(0, wt0)[0, i] == 0 and pb.Z(0, 0)[0, i] == 1
