"""dyad_years with states that leave and re-enter the system within a year: each dyad-year once, sorted, and the number
of repeats merged in the log; against a plain expansion of every pair of spells."""
from __future__ import annotations

import pandas as pd

from pactwatch.panels import dyads


def _spells() -> pd.DataFrame:
    rows = [  # (ccode, start, end)
        (2, "1816-01-01", "1900-06-30"), (2, "1900-09-01", "1950-12-31"), (2, "1960-03-01", "1970-12-31"),
        (20, "1816-01-01", "1950-12-31"), (20, "1955-01-01", "2016-12-31"),
        (200, "1900-07-15", "1900-08-15"), (200, "1930-01-01", "1965-05-01"),
        (300, "1816-01-01", "1816-01-01"),
    ]
    return pd.DataFrame({"ccode": [r[0] for r in rows], "stdate": pd.to_datetime([r[1] for r in rows]),
                         "enddate": pd.to_datetime([r[2] for r in rows])})


def _reference(sp: pd.DataFrame, start: int, end: int, directed: bool) -> pd.DataFrame:
    out = []
    for a in sp.itertuples():
        for b in sp.itertuples():
            if a.ccode == b.ccode or (not directed and a.ccode > b.ccode):
                continue
            lo, hi = max(a.stdate, b.stdate), min(a.enddate, b.enddate)
            if lo <= hi:
                out += [(a.ccode, b.ccode, y) for y in range(max(lo.year, start), min(hi.year, end) + 1)]
    raw = pd.DataFrame(out, columns=["ccode1", "ccode2", "year"]).astype("int64")
    return raw, raw.drop_duplicates().sort_values(["ccode1", "ccode2", "year"], ignore_index=True)


def test_reentry_spells_give_each_dyad_year_once(monkeypatch):
    sp = _spells()
    monkeypatch.setattr(dyads, "membership_spells", lambda src=None: sp)
    for directed in (False, True):
        for start, end in ((1816, 2016), (1899, 1961), (1900, 1900)):
            got = dyads.dyad_years(start, end, directed=directed)
            raw, want = _reference(sp, start, end, directed)
            pd.testing.assert_frame_equal(got.reset_index(drop=True), want)
            note = got.attrs["pactwatch_log"][-1]["note"]
            repeats = len(raw) - len(want)
            assert (f"{repeats} repeated dyad-years" in note) == (repeats > 0), (note, repeats)
            if (start, end) != (1816, 1816):
                assert repeats > 0  # the case this test is about: 2-20 in 1900 comes from two pairs of spells
    # 2 and 20 share 1900 through two spell pairs; 2 and 200 never meet in 1900 (200's July spell falls in 2's gap)
    nd = dyads.dyad_years(1900, 1900, directed=False)
    assert nd[["ccode1", "ccode2"]].values.tolist() == [[2, 20], [20, 200]]
