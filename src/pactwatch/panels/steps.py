"""peacesciencer-style ``add_*`` steps for state-year and dyad-year panels.

Every step is ``add_x(panel, *, src=None, ...)``: it takes a state-year panel (ccode, year) or a dyad-year panel (ccode1,
ccode2, year; directed or not), returns a new frame with the same rows in the same order plus new columns, and appends a
record to ``attrs["pactwatch_log"]`` (rows, how many values are missing, coverage). On dyad-year panels state-level
variables come twice, suffixed ``1`` (for ccode1) and ``2`` (for ccode2), as in peacesciencer.

Coverage rule (all steps): a value is NA, never 0, for a year outside the source's coverage; inside the coverage a
state-year with no record in the source is also NA, except where absence itself means 0 (no contiguity record, no
alliance, not a major power), which each step says.

``STEPS`` maps the names used on the command line (``pactwatch panel ... --add nmc,democracy``) to these functions and to
the conflict steps of :mod:`pactwatch.panels.conflict`.
"""
from __future__ import annotations

from typing import Callable, Iterable

from pactwatch.data.atop import OBLIGATIONS as _OBL
import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import DataError, PactwatchError
from pactwatch.panels import conflict
from pactwatch.panels.base import get_source, log_step, merge_dyad_vars, merge_state_vars, panel_kind
from pactwatch.panels.states import (
    COW_FIRST_YEAR,
    COW_LAST_YEAR,
    DEMOCRACY_COLUMNS,
    NMC_COLUMNS,
    NMC_SOURCES,
    _int_keys,
    democracy_state_years,
    major_power_years,
    nmc_state_years,
)

#: Coverage (first, last year) of each source, used to tell "beyond coverage" (NA) from "no record" inside it.
COVERAGE = {
    "nmc": (1816, 2016),          # COW NMC 6.0
    "majors": (1816, 2016),       # COW majors2016
    "contiguity": (1816, 2016),   # COW direct contiguity 3.2
    "atop": (1815, 2018),         # ATOP 5.1
}

GDPPOP_COLUMNS = ["mrgdppc", "pwtrgdp", "pwtpop"]
ATOP_OBLIGATIONS = list(_OBL)
ATOP_COLUMNS = [f"atop_{o}" for o in ATOP_OBLIGATIONS]

#: Variable labels (used for Stata export); dyad-year copies get " (state 1)"/" (state 2)".
LABELS = {
    "ccode": "COW state code", "ccode1": "COW state code, state 1", "ccode2": "COW state code, state 2", "year": "Year",
    "milex": "Military expenditure (thousands, NMC 6.0)", "milper": "Military personnel (thousands, NMC 6.0)",
    "irst": "Iron and steel production (thousand tons, NMC 6.0)", "pec": "Primary energy consumption (NMC 6.0)",
    "tpop": "Total population (thousands, NMC 6.0)", "upop": "Urban population (thousands, NMC 6.0)",
    "cinc": "CINC composite capabilities score (NMC 6.0)", "cowmaj": "COW major power (1 = yes)",
    "euds": "Extended UDS democracy score", "aeuds": "Extended UDS, adjusted", "polity2": "Polity5 polity2 (-10..10)",
    "v2x_polyarchy": "V-Dem electoral democracy index (0..1)", "conttype": "COW direct contiguity type (0 = none, 1 = land .. 5 = 400mi water)",
    "land": "Number of land borders (COW contiguity)", "sea": "Number of sea contiguities (COW contiguity)",
    "capdist": "Capital-to-capital distance (km, great circle)", "mincapdist": "Minimum distance to another state's capital (km)",
    "atop_defense": "ATOP defense obligation, state 1 to state 2", "atop_offense": "ATOP offense obligation, state 1 to state 2",
    "atop_neutral": "ATOP neutrality obligation, state 1 to state 2", "atop_nonagg": "ATOP non-aggression obligation, state 1 to state 2",
    "atop_consul": "ATOP consultation obligation, state 1 to state 2",
    "mrgdppc": "Simulated GDP per capita (Maddison, 2011 int. USD)", "pwtrgdp": "Simulated real GDP (PWT, millions 2017 int. USD)",
    "pwtpop": "Simulated population (PWT, millions)",
}


def _keep(keep: Iterable[str] | None, allowed: list[str], default: list[str], step: str) -> list[str]:
    if keep is None:
        return list(default)
    if isinstance(keep, str):
        keep = [k.strip() for k in keep.split(",") if k.strip()]
    keep = list(keep)
    bad = [k for k in keep if k not in allowed]
    if bad or not keep:
        raise PactwatchError(f"{step}: keep={keep!r}: unknown or empty; choose from {', '.join(allowed)}")
    return keep


def _added_cols(panel: pd.DataFrame, cols: list[str]) -> list[str]:
    return [f"{c}{i}" for c in cols for i in (1, 2)] if panel_kind(panel) == "dyad" else list(cols)


def _check_free(panel: pd.DataFrame, cols: list[str], step: str) -> None:
    clash = [c for c in cols if c in panel.columns]
    if clash:
        raise PactwatchError(f"{step}: the panel already has column(s) {clash}; was the step run twice?")


def _na_counts(out: pd.DataFrame, cols: list[str]) -> dict:
    return {f"na_{c}": int(out[c].isna().sum()) for c in cols}


def _fill_inside(col, inside) -> pd.arrays.IntegerArray:
    """A 0/1 or count column as nullable Int64: missing inside the coverage -> 0 (absence means none), missing outside
    it stays NA. Built directly with numpy: ``Series.astype("Int64")`` is slow on millions of rows."""
    v = pd.Series(col).to_numpy(dtype="float64", na_value=np.nan)
    inside = np.asarray(inside, dtype=bool)
    v = np.where(np.isnan(v) & inside, 0.0, v)
    mask = np.isnan(v)
    return pd.arrays.IntegerArray(np.where(mask, 0, v).astype("int64"), mask)


def _years_outside(panel: pd.DataFrame, cov: tuple[int, int]) -> int:
    return int((~panel["year"].between(*cov)).sum())


def _keys(panel: pd.DataFrame) -> list[str]:
    return ["ccode1", "ccode2", "year"] if panel_kind(panel) == "dyad" else ["ccode", "year"]


def _attach(panel: pd.DataFrame, merged_keys: pd.DataFrame, added: list[str]) -> pd.DataFrame:
    """Copy the new columns of a merge done on the panel's key columns only back onto the full panel (same rows, same
    order: the merge helpers guarantee that). Merging only the keys avoids copying a wide panel at every step."""
    if len(merged_keys) != len(panel):  # pragma: no cover - the merge helpers already refuse this
        raise PactwatchError("internal: merge changed the row count")
    # a deep copy column by column: DataFrame.copy() would first consolidate the panel's many one-column blocks into
    # one 2-D array per dtype, which costs several times the copy itself on every step
    cols = {c: panel[c].array.copy() for c in panel.columns}
    for c in added:
        cols[c] = merged_keys[c].to_numpy()
    out = pd.DataFrame(cols, index=panel.index.copy(), copy=False)
    out.attrs = dict(panel.attrs)
    return out


def _merge_state(panel: pd.DataFrame, table: pd.DataFrame, cols: list[str], step: str) -> tuple[pd.DataFrame, list[str]]:
    added = _added_cols(panel, cols)
    _check_free(panel, added, step)
    merged = merge_state_vars(panel[_keys(panel)], table, cols, step)
    return _attach(panel, merged, added), added


def _merge_state_step(panel, table, cols, step, note) -> pd.DataFrame:
    out, added = _merge_state(panel, table, cols, step)
    return log_step(out, step, note, **_na_counts(out, added))


def add_nmc(panel: pd.DataFrame, *, src: DataSource | None = None, keep: Iterable[str] | None = None,
            source: str = "cow") -> pd.DataFrame:
    """COW National Material Capabilities: milex, milper, irst, pec, tpop, upop, cinc.

    ``keep``: a subset of those (default: all). ``source``: ``"cow"`` (default, NMC 6.0, coverage 1816–2016) or
    ``"peacesciencer"`` (the ``cow_nmc`` table peacesciencer 1.2.9 merges, 1816–2022); see
    :func:`pactwatch.panels.states.nmc_state_years`. COW's -9 missing code is NA; so is every year the source does not
    cover and any state-year it does not list."""
    cols = _keep(keep, NMC_COLUMNS, NMC_COLUMNS, "add_nmc")
    table, label, (first, last) = NMC_SOURCES.get(source, (None, source, (None, None)))
    out = _merge_state_step(panel, nmc_state_years(src, source=source), cols, "add_nmc",
                            f"{label} {', '.join(cols)}; coverage {first}-{last}, NA beyond it and for -9")
    return out


def add_cinc(panel: pd.DataFrame, *, src: DataSource | None = None) -> pd.DataFrame:
    """Only the CINC score from NMC 6.0 (:func:`add_nmc` with ``keep=["cinc"]``)."""
    return add_nmc(panel, src=src, keep=["cinc"])


def add_major_powers(panel: pd.DataFrame, *, src: DataSource | None = None) -> pd.DataFrame:
    """COW major-power status (majors2016, coverage 1816–2016): ``cowmaj`` (dyads: cowmaj1, cowmaj2).

    1 = major power at some point of the year; 0 = not a major power in a covered year (including states the panel has
    that COW does not list as system members that year); NA after 2016 (not covered). peacesciencer's
    ``add_cow_majors()`` writes 0 for every year, including years the data do not cover."""
    step = "add_major_powers"
    mp = major_power_years(src)
    cov = COVERAGE["majors"]
    out, added = _merge_state(panel, mp, ["cowmaj"], step)
    inside = out["year"].between(*cov)
    for c in added:
        out[c] = _fill_inside(out[c], inside)
    return log_step(out, step, "majors2016; 1 major power, 0 not, NA after 2016", **_na_counts(out, added),
                    rows_beyond_coverage=_years_outside(out, cov))


def add_democracy(panel: pd.DataFrame, *, src: DataSource | None = None, keep: Iterable[str] | None = None) -> pd.DataFrame:
    """Democracy from isard's cw_democracy: euds, aeuds (extended UDS, to 2025), polity2 (Polity5, to 2018),
    v2x_polyarchy (V-Dem, to 2025). ``keep``: a subset (default: all four). NA outside each measure's coverage and for
    state-years a measure does not score."""
    cols = _keep(keep, DEMOCRACY_COLUMNS, DEMOCRACY_COLUMNS, "add_democracy")
    return _merge_state_step(panel, democracy_state_years(src), cols, "add_democracy",
                             f"cw_democracy {', '.join(cols)}; NA outside each measure's coverage")


def add_sim_gdp_pop(panel: pd.DataFrame, *, src: DataSource | None = None, keep: Iterable[str] | None = None) -> pd.DataFrame:
    """Simulated GDP per capita and GDP/population (Fariss, Anders, Markowitz & Barnum; isard's cw_gdppop, COW codes,
    coverage 1816–2019): mrgdppc (Maddison GDP per capita, 2011 int. USD), pwtrgdp (PWT real GDP, millions of 2017 int.
    USD), pwtpop (PWT population, millions); ``keep`` may also name sd_mrgdppc, sd_pwtrgdp, sd_pwtpop (simulation SDs).
    The simulations follow the Gleditsch–Ward system, so some COW state-years are NA (e.g. Egypt 1856–82)."""
    step = "add_sim_gdp_pop"
    allowed = GDPPOP_COLUMNS + [f"sd_{c}" for c in GDPPOP_COLUMNS]
    cols = _keep(keep, allowed, GDPPOP_COLUMNS, step)
    raw = get_source(src).table("cw_gdppop")
    missing = [c for c in cols if c not in raw.columns]
    if missing:
        raise DataError(f"cw_gdppop: columns {missing} are missing")
    tab = _int_keys(raw[["ccode", "year", *cols]], "cw_gdppop")
    return _merge_state_step(panel, tab, cols, step, f"cw_gdppop {', '.join(cols)}; coverage 1816-2019, NA beyond")


# --- contiguity -------------------------------------------------------------------------------------------------------

#: How a dyad-year's contiguity type is read from the spell records (:func:`contiguity_dyad_years`).
CONTIGUITY_RULES = ("closest", "first-month")


def _contdir_records(src: DataSource | None) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    raw = get_source(src).table("cow_contdir")
    t = _int_keys(raw, "cow_contdir", cols=("ccode1", "ccode2", "conttype"))
    try:
        sd, ed = pd.to_datetime(t["stdate"]), pd.to_datetime(t["enddate"])
    except (ValueError, TypeError) as exc:
        raise DataError(f"cow_contdir: bad stdate/enddate: {exc}") from None
    if (ed < sd).any():
        raise DataError("cow_contdir: a contiguity spell ends before it starts")
    return t.reset_index(drop=True), sd.reset_index(drop=True), ed.reset_index(drop=True)


def contiguity_dyad_years(src: DataSource | None = None, rule: str = "closest") -> pd.DataFrame:
    """COW direct contiguity 3.2 as directed dyad-years [ccode1, ccode2, year, conttype] from peacesciencer's ``cow_contdir``
    spell records (COW's master records, plus the conttype-0 "no contiguity" spells peacesciencer adds for months in which
    both states were members but had no contiguity record).

    ``rule="closest"`` (pactwatch's reading): each spell covers the years from its start to its end date; where a dyad's
    type changed within a year the minimum (closest) type is kept, and the conttype-0 records contribute nothing, so a
    dyad-year is contiguous if the states were contiguous in any month of it.

    ``rule="first-month"`` (peacesciencer 1.2.9's ``add_contiguity(slice = "first")``, its default): the spells are expanded
    into months (R's ``seq(stdate, enddate, by = "1 month")``) and a dyad-year takes the type of its earliest month, ties
    in a month going to the record listed first in ``cow_contdir``; conttype-0 records count. So a dyad that becomes
    contiguous during a year is 0 that year, and - a flaw in how peacesciencer built its conttype-0 records (one spell from
    the first to the last month without contiguity, listed before the real records) - a dyad with months without
    contiguity both before and after a contiguous period is 0 throughout that period (e.g. Greece-Yugoslavia 1914-1993,
    Italy-Yugoslavia 1945-2006, borders in COW's data; 48 such overlaps in cow_contdir).
    """
    if rule not in CONTIGUITY_RULES:
        raise PactwatchError(f"contiguity rule {rule!r}: choose one of {', '.join(CONTIGUITY_RULES)}")
    t, sd, ed = _contdir_records(src)
    y0, y1 = sd.dt.year.to_numpy(), ed.dt.year.to_numpy()
    if rule == "first-month":
        # months R's seq(stdate, enddate, by = "1 month") visits: from stdate's month to enddate's, without enddate's
        # month when its day comes before stdate's day
        m0 = y0 * 12 + sd.dt.month.to_numpy() - 1
        m1 = y1 * 12 + ed.dt.month.to_numpy() - 1 - (ed.dt.day.to_numpy() < sd.dt.day.to_numpy())
        keep = m1 >= m0
        y1 = np.where(keep, m1 // 12, y0 - 1)  # a spell that visits no month (impossible for valid dates) adds nothing
    k = np.maximum(y1 - y0 + 1, 0)
    idx = np.repeat(np.arange(len(t)), k)
    years = y0[idx] + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    d = pd.DataFrame({"ccode1": t["ccode1"].to_numpy()[idx], "ccode2": t["ccode2"].to_numpy()[idx], "year": years,
                      "conttype": t["conttype"].to_numpy()[idx]})
    if rule == "closest":
        d = d[d["conttype"] > 0]
        return d.groupby(["ccode1", "ccode2", "year"], as_index=False)["conttype"].min()
    # the record's first month within each year it covers: its start month in its first year, January after that
    d["month"] = np.where(years == y0[idx], m0[idx], years * 12)
    d["record"] = idx
    d = d.sort_values(["ccode1", "ccode2", "year", "month", "record"], kind="stable")
    return d.drop_duplicates(["ccode1", "ccode2", "year"], keep="first")[["ccode1", "ccode2", "year", "conttype"]].reset_index(drop=True)


def add_contiguity(panel: pd.DataFrame, *, src: DataSource | None = None, rule: str = "closest") -> pd.DataFrame:
    """COW direct contiguity 3.2 (coverage 1816–2016), as peacesciencer's ``add_contiguity()``.

    Dyad-years: ``conttype`` 1 = land border, 2/3/4/5 = separated by at most 12/24/150/400 miles of water; 0 = no direct
    contiguity that year (not "missing"); NA after 2016. ``rule`` says which type a year gets when it changed within the
    year (:func:`contiguity_dyad_years`): ``"closest"`` (default) the closest type of any month; ``"first-month"`` the type
    of the year's first month, peacesciencer's default.
    State-years: ``land`` and ``sea`` = number of states the state is land- / sea-contiguous with (from its type with each
    partner that year under ``rule``; 0 if none); NA after 2016."""
    step = "add_contiguity"
    cov = COVERAGE["contiguity"]
    cy = contiguity_dyad_years(src, rule=rule)
    out_of = None
    if panel_kind(panel) == "dyad":
        _check_free(panel, ["conttype"], step)
        out = _attach(panel, merge_dyad_vars(panel[_keys(panel)], cy, ["conttype"], step, directed_source=True), ["conttype"])
        inside = out["year"].between(*cov)
        out["conttype"] = _fill_inside(out["conttype"], inside)
        added = ["conttype"]
    else:
        sy = cy.assign(land=(cy["conttype"] == 1).astype(int), sea=(cy["conttype"] > 1).astype(int))
        sy = sy.groupby(["ccode1", "year"], as_index=False)[["land", "sea"]].sum().rename(columns={"ccode1": "ccode"})
        out, _ = _merge_state(panel, sy, ["land", "sea"], step)
        inside = out["year"].between(*cov)
        for c in ("land", "sea"):
            out[c] = _fill_inside(out[c], inside)
        added = ["land", "sea"]
    out_of = _years_outside(out, cov)
    how = "closest type in the year" if rule == "closest" else "type of the year's first month (peacesciencer)"
    return log_step(out, step, f"COW direct contiguity 3.2 ({how}); 0 = no contiguity, NA after 2016",
                    **_na_counts(out, added), rows_beyond_coverage=out_of)


# --- capital distance -------------------------------------------------------------------------------------------------

EARTH_RADIUS_KM = 6378.137  # geosphere's default sphere (WGS84 equatorial radius), as in peacesciencer


def great_circle_km(lat1, lng1, lat2, lng2) -> np.ndarray:
    """Great-circle distance in km on a sphere of radius 6378.137 km (Vincenty's formula for the sphere, the same as
    geosphere::distVincentySphere used by peacesciencer). NA in, NA out."""
    p1, p2 = np.radians(np.asarray(lat1, float)), np.radians(np.asarray(lat2, float))
    dl = np.radians(np.asarray(lng2, float) - np.asarray(lng1, float))
    x = np.hypot(np.cos(p2) * np.sin(dl), np.cos(p1) * np.sin(p2) - np.sin(p1) * np.cos(p2) * np.cos(dl))
    y = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return EARTH_RADIUS_KM * np.arctan2(x, y)


def capital_years(src: DataSource | None = None) -> pd.DataFrame:
    """[ccode, year, lat, lng] of each state's capital (peacesciencer's ``cow_capitals``, 1816–2024). In a year the capital
    moved, the capital held on 1 January (the earlier record) is used, as in peacesciencer."""
    raw = get_source(src).table("cow_capitals")
    t = _int_keys(raw, "cow_capitals", cols=("ccode",))
    try:
        sd, _ = pd.to_datetime(t["stdate"]), pd.to_datetime(t["enddate"])  # enddate parsed to validate it
    except (ValueError, TypeError) as exc:
        raise DataError(f"cow_capitals: bad stdate/enddate: {exc}") from None
    t = t.assign(_sd=sd).sort_values(["ccode", "_sd"], kind="stable")
    y0, y1 = t["_sd"].dt.year.to_numpy(), pd.to_datetime(t["enddate"]).dt.year.to_numpy()
    k = y1 - y0 + 1
    idx = np.repeat(np.arange(len(t)), k)
    years = y0[idx] + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    d = pd.DataFrame({"ccode": t["ccode"].to_numpy()[idx], "year": years,
                      "lat": t["lat"].to_numpy(float)[idx], "lng": t["lng"].to_numpy(float)[idx]})
    return d.drop_duplicates(["ccode", "year"], keep="first").reset_index(drop=True)


def add_capital_distance(panel: pd.DataFrame, *, src: DataSource | None = None) -> pd.DataFrame:
    """Capital-to-capital great-circle distance in km (peacesciencer's ``add_capital_distance()``; capitals and their
    coordinates from its ``cow_capitals``, 1816–2024; Jan-1 capital in years a capital moved).

    Dyad-years: ``capdist``. State-years: ``mincapdist``, the distance to the nearest capital of another COW system member
    that year (from the COW dyad-years, so NA after 2016). NA where a state has no capital record that year.
    (The Gleditsch–Ward ``capdist.csv`` uses G–W codes and fixed capitals; it is not used here.)"""
    step = "add_capital_distance"
    cap = capital_years(src)
    if panel_kind(panel) == "dyad":
        _check_free(panel, ["capdist"], step)
        tmp = merge_state_vars(panel[_keys(panel)], cap, ["lat", "lng"], step)
        out = panel.copy()
        out["capdist"] = great_circle_km(tmp["lat1"], tmp["lng1"], tmp["lat2"], tmp["lng2"])
        out.attrs = dict(panel.attrs)
        added = ["capdist"]
    else:
        from pactwatch.panels.dyads import dyad_years

        yrs = panel["year"]
        lo, hi = (max(int(yrs.min()), COW_FIRST_YEAR), min(int(yrs.max()), COW_LAST_YEAR)) if len(yrs) else (1, 0)
        if lo <= hi:
            dy = dyad_years(lo, hi, directed=True, src=src)
            dy = merge_state_vars(dy, cap, ["lat", "lng"], step)
            dy["d"] = great_circle_km(dy["lat1"], dy["lng1"], dy["lat2"], dy["lng2"])
            mins = dy.groupby(["ccode1", "year"], as_index=False)["d"].min().rename(columns={"ccode1": "ccode", "d": "mincapdist"})
        else:
            mins = pd.DataFrame({"ccode": pd.Series(dtype="int64"), "year": pd.Series(dtype="int64"), "mincapdist": pd.Series(dtype=float)})
        out, added = _merge_state(panel, mins, ["mincapdist"], step)
    return log_step(out, step, "great-circle km between capitals (cow_capitals, 1816-2024)", **_na_counts(out, added))


# --- ATOP alliances -----------------------------------------------------------------------------------------------------

def _spell_dates(y, m, d, *, end: bool) -> pd.Series:
    """Dates from ATOP year/month/day columns; a missing day is the 1st (start) or the month's last day (end), a missing
    month January (start) or December (end)."""
    m = pd.to_numeric(m, errors="coerce").where(lambda v: v.between(1, 12), 12 if end else 1)
    first = pd.to_datetime(pd.DataFrame({"year": y, "month": m, "day": 1}))
    dd = pd.to_numeric(d, errors="coerce")
    if end:
        last = first + pd.offsets.MonthEnd(0)
        return pd.Series(np.where(dd.between(1, 31), np.minimum(first + pd.to_timedelta(dd - 1, unit="D"), last), last),
                         index=first.index).astype("datetime64[ns]")
    return (first + pd.to_timedelta(dd.where(dd.between(1, 31), 1) - 1, unit="D")).astype("datetime64[ns]")


def atop_dyad_years(src: DataSource | None = None) -> pd.DataFrame:
    """Directed dyad-years of ATOP 5.1 obligations derived from the member-level file (atop5_1m; coverage 1815–2018):
    [ccode1, ccode2, year, atop_defense, atop_offense, atop_neutral, atop_nonagg, atop_consul].

    Two states form an alliance dyad-year when they are members of the same alliance in the same phase and their
    membership spells (entry to exit date; exit 0 = still in force, i.e. to 31 Dec 2018) overlap on at least one day of
    that year. ``atop_x`` for (ccode1, ccode2) is 1 if ccode1 undertook obligation x in an alliance it shares with ccode2
    that year (directed, as peacesciencer's ``atop_alliance``), else 0. In multilateral asymmetric alliances the member-
    level file does not say to whom an obligation is owed, so such dyads can be flagged where ATOP's own dyadic data are
    not (see tests/test_panels_steps.py for the agreement with peacesciencer's table)."""
    raw = get_source(src).table("atop_member")
    need = ["atopid", "member", "phase", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", *ATOP_OBLIGATIONS]
    missing = [c for c in need if c not in raw.columns]
    if missing:
        raise DataError(f"atop_member (atop5_1m): columns {missing} are missing")
    m = _int_keys(raw[need], "atop_member (atop5_1m)", cols=("atopid", "member", "phase", "yrent", "yrexit"))
    ongoing = m["yrexit"] == 0
    last = COVERAGE["atop"][1]
    sd = _spell_dates(m["yrent"], m["moent"], m["dayent"], end=False)
    ed = _spell_dates(m["yrexit"].where(~ongoing, last), m["moexit"].where(~ongoing, 12), m["dayexit"].where(~ongoing, 31), end=True)
    m = m.assign(sd=sd.to_numpy(), ed=ed.to_numpy())
    if (m["ed"] < m["sd"]).any():
        bad = m[m["ed"] < m["sd"]][["atopid", "member"]].head(3).to_dict("records")
        raise DataError(f"atop_member (atop5_1m): membership spells that end before they start, e.g. {bad}")
    p = m.merge(m, on=["atopid", "phase"], suffixes=("1", "2"))
    p = p[p["member1"] != p["member2"]]
    lo = np.maximum(p["sd1"].to_numpy(), p["sd2"].to_numpy())
    hi = np.minimum(p["ed1"].to_numpy(), p["ed2"].to_numpy())
    ok = lo <= hi
    p, lo, hi = p[ok], lo[ok], hi[ok]
    y0 = lo.astype("datetime64[Y]").astype("int64") + 1970
    y1 = hi.astype("datetime64[Y]").astype("int64") + 1970
    k = y1 - y0 + 1
    idx = np.repeat(np.arange(len(p)), k)
    years = y0[idx] + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    d = pd.DataFrame({"ccode1": p["member1"].to_numpy()[idx], "ccode2": p["member2"].to_numpy()[idx], "year": years})
    for o in ATOP_OBLIGATIONS:
        d[f"atop_{o}"] = (pd.to_numeric(p[f"{o}1"], errors="coerce").to_numpy()[idx] == 1).astype("int64")
    return d.groupby(["ccode1", "ccode2", "year"], as_index=False)[ATOP_COLUMNS].max()


def add_atop_alliance(panel: pd.DataFrame, *, src: DataSource | None = None, source: str = "atop",
                      either_direction: bool = False) -> pd.DataFrame:
    """ATOP 5.1 alliance obligations on a dyad-year panel: atop_defense, atop_offense, atop_neutral, atop_nonagg,
    atop_consul — 1 if ccode1 has that obligation toward ccode2 in an alliance in force that year (directed; in a
    non-directed panel the value is ccode1's obligation to ccode2), 0 if not (no shared alliance, or an alliance
    without that obligation) within 1815–2018, NA after 2018.

    ``source="atop"`` (default) derives the flags from the ATOP member-level file (:func:`atop_dyad_years`);
    ``source="peacesciencer"`` uses peacesciencer's ready-made ``atop_alliance`` table instead.

    ``either_direction=True``: on a non-directed panel, a flag is 1 if either state has that obligation toward the other
    (the maximum over both directions), as peacesciencer's ``add_atop_alliance(ndir = TRUE)``, its default on non-directed
    data. It is an error on a directed panel, where each direction is its own row."""
    step = "add_atop_alliance"
    if panel_kind(panel) != "dyad":
        raise PactwatchError(f"{step} needs a dyad-year panel (ccode1, ccode2, year); alliance obligations are dyadic")
    if source == "atop":
        tab = atop_dyad_years(src)
    elif source == "peacesciencer":
        tab = _int_keys(get_source(src).table("ps_atop_alliance"), "ps_atop_alliance", cols=("ccode1", "ccode2", "year"))
        for c in ATOP_COLUMNS:
            tab[c] = pd.to_numeric(tab[c], errors="coerce")
    else:
        raise PactwatchError(f"{step}: source={source!r}; use 'atop' or 'peacesciencer'")
    if either_direction:
        if bool((panel["ccode1"].to_numpy() > panel["ccode2"].to_numpy()).any()):
            raise PactwatchError(f"{step}: either_direction=True is for non-directed panels (ccode1 < ccode2); this one is directed")
        lo = np.minimum(tab["ccode1"].to_numpy(), tab["ccode2"].to_numpy())
        hi = np.maximum(tab["ccode1"].to_numpy(), tab["ccode2"].to_numpy())
        tab = (tab.assign(ccode1=lo, ccode2=hi).groupby(["ccode1", "ccode2", "year"], as_index=False)[ATOP_COLUMNS].max())
    _check_free(panel, ATOP_COLUMNS, step)
    out = _attach(panel, merge_dyad_vars(panel[_keys(panel)], tab, ATOP_COLUMNS, step, directed_source=True), ATOP_COLUMNS)
    cov = COVERAGE["atop"]
    inside = out["year"].between(*cov)
    for c in ATOP_COLUMNS:
        out[c] = _fill_inside(out[c], inside)
    how = "either direction" if either_direction else "ccode1 toward ccode2"
    return log_step(out, step, f"ATOP 5.1 obligations ({source}, {how}); 0 = none, NA after 2018",
                    **_na_counts(out, ATOP_COLUMNS), rows_beyond_coverage=_years_outside(out, cov),
                    dyad_years_allied=int((out[ATOP_COLUMNS].fillna(0).sum(axis=1) > 0).sum()))


# --- registry -------------------------------------------------------------------------------------------------------

#: Step names for ``--add`` on the command line -> function(panel, *, src=None): the steps above and the conflict steps
#: of :mod:`pactwatch.panels.conflict` (which imports only :mod:`pactwatch.panels.base`, so the import goes one way).
#: ``filter_prd`` drops rows, so it is not a step here: :func:`apply_steps` refuses steps that change the row count.
STEPS: dict[str, Callable[..., pd.DataFrame]] = {
    "nmc": add_nmc,
    "cinc": add_cinc,
    "majors": add_major_powers,
    "major-powers": add_major_powers,
    "democracy": add_democracy,
    "contiguity": add_contiguity,
    "capdist": add_capital_distance,
    "capital-distance": add_capital_distance,
    "atop": add_atop_alliance,
    "atop-alliance": add_atop_alliance,
    "gdppop": add_sim_gdp_pop,
    "sim-gdp-pop": add_sim_gdp_pop,
    "mids": conflict.add_gml_mids,
    "gml-mids": conflict.add_gml_mids,
    "cow-mids": conflict.add_cow_mids,
    "cow-wars": conflict.add_cow_wars,
    "wars": conflict.add_cow_wars,
    "rivalries": conflict.add_strategic_rivalries,
    "strategic-rivalries": conflict.add_strategic_rivalries,
    "spells": conflict.add_spells,
    "peace-years": conflict.add_peace_years,
}

def apply_steps(panel: pd.DataFrame, names: Iterable[str], *, src: DataSource | None = None) -> pd.DataFrame:
    """Apply the named steps in order (names from STEPS); an unknown name is an error listing the valid ones."""
    names = [n.strip() for n in names if n and n.strip()]
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        raise PactwatchError(f"unknown step(s) {', '.join(unknown)}; valid steps: {', '.join(sorted(STEPS))}")
    for n in names:
        before = len(panel)
        panel = STEPS[n](panel, src=src)
        if len(panel) != before:
            raise PactwatchError(f"step {n!r} changed the number of rows from {before} to {len(panel)}")
    return panel
