"""Case and scenario files: schema errors name the file and the field; shipped files load."""

import pytest
import yaml

from pactwatch.errors import PactwatchError
from pactwatch.scenarios.cases import REPO_ROOT, list_names, load_case, load_scenarios
from pactwatch.scenarios.shocks import scenario_shocks


def _rus_prk() -> dict:
    return yaml.safe_load((REPO_ROOT / "cases" / "rus-prk-2024.yaml").read_text())


def _write(tmp_path, data, name="bad.yaml"):
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


@pytest.mark.parametrize("edit, field", [
    (lambda d: d["obligations"]["defense"].__setitem__("value", 2), "obligations.defense.value"),
    (lambda d: d["obligations"]["consul"].pop("source"), "obligations.consul.source"),
    (lambda d: d["design"]["length"].__setitem__("value", "forever"), "design.length.value"),
    (lambda d: d["in_force"].__setitem__("value", "4 Dec 2024"), "in_force.value"),
    (lambda d: d.__setitem__("obligatons", {}), "obligatons"),
    (lambda d: d["observed"]["members"][365]["cinc_ratio"].__setitem__("value", -1), "observed.members.365.cinc_ratio.value"),
    (lambda d: d["members"][0].__setitem__("ccode", "Russia"), "members.0.ccode"),
])
def test_bad_case_names_file_and_field(tmp_path, edit, field):
    d = _rus_prk()
    edit(d)
    p = _write(tmp_path, d)
    with pytest.raises(PactwatchError) as ei:
        load_case(p)
    msg = str(ei.value)
    assert str(p) in msg
    assert f"field '{field}'" in msg


def test_case_cross_field_rules(tmp_path):
    d = _rus_prk()
    del d["observed"]["members"][731]
    with pytest.raises(PactwatchError, match="observed.members must list exactly the members"):
        load_case(_write(tmp_path, d))
    d = _rus_prk()
    d["design"]["length"]["value"] = "fixed"
    with pytest.raises(PactwatchError, match="length 'fixed' needs 'years'"):
        load_case(_write(tmp_path, d))
    with pytest.raises(PactwatchError, match="kind 'atop' needs 'atopid'"):
        load_case(_write(tmp_path, {"id": "x", "name": "x", "kind": "atop"}))
    p = tmp_path / "broken.yaml"
    p.write_text("id: [unclosed\n")
    with pytest.raises(PactwatchError, match="not valid YAML"):
        load_case(p)


def test_shipped_cases_load():
    names = list_names("cases")
    assert {"rus-prk-2024", "ussr-prk-1961", "prc-prk-1961", "egy-ussr-1971", "som-ussr-1974"} <= set(names)
    c = load_case("rus-prk-2024")
    assert [m.ccode for m in c.members] == [365, 731]
    assert str(c.signed.value) == "2024-06-19" and str(c.in_force.value) == "2024-12-04"
    assert c.obligations.defense.value == 1 and c.replaces.value == 4940
    atop = {n: load_case(n).atopid for n in names if n != "rus-prk-2024"}
    assert atop["ussr-prk-1961"] == 3440 and atop["prc-prk-1961"] == 3445
    assert atop["egy-ussr-1971"] == 3670 and atop["som-ussr-1974"] == 3735


def test_unknown_case_lists_available():
    with pytest.raises(PactwatchError, match="available: .*rus-prk-2024"):
        load_case("no-such-case")


def test_scenario_errors(tmp_path):
    d = {"name": "bad", "label": "x", "shocks": [{"kind": "war-ends", "timing": {"dist": "discrete", "p": {0: 0.5}}}]}
    _write(tmp_path, d, "bad.yaml")
    with pytest.raises(PactwatchError) as ei:
        load_scenarios(tmp_path)
    assert "field 'shocks.0.timing'" in str(ei.value) and "sum to 1" in str(ei.value)
    (tmp_path / "bad.yaml").unlink()
    _write(tmp_path, {"name": "other", "label": "x"}, "mismatch.yaml")
    with pytest.raises(PactwatchError, match="field 'name'"):
        load_scenarios(tmp_path)
    (tmp_path / "mismatch.yaml").unlink()
    _write(tmp_path, {"name": "ps", "label": "x", "shocks": [{"kind": "power-shift", "timing": {"fixed": 1}}]}, "ps.yaml")
    with pytest.raises(PactwatchError, match="needs 'cinc_factor'"):
        load_scenarios(tmp_path)


def test_shipped_scenarios_and_composition(tmp_path):
    sc = load_scenarios()
    for n in ("status-quo", "war-ends", "us-retrenchment", "trilateral-strengthens", "leader-change", "power-shift"):
        assert n in sc
    kinds = [s.kind for s in scenario_shocks("war-ends+us-retrenchment", sc)]
    assert kinds == ["war-ends", "rival-removed"]
    for name, comp in (("a", ["b"]), ("b", ["a"])):
        _write(tmp_path, {"name": name, "label": name, "compose": comp}, f"{name}.yaml")
    cyc = load_scenarios(tmp_path)
    with pytest.raises(PactwatchError, match="cycle"):
        scenario_shocks("a", cyc)
    with pytest.raises(PactwatchError, match="unknown scenario"):
        scenario_shocks("zzz", cyc)
