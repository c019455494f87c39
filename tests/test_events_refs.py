"""Events reference files: found in the events directory (never shipped), checked against the registry (size, sha256),
parsed once and cached by content hash; a missing or wrong file is a clear error saying where to get it."""
import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from pactwatch.errors import DataError, DataMissingError
from pactwatch.events import refs
from pactwatch.events.lexicon import parse_cameo_csv, parse_petrarch_verbs

REPO = Path(__file__).resolve().parents[1]




def test_no_derived_reference_copies_in_package():
    res = REPO / "src" / "pactwatch" / "events" / "resources"
    assert not (res / "verbs.yaml").exists() and not (res / "cameo.yaml").exists()
    assert not (res / "countries.yaml").exists()  # NGEC countries.csv is read from the events directory


def test_registry_matches_files(events_dir):
    rows = refs.check_refs(events_dir)
    assert rows and {r["status"] for r in rows} == {"ok"}
    for spec in refs.ref_registry().values():
        data = (events_dir / spec.path).read_bytes()
        assert len(data) == spec.bytes and hashlib.sha256(data).hexdigest() == spec.sha256
        assert spec.url.startswith("https://")
    req = {s.key for s in refs.ref_registry().values() if s.required}
    assert req == {"cameo_codes", "petrarch_verbs", "ngec_countries"}


def test_resolution_order(events_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(events_dir))
    assert refs.resolve_events_dir() == events_dir.resolve()
    assert refs.resolve_events_dir(tmp_path) == tmp_path.resolve()  # the argument wins
    monkeypatch.delenv("PACTWATCH_EVENTS_DIR")
    (tmp_path / "data").mkdir()
    (tmp_path / "events").mkdir()
    monkeypatch.setenv("PACTWATCH_DATA_DIR", str(tmp_path / "data"))
    assert refs.resolve_events_dir() == (tmp_path / "events").resolve()  # beside the data directory
    monkeypatch.setenv("PACTWATCH_EVENTS_DIR", str(tmp_path / "nope"))
    with pytest.raises(DataMissingError, match="PACTWATCH_EVENTS_DIR"):
        refs.resolve_events_dir()


def test_missing_and_altered_files_are_clear_errors(events_dir, tmp_path):
    with pytest.raises(DataMissingError, match="CAMEO.2.0.txt.*github"):
        refs.ref_path("petrarch_verbs", tmp_path)
    dst = tmp_path / "cameo" / "cameo_codes.csv"
    dst.parent.mkdir()
    data = (events_dir / "cameo" / "cameo_codes.csv").read_bytes()
    dst.write_bytes(data[:-10])
    with pytest.raises(DataError, match="bytes"):
        refs.ref_path("cameo_codes", tmp_path)
    # same size, one byte changed: only the sha256 check sees it
    i = data.index(b"Threaten")
    dst.write_bytes(data[:i] + b"X" + data[i + 1:])
    assert refs.ref_path("cameo_codes", tmp_path) == dst
    with pytest.raises(DataError, match="sha256"):
        refs.ref_path("cameo_codes", tmp_path, verify="sha256")
    st = {r["key"]: r["status"] for r in refs.check_refs(tmp_path)}
    assert st["cameo_codes"] == "sha256 mismatch" and st["petrarch_verbs"] == "missing"


def test_cache_keyed_by_content(events_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("PACTWATCH_HOME", str(tmp_path / "home"))
    src = tmp_path / "CAMEO.2.0.txt"
    shutil.copy(events_dir / "dictionaries" / "petrarch2" / "CAMEO.2.0.txt", src)
    from pactwatch.events.lexicon import VerbLexicon

    calls = []

    def parse(p):
        calls.append(p)
        return parse_petrarch_verbs(p)

    a = refs.cached_parse(src, "v", parse, VerbLexicon.to_json, VerbLexicon.from_json)
    b = refs.cached_parse(src, "v", parse, VerbLexicon.to_json, VerbLexicon.from_json)
    assert len(calls) == 1  # second use read the cache
    assert b.verbs.keys() == a.verbs.keys() and b.blocks.keys() == a.blocks.keys()
    assert [(e.particle, e.code, e.block) for e in b.entries("attack")] == [(e.particle, e.code, e.block) for e in a.entries("attack")]
    assert len(list((tmp_path / "home" / "cache" / "events").glob("v-*.json"))) == 1
    src.write_text(src.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # new content -> re-parsed, new key
    refs.cached_parse(src, "v", parse, VerbLexicon.to_json, VerbLexicon.from_json)
    assert len(calls) == 2 and len(list((tmp_path / "home" / "cache" / "events").glob("v-*.json"))) == 2
    with pytest.raises(DataError, match="sha256"):
        refs.cached_parse(src, "v", parse, VerbLexicon.to_json, VerbLexicon.from_json, expect_sha256="0" * 64)


def test_cameo_table_parsed_from_csv(events_dir):
    rows = parse_cameo_csv(events_dir / "cameo" / "cameo_codes.csv")
    with open(events_dir / "cameo" / "cameo_codes.csv", encoding="utf-8") as fh:
        raw = list(csv.DictReader(fh))
    assert len(rows) == len(raw) == 312
    r = {x["code"]: x for x in rows}
    assert r["190"]["quad"] == 4 and r["190"]["root"] == "19"
    assert r["051"]["goldstein"] == float(next(x for x in raw if x["code"] == "051")["goldstein_gdelt"])


def test_wrong_csv_layout(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing columns"):
        parse_cameo_csv(p)
