"""Conflict steps: MIDs, inter-/intra-state wars, strategic rivalries and peace spells.

Each ``add_*`` step takes a panel (state-year: ``ccode, year``; dyad-year: ``ccode1, ccode2, year``, directed or
non-directed) and returns a new one with the same rows and columns added, the way peacesciencer's function of the same
name does, and appends a record to ``panel.attrs["pactwatch_log"]``. (The politically-relevant-dyad filter, which drops
rows, is :func:`pactwatch.panels.prd.filter_prd`.) This module imports only :mod:`pactwatch.panels.base`;
:mod:`pactwatch.panels.steps` imports it to list these steps in ``STEPS``.

Coverage and NA. Every event source covers a window of years. Inside the window a dyad-year (state-year) with no record
in the source gets 0 ("no dispute / no war / no rivalry that year"); outside the window it gets NA ("not observed"),
never 0. The windows, as peacesciencer uses them:

============================  ==============  ==========================================
step                          coverage        source table (peacesciencer name)
============================  ==============  ==========================================
add_gml_mids (dyad)           1816-2010       gml_mid_ddydisps (GML MID 2.2.1)
add_cow_mids (dyad)           1816-2014       ps_cow_mid_ddydisps (COW MID 5.0)
add_cow_wars inter (dyad)     1816-2007       ps_cow_war_inter (COW inter-state war 4.0)
add_cow_wars intra (state)    1816-2007       ps_cow_war_intra (COW intra-state war 4.1)
add_strategic_rivalries tss   1816-2020       tss_rivalries (Thompson, Sakuwa & Suhas 2021)
add_strategic_rivalries td    1816-2010       td_rivalries (Thompson & Dreyer 2012)
============================  ==============  ==========================================

The other columns a step brings in (``dispnum``, ``hostlev``, ``tssr_id``, ...) are NA on rows with no event.

Several disputes in one dyad-year: the dyad-year dispute tables (``gml_mid_ddydisps``, ``cow_mid_ddydisps``) are already
whittled by peacesciencer to one row per directed dyad-year, in this order: keep unique onsets over continuing disputes,
then the highest fatality, the highest hostility level, the longest minimum duration (COW: then maximum duration),
reciprocated over unreciprocated, the earliest start month, and finally the first row. The inter-state war table is
whittled here the way ``add_cow_wars()`` does it: onsets over continuing wars, then the war with the most battle deaths.
"""
from __future__ import annotations

import re
from typing import Iterable, Literal

import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import PactwatchError
from pactwatch.panels.base import get_source, log_step, merge_dyad_vars, merge_state_vars, panel_kind

GML_COVERAGE = (1816, 2010)
COW_MID_COVERAGE = (1816, 2014)
COW_INTER_COVERAGE = (1816, 2007)
COW_INTRA_COVERAGE = (1816, 2007)
TSS_COVERAGE = (1816, 2020)
TD_COVERAGE = (1816, 2010)

# event columns -> spell column, per unit of analysis, in the order add_spells handles them
DYAD_SPELL_EVENTS = {
    "gmlmid": ("gmlmidongoing", "gmlmidonset", "gmlmidspell"),
    "cowmid": ("cowmidongoing", "cowmidonset", "cowmidspell"),
    "cowinter": ("cowinterongoing", "cowinteronset", "cowinterspell"),
}
STATE_SPELL_EVENTS = {
    "cowintra": ("cowintraongoing", "cowintraonset", "cowintraspell"),
    "ucdp": ("ucdpongoing", "ucdponset", "ucdpspell"),
    "gmlmid": ("gmlmidongoing", "gmlmidonset", "gmlmidspell"),
}


# ----------------------------------------------------------------------------------------------------------- helpers
def _require_dyad(panel: pd.DataFrame, step: str) -> None:
    if panel_kind(panel) != "dyad":
        raise PactwatchError(f"{step} is only available for dyad-year panels (ccode1, ccode2, year); got a state-year panel")


def _clash(panel: pd.DataFrame, cols: Iterable[str], step: str) -> None:
    have = [c for c in cols if c in panel.columns]
    if have:
        raise PactwatchError(f"{step}: the panel already has column(s) {', '.join(have)}; drop them before adding them again")


def _int_keys(df: pd.DataFrame, keys: list[str], table: str) -> pd.DataFrame:
    """Key columns as int64 (the published CSVs store codes as floats); a missing key is a data error."""
    df = df.copy()
    for k in keys:
        if df[k].isna().any():
            raise PactwatchError(f"{table}: {int(df[k].isna().sum())} rows have no {k}; cannot merge them")
        df[k] = df[k].astype("int64")
    return df


def _coverage_fill(out: pd.DataFrame, cols: list[str], coverage: tuple[int, int]) -> tuple[pd.DataFrame, int]:
    """Rows inside the coverage window with no record get 0 in ``cols``; rows outside stay NA (observed values beyond the
    window, if the source has any, are kept as published). Returns the frame and the number of rows outside the window."""
    lo, hi = coverage
    inside = out["year"].between(lo, hi).to_numpy()
    for c in cols:
        v = out[c].astype("float64")
        out[c] = v.where(~(v.isna().to_numpy() & inside), 0.0)
    return out, int((~inside).sum())


def _select_keep(table: pd.DataFrame, always: list[str], keep, step: str) -> list[str]:
    extra = [c for c in table.columns if c not in always and c not in ("ccode1", "ccode2", "year")]
    if keep is None:
        return []
    if isinstance(keep, str) and keep == "all":
        return extra
    keep = [keep] if isinstance(keep, str) else list(keep)
    bad = [k for k in keep if k not in table.columns]
    if bad:
        raise PactwatchError(f"{step}: unknown column(s) in keep: {', '.join(bad)}; available: {', '.join(extra)}")
    return [k for k in keep if k not in always]


def _is_directed(panel: pd.DataFrame) -> bool:
    return bool((panel["ccode1"].to_numpy() > panel["ccode2"].to_numpy()).any())


def _add_dyadic_disputes(panel, src, *, table: str, prefix: str, coverage, keep, step: str) -> pd.DataFrame:
    _require_dyad(panel, step)
    onset, ongoing = f"{prefix}onset", f"{prefix}ongoing"
    raw = get_source(src).table(table)
    cols = [onset, ongoing, *_select_keep(raw, [onset, ongoing], keep, step)]
    _clash(panel, cols, step)
    dd = _int_keys(raw[["ccode1", "ccode2", "year", *cols]], ["ccode1", "ccode2", "year"], table)
    # The table holds both directions of each dyad-year, so it merges onto either kind of panel as is.
    out = merge_dyad_vars(panel, dd, cols, step, directed_source=True)
    out, beyond = _coverage_fill(out, [onset, ongoing], coverage)
    return log_step(
        out, step,
        f"{table}, coverage {coverage[0]}-{coverage[1]}; NA outside it",
        onsets=int((out[onset] == 1).sum()), ongoing=int((out[ongoing] == 1).sum()), na_beyond_coverage=beyond,
    )


# -------------------------------------------------------------------------------------------------------------- MIDs
def add_gml_mids(panel: pd.DataFrame, keep: Iterable[str] | str | None = None, src: DataSource | None = None) -> pd.DataFrame:
    """Gibler-Miller-Little MIDs (2.2.1) on a dyad-year panel: ``gmlmidonset`` (a new dispute began in the dyad-year) and
    ``gmlmidongoing`` (a dispute was under way), 0/1 over 1816-2010 and NA after 2010.

    One row per dyad-year: where a dyad had several disputes in a year, the one kept follows peacesciencer's rules (module
    docstring). ``keep``: None (default, like peacesciencer's ``keep = NULL``) adds only the two flags; ``"all"`` (like
    peacesciencer's default) or a list of columns (``dispnum``, ``hostlev``, ``fatality``, ``sidea1``...) adds those too.
    Dyad-years only (peacesciencer does the same).
    """
    return _add_dyadic_disputes(panel, src, table="gml_mid_ddydisps", prefix="gmlmid", coverage=GML_COVERAGE, keep=keep,
                                step="add_gml_mids")


def add_cow_mids(panel: pd.DataFrame, keep: Iterable[str] | str | None = None, src: DataSource | None = None) -> pd.DataFrame:
    """Correlates of War MIDs (5.0) on a dyad-year panel: ``cowmidonset``, ``cowmidongoing``, 0/1 over 1816-2014, NA after.

    Same whittling and ``keep`` as :func:`add_gml_mids` (peacesciencer's ``cow_mid_ddydisps``). Dyad-years only.
    """
    return _add_dyadic_disputes(panel, src, table="ps_cow_mid_ddydisps", prefix="cowmid", coverage=COW_MID_COVERAGE,
                                keep=keep, step="add_cow_mids")


# -------------------------------------------------------------------------------------------------------------- wars
def _whittle_by_onset_then_deaths(df: pd.DataFrame, keys: list[str], onset: str, d1: str, d2: str) -> pd.DataFrame:
    """peacesciencer's rule for several wars in one unit-year: drop continuing wars where an onset is also recorded, then keep
    the war with the most battle deaths (d1 + d2; one side's deaths if the other is unknown; unknown deaths sort last; ties:
    first in (keys, original) order)."""
    df = df.sort_values(keys, kind="mergesort").reset_index(drop=True)
    g = df.groupby(keys, sort=False)[onset]
    n, lo, hi = g.transform("size"), g.transform("min"), g.transform("max")
    df = df[~((n > 1) & (hi > lo) & (df[onset] == 0))].copy()
    for c in (d1, d2):
        df[c] = df[c].where(df[c] >= 0)  # -9 / -8: unknown
    deaths = df[d1] + df[d2]
    deaths = deaths.fillna(df[d1].where(df[d2].isna())).fillna(df[d2].where(df[d1].isna()))
    df["_deaths"] = deaths
    df["_order"] = np.arange(len(df))
    df = df.sort_values(["_deaths", "_order"], ascending=[False, True], na_position="last", kind="mergesort")
    df = df.drop_duplicates(keys, keep="first").sort_values("_order")
    return df.drop(columns=["_deaths", "_order"]).reset_index(drop=True)


def add_cow_wars(
    panel: pd.DataFrame,
    type: Literal["inter", "intra"] = "inter",
    intratype: Literal["all", "central control", "local issues"] = "all",
    src: DataSource | None = None,
) -> pd.DataFrame:
    """Correlates of War wars.

    - ``type="inter"`` on a dyad-year panel: ``cowinteronset``, ``cowinterongoing`` (0/1 over 1816-2007, NA after) and
      war details (warnum, sidea1/2, initiator1/2, outcome1/2, batdeath1/2 with unknown deaths NA, resume), from COW
      inter-state war 4.0 in its directed dyad-year form.
    - ``type="intra"`` on a state-year panel: ``cowintraonset``, ``cowintraongoing`` (0/1 over 1816-2007, NA after; the
      source's few 2008 records are kept) for civil wars in which the state is the primary government side
      (``primary_state == 1``), optionally only wars over ``"central control"`` or ``"local issues"``; plus warnum,
      warname, wartype, intnl, outcome, sideadeaths, sidebdeaths (unknown: NA, where peacesciencer writes -9) and
      ``intrawarnums`` (every war the state fought that year, "; "-separated).
    """
    kind = panel_kind(panel)
    s = get_source(src)
    if kind == "dyad":
        if type != "inter":
            raise PactwatchError("add_cow_wars: only type='inter' works on dyad-year panels (intra-state wars are state-years)")
        step = "add_cow_wars(inter)"
        raw = _int_keys(s.table("ps_cow_war_inter"), ["ccode1", "ccode2", "year"], "ps_cow_war_inter")
        w = _whittle_by_onset_then_deaths(raw, ["ccode1", "ccode2", "year"], "cowinteronset", "batdeath1", "batdeath2")
        cols = [c for c in w.columns if c not in ("ccode1", "ccode2", "year")]
        _clash(panel, cols, step)
        out = merge_dyad_vars(panel, w, cols, step, directed_source=True)
        out, beyond = _coverage_fill(out, ["cowinteronset", "cowinterongoing"], COW_INTER_COVERAGE)
        return log_step(out, step, "ps_cow_war_inter (COW inter-state war 4.0), coverage 1816-2007; NA after",
                        onsets=int((out["cowinteronset"] == 1).sum()), ongoing=int((out["cowinterongoing"] == 1).sum()),
                        na_beyond_coverage=beyond, source_rows_whittled=len(raw) - len(w))
    if type != "intra":
        raise PactwatchError("add_cow_wars: only type='intra' works on state-year panels (inter-state wars are dyad-years)")
    if intratype not in ("all", "central control", "local issues"):
        raise PactwatchError(f"add_cow_wars: intratype must be 'all', 'central control' or 'local issues', not {intratype!r}")
    step = f"add_cow_wars(intra, {intratype})"
    raw = s.table("ps_cow_war_intra").rename(columns={"ccodea": "ccode"})
    raw = _int_keys(raw[raw["primary_state"] == 1], ["ccode", "year"], "ps_cow_war_intra")
    if intratype != "all":
        raw = raw[raw["wartype"] == intratype]
    nums = (raw.assign(_w=raw["warnum"].astype("int64").astype(str))
            .groupby(["ccode", "year"])["_w"].agg("; ".join).rename("intrawarnums").reset_index())
    w = _whittle_by_onset_then_deaths(raw, ["ccode", "year"], "cowintraonset", "sideadeaths", "sidebdeaths")
    w = w.merge(nums, on=["ccode", "year"], how="left")
    cols = ["warnum", "warname", "wartype", "cowintraonset", "cowintraongoing", "intnl", "outcome",
            "sideadeaths", "sidebdeaths", "intrawarnums"]
    _clash(panel, cols, step)
    out = merge_state_vars(panel, w, cols, step)
    out, beyond = _coverage_fill(out, ["cowintraonset", "cowintraongoing"], COW_INTRA_COVERAGE)
    return log_step(out, step, "ps_cow_war_intra (primary government side), coverage 1816-2007; NA after",
                    onsets=int((out["cowintraonset"] == 1).sum()), ongoing=int((out["cowintraongoing"] == 1).sum()),
                    na_beyond_coverage=int(out["cowintraongoing"].isna().sum()))


# --------------------------------------------------------------------------------------------------------- rivalries
_RIVALRY_TYPES = ["positional", "spatial", "ideological", "interventionary"]


def rivalry_years(data: Literal["tss", "td"] = "tss", src: DataSource | None = None) -> pd.DataFrame:
    """Directed rivalry-years (both orders of each pair), 1816 on, from ``tss_rivalries`` or ``td_rivalries``.

    As peacesciencer does, Austria-Hungary (300) becomes Austria (305) from 1919 on (Austria-Serbia rivalry). Columns: the
    rivalry id (``tssr_id`` / ``rivalryno``), ccode1, ccode2, year, and 0/1 flags positional, spatial, ideological,
    interventionary (for td, from type1-type3)."""
    s = get_source(src)
    if data == "tss":
        r = s.table("tss_rivalries").rename(columns={"start": "_st", "end": "_en"})
        idcol, extra = "tssr_id", []
        r = r.assign(**{t: r[t].fillna(0) for t in _RIVALRY_TYPES})
    elif data == "td":
        r = s.table("td_rivalries").rename(columns={"styear": "_st", "endyear": "_en"})
        idcol, extra = "rivalryno", ["rivalryname", "region"]
        types = r[["type1", "type2", "type3"]]
        r = r.assign(**{t: types.eq(t).any(axis=1).astype(float) for t in _RIVALRY_TYPES})
    else:
        raise PactwatchError(f"rivalries: data must be 'tss' (Thompson, Sakuwa & Suhas 2021) or 'td' (Thompson & Dreyer 2012), not {data!r}")
    r = _int_keys(r, [idcol, "ccode1", "ccode2", "_st", "_en"], f"{data}_rivalries")
    both = pd.concat([r, r.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})], ignore_index=True)
    lens = (both["_en"] - both["_st"] + 1).to_numpy()
    idx = np.repeat(np.arange(len(both)), lens)
    years = both["_st"].to_numpy()[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(lens) - lens, lens))
    x = both.iloc[idx][[idcol, "ccode1", "ccode2", *extra, *_RIVALRY_TYPES]].reset_index(drop=True)
    x["year"] = years
    for c in ("ccode1", "ccode2"):
        x[c] = np.where((x[c] == 300) & (x["year"] >= 1919), 305, x[c])
    return x[x["year"] >= 1816].sort_values([idcol, "ccode1", "year"]).reset_index(drop=True)


def add_strategic_rivalries(panel: pd.DataFrame, data: Literal["tss", "td"] = "tss", src: DataSource | None = None) -> pd.DataFrame:
    """Strategic rivalries (Thompson, Sakuwa & Suhas 2021 by default; ``data="td"`` for Thompson & Dreyer 2012).

    Dyad-years: ``ongoingrivalry`` (0/1), the rivalry id (``tssr_id`` / ``rivalryno``; NA with no rivalry) and 0/1 type flags
    positional, spatial, ideological, interventionary. State-years: counts ``n_positional``, ``n_spatial``,
    ``n_ideological``, ``n_interventionary`` and ``n_rivalries`` of the state's ongoing rivalries.
    Coverage 1816-2020 (tss) / 1816-2010 (td): NA after (peacesciencer sets ``ongoingrivalry`` to 1 after 2020; we don't).
    """
    coverage = TSS_COVERAGE if data == "tss" else TD_COVERAGE
    ry = rivalry_years(data, src)
    idcol = "tssr_id" if data == "tss" else "rivalryno"
    kind = panel_kind(panel)
    step = f"add_strategic_rivalries({data})"
    if kind == "dyad":
        if ry.duplicated(["ccode1", "ccode2", "year"]).any():  # pragma: no cover - not the case in tss/td as published
            raise PactwatchError(f"{step}: two rivalries in one dyad-year in {data}_rivalries; cannot merge one row per dyad-year")
        cols = [idcol, *[c for c in ("rivalryname", "region") if c in ry.columns], *_RIVALRY_TYPES]
        _clash(panel, [*cols, "ongoingrivalry"], step)
        out = merge_dyad_vars(panel, ry, cols, step, directed_source=True)
        out["ongoingrivalry"] = out[idcol].notna().astype("float64")
        out, beyond = _coverage_fill(out, _RIVALRY_TYPES, coverage)
        out.loc[~out["year"].between(*coverage), "ongoingrivalry"] = np.nan
        return log_step(out, step, f"{data}_rivalries, coverage {coverage[0]}-{coverage[1]}; NA after",
                        rivalry_dyad_years=int((out["ongoingrivalry"] == 1).sum()), na_beyond_coverage=beyond)
    counts = (ry.rename(columns={"ccode1": "ccode"}).groupby(["ccode", "year"])
              .agg(n_rivalries=(idcol, "size"), **{f"n_{t}": (t, "sum") for t in _RIVALRY_TYPES}).reset_index())
    cols = ["n_rivalries", *[f"n_{t}" for t in _RIVALRY_TYPES]]
    _clash(panel, cols, step)
    out = merge_state_vars(panel, counts, cols, step)
    out, beyond = _coverage_fill(out, cols, coverage)
    return log_step(out, step, f"{data}_rivalries, coverage {coverage[0]}-{coverage[1]}; NA after",
                    state_years_in_rivalry=int((out["n_rivalries"] > 0).sum()), na_beyond_coverage=beyond)


def add_rivalries(panel: pd.DataFrame, data: Literal["tss", "td"] = "tss", src: DataSource | None = None) -> pd.DataFrame:
    """Same as :func:`add_strategic_rivalries`."""
    return add_strategic_rivalries(panel, data=data, src=src)


# ------------------------------------------------------------------------------------------------------------ spells
def spells(units: np.ndarray, years: np.ndarray, event: np.ndarray, ongo: bool = False) -> np.ndarray:
    """Spell counter of stevemisc's ``ps_spells()`` (used by peacesciencer's ``add_spells()``), vectorised.

    Per unit, rows in year order: the spell is the number of rows since the unit's first row or since the last row with an
    event, so the first row of a unit is 0, the row after an event is 0, and an event row carries the length of the run of
    peace before it. With ``ongo=True`` only the first row of a run of consecutive events counts as a failure; the later rows
    of the run get NA and the count restarts after the run. Rows are counted, not calendar years: a dyad that drops out of
    the system for some years (Germany 1946-1989) continues its count where it stopped, as in peacesciencer.

    Works for a unit with a single row (0; the ``ps_btscs()`` loop behind peacesciencer's ``add_peace_years()`` fails there).
    ``event`` must be 0/1 with no NA. Returns float spells aligned with the input rows.
    """
    n = len(event)
    if n == 0:
        return np.empty(0, dtype="float64")
    order = np.lexsort((years, units))
    u, e = units[order], event[order].astype(bool)
    first = np.ones(n, dtype=bool)
    first[1:] = u[1:] != u[:-1]
    last = np.ones(n, dtype=bool)
    last[:-1] = u[:-1] != u[1:]
    if ongo:
        prev = np.zeros(n, dtype=bool)
        prev[1:] = e[:-1]
        fail = e & (first | ~prev)
        cont = e & ~fail  # later rows of a run of events: no spell
    else:
        fail, cont = e, np.zeros(n, dtype=bool)
    end = last | fail
    start = np.ones(n, dtype=bool)
    start[1:] = end[:-1]
    gid = np.cumsum(start)
    counted = (~cont).astype(np.int64)
    c = np.cumsum(counted)
    # rows counted in the spell up to and including this row
    base = (c - counted)[start]  # count before each spell's first row
    within = c - base[gid - 1]
    sp = (within - 1).astype("float64")
    sp[cont] = np.nan
    res = np.empty(n, dtype="float64")
    res[order] = sp
    return res


def add_spells(panel: pd.DataFrame, conflict_event_type: Literal["ongoing", "onset"] = "ongoing", ongo: bool = False,
               src: DataSource | None = None) -> pd.DataFrame:
    """Peace spells for every conflict series on the panel, as peacesciencer's ``add_spells()``.

    Unit: the dyad (ccode1, ccode2 as ordered on the panel: on a directed panel a->b and b->a are separate units) or the state.
    Series handled: dyad-years ``gmlmid`` -> ``gmlmidspell``, ``cowmid`` -> ``cowmidspell``, ``cowinter`` ->
    ``cowinterspell``; state-years ``cowintra`` -> ``cowintraspell``, ``ucdp`` -> ``ucdpspell``, ``gmlmid`` -> ``gmlmidspell``.
    ``conflict_event_type="ongoing"`` (default) ends a spell at every year with a dispute under way, so a spell counts years
    since the last year of conflict; ``"onset"`` ends it only at new onsets. See :func:`spells` for the counter and ``ongo``.

    Counting starts at each unit's first row on the panel: on a panel that starts after 1816 (or for states that enter
    later) the first spells are left-censored, as in peacesciencer.

    Rows whose event is NA (beyond the source's coverage) get an NA spell and are left out of the count. An NA between two
    observed years of the same unit would make the count meaningless, so it is an error. (``src`` is accepted, and unused,
    so that every step has the same call signature.)
    """
    if conflict_event_type not in ("ongoing", "onset"):
        raise PactwatchError(f"add_spells: conflict_event_type must be 'ongoing' or 'onset', not {conflict_event_type!r}")
    kind = panel_kind(panel)
    table = DYAD_SPELL_EVENTS if kind == "dyad" else STATE_SPELL_EVENTS
    present = {k: v for k, v in table.items() if v[0] in panel.columns and v[1] in panel.columns}
    if not present:
        wanted = ", ".join(f"{v[0]}/{v[1]}" for v in table.values())
        raise PactwatchError(f"add_spells: no conflict series on this {kind}-year panel (looked for {wanted}); add one first, "
                             "e.g. add_gml_mids")
    out = panel.copy()
    out.attrs = dict(panel.attrs)
    if kind == "dyad":
        a, b = out["ccode1"].to_numpy(np.int64), out["ccode2"].to_numpy(np.int64)
        units = a * 100000 + b
    else:
        units = out["ccode"].to_numpy(np.int64)
    years = out["year"].to_numpy(np.int64)
    for name, (ongoing_col, onset_col, spell_col) in present.items():
        ev = out[ongoing_col if conflict_event_type == "ongoing" else onset_col].to_numpy(dtype="float64", na_value=np.nan)
        ok = ~np.isnan(ev)
        bad = set(np.unique(ev[ok])) - {0.0, 1.0}
        if bad:
            raise PactwatchError(f"add_spells: {ongoing_col if conflict_event_type == 'ongoing' else onset_col} must be 0/1, found {sorted(bad)[:5]}")
        if not ok.all():
            _check_na_only_at_edges(units, years, ok, spell_col)
        sp = np.full(len(out), np.nan)
        sp[ok] = spells(units[ok], years[ok], ev[ok], ongo=ongo)
        replaced = spell_col in out.columns
        out[spell_col] = sp
        gaps = _units_with_year_gaps(units[ok], years[ok])
        log_step(out, f"add_spells({name}, {conflict_event_type})",
                 ("replaced the existing column; " if replaced else "")
                 + "rows counted per unit; NA where the event is NA",
                 na_spell=int(np.isnan(sp).sum()), units_with_year_gaps=gaps)
    return out


def add_peace_years(panel: pd.DataFrame, src: DataSource | None = None) -> pd.DataFrame:
    """Peace years on ongoing conflict, as peacesciencer's superseded ``add_peace_years()`` (= ``add_spells()`` with its
    defaults); unlike it, a dyad observed for a single year with a dispute under way gets 0 instead of an error."""
    return add_spells(panel, conflict_event_type="ongoing", ongo=False)


def _check_na_only_at_edges(units, years, ok, spell_col):
    df = pd.DataFrame({"u": units, "y": years, "ok": ok}).sort_values(["u", "y"])
    g = df.groupby("u", sort=False)["ok"]
    # an NA row with an observed row both before and after it in the same unit
    before = g.cummax()
    after = df.iloc[::-1].groupby("u", sort=False)["ok"].cummax().iloc[::-1]
    inner = (~df["ok"]) & before & after
    if inner.any():
        r = df[inner].iloc[0]
        raise PactwatchError(f"add_spells ({spell_col}): the event is NA in year {int(r.y)} between observed years of the same "
                             "unit; spells across an unobserved year are undefined. Restrict the panel to the source's coverage.")


def _units_with_year_gaps(units, years) -> int:
    if len(units) == 0:
        return 0
    order = np.lexsort((years, units))
    u, y = units[order], years[order]
    gap = (u[1:] == u[:-1]) & (y[1:] - y[:-1] > 1)
    return int(len(np.unique(u[1:][gap])))


# ------------------------------------------------------------------------------------------- UCDP/PRIO state-years
UCDP_COVERAGE = (1946, 2022)
#: UCDP/PRIO types counted as a state being "at war" with another state: 2 = inter-state, 4 = internationalised
#: intra-state (a state's government against a rebel group with other states' troops on one side or both).
UCDP_WAR_TYPES = (2, 4)
#: Gleditsch–Ward -> COW codes where they differ for states in UCDP/PRIO 1946–2022 (every other code is identical):
#: GW 260 is the FRG and, from 1990, united Germany (COW 255 from 3 Oct 1990); GW 340 is Serbia from 2006 (COW keeps
#: 345); GW 678 is North Yemen and, from 1990, united Yemen (COW 679 from 22 May 1990). The same rule as
#: :data:`pactwatch.panels.alliances.GW_TO_COW` (Archigos). In the change-over year 1990 the new COW code is used.
UCDP_GW_TO_COW = (
    # (gwcode, first_year, last_year, ccode)
    (260, 1990, 9999, 255),
    (340, 0, 9999, 345),
    (678, 1990, 9999, 679),
)


def gw_to_cow(gw: pd.Series, year: pd.Series) -> pd.Series:
    """COW codes for Gleditsch–Ward codes in the given years (:data:`UCDP_GW_TO_COW`; identical codes elsewhere)."""
    out = gw.astype("int64").copy()
    for g, lo, hi, cc in UCDP_GW_TO_COW:
        out[(gw == g) & year.between(lo, hi)] = cc
    return out


def ucdp_state_years(src: DataSource | None = None, *, types: Iterable[int] = UCDP_WAR_TYPES) -> pd.DataFrame:
    """State-years in UCDP/PRIO armed conflicts of ``types`` (default inter-state and internationalised), COW codes.

    Participants are every state named on either side: ``gwno_a`` / ``gwno_b`` (the primary parties; ``gwno_b`` is
    empty for a rebel group) and ``gwno_a_2nd`` / ``gwno_b_2nd`` (states with troops on a side), each a comma-separated
    list of Gleditsch–Ward codes, mapped to COW with :func:`gw_to_cow`. Returns one row per (ccode, year) with
    ``ucdp_conflict`` = 1 (some conflict of these types that year, >= 25 battle deaths), ``ucdp_war_year`` (1 if one of
    them had >= 1,000 battle deaths that year: ``intensity_level`` 2), ``ucdp_war`` (1 if one of them has passed 1,000
    battle deaths since its episode began: ``cumulative_intensity`` 1), ``ucdp_interstate_war_year`` (1 if an
    inter-state conflict — type 2 — had >= 1,000 battle deaths that year: of the UCDP definitions, the one that best
    reproduces COW inter-state war status of ATOP alliance-years 1946–2007, Cohen's kappa 0.72; types 2 and 4 with
    every participant, any intensity, give 0.23, because internationalised civil wars list every state with troops)
    and ``ucdp_conflict_ids``. Years without a row are years with no such conflict
    (within :data:`UCDP_COVERAGE`)."""
    s = get_source(src)
    u = s.table("ucdp_acd")
    need = ["conflict_id", "year", "type_of_conflict", "intensity_level", "cumulative_intensity", "gwno_a", "gwno_b",
            "gwno_a_2nd", "gwno_b_2nd"]
    miss = [c for c in need if c not in u.columns]
    if miss:
        raise PactwatchError(f"ucdp_acd (UcdpPrioConflict_v23_1.csv): columns {miss} are missing")
    u = u[u["type_of_conflict"].isin(list(types))]
    rows = []
    for c in ("gwno_a", "gwno_b", "gwno_a_2nd", "gwno_b_2nd"):
        v = u[c].astype("string").str.replace(" ", "", regex=False)
        part = u.assign(_gw=v.str.split(",")).explode("_gw")
        part = part[part["_gw"].notna() & (part["_gw"] != "")]
        rows.append(part[["conflict_id", "year", "type_of_conflict", "intensity_level", "cumulative_intensity", "_gw"]])
    p = pd.concat(rows, ignore_index=True)
    bad = ~p["_gw"].str.fullmatch(r"\d+")
    if bad.any():
        raise PactwatchError(f"ucdp_acd: {int(bad.sum())} participant codes are not Gleditsch–Ward numbers "
                             f"(e.g. {p.loc[bad, '_gw'].iloc[0]!r})")
    p["year"] = p["year"].astype("int64")
    p["ccode"] = gw_to_cow(p["_gw"].astype("int64"), p["year"])
    p["_w"] = (p["cumulative_intensity"] == 1).astype("int64")
    p["_wy"] = (p["intensity_level"] == 2).astype("int64")
    p["_iw"] = ((p["intensity_level"] == 2) & (p["type_of_conflict"] == 2)).astype("int64")
    g = p.groupby(["ccode", "year"])
    out = pd.DataFrame({"ucdp_war": g["_w"].max(), "ucdp_war_year": g["_wy"].max(),
                        "ucdp_interstate_war_year": g["_iw"].max(),
                        "ucdp_conflict_ids": g["conflict_id"].agg(lambda v: ";".join(str(int(i)) for i in sorted(set(v))))})
    out["ucdp_conflict"] = 1
    return out.reset_index()


# ------------------------------------------------------------------------------------ Goertz–Diehl–Balas peace scale
PEACE_SCALE_COVERAGE = (1900, 2020)
PEACE_SCALE_FILE = "rivalry/peacedata3.1.csv"


def peace_scale_years(src: DataSource | None = None) -> pd.DataFrame:
    """Directed dyad-years (both orders) with the Goertz–Diehl–Balas peace scale 3.1 (``peace_min``: the lowest level
    the dyad was at on any day of the year; 0 severe rivalry, 0.25 lesser rivalry, 0.5 negative peace, 0.75 warm
    peace, 1 security community).

    The raw file has one row per dyad (``AAABBB``, smaller COW code first) and then pairs of ``YYYYMMDD-YYYYMMDD``
    periods and levels; ``9999`` as month-day marks left (1900) / right (2020) censoring and is read as 1 Jan / 31 Dec.
    Transitional periods (level −9) take the mean of the levels before and after them (the midpoint of the linear
    interpolation the authors use in their dyad-month files; a transition at a dyad's edge takes its one neighbour).
    The authors code West Germany as 255 throughout; it is mapped to COW 260 for 1955–1990 (COW's FRG)."""
    s = get_source(src)
    raw = s.table(PEACE_SCALE_FILE)
    recs = []
    for r in raw.itertuples(index=False):
        vals = [v for v in r]
        dyad = int(vals[0])
        a, b = divmod(dyad, 1000)
        periods = []
        for i in range(1, len(vals) - 1, 2):
            per, lev = vals[i], vals[i + 1]
            if per is None or (isinstance(per, float) and np.isnan(per)) or str(per).strip() in ("", "."):
                continue  # empty cells pad the rows; one row (255530) has a stray "." after its last period
            m = re.fullmatch(r"(\d{8})-(\d{8})", str(per).strip())
            if m is None:
                raise PactwatchError(f"{PEACE_SCALE_FILE}: dyad {dyad:06d}: period {per!r} is not YYYYMMDD-YYYYMMDD")
            lo, hi = m.group(1), m.group(2)
            periods.append((int(lo[:4]), int(hi[:4]), float(lev)))
        levels = [p[2] for p in periods]
        for k, (y0, y1, lev) in enumerate(periods):
            if lev == -9:
                nb = [levels[j] for j in (k - 1, k + 1) if 0 <= j < len(levels) and levels[j] != -9]
                if not nb:
                    raise PactwatchError(f"{PEACE_SCALE_FILE}: dyad {dyad:06d} has a transition with no coded neighbour")
                lev = float(np.mean(nb))
            for y in range(max(y0, PEACE_SCALE_COVERAGE[0]), min(y1, PEACE_SCALE_COVERAGE[1]) + 1):
                recs.append((a, b, y, lev))
    d = pd.DataFrame(recs, columns=["ccode1", "ccode2", "year", "peace"])
    for c in ("ccode1", "ccode2"):
        d[c] = np.where((d[c] == 255) & d["year"].between(1955, 1990), 260, d[c])
    d = d.groupby(["ccode1", "ccode2", "year"], as_index=False)["peace"].min().rename(columns={"peace": "peace_min"})
    both = pd.concat([d, d.rename(columns={"ccode1": "ccode2", "ccode2": "ccode1"})], ignore_index=True)
    return both.sort_values(["ccode1", "ccode2", "year"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------- MID opponents (GML 2.2.1)
def mid_opponent_years(src: DataSource | None = None) -> pd.DataFrame:
    """Directed state-opponent-years with a GML MID under way (``gml_mid_ddydisps``: ``gmlmidongoing`` = 1), both
    orders, 1816–2010 (:data:`GML_COVERAGE`): columns ccode, opponent, year."""
    raw = get_source(src).table("gml_mid_ddydisps")
    d = _int_keys(raw[["ccode1", "ccode2", "year", "gmlmidongoing"]], ["ccode1", "ccode2", "year"], "gml_mid_ddydisps")
    d = d[d["gmlmidongoing"] == 1]
    both = pd.concat([d[["ccode1", "ccode2", "year"]],
                      d[["ccode2", "ccode1", "year"]].rename(columns={"ccode2": "ccode1", "ccode1": "ccode2"})])
    return both.rename(columns={"ccode1": "ccode", "ccode2": "opponent"}).drop_duplicates().reset_index(drop=True)
