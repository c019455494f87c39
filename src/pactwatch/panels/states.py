"""State-year panels and state-year source tables (COW system membership, NMC, major powers, democracy).

Unit of analysis: the state-year, one row per (``ccode``, ``year``), ``ccode`` being the Correlates of War state code.

- :func:`state_years` — the COW state system (states2016, v2016): a state-year exists for every calendar year in which the
  state was a system member on at least one day. This is exactly COW's own ``system2016`` state-year file (15,951 rows
  for 1816–2016). Coverage ends 31 Dec 2016; later years exist only if you ask to carry the last membership forward.
- :func:`nmc_state_years` — COW National Material Capabilities 6.0 (1816–2016), COW missing code -9 turned into NA.
- :func:`major_power_years` — COW major-power status (majors2016) for every system state-year: 1/0.
- :func:`democracy_state_years` — extended UDS (``euds``, ``aeuds``), Polity5 ``polity2`` and V-Dem ``v2x_polyarchy`` from
  isard's ``cw_democracy`` (COW codes); each measure has its own coverage and is NA outside it.

Every function takes ``src`` (a :class:`~pactwatch.data.source.DataSource`; default: the process-wide one) and returns a new
DataFrame with int64 ``ccode``/``year`` and a ``attrs["pactwatch_log"]`` record.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import DataError, PactwatchError
from pactwatch.panels.base import get_source, log_step

#: First and last year of the COW state system membership list v2016.
COW_FIRST_YEAR = 1816
COW_LAST_YEAR = 2016

NMC_COLUMNS = ["milex", "milper", "irst", "pec", "tpop", "upop", "cinc"]
DEMOCRACY_COLUMNS = ["euds", "aeuds", "polity2", "v2x_polyarchy"]


def check_years(start, end, *, first: int = COW_FIRST_YEAR, what: str = "panel",
                carry_forward: bool | None = None) -> tuple[int, int]:
    """Validate a [start, end] window of calendar years; returns them as ints or raises a PactwatchError naming the input.

    ``carry_forward``: for panels built on COW system membership (given, True or False): an ``end`` after 2016 is an error
    unless it is True."""
    try:
        s, e = int(start), int(end)
    except (TypeError, ValueError):
        raise PactwatchError(f"{what}: start and end must be whole years, got start={start!r}, end={end!r}") from None
    if s != start or e != end:
        raise PactwatchError(f"{what}: start and end must be whole years, got start={start!r}, end={end!r}")
    if s > e:
        raise PactwatchError(f"{what}: start ({s}) is after end ({e})")
    if s < first:
        raise PactwatchError(f"{what}: start ({s}) is before {first}, the first year of the COW state system")
    if carry_forward is False and e > COW_LAST_YEAR:
        raise PactwatchError(
            f"{what}: end={e} is after {COW_LAST_YEAR}, the last year of COW system membership (states2016). "
            "Pass carry_forward=True to assume states alive at the end of 2016 stay members."
        )
    return s, e


def _int_keys(df: pd.DataFrame, table: str, cols=("ccode", "year")) -> pd.DataFrame:
    """ccode/year to int64, refusing rows whose key is missing or not a whole number (the table is named in the error)."""
    out = df.copy()
    for c in cols:
        if c not in out.columns:
            raise DataError(f"{table}: column {c!r} is missing (columns: {', '.join(map(str, out.columns))})")
        v = pd.to_numeric(out[c], errors="coerce")
        bad = v.isna() | (v != np.floor(v))
        if bad.any():
            raise DataError(f"{table}: {int(bad.sum())} rows have a missing or non-integer {c} (e.g. {out.loc[bad, c].head(3).tolist()})")
        out[c] = v.astype("int64")
    return out


def membership_spells(src: DataSource | None = None) -> pd.DataFrame:
    """COW states2016 membership spells: [ccode, stdate, enddate] (datetime64, both days inclusive), one row per spell.

    A state that left and re-entered the system (e.g. the Netherlands 1940/1945, Germany 1945/1990) has several spells."""
    st = _int_keys(get_source(src).table("cow_states"), "cow_states (states2016)", cols=("ccode",))
    parts = {}
    for side, (y, m, d) in {"stdate": ("styear", "stmonth", "stday"), "enddate": ("endyear", "endmonth", "endday")}.items():
        try:
            parts[side] = pd.to_datetime(
                pd.DataFrame({"year": st[y], "month": st[m], "day": st[d]}), errors="raise"
            )
        except (ValueError, KeyError) as exc:
            raise DataError(f"cow_states (states2016): invalid {side} ({y}/{m}/{d}): {exc}") from None
    out = pd.DataFrame({"ccode": st["ccode"].to_numpy(), "stdate": parts["stdate"], "enddate": parts["enddate"]})
    bad = out["enddate"] < out["stdate"]
    if bad.any():
        raise DataError(f"cow_states (states2016): {int(bad.sum())} spells end before they start: {out[bad].head(3).to_dict('records')}")
    return out


def state_years(start: int = COW_FIRST_YEAR, end: int = COW_LAST_YEAR, *, src: DataSource | None = None,
                carry_forward: bool = False) -> pd.DataFrame:
    """COW state-years, ``start``–``end`` inclusive: columns [ccode, year], sorted, one row per state-year.

    A state-year exists for each calendar year in which the state was a member of the COW state system (states2016
    spells) on at least one day, so a state that joins in December counts for that whole year, as in COW's system2016.

    Coverage: 1816–2016. ``end`` after 2016 raises an error unless ``carry_forward=True``, in which case states that were
    members on 31 Dec 2016 are assumed to remain members through ``end`` (like peacesciencer's ``mry = TRUE``); the log
    records how many rows that added. Nothing else is imputed.
    """
    s, e = check_years(start, end, what="state_years", carry_forward=bool(carry_forward))
    sp = membership_spells(src)
    y0 = sp["stdate"].dt.year.to_numpy()
    y1 = sp["enddate"].dt.year.to_numpy().copy()
    last_day = sp["enddate"].max()
    if carry_forward:
        y1[(sp["enddate"] == last_day).to_numpy()] = max(e, COW_LAST_YEAR)
    lo, hi = np.maximum(y0, s), np.minimum(y1, e)
    keep = lo <= hi
    k = (hi - lo + 1)[keep]
    codes = np.repeat(sp["ccode"].to_numpy()[keep], k)
    years = np.repeat(lo[keep], k) + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    out = pd.DataFrame({"ccode": codes.astype("int64"), "year": years.astype("int64")})
    n_raw = len(out)
    out = out.drop_duplicates().sort_values(["ccode", "year"], ignore_index=True)
    extra = int(((out["year"] > COW_LAST_YEAR)).sum())
    note = f"COW state system (states2016) state-years {s}-{e}; a state counts in every year it was a member on at least one day"
    if n_raw != len(out):
        note += f"; {n_raw - len(out)} duplicate state-years from re-entry spells in the same year merged"
    if extra:
        note += f"; {extra} state-years after {COW_LAST_YEAR} carried forward (assumed, not observed)"
    out.attrs = {}
    return log_step(out, "state_years", note, carried_forward=extra)


#: Where NMC state-years come from: table name, label for logs and errors, coverage.
NMC_SOURCES = {
    "cow": ("cow_nmc", "NMC 6.0", (1816, 2016)),
    "peacesciencer": ("ps_cow_nmc", "peacesciencer cow_nmc", (1816, 2022)),
}


def nmc_state_years(src: DataSource | None = None, source: str = "cow") -> pd.DataFrame:
    """COW National Material Capabilities state-years: [ccode, year, milex, milper, irst, pec, tpop, upop, cinc].

    ``source="cow"`` (default): COW's NMC 6.0 file (1816–2016). ``source="peacesciencer"``: the ``cow_nmc`` table that
    peacesciencer 1.2.9 ships (17,121 state-years, 1816–2022; the same milper and tpop as NMC 6.0 where both exist, but
    recomputed CINC scores in about 7,500 state-years), which its ``add_nmc()`` merges.
    Units as published: milex thousands of current-year USD (pounds sterling before 1914),
    milper thousands, irst thousands of tons, pec thousands of coal-ton equivalents, tpop/upop thousands; cinc is a share
    of the system total (0–1). COW's missing code -9 becomes NA (counted in the log), never 0.
    """
    if source not in NMC_SOURCES:
        raise PactwatchError(f"nmc_state_years: source={source!r}; choose one of {', '.join(NMC_SOURCES)}")
    table, label, (first, last) = NMC_SOURCES[source]
    raw = get_source(src).table(table)
    out = _int_keys(raw, f"{table} ({label})")
    missing = [c for c in NMC_COLUMNS if c not in out.columns]
    if missing:
        raise DataError(f"{table} ({label}): columns {missing} are missing")
    out = out[["ccode", "year", *NMC_COLUMNS]].copy()
    n_missing = 0
    for c in NMC_COLUMNS:
        v = pd.to_numeric(out[c], errors="coerce").astype("float64")
        codes = v.isin([-9, -8, -7])
        n_missing += int(codes.sum())
        out[c] = v.mask(codes)
    out.attrs = {}
    return log_step(out, "nmc_state_years", f"{label}, {first}-{last}; COW missing codes -9 set to NA", missing_codes_to_na=n_missing)


def major_power_years(src: DataSource | None = None) -> pd.DataFrame:
    """COW major-power status for every COW system state-year 1816–2016: [ccode, year, cowmaj].

    ``cowmaj`` is 1 in every year in which the state was a major power on at least one day (majors2016 spells; e.g. the
    USA from 1898, Japan 1895–1945 and from 1991) and 0 in the state's other system years.
    """
    sy = state_years(src=src)
    mj = _int_keys(get_source(src).table("cow_majors"), "cow_majors (majors2016)", cols=("ccode", "styear", "endyear"))
    k = (mj["endyear"] - mj["styear"] + 1).to_numpy()
    if (k < 1).any():
        raise DataError("cow_majors (majors2016): a major-power spell ends before it starts")
    years = np.repeat(mj["styear"].to_numpy(), k) + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    mp = pd.DataFrame({"ccode": np.repeat(mj["ccode"].to_numpy(), k), "year": years}).drop_duplicates()
    mp["cowmaj"] = 1
    out = sy.merge(mp, on=["ccode", "year"], how="left")
    outside = len(mp) - int(out["cowmaj"].notna().sum())
    if outside:  # a major-power year with no system membership would be a data inconsistency; say so rather than drop it quietly
        raise DataError(f"cow_majors (majors2016): {outside} major-power years fall outside COW system membership")
    out["cowmaj"] = out["cowmaj"].fillna(0).astype("int64")
    out.attrs = {}
    return log_step(out, "major_power_years", "majors2016 spells; 1 = major power at some point of the year", major_power_years=int(out["cowmaj"].sum()))


# Polity5 codes some states differently from COW, and isard's cw_democracy joined Polity on the code alone, so these
# COW state-years lack polity2 although Polity5 scores them. (COW code, Polity5 code, first year, last year.)
POLITY_CROSSWALK = (
    (300, 305, 1816, 1918),  # Austria-Hungary: Polity's AUS series runs through 1918
    (345, 342, 1878, 1920),  # Serbia before Yugoslavia: Polity SER
    (345, 347, 1991, 2006),  # Yugoslavia / Serbia and Montenegro: Polity YGS
    (345, 342, 2007, 2018),  # Serbia: Polity SER
    (365, 364, 1922, 1991),  # USSR: Polity USR
    (816, 818, 1976, 2018),  # Vietnam (unified): Polity VIE
)


def democracy_state_years(src: DataSource | None = None, *, polity_crosswalk: bool = True) -> pd.DataFrame:
    """Democracy state-years (COW codes) from isard's ``cw_democracy``: [ccode, year, euds, aeuds, polity2, v2x_polyarchy].

    - ``euds``/``aeuds``: extended Unified Democracy Scores (Marquez's QuickUDS extension; latent, mean ~0);
    - ``polity2``: Polity5, -10..10 (ends 2018);
    - ``v2x_polyarchy``: V-Dem electoral democracy index, 0..1.
    The table spans 1816–2025 but each measure has its own coverage; values outside it are NA, never 0.

    ``polity_crosswalk``: where cw_democracy has no polity2 for a COW state-year that Polity5 scores under its own
    country code (``POLITY_CROSSWALK``: Austria-Hungary, Serbia/Yugoslavia, USSR, Vietnam), take Polity5's polity2.
    Existing values are never changed; the number of state-years filled is logged.
    """
    source = get_source(src)
    raw = source.table("cw_democracy")
    out = _int_keys(raw, "cw_democracy")
    missing = [c for c in DEMOCRACY_COLUMNS if c not in out.columns]
    if missing:
        raise DataError(f"cw_democracy: columns {missing} are missing")
    out = out[["ccode", "year", *DEMOCRACY_COLUMNS]].copy()
    for c in DEMOCRACY_COLUMNS:
        out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
    out.attrs = {}
    filled = 0
    if polity_crosswalk:
        pol = source.table("polity5")
        pol = pd.DataFrame({"pcode": pd.to_numeric(pol["ccode"], errors="coerce"),
                            "year": pd.to_numeric(pol["year"], errors="coerce"),
                            "p2": pd.to_numeric(pol["polity2"], errors="coerce")}).dropna()
        pol = pol.astype({"pcode": "int64", "year": "int64"}).drop_duplicates(["pcode", "year"], keep="last")
        for cow, pcode, first, last in POLITY_CROSSWALK:
            donor = pol[(pol.pcode == pcode) & pol.year.between(first, last)].set_index("year")["p2"]
            rows = (out.ccode == cow) & out.year.between(first, last) & out.polity2.isna()
            vals = out.loc[rows, "year"].map(donor)
            out.loc[rows, "polity2"] = vals
            filled += int(vals.notna().sum())
    return log_step(out, "democracy_state_years",
                    "cw_democracy (isard): euds, aeuds, polity2, v2x_polyarchy"
                    + (f"; polity2 filled for {filled} state-years from Polity5 codes that differ from COW's" if polity_crosswalk else ""),
                    polity2_crosswalk_filled=filled)


def coverage_years(df: pd.DataFrame, col: str) -> tuple[int, int] | None:
    """First and last year with a non-missing ``col`` in a state-year table, or None if it is all missing."""
    yrs = df.loc[df[col].notna(), "year"]
    return (int(yrs.min()), int(yrs.max())) if len(yrs) else None
