"""An ATOP member record that exits before it enters is a DataError naming the file, the atopid and the member,
never a negative membership spell. The altered copy of atop5_1m.csv lives in a tmp dir and is read with the
documented escape hatch for a data directory changed on purpose (DataSource(verify="size"))."""
import pytest

from pactwatch.data.source import DataSource
from pactwatch.errors import DataError
from pactwatch.panels import alliances as AL
from tests.helpers.data import damage, mirror_data_dir

MEMBER = "atop/atop5_1m.csv"
ROW = b"1005,,,220,0,1815,1,3,1815,2,8"  # atopid 1005, Prussia (220): entered 3 Jan 1815, left 8 Feb 1815


def test_member_exit_before_entry_is_a_data_error(data_dir, tmp_path):
    root = mirror_data_dir(data_dir, tmp_path / "data", only=[MEMBER, "atop/atop5_1a.csv", "atop/atop5_1aph.csv"])
    damage(root, MEMBER, lambda b: b.replace(ROW, ROW.replace(b",1815,2,8", b",1814,2,8"), 1))
    with pytest.raises(DataError) as ei:
        AL.member_spells(DataSource(data_dir=root, verify="size"))
    msg = str(ei.value)
    assert "atop5_1m.csv" in msg and "atopid 1005 member 220" in msg and "exit 1814-02-08" in msg, msg
    assert "entry 1815-01-03" in msg


def test_published_member_dates_pass(src):
    spells = AL.member_spells(src)
    assert (spells["exit"].isna() | (spells["exit"] >= spells["entry"])).all()
