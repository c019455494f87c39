"""Case and scenario YAML is read safely: an alias bomb, a recursive alias, an oversized file, a Latin-1 file and
broken YAML each give a PactwatchError naming the file (fast, no traceback), and listing the cases shows every bad file
with its error while the good ones still load."""
import shutil
import threading

import pytest

from pactwatch.errors import PactwatchError
from pactwatch.scenarios.cases import REPO_ROOT, load_case, load_scenarios
from tests.helpers.yaml_attacks import ALIAS_BOMB



def _load_in_thread(fn, *args, timeout=60):
    """Run fn(*args) in a daemon thread; fail (instead of hanging the suite) if it does not finish."""
    out = {}

    def run():
        try:
            out["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout)
    assert not t.is_alive(), f"{fn.__name__} did not finish within {timeout} s"
    return out


BAD_FILES = [
    ("bomb", ALIAS_BOMB.encode(), "refused: its aliases expand to more than 100,000 nodes"),
    ("recursive", b"id: &a [x, *a]\n", "refused: an alias refers to the node that contains it"),
    ("latin1", "id: x\nname: S\u00e3o Tom\u00e9\nkind: atop\natopid: 1001\n".encode("latin-1"),
     "not UTF-8 text (byte 0xe3 on line 2)"),
    ("huge", b"id: x\nnotes:\n" + b"  - padding padding padding padding padding padding\n" * 25000,
     "more than the 1,048,576 a case or scenario file may have"),
    ("broken", b"id: [unclosed\n", "not valid YAML"),
    ("nested", b"[" * 200000 + b"]" * 200000 + b"\n", "refused: nested more than 50 levels deep"),
]


@pytest.mark.parametrize("name, content, words", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_case_file_is_a_clear_error(tmp_path, name, content, words):
    p = tmp_path / f"{name}.yaml"
    p.write_bytes(content)
    got = _load_in_thread(load_case, p)
    exc = got.get("error")
    assert isinstance(exc, PactwatchError), got
    assert str(p) in str(exc) and words in str(exc), str(exc)


def test_alias_bomb_in_scenarios_is_refused(tmp_path):
    (tmp_path / "bomb.yaml").write_text(ALIAS_BOMB)
    exc = _load_in_thread(load_scenarios, tmp_path).get("error")
    assert isinstance(exc, PactwatchError) and "bomb.yaml: refused" in str(exc)


def test_harmless_anchors_still_load(tmp_path):
    from pactwatch.scenarios.cases import read_yaml

    p = tmp_path / "anchors.yaml"
    p.write_text("base: &b {source: ATOP 5.1, uncertain: false}\nx: *b\ny: {<<: *b, uncertain: true}\n")
    assert read_yaml(p) == {"base": {"source": "ATOP 5.1", "uncertain": False},
                            "x": {"source": "ATOP 5.1", "uncertain": False},
                            "y": {"source": "ATOP 5.1", "uncertain": True}}


def test_cases_are_listed_with_their_errors(tmp_path):
    from pactwatch.scenarios.cases import list_cases_with_errors

    for f in (REPO_ROOT / "cases").glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    good = sorted(f.stem for f in (REPO_ROOT / "cases").glob("*.yaml"))
    for name, content, _ in BAD_FILES:
        (tmp_path / f"{name}.yaml").write_bytes(content)
    (tmp_path / "schema-error.yml").write_text("id: bad-code\nname: x\nkind: direct\nmembers: [{ccode: 998, name: x}]\n")
    got = _load_in_thread(list_cases_with_errors, tmp_path)["value"]
    by = {c.name: c for c in got}
    assert sorted(by) == sorted(good + [b[0] for b in BAD_FILES] + ["schema-error"])
    for n in good:
        assert by[n].ok and by[n].case.id == n and by[n].error is None
    for name, _, words in BAD_FILES:
        assert not by[name].ok and by[name].case is None and words in by[name].error
        assert str(tmp_path / f"{name}.yaml") in by[name].error
    assert "field 'members.0.ccode'" in by["schema-error"].error and "998" in by["schema-error"].error
