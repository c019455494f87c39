"""Case and scenario files are validated for ranges and references: NaN and infinity never get in, COW codes must
exist, years must be sensible, the observed date cannot precede entry into force. Each error names the file and the
field."""
import copy

import pytest
import yaml

from pactwatch.errors import PactwatchError
from pactwatch.scenarios.cases import REPO_ROOT, load_case, load_scenarios


@pytest.fixture(scope="module")
def rus_prk() -> dict:
    return yaml.safe_load((REPO_ROOT / "cases" / "rus-prk-2024.yaml").read_text(encoding="utf-8"))


def _case_error(tmp_path, base, edit) -> str:
    d = copy.deepcopy(base)
    edit(d)
    p = tmp_path / "case.yaml"
    p.write_text(yaml.safe_dump(d, sort_keys=False), encoding="utf-8")
    with pytest.raises(PactwatchError) as ei:
        load_case(p)
    msg = str(ei.value)
    assert str(p) in msg and "Traceback" not in msg
    return msg


def _set(*path_and_value):
    *path, key, value = path_and_value

    def edit(d):
        for k in path:
            d = d[k]
        d[key] = value
    return edit


@pytest.mark.parametrize("edit, field, words", [
    (_set("members", 0, "ccode", 998), "members.0.ccode", "998 is not a COW state code"),
    (lambda d: d["observed"]["members"].__setitem__(998, d["observed"]["members"].pop(365)), "observed.members.998",
     "998 is not a COW state code"),
    (_set("observed", "members", 365, "rivals", "value", [2, 998]), "observed.members.365.rivals.value.1",
     "998 is not a COW state code"),
    (_set("formation", "major_powers", "value", [998]), "formation.major_powers.value.0", "998 is not a COW state code"),
    (_set("observed", "date", "2020-01-01"), "observed.date", "before the alliance's entry into force (2024-12-04)"),
    (_set("observed", "members", 365, "polity2", "value", float("nan")), "observed.members.365.polity2.value",
     "finite number"),
    (_set("observed", "members", 365, "polity2", "value", 11), "observed.members.365.polity2.value", "less than or equal to 10"),
    (_set("observed", "members", 731, "cinc_ratio", "value", float("inf")), "observed.members.731.cinc_ratio.value",
     "finite number"),
    (_set("formation", "polity2", 365, "value", float("-inf")), "formation.polity2.365.value", "finite number"),
    (_set("in_force", "value", "2027-01-01"), "observed.date", "before the alliance's entry into force (2027-01-01)"),
])
def test_case_values_out_of_range_or_unknown_are_refused(tmp_path, rus_prk, edit, field, words):
    msg = _case_error(tmp_path, rus_prk, edit)
    assert f"field '{field}'" in msg and words in msg, msg


def _scenario_error(tmp_path, shock: dict) -> str:
    d = tmp_path / "sc"
    d.mkdir(exist_ok=True)
    p = d / "bad.yaml"
    p.write_text(yaml.safe_dump({"name": "bad", "label": "bad", "shocks": [shock]}), encoding="utf-8")
    with pytest.raises(PactwatchError) as ei:
        load_scenarios(d)
    msg = str(ei.value)
    assert str(p) in msg
    return msg


@pytest.mark.parametrize("shock, field, words", [
    ({"kind": "war-ends", "timing": {"fixed": -500}}, "shocks.0.timing", "fixed = -500 is out of range"),
    ({"kind": "war-ends", "timing": {"fixed": 10**30}}, "shocks.0.timing", "is out of range"),
    ({"kind": "war-ends", "timing": {"relative": False, "fixed": 2**64}}, "shocks.0.timing", "a calendar year"),
    ({"kind": "war-ends", "timing": {"dist": "uniform", "low": 0, "high": 10**12}}, "shocks.0.timing", "high = "),
    ({"kind": "war-ends", "timing": {"dist": "discrete", "p": {10**9: 1.0}}}, "shocks.0.timing", "p.1000000000"),
    ({"kind": "war-ends", "timing": {"dist": "triangular", "low": 0, "high": 3, "mode": float("nan")}},
     "shocks.0.timing.mode", "finite number"),
    ({"kind": "power-shift", "cinc_factor": float("inf"), "timing": {"fixed": 1}}, "shocks.0.cinc_factor", "finite number"),
    ({"kind": "regime-change", "polity2_delta": float("nan"), "timing": {"fixed": 1}}, "shocks.0.polity2_delta",
     "finite number"),
    ({"kind": "regime-change", "polity2_delta": 25, "timing": {"fixed": 1}}, "shocks.0.polity2_delta", "less than or equal to 20"),
    ({"kind": "rival-added", "rivals": [998], "timing": {"fixed": 1}}, "shocks.0.rivals.0", "998 is not a COW state code"),
    ({"kind": "war-ends", "members": 998, "timing": {"fixed": 1}}, "shocks.0.members", "998 is not a COW state code"),
])
def test_scenario_values_out_of_range_are_refused(tmp_path, shock, field, words):
    msg = _scenario_error(tmp_path, shock)
    assert f"field '{field}'" in msg and words in msg, msg


def test_cow_code_list_matches_the_cow_state_list(src):
    from pactwatch.data.cow_codes import COW_STATE_CODES

    assert COW_STATE_CODES == {int(c) for c in src.table("cow_states")["ccode"]}


def test_shipped_cases_and_scenarios_still_validate():
    from pactwatch.scenarios.cases import list_names

    for n in list_names("cases"):
        load_case(n)
    assert "war-ends" in load_scenarios()


def test_case_not_found_lists_each_folder_once(monkeypatch):
    """Run from the checkout's root, the checkout's cases folder and the working directory's are the same folder: the
    "no case named" message names it once."""
    import pytest

    from pactwatch.errors import PactwatchError
    from pactwatch.scenarios.cases import REPO_ROOT, load_case

    monkeypatch.delenv("PACTWATCH_CASES_DIR", raising=False)
    monkeypatch.chdir(REPO_ROOT)
    with pytest.raises(PactwatchError) as ei:
        load_case("no-such-case")
    looked = str(ei.value).split("looked in ")[1].split(";")[0]
    assert looked.count(str(REPO_ROOT / "cases")) == 1
