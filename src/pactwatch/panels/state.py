"""Member-year state: for given states (COW codes) and years, the member-level values the alliance-survival table uses.

The forecasts of a case defined directly (not in ATOP) need each member's state in the as-of year and the year before
(for the lagged covariates). They take it from here wherever the data reach, through the same functions the
survival table (:func:`pactwatch.panels.survival.survival_table`) is built with:

- :func:`pactwatch.panels.alliances.member_year_values`: capability (COW NMC) and its ratio to the entry year, Polity2
  and its change since entry, leader change (Archigos), COW inter-state war;
- :func:`pactwatch.panels.survival.extended_member_values`: UCDP/PRIO war (inter-state, >= 1,000 deaths) spliced on COW
  after 2007, extended UDS and its change since entry, irregular leader entry;
- the rivalry and MID relations (TSS strategic rivals, :func:`pactwatch.panels.survival.peace_rival_relations`,
  :func:`pactwatch.panels.survival.mid_window_relation`) as sets of third states per member-year: the survival table
  counts the third states two members share (``_shared_third``); :func:`pactwatch.scenarios.shocks.aggregate` counts
  them from these sets by the same rule;
- :func:`pactwatch.panels.alliances.new_outside_alliances`: ATOP alliances a member entered that year with an outsider;
- :func:`pactwatch.panels.survival.formation_war_end`: the end year of the war the members fought at formation.

Each value carries the last year its source covers (:data:`DATA_END`, :data:`DATA_SOURCE`); past it the value is NA
(``None`` for the sets) and the caller must take it from elsewhere (a case's hand values) and say so.
"""
from __future__ import annotations

import pandas as pd

from pactwatch.data.atop import LAST_YEAR as ATOP_LAST_YEAR
from pactwatch.data.source import DataSource
from pactwatch.panels import alliances as AL
from pactwatch.panels import conflict
from pactwatch.panels import survival as SV
from pactwatch.panels.base import get_source

#: Member-level value -> the dataset it comes from (the name a case's ``sources`` shows).
DATA_SOURCE = {
    "at_war": "COW inter-state war data 4.0",
    "at_war_cow_ucdp": "COW inter-state war 4.0 to 2007, UCDP/PRIO armed conflict v23.1 (inter-state, >= 1,000 deaths) 2008-2022",
    "cinc_ratio": "COW NMC 6.0 (CINC now / CINC at entry)",
    "polity2_change": "Polity5 p5v2018 (Polity2 now - Polity2 at entry)",
    "abs_euds_change": "extended UDS (Marquez 2016; regime/cw_democracy.csv) |now - at entry|",
    "leader_change": "Archigos 4.1",
    "irregular_entry": "Archigos 4.1 (entry Irregular / Foreign Imposition)",
    "new_outside_alliance": "ATOP 5.1 (another alliance entered this year with an outsider)",
    "tss_rivals": "Thompson-Sakuwa-Suhas strategic rivalries",
    "peace_rivals": "Goertz-Diehl-Balas peace scale 3.1 (severe or lesser rivalry)",
    "severe_rivals": "Goertz-Diehl-Balas peace scale 3.1 (severe rivalry)",
    "mid_opponents_10y": "GML MID 2.2.1 (MID opponents within ten years)",
    "formation_war_end": "COW inter-state war 4.0 / UCDP/PRIO v23.1 (end of the war fought at formation)",
}
#: Member-level value -> the last year its source covers (inclusive).
DATA_END = {
    "at_war": AL.COVERAGE["at_war"][1],
    "at_war_cow_ucdp": conflict.UCDP_COVERAGE[1],
    "cinc_ratio": AL.COVERAGE["cinc"][1],
    "polity2_change": AL.COVERAGE["polity2"][1],
    "abs_euds_change": 2025,
    "leader_change": AL.COVERAGE["leader_change"][1],
    "irregular_entry": AL.COVERAGE["leader_change"][1],
    "new_outside_alliance": ATOP_LAST_YEAR,
    "tss_rivals": conflict.TSS_COVERAGE[1],
    "peace_rivals": conflict.PEACE_SCALE_COVERAGE[1],
    "severe_rivals": conflict.PEACE_SCALE_COVERAGE[1],
    "mid_opponents_10y": conflict.GML_COVERAGE[1],
    "formation_war_end": conflict.UCDP_COVERAGE[1],
}
#: First year each value's source covers (before it the value is NA too).
DATA_START = {
    "at_war": AL.COVERAGE["at_war"][0], "at_war_cow_ucdp": AL.COVERAGE["at_war"][0], "cinc_ratio": AL.COVERAGE["cinc"][0],
    "polity2_change": AL.COVERAGE["polity2"][0], "abs_euds_change": 1816, "leader_change": AL.COVERAGE["leader_change"][0],
    "irregular_entry": AL.COVERAGE["leader_change"][0], "new_outside_alliance": 1815,
    "tss_rivals": conflict.TSS_COVERAGE[0], "peace_rivals": conflict.PEACE_SCALE_COVERAGE[0],
    "severe_rivals": conflict.PEACE_SCALE_COVERAGE[0], "mid_opponents_10y": conflict.GML_COVERAGE[0],
    "formation_war_end": AL.COVERAGE["at_war"][0],
}
#: The set-valued relations (third states per member-year).
SET_VALUES = ("tss_rivals", "peace_rivals", "severe_rivals", "mid_opponents_10y")
#: The key the direct cases use for "their" alliance in the panel functions (no ATOP alliance has it).
CASE_ATOPID = -1


def covered(value: str, year: int) -> bool:
    """True if ``value``'s source covers calendar year ``year``."""
    return DATA_START[value] <= year <= DATA_END[value]


def _sets(rel: pd.DataFrame, ccodes, years) -> dict:
    r = rel[rel["ccode1"].isin(ccodes) & rel["year"].isin(years)]
    return {(int(c), int(y)): frozenset(int(v) for v in g["ccode2"]) for (c, y), g in r.groupby(["ccode1", "year"])}


def member_state_years(ccodes, years, entry_year: int, src: DataSource | None = None) -> pd.DataFrame:
    """One row per (ccode, year) for the members ``ccodes`` of one alliance that entered in ``entry_year``, in each
    of ``years``: ``at_war``, ``at_war_cow_ucdp``, ``cinc_ratio``, ``polity2_change``, ``abs_euds_change``,
    ``euds_entry``, ``leader_change``, ``irregular_entry``, ``new_outside_alliance`` (float, NA outside the source's coverage) and
    the sets ``tss_rivals``, ``peace_rivals``, ``severe_rivals``, ``mid_opponents_10y`` (frozensets, ``None`` outside
    coverage), from the functions the survival table is built with (see the module docstring). Built once per data
    source and arguments (a case is resolved again for each reading of its uncertain codings); a copy is returned."""
    s = get_source(src)
    cc = [int(c) for c in ccodes]
    yrs = [int(y) for y in years]
    key = f"member_state_years:{cc}:{yrs}:{int(entry_year)}"
    return s.derived(key, lambda: _member_state_years(s, cc, yrs, int(entry_year))).copy()


def _member_state_years(s: DataSource, cc: list, yrs: list, entry_year: int) -> pd.DataFrame:
    keys = pd.DataFrame([(CASE_ATOPID, c, y, int(entry_year)) for c in cc for y in yrs],
                        columns=["atopid", "ccode", "year", "entry_year"])
    m = AL.member_year_values(s, keys)
    m = SV.extended_member_values(s, m)
    # new outside alliances: ATOP alliances each member entered that year with a partner who is not a member here
    _, _, _, sp = AL._build(s)
    partners = AL._spell_years(sp, ATOP_LAST_YEAR)[["atopid", "ccode", "year"]].drop_duplicates()
    noa = AL.new_outside_alliances(keys[["atopid", "ccode", "year"]], sp, partners)
    m = m.merge(noa, on=["atopid", "ccode", "year"], how="left")
    m["new_outside_alliance"] = (m["n_new_outside_alliances"].fillna(0) > 0).astype(float)
    m.loc[~m["year"].between(DATA_START["new_outside_alliance"], DATA_END["new_outside_alliance"]), "new_outside_alliance"] = float("nan")
    # relations: sets of third states
    tss = conflict.rivalry_years("tss", s)[["ccode1", "ccode2", "year"]].drop_duplicates()
    riv, sev = SV.peace_rival_relations(s)
    mids = SV.mid_window_relation(s)
    rel = {"tss_rivals": tss, "peace_rivals": riv, "severe_rivals": sev, "mid_opponents_10y": mids}
    for name, r in rel.items():
        d = _sets(r, cc, yrs)
        m[name] = [d.get((int(c), int(y)), frozenset()) if covered(name, int(y)) else None
                   for c, y in zip(m["ccode"], m["year"])]
    out = m[["ccode", "year", "entry_year", "at_war", "at_war_cow_ucdp", "cinc_ratio", "polity2_change",
             "abs_euds_change", "euds_entry", "leader_change", "irregular_entry", "new_outside_alliance", *SET_VALUES]].copy()
    for c in ("at_war", "at_war_cow_ucdp", "cinc_ratio", "polity2_change", "abs_euds_change", "euds_entry", "leader_change",
              "irregular_entry", "new_outside_alliance"):
        out[c] = out[c].astype("Float64").astype(float)
    return out.reset_index(drop=True)


def formation_war_end(ccodes, begyr: int, wartime: bool, src: DataSource | None = None) -> dict:
    """The end of the war the members ``ccodes`` fought in the formation year ``begyr`` of an alliance formed in
    wartime, by the survival table's rule (:func:`pactwatch.panels.survival._formation_war_end`): ``{"end_year":
    int | None, "source": "cow" | "ucdp" | "none"}``; ``end_year`` None with source "ucdp" = still under way in the
    last year UCDP covers; source "none" = no war of a member found (the table codes war_ended_0_2 = 0 then; for a
    formation year past the war data's end it means the data cannot say)."""
    if not wartime:
        return {"end_year": None, "source": "not wartime"}
    s = get_source(src)
    key = f"formation_war_end:{sorted(int(c) for c in ccodes)}:{int(begyr)}"
    return dict(s.derived(key, lambda: _formation_war_end(s, ccodes, begyr)))


def _formation_war_end(s: DataSource, ccodes, begyr: int) -> dict:
    a = pd.DataFrame({"atopid": [CASE_ATOPID], "begyr": [int(begyr)], "wartime": [1.0]})
    my = pd.DataFrame([(CASE_ATOPID, int(c), int(begyr), int(begyr)) for c in ccodes],
                      columns=["atopid", "ccode", "year", "entry_year"])
    fe = SV._formation_war_end(s, a, my, conflict.ucdp_state_years(s))
    r = fe.iloc[0]
    end = r["war_end_year"]
    return {"end_year": None if pd.isna(end) else int(end), "source": str(r["war_source"])}


__all__ = ["member_state_years", "formation_war_end", "covered", "DATA_SOURCE", "DATA_END", "DATA_START", "SET_VALUES",
           "CASE_ATOPID"]
