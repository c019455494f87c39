"""GDELT 1.0 / 2.0 and ICEWS importers into the event table: row counts and values against the raw files (read
independently with the csv module), idempotent re-import, clear errors on wrong layouts; CAMEO quad mapping."""
import csv
from pathlib import Path

import pytest

from pactwatch.errors import DataError
from pactwatch.events.importers import GDELT1, GDELT2, ICEWS, detect_layout, import_file
from pactwatch.events.store import GDELT_ROOT_QUAD, ROOT_QUAD, quad_of
from pactwatch.news.store import connect

REPO = Path(__file__).resolve().parents[1]




def _rows(con, origin):
    return con.execute("select * from events where origin = ? order by event_id", [origin]).df()


def test_gdelt1_tsv_mixed_57_58(events_dir, tmp_path):
    f = events_dir / "samples" / "gdelt" / "gdelt1_events_sample.tsv"
    raw = [ln.rstrip("\n").split("\t") for ln in f.read_text(encoding="utf-8").splitlines() if ln.strip()]
    widths = {len(r) for r in raw}
    assert widths == {57, 58}
    con = connect(tmp_path / "n.duckdb")
    rep = import_file(f, con=con)
    assert rep.layout == "gdelt1" and rep.rows == len(raw) == rep.added
    df = _rows(con, "gdelt1").set_index("event_id")
    for r in raw[:5] + raw[-5:]:
        row = df.loc[f"gdelt1:{r[0]}"]
        assert row["code"] == r[26] and row["root"] == r[28] and row["quad"] == int(r[29])
        assert row["goldstein"] == float(r[30]) and row["mentions"] == int(r[31])
        assert str(row["event_date"])[:10].replace("-", "") == r[1]
        assert (row["source_country"] or "") == r[7] and (row["target_country"] or "") == r[17]
        assert (row["url"] or "") == (r[57] if len(r) == 58 else "")
    # GDELT's published QuadClass follows its own root rule (09 -> 2, 14 -> 3), not the CAMEO table's
    assert all(GDELT_ROOT_QUAD[r[28]] == int(r[29]) for r in raw)
    assert any(r[28] in ("09", "14") for r in raw)
    assert all(quad_of(r[26]) == ROOT_QUAD[r[28]] for r in raw)
    rep2 = import_file(f, con=con)
    assert (rep2.added, rep2.already_present) == (0, len(raw))
    assert con.execute("select count(*) from events").fetchone()[0] == len(raw)


def test_gdelt1_csv_with_header(events_dir, tmp_path):
    f = events_dir / "samples" / "gdelt" / "july2012.csv"
    with open(f, encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh))
    con = connect(tmp_path / "n.duckdb")
    rep = import_file(f, con=con)
    assert rep.layout == "gdelt1_csv" and rep.added == len(raw) == 1509
    df = _rows(con, "gdelt1").set_index("event_id")
    r = raw[1]
    row = df.loc[f"gdelt1:{r['GLOBALEVENTID']}"]
    assert row["code"] == r["EventCode"] and row["source_country"] == (None if r["Actor1CountryCode"] == "NA" else r["Actor1CountryCode"])
    assert df["source_actor"].isna().sum() == sum(x["Actor1Code"] in ("", "NA") for x in raw)


def test_gdelt2_61_columns(events_dir, tmp_path):
    with open(events_dir / "samples" / "gdelt" / "gdelt2_columns.csv", encoding="utf-8") as fh:
        assert [r["name"] for r in csv.DictReader(fh)] == GDELT2
    with open(events_dir / "samples" / "gdelt" / "gdelt1_columns.csv", encoding="utf-8") as fh:
        assert [r["name"] for r in csv.DictReader(fh)] == GDELT1
    # a GDELT 2.0 file built from 1.0 rows: ADM2 codes inserted, 14-digit DATEADDED
    src = (events_dir / "samples" / "gdelt" / "gdelt1_events_sample.tsv").read_text(encoding="utf-8").splitlines()
    out = []
    for ln in src[:20]:
        r = dict(zip(GDELT1, ln.split("\t")))
        if "SOURCEURL" not in r:
            continue
        r.update(Actor1Geo_ADM2Code="", Actor2Geo_ADM2Code="", ActionGeo_ADM2Code="", DATEADDED=r["DATEADDED"] + "000000")
        out.append("\t".join(r[c] for c in GDELT2))
    p = tmp_path / "x.export.CSV"
    p.write_text("\n".join(out) + "\n", encoding="utf-8")
    con = connect(tmp_path / "n.duckdb")
    rep = import_file(p, con=con)
    assert rep.layout == "gdelt2" and rep.added == len(out) > 0
    assert con.execute("select count(*) from events where origin = 'gdelt2' and event_id like 'gdelt2:%'").fetchone()[0] == len(out)
    # 1.0 rows in a 2.0 file, or a short row: refused, nothing stored
    bad = tmp_path / "bad.CSV"
    bad.write_text(out[0] + "\n" + "\t".join(src[0].split("\t")) + "\n", encoding="utf-8")
    con2 = connect(tmp_path / "m.duckdb")
    with pytest.raises(DataError, match=r"line 2: 5[78] columns; GDELT 2.0 rows have 61"):
        import_file(bad, con=con2)
    assert con2.execute("select count(*) from information_schema.tables where table_name = 'events'").fetchone()[0] == 0


def test_icews(events_dir, tmp_path):
    f = events_dir / "samples" / "icews" / "events.2018.sample.tab"
    with open(f, encoding="utf-8", newline="") as fh:
        raw = list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))
    con = connect(tmp_path / "n.duckdb")
    rep = import_file(f, con=con)
    assert rep.layout == "icews" and rep.added == len(raw) == 3705
    df = _rows(con, "icews").set_index("event_id")
    for r in raw[:20]:
        row = df.loc[f"icews:{r['Event ID']}"]
        assert row["code"] == r["CAMEO Code"] and len(row["code"]) >= 3  # leading zeros kept
        assert row["goldstein"] == float(r["Intensity"]) and row["quad"] == ROOT_QUAD[r["CAMEO Code"][:2]]
    n_rus = sum(r["Source Country"] == "Russian Federation" for r in raw)
    assert (df["source_country"] == "RUS").sum() == n_rus > 0
    # unmapped names are counted, not guessed
    unm = sum(r["Source Country"] == "Western Sahara" for r in raw) + sum(r["Target Country"] == "Western Sahara" for r in raw)
    assert rep.unmapped_countries.get("Western Sahara", 0) == unm


def test_root_quad_matches_cameo_table(events_dir):
    from pactwatch.events.lexicon import parse_cameo_csv

    for r in parse_cameo_csv(events_dir / "cameo" / "cameo_codes.csv"):
        assert ROOT_QUAD[r["root"]] == r["quad"], r["code"]


@pytest.mark.parametrize("content, match", [
    ("a\tb\tc\n", "3 tab-separated columns"),
    ("Event ID\tEvent Date\tSource Name\n1\t2018-01-01\tx\n", "missing"),
    ("", "empty"),
])
def test_wrong_layouts(tmp_path, content, match):
    p = tmp_path / "f.tsv"
    p.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        detect_layout(p)


def test_bad_values_name_the_line(tmp_path):
    row = ["1"] * 58
    row[1] = "20240230"  # no such day
    row[26] = "190"
    row[29] = "4"
    row[30] = "-10"
    p = tmp_path / "g.tsv"
    p.write_text("\t".join(row) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="line 1: SQLDATE '20240230'"):
        import_file(p, db=tmp_path / "n.duckdb")
    row[1] = "20240228"
    row[26] = "19X"
    p.write_text("\t".join(row) + "\n", encoding="utf-8")
    with pytest.raises(DataError, match="EventCode '19X'"):
        import_file(p, db=tmp_path / "n.duckdb")
    h = "\t".join(ICEWS) + "\n" + "\t".join(["7", "2018-06-01"] + ["x"] * 4 + ["40"] + ["1"] + ["x"] * 12) + "\n"
    p2 = tmp_path / "i.tab"
    p2.write_text(h, encoding="utf-8")
    with pytest.raises(DataError, match="CAMEO Code '40'"):
        import_file(p2, db=tmp_path / "n.duckdb")
