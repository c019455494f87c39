"""Import published machine-coded event data into the event table (see :mod:`pactwatch.events.store`).

Layouts (recognised from the file itself; a file that fits none is refused with the line and the reason):

- GDELT 1.0 daily events: tab-separated, no header, 58 columns (57 in the historical back-files before 2013-04-01,
  which lack SOURCEURL; one file may mix both). Also the same columns as a comma CSV with a header line (R / pandas
  exports, ``NA`` for blanks).
- GDELT 2.0 15-minute export: tab-separated, no header, 61 columns (ADM2 codes added; DATEADDED YYYYMMDDHHMMSS).
- ICEWS coded event data (Dataverse ``.tab``): tab-separated with a 20-column header (``Event ID``, ``Event Date`` …).

Every row is checked: GLOBALEVENTID / Event ID an integer, a valid date, a CAMEO code of 2–4 digits, a numeric
Goldstein/Intensity; the first bad row stops the import with a DataError naming file and line, and nothing is stored.
"""
from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from pactwatch.errors import DataError
from pactwatch.events.store import insert_events, quad_of

GDELT1 = ("GLOBALEVENTID SQLDATE MonthYear Year FractionDate Actor1Code Actor1Name Actor1CountryCode Actor1KnownGroupCode "
          "Actor1EthnicCode Actor1Religion1Code Actor1Religion2Code Actor1Type1Code Actor1Type2Code Actor1Type3Code "
          "Actor2Code Actor2Name Actor2CountryCode Actor2KnownGroupCode Actor2EthnicCode Actor2Religion1Code "
          "Actor2Religion2Code Actor2Type1Code Actor2Type2Code Actor2Type3Code IsRootEvent EventCode EventBaseCode "
          "EventRootCode QuadClass GoldsteinScale NumMentions NumSources NumArticles AvgTone Actor1Geo_Type "
          "Actor1Geo_FullName Actor1Geo_CountryCode Actor1Geo_ADM1Code Actor1Geo_Lat Actor1Geo_Long Actor1Geo_FeatureID "
          "Actor2Geo_Type Actor2Geo_FullName Actor2Geo_CountryCode Actor2Geo_ADM1Code Actor2Geo_Lat Actor2Geo_Long "
          "Actor2Geo_FeatureID ActionGeo_Type ActionGeo_FullName ActionGeo_CountryCode ActionGeo_ADM1Code ActionGeo_Lat "
          "ActionGeo_Long ActionGeo_FeatureID DATEADDED SOURCEURL").split()
GDELT2 = (GDELT1[:39] + ["Actor1Geo_ADM2Code"] + GDELT1[39:46] + ["Actor2Geo_ADM2Code"] + GDELT1[46:53]
          + ["ActionGeo_ADM2Code"] + GDELT1[53:])
ICEWS = ["Event ID", "Event Date", "Source Name", "Source Sectors", "Source Country", "Event Text", "CAMEO Code",
         "Intensity", "Target Name", "Target Sectors", "Target Country", "Story ID", "Sentence Number", "Publisher",
         "City", "District", "Province", "Country", "Latitude", "Longitude"]
_HEADER_ALIASES = {"day": "SQLDATE"}
_CODE = re.compile(r"^\d{3,4}$")  # CAMEO event codes; a 2-digit code lost its leading zero
MAX_BAD_SHOWN = 1


@dataclass
class ImportReport:
    """What an import did: layout recognised, rows read, added, already present, and values left NULL (counted)."""

    file: str
    layout: str
    rows: int = 0
    added: int = 0
    already_present: int = 0
    unmapped_countries: dict = field(default_factory=dict)  # ICEWS country name -> rows (country left NULL)
    notes: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def detect_layout(path: Path) -> str:
    """'gdelt1', 'gdelt2', 'gdelt1_csv' or 'icews' from the first lines; DataError when none fits."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if b"\x00" in head:
        raise DataError(f"{path}: binary file, not an event-data text file")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"{path}: empty file")
    first = lines[0]
    if first.startswith("Event ID\t"):
        cols = first.rstrip("\r\n").split("\t")
        if cols != ICEWS:
            missing = [c for c in ICEWS if c not in cols]
            raise DataError(f"{path}: ICEWS header with {len(cols)} columns; expected the 20 ICEWS columns"
                            + (f" (missing {', '.join(missing)})" if missing else " in the published order"))
        return "icews"
    if "GLOBALEVENTID" in first.upper() and "," in first:
        return "gdelt1_csv"
    n = len(first.split("\t"))
    if n in (57, 58):
        return "gdelt1"
    if n == 61:
        return "gdelt2"
    raise DataError(f"{path}: line 1 has {n} tab-separated columns and no known header: GDELT 1.0 rows have 57 or 58 "
                    "columns, GDELT 2.0 rows 61, ICEWS files start with an 'Event ID' header")


def _date8(s: str, where: str) -> str:
    try:
        return dt.datetime.strptime(s, "%Y%m%d").date().isoformat()
    except ValueError:
        raise DataError(f"{where}: SQLDATE {s!r} is not a YYYYMMDD date") from None


def _num(s, where, name, kind=float):
    if s in ("", "NA", None):
        return None
    try:
        return kind(s)
    except ValueError:
        raise DataError(f"{where}: {name} {s!r} is not a number") from None


def _nz(s):
    return None if s in ("", "NA", None) else s


def _gdelt_row(rec: dict, where: str, origin: str, file: str) -> dict:
    gid = rec["GLOBALEVENTID"]
    if not (gid or "").isdigit():
        raise DataError(f"{where}: GLOBALEVENTID {gid!r} is not an integer: not a GDELT event row")
    code = rec["EventCode"]
    if not _CODE.match(code or ""):
        raise DataError(f"{where}: EventCode {code!r} is not a CAMEO event code (3-4 digits)")
    gold = _num(rec["GoldsteinScale"], where, "GoldsteinScale")
    if gold is not None and not -10 <= gold <= 10:
        raise DataError(f"{where}: GoldsteinScale {gold} outside -10..10")
    quad = _num(rec["QuadClass"], where, "QuadClass", int)
    if quad not in (1, 2, 3, 4):
        raise DataError(f"{where}: QuadClass {rec['QuadClass']!r} is not 1-4")
    return {
        "event_id": f"{origin}:{gid}", "origin": origin, "event_date": _date8(rec["SQLDATE"], where),
        "source_actor": _nz(rec["Actor1Code"]), "source_country": _nz(rec["Actor1CountryCode"]),
        "source_sector": _nz(rec["Actor1Type1Code"]), "source_name": _nz(rec["Actor1Name"]),
        "target_actor": _nz(rec["Actor2Code"]), "target_country": _nz(rec["Actor2CountryCode"]),
        "target_sector": _nz(rec["Actor2Type1Code"]), "target_name": _nz(rec["Actor2Name"]),
        "code": code, "root": code[:2], "quad": quad_of(code), "quad_published": quad, "goldstein": gold,
        "mentions": _num(rec["NumMentions"], where, "NumMentions", int), "confidence": None, "article_id": None,
        "url": _nz(rec.get("SOURCEURL")), "evidence": None, "file": file,
    }


def read_gdelt(path: Path, layout: str) -> list[dict]:
    """Rows of a GDELT 1.0 / 2.0 file as event-table dicts (see module docstring for the checks)."""
    rows = []
    origin = "gdelt2" if layout == "gdelt2" else "gdelt1"
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        if layout == "gdelt1_csv":
            rd = csv.reader(fh)
            header = [_HEADER_ALIASES.get(h.strip().lower(), h.strip()) for h in next(rd)]
            canon = {c.lower(): c for c in GDELT1}
            header = [canon.get(h.lower(), h) for h in header]
            missing = [c for c in GDELT1[:-1] if c not in header]
            if missing:
                raise DataError(f"{path}: GDELT CSV header lacks {', '.join(missing[:6])}"
                                + (" …" if len(missing) > 6 else ""))
            for n, vals in enumerate(rd, 2):
                if not vals:
                    continue
                if len(vals) != len(header):
                    raise DataError(f"{path} line {n}: {len(vals)} fields, the header has {len(header)}")
                rows.append(_gdelt_row(dict(zip(header, vals)), f"{path} line {n}", origin, str(path)))
            return rows
        want = GDELT2 if layout == "gdelt2" else GDELT1
        for n, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if not line.strip():
                continue
            vals = line.split("\t")
            if layout == "gdelt2" and len(vals) != 61:
                raise DataError(f"{path} line {n}: {len(vals)} columns; GDELT 2.0 rows have 61")
            if layout == "gdelt1" and len(vals) not in (57, 58):
                raise DataError(f"{path} line {n}: {len(vals)} columns; GDELT 1.0 rows have 57 (before 2013-04) or 58"
                                + (" (61 is GDELT 2.0: do not mix versions in one file)" if len(vals) == 61 else ""))
            rec = dict(zip(want, vals))
            if layout == "gdelt2" and not re.fullmatch(r"\d{14}", rec["DATEADDED"]):
                raise DataError(f"{path} line {n}: DATEADDED {rec['DATEADDED']!r} is not YYYYMMDDHHMMSS: not a GDELT 2.0 row")
            rows.append(_gdelt_row(rec, f"{path} line {n}", origin, str(path)))
    return rows


def _country_names() -> dict[str, str]:
    """Lower-cased country name -> ISO3, from the coder's country table (NGEC countries.csv in the events directory
    plus pactwatch's aliases; see :func:`pactwatch.events.actors.country_table`) and ICEWS's own spellings."""
    from pactwatch.events.actors import country_table

    out = {}
    for c in country_table():
        for n in [c["name"], *c["names"]]:
            out.setdefault(n.lower(), c["iso3"])
    out.update({"russian federation": "RUS", "occupied palestinian territory": "PSE", "congo, democratic republic of": "COD",
                "democratic republic of congo": "COD", "united states": "USA", "north korea": "PRK", "south korea": "KOR",
                "hong kong": "HKG", "the former yugoslav republic of macedonia": "MKD", "moldova, republic of": "MDA",
                "swaziland": "SWZ"})
    return out


def read_icews(path: Path, report: ImportReport | None = None) -> list[dict]:
    names = _country_names()
    rows = []
    unm: dict[str, int] = {}

    def iso(name):
        if name in ("", "NA", None):
            return None
        c = names.get(name.lower())
        if c is None:
            unm[name] = unm.get(name, 0) + 1
        return c

    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        rd = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(rd)
        for n, vals in enumerate(rd, 2):
            if not vals:
                continue
            where = f"{path} line {n}"
            if len(vals) != len(ICEWS):
                raise DataError(f"{where}: {len(vals)} columns; ICEWS rows have 20")
            r = dict(zip(header, vals))
            if not r["Event ID"].isdigit():
                raise DataError(f"{where}: Event ID {r['Event ID']!r} is not an integer")
            try:
                d = dt.date.fromisoformat(r["Event Date"]).isoformat()
            except ValueError:
                raise DataError(f"{where}: Event Date {r['Event Date']!r} is not YYYY-MM-DD") from None
            code = r["CAMEO Code"]
            if not _CODE.match(code):
                raise DataError(f"{where}: CAMEO Code {code!r} is not a 3-4 digit CAMEO code (leading zeros must be kept)")
            rows.append({
                "event_id": f"icews:{r['Event ID']}", "origin": "icews", "event_date": d,
                "source_actor": _nz(r["Source Name"]), "source_country": iso(r["Source Country"]),
                "source_sector": _nz(r["Source Sectors"]), "source_name": _nz(r["Source Name"]),
                "target_actor": _nz(r["Target Name"]), "target_country": iso(r["Target Country"]),
                "target_sector": _nz(r["Target Sectors"]), "target_name": _nz(r["Target Name"]),
                "code": code, "root": code[:2], "quad": quad_of(code), "quad_published": None,
                "goldstein": _num(r["Intensity"], where, "Intensity"), "mentions": None, "confidence": None,
                "article_id": None, "url": None, "evidence": _nz(r["Event Text"]), "file": str(path),
            })
    if report is not None:
        report.unmapped_countries = dict(sorted(unm.items(), key=lambda kv: -kv[1]))
        if unm:
            report.notes.append(f"{sum(unm.values())} actor-country values in {len(unm)} names not in the country table: "
                                "country left NULL (the actor name is kept)")
    return rows


def read_event_file(path, layout: str | None = None) -> tuple[list[dict], ImportReport]:
    """The rows of one GDELT/ICEWS file with its layout checked (``layout`` given: it must match what the file is),
    and the import report so far (layout, rows, rows skipped with their reasons)."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{p}: event file not found")
    found = detect_layout(p)
    if layout and layout != found and not (layout == "gdelt1" and found == "gdelt1_csv"):
        raise DataError(f"{p}: looks like {found}, not {layout}")
    rep = ImportReport(str(p), found)
    rows = read_icews(p, rep) if found == "icews" else read_gdelt(p, found)
    rep.rows = len(rows)
    return rows, rep


def import_file(path, con=None, db=None, layout: str | None = None) -> ImportReport:
    """Read one GDELT/ICEWS file and add its events to the event table (one transaction; re-import adds nothing)."""
    from pactwatch.news.store import connect

    rows, rep = read_event_file(path, layout)
    own = con is None
    con = con or connect(db)
    try:
        rep.added, rep.already_present = insert_events(con, rows)
    finally:
        if own:
            con.close()
    return rep
