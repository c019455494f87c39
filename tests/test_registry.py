import pytest

from pactwatch.data import find_file, read_table, registry
from pactwatch.errors import DataMissingError
from pactwatch.data.registry import resolve_data_dir


def test_registry_names_the_datasets_the_project_needs():
    keys = set(registry())
    for k in ["atop-5.1", "atop-4.0", "cow-states-2016", "cow-nmc-6.0", "cow-nmc-7.0", "democracy", "polity5", "cow-wars",
              "cow-mid-5.0", "gml-mid-2.2.1", "rivalries-td", "rivalries-tss", "archigos-4.1", "capitals",
              "ucdp-prio-acd-23.1", "cow-contiguity-3.2"]:
        assert k in keys
    for d in registry().values():
        assert d.citation and d.licence and d.version
        for f in d.files:
            assert f.source and f.source.url.startswith("http"), f.path
            if not d.optional or f.sha256:
                assert f.sha256 is None or len(f.sha256) == 64


def test_atop_files_and_columns():
    f = find_file("atop_member")
    assert f.path == "atop/atop5_1m.csv" and {"termmode", "termcaus", "yrexit"} <= set(f.columns)


def test_reads_old_cow_files_with_cr_line_endings_and_cp1252(data_dir):
    inter = read_table("cow_war_inter", data_dir)
    assert len(inter) == 337 and inter.columns[0] == "WarNum"
    extra = read_table("cow_war_extra", data_dir)
    assert extra.astype(str).apply(lambda c: c.str.contains("’")).any().any()  # cp1252 0x92 decoded as a right quote


def test_no_data_dir_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.delenv("PACTWATCH_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(DataMissingError, match="PACTWATCH_DATA_DIR"):
        resolve_data_dir()
    with pytest.raises(DataMissingError, match="does not exist"):
        resolve_data_dir(tmp_path / "nope")
