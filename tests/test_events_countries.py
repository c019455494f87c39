"""The coder's country table: NGEC's countries.csv read from the events reference directory at run time, plus
pactwatch's hand-written additions (resources/country_extras.yaml). The extras must hold nothing countries.csv already
has; the merged table must resolve surface forms as the retired countries.yaml did (the full 900-form mapping was
compared once when the file was retired; this checks a representative sample, in running text)."""
import csv
import shutil
from pathlib import Path

import pytest
import yaml

from pactwatch.errors import DataError, PactwatchError
from pactwatch.events import actors

REPO = Path(__file__).resolve().parents[1]
RES = REPO / "src" / "pactwatch" / "events" / "resources"




def _csv_rows(events_dir):
    with open(events_dir / "plover" / "countries.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _forms(row):
    return [x.strip() for x in row["Nationality"].split(",") if x.strip()]


def test_no_country_table_copy_in_package():
    assert not (RES / "countries.yaml").exists()
    assert (RES / "country_extras.yaml").is_file()


def test_extras_hold_only_what_the_csv_lacks(events_dir):
    rows = _csv_rows(events_dir)
    csv_forms = {r["Name"] for r in rows} | {f for r in rows for f in _forms(r)}
    forms_of = {}
    for r in rows:
        forms_of.setdefault(r["CCA3"], set()).update(_forms(r))
    extras = yaml.safe_load((RES / "country_extras.yaml").read_text(encoding="utf-8"))
    add = extras["additions"]
    assert len(add) > 90
    unknown = set(add) - set(forms_of)
    assert not unknown, f"additions for ISO3 codes not in countries.csv: {unknown}"
    copied = sorted(f for e in add.values() for k in ("names", "capitals", "demonyms") for f in e.get(k) or [] if f in csv_forms)
    assert not copied, f"extras repeat forms countries.csv has: {copied}"
    for iso, e in add.items():
        assert set(e) <= {"names", "capitals", "as_names", "demonyms"}, iso
        assert set(e.get("as_names") or []) <= forms_of[iso], iso  # a classification of the csv's own forms
    for c in extras["countries_not_in_table"]:
        assert c["iso3"] not in forms_of
        assert not [f for f in [c["name"], *c["names"], *c["demonyms"], *c["capitals"]] if f in csv_forms]


def test_merged_table_follows_the_csv(events_dir):
    rows = _csv_rows(events_dir)
    table = actors.country_table(events_dir)
    assert [c["iso3"] for c in table[:len(rows)]] == [r["CCA3"] for r in rows]
    assert [c["iso3"] for c in table[len(rows):]] == ["SSD"]  # South Sudan: not in NGEC's table
    for c, r in zip(table, rows):
        assert c["name"] == r["Name"] and c["names"][0] == r["Name"]
        assert set(c["names"]) | set(c["demonyms"]) >= set(_forms(r))  # every csv form is kept
    gbr = next(c for c in table if c["iso3"] == "GBR")
    assert {"UK", "Britain", "London"} <= set(gbr["names"]) | set(gbr["capitals"]) and "British" in gbr["demonyms"]


# surface form in a sentence -> (ISO3, sector, kind) as countries.yaml resolved it
SAMPLE = {
    "Moscow's": ("RUS", "GOV", "capital"), "Pyongyang": ("PRK", "GOV", "capital"), "Kremlin": ("RUS", "GOV", "capital"),
    "Seoul": ("KOR", "GOV", "capital"), "Washington": ("USA", "GOV", "capital"),
    "North Korean": ("PRK", "", "demonym"), "Russians": ("RUS", "", "demonym"), "Russia": ("RUS", "", "country"),
    "Beijing": ("CHN", "GOV", "capital"), "Chinese": ("CHN", "", "demonym"), "PRC": ("CHN", "", "country"),
    "Tokyo": ("JPN", "GOV", "capital"), "Japanese": ("JPN", "", "demonym"), "United States": ("USA", "", "country"),
    "U.S.": ("USA", "", "demonym"), "America": ("USA", "", "country"), "Pentagon": ("USA", "GOV", "capital"),
    "White House": ("USA", "GOV", "capital"), "State Department": ("USA", "GOV", "capital"),
    "UK": ("GBR", "", "country"), "Britain": ("GBR", "", "country"), "British": ("GBR", "", "demonym"),
    "London": ("GBR", "GOV", "capital"), "Paris": ("FRA", "GOV", "capital"), "Tehran": ("IRN", "GOV", "capital"),
    "Israeli": ("ISR", "", "demonym"), "Kyiv": ("UKR", "GOV", "capital"), "Ukrainian": ("UKR", "", "demonym"),
    "South Korea": ("KOR", "", "country"), "DPRK": ("PRK", "", "country"), "Blue House": ("KOR", "GOV", "capital"),
    "Burma": ("MMR", "", "country"), "Myanmar": ("MMR", "", "country"), "Damascus": ("SYR", "GOV", "capital"),
    "Czech Republic": ("CZE", "", "country"), "Juba": ("SSD", "GOV", "capital"), "South Sudan": ("SSD", "", "country"),
    "Zhongnanhai": ("CHN", "GOV", "capital"), "Holland": ("NLD", "", "country"), "UAE": ("ARE", "", "country"),
    "Vatican": ("VAT", "", "country"), "Bosnia": ("BIH", "", "country"),
}




def test_sample_surface_forms_resolve_as_before(nlp):
    texts = [f"On Monday {form} said nothing about the talks." for form in SAMPLE]
    got = {}
    for form, doc in zip(SAMPLE, nlp.pipe(texts)):
        spans = [sp for sp in doc.spans["actors"] if sp.text in (form, form.removesuffix("'s"))]
        assert spans, f"{form!r} not recognised as an actor in {doc.text!r}"
        a = spans[0]._.actor
        got[form] = (a["code"], a["sector"], a["kind"])
    wrong = {f: (got[f], want) for f, want in SAMPLE.items() if got[f] != want}
    assert not wrong, wrong


def test_bad_country_files_are_clear_errors(events_dir, tmp_path, monkeypatch):
    (tmp_path / "plover").mkdir()
    bad = tmp_path / "plover" / "countries.csv"
    bad.write_text("iso,country\nAF,Afghanistan\n", encoding="utf-8")
    with pytest.raises(DataError, match="countries.csv.*not the NGEC country table"):
        actors.parse_ngec_countries(bad)
    shutil.copy(events_dir / "plover" / "countries.csv", bad)
    with open(bad, "a", encoding="utf-8") as fh:
        fh.write("\nXX,Nowhere,XXX,Nowherian")
    with pytest.raises(DataError, match="countries.csv"):  # not the registered version
        actors.ngec_countries(str(tmp_path))
    # an as_names form that is not in the csv row, and additions for a code the csv lacks, are refused
    real = actors.country_extras()
    for patch, msg in (({"RUS": {"as_names": ["Muscovy"]}}, "as_names"), ({"ATL": {"names": ["Atlantis"]}}, "ATL")):
        monkeypatch.setattr(actors, "country_extras", lambda p=patch: {**real, "additions": {**real["additions"], **p}})
        actors._country_table.cache_clear()
        with pytest.raises(PactwatchError, match=msg):
            actors.country_table(events_dir)
    monkeypatch.undo()
    actors._country_table.cache_clear()
