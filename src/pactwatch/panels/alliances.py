"""ATOP 5.1 alliance panels for duration (survival) models.

Three units of analysis:

- :func:`alliances` — **one row per ATOP 5.1 alliance** (789), with begin/end dates, duration to the end or to the
  censoring date 31 Dec 2018, the event indicator, termination codes with the codebook's labels, obligations, design
  fields, issue linkage and membership counts. :func:`alliance_quirks` lists the places where ATOP's own codes disagree
  with each other (see "Quirks" below) — they are reported, never silently "fixed".
- :func:`alliance_member_years` — **one row per (atopid, ccode, year)** in which the state was a member of the alliance on
  at least one day (member file ``atop5_1m``: ``yrent``..``yrexit``, or to ``end`` when the member is still in), with
  time-varying covariates (capabilities, major-power status, regime, leader change, war, shared rivals, outside
  alliances) and the member's exit event in its last year.
- :func:`alliance_years` — **one row per (atopid, year)** with at least one member, aggregated from the member-years,
  with the alliance's termination event in its end year.

Dates and the missing-day rule
------------------------------
ATOP never lacks a year or month for a begin/entry date, and codes end/exit dates 0/0/0 when the alliance (member) is still
in effect on 31 Dec 2018 (``ineffect`` = 1). A missing *day* (``begday``/``endday``/``dayent``/``dayexit`` blank: 1 begin,
13 end dates at alliance level) is set to the **15th of the month** (the middle of the month: no systematic bias towards
longer or shorter durations) and flagged in ``begday_imputed``/``endday_imputed``. If the imputed end fell before the
begin date it would be set to the begin date and reported (does not happen in 5.1). A missing month on an ended record
would be set to 1 July and reported (does not happen in 5.1).

Censoring
---------
``event`` = 1 if the alliance ended on or before 31 Dec 2018 (``ineffect`` = 0), 0 otherwise; ``duration_years`` = days
from begin to end (or to ``censor_date`` = 2018-12-31) / 365.25. ATOP itself codes ``term`` = 0 both for alliances in
effect *and* for alliances that ended because a member lost independence for reasons unrelated to the alliance (49 ended
alliances in 5.1): ATOP treats those as censored. ``event_atop`` follows ATOP's rule (1 = ended with ``term`` 1–3), so
a model can use either definition; the difference is one column.

Quirks (detected and reported by :func:`alliance_quirks`; also counted in ``attrs["pactwatch_log"]``)
-----------------------------------------------------------------------------------------------------------
- ``bilat_max_over_phases`` — alliance-level fields are the maximum over phases ("any obligation or provision that ever
  existed", codebook 2.4). So an alliance that was multilateral at formation but whose later phase has two members is
  coded ``bilat`` = 1: SEATO (the Manila Pact, atopid 3260, 8 members in 1954; its last phase is US–Thailand) is the
  example. ``bilat_at_formation`` is recomputed from the member file (members whose entry date is the alliance's begin
  date) and ``max_concurrent_members`` from the members' spells.
- ``bilat_succession_documented`` — the Czechoslovak succession alliances (3610, 3625, 4070, 4075, 4100, 4185, 4195):
  one bilateral alliance turned into two simultaneous bilateral phases; the codebook (footnote 10) says ``bilat`` = 1 on
  purpose. Reported as documented, not as a contradiction.
- ``bilat_succession_undocumented`` — the same pattern (every phase bilateral, simultaneous successor phases after
  1 Jan 1993) for alliances the footnote does not list (3424 Czechoslovakia–Cambodia, 3433 Czechoslovakia–Indonesia).
- ``bilat_phase_mismatch`` — a phase's ``bilat`` disagrees with the number of members concurrently in that phase.
- ``term_coded_but_in_effect`` — ``term`` ≠ 0 while ``ineffect`` = 1 (3433: the Slovakia–Indonesia phase ended in 2008
  by renegotiation while the simultaneous Czech Republic–Indonesia phase continues; the alliance-level ``term`` took the
  ended phase's code). Duration and ``event`` follow ``ineffect``/the dates, not ``term``.
- ``ended_term0`` — ended (``ineffect`` = 0) but ``term`` = 0: ATOP's "censored by loss of independence" rule. Informational.
- ``end_before_begin`` — the end date precedes the begin date.
- ``member_exit_after_end`` / ``member_entry_before_begin`` — a member's exit (entry) date lies after the alliance's end
  (before its begin) date.
- ``ineffect_mismatch`` — the alliance is in effect but no member is, or a member is in effect but the alliance ended.
- ``end_not_last_exit`` — the alliance end date is not the last member's exit date.
- ``member_gap`` — all members were out for a while and the alliance later resumed (e.g. the German Confederation
  1848–1850); the alliance-year panel has no rows for the gap years.
- ``overlapping_member_records`` — a member's phase records overlap in time (simultaneous succession phases).
- ``day_missing`` — a begin or end day was imputed (15th of the month). Informational.
- ``termcaus_missing`` — a member exit without a termination cause (ATOP could not determine it). Informational.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import DataError, PactwatchError
from pactwatch.panels.base import get_source, log_step
from pactwatch.data.atop import (CENSOR_DATE, OBLIGATIONS, TERM_LABELS, TERMCAUS_LABELS,  # noqa: F401 - re-exported
                                  TERMMODE_LABELS)
from pactwatch.data.atop import FIRST_YEAR as ATOP_FIRST_YEAR
from pactwatch.data.atop import LAST_YEAR as ATOP_LAST_YEAR

IMPUTED_DAY = 15

#: Codebook footnote 10: Czechoslovak succession turns one bilateral alliance into two simultaneous bilateral phases.
SUCCESSION_BILAT_DOCUMENTED = frozenset({3610, 3625, 4070, 4075, 4100, 4185, 4195})

DESIGN = ["speclgth", "length", "renounce", "proren", "renewlgt"]
#: Economic issue linkage in ATOP: ECAID (economic aid / postwar recovery / trade concessions incl. MFN), COMPAG = 2
#: (a companion economic or financial agreement), AGPROIS = 2 (commitment to negotiate economic agreements);
#: NOMICOOP (any non-military cooperation) is kept as is for broader definitions.
ECON = ["ecaid", "compag", "agprois", "nomicoop"]

ALLIANCE_COLUMNS = ["atopid", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect", "bilat", "maxphase",
                    "wartime", "term", "asymm", *OBLIGATIONS, *DESIGN, *ECON]
MEMBER_COLUMNS = ["atopid", "member", "phase", "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit", "ineffect",
                  "termmode", "termcaus"]
PHASE_COLUMNS = ["atopid", "phase", "bilat", "begyr", "begmo", "begday", "endyr", "endmo", "endday", "ineffect"]


# --------------------------------------------------------------------------------------------------------------------
# reading and dates
# --------------------------------------------------------------------------------------------------------------------

def _need(df: pd.DataFrame, cols: list[str], table: str) -> pd.DataFrame:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise DataError(f"{table}: columns {missing} are missing; expected the ATOP 5.1 layout")
    return df[cols].copy()


def _dates(y: pd.Series, m: pd.Series, d: pd.Series, *, ended: pd.Series | None = None, what: str) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Build dates from ATOP year/month/day codes. Returns (date, day_imputed, month_imputed).

    ``ended`` marks rows that have a date at all (for end/exit dates: ineffect == 0); other rows get NaT.
    Missing day -> 15th; missing/0 month on a dated row -> 1 July (both flagged).
    """
    y = pd.to_numeric(y, errors="coerce")
    m = pd.to_numeric(m, errors="coerce")
    d = pd.to_numeric(d, errors="coerce")
    has = ended if ended is not None else pd.Series(True, index=y.index)
    if (has & (y.isna() | (y <= 0))).any():
        raise DataError(f"ATOP {what}: {int((has & (y.isna() | (y <= 0))).sum())} dated records have no year")
    mo_imp = has & (m.isna() | (m <= 0))
    day_imp = has & ~mo_imp & (d.isna() | (d <= 0))
    mm = m.where(~mo_imp, 7)
    dd = d.where(~(day_imp | mo_imp), IMPUTED_DAY).where(~mo_imp, 1)
    frame = pd.DataFrame({"year": y.where(has), "month": mm.where(has), "day": dd.where(has)})
    try:
        out = pd.to_datetime(frame, errors="raise")
    except (ValueError, OverflowError) as exc:
        raise DataError(f"ATOP {what}: an impossible calendar date ({exc})") from None
    return out, day_imp, mo_imp


def _read(src: DataSource | None):
    s = get_source(src)
    a = _need(s.table("atop_alliance"), ALLIANCE_COLUMNS, "atop_alliance (atop5_1a)")
    m = _need(s.table("atop_member"), MEMBER_COLUMNS, "atop_member (atop5_1m)")
    p = _need(s.table("atop_phase"), PHASE_COLUMNS, "atop_phase (atop5_1aph)")
    for df, name in ((a, "atop_alliance"), (m, "atop_member"), (p, "atop_phase")):
        if df["atopid"].isna().any():
            raise DataError(f"{name}: {int(df['atopid'].isna().sum())} rows without an atopid")
        df["atopid"] = df["atopid"].astype("int64")
    if a["atopid"].duplicated().any():
        raise DataError(f"atop_alliance: duplicated atopid {a.loc[a['atopid'].duplicated(), 'atopid'].head(3).tolist()}")
    m["member"] = m["member"].astype("int64")
    return a, m, p


def _member_records(m: pd.DataFrame) -> pd.DataFrame:
    m = m.copy()
    ended = m["ineffect"] == 0
    m["entry"], m["dayent_imputed"], _ = _dates(m["yrent"], m["moent"], m["dayent"], what="member entry date")
    m["exit"], m["dayexit_imputed"], _ = _dates(m["yrexit"], m["moexit"], m["dayexit"], ended=ended, what="member exit date")
    _check_exit_after_entry(m)
    return m


def _check_exit_after_entry(m: pd.DataFrame) -> None:
    """A member record that ends before it starts is an error in the file, never a negative spell."""
    bad = m[m["exit"].notna() & (m["exit"] < m["entry"])]
    if len(bad):
        rows = "; ".join(f"atopid {int(r.atopid)} member {int(r.member)} phase {int(r.phase)}: entry "
                         f"{r.entry.date()} (yrent {int(r.yrent)}), exit {r.exit.date()} (yrexit {int(r.yrexit)})"
                         for r in bad.head(5).itertuples(index=False))
        raise DataError(f"atop_member (atop/atop5_1m.csv): {len(bad)} member record(s) exit before they enter: {rows}"
                        f"{' …' if len(bad) > 5 else ''}. The file is not the published ATOP 5.1; re-fetch it with "
                        "`pactwatch data fetch --force --dataset atop-5.1`.")


def member_spells(src: DataSource | None = None, *, _m: pd.DataFrame | None = None) -> pd.DataFrame:
    """Membership spells: one row per continuous stay of a state in an alliance, merging its phase records.

    Phase records of the same member that touch (next entry ≤ previous exit + 1 day) or overlap (simultaneous succession
    phases) form one spell; a gap of more than a day starts a new spell. Columns: atopid, ccode, spell, entry, exit (NaT if
    in effect on 31 Dec 2018), entry_year, exit_year (NA if in effect), ineffect, termmode/termcaus of the record that
    ends the spell (0 while in effect), n_records, overlapping (records overlapped in time).
    """
    if _m is None:
        _, m, _ = _read(src)
        _m = _member_records(m)
    m = _m.sort_values(["atopid", "member", "entry", "phase"]).reset_index(drop=True)
    far = pd.Timestamp("2262-01-01")
    rows = []
    for (aid, cc), g in m.groupby(["atopid", "member"], sort=True):
        spell, cur_end, start, recs, overlap = 0, None, None, [], False
        for r in g.itertuples(index=False):
            ex = r.exit if pd.notna(r.exit) else far
            if cur_end is not None and r.entry <= cur_end + pd.Timedelta(days=1):
                if r.entry < cur_end:  # entering on the previous record's exit day is a hand-over, not an overlap
                    overlap = True
                recs.append(r)
                cur_end = max(cur_end, ex)
                continue
            if cur_end is not None:
                rows.append(_close_spell(aid, cc, spell, start, cur_end, recs, overlap, far))
                spell += 1
            start, cur_end, recs, overlap = r.entry, ex, [r], False
        rows.append(_close_spell(aid, cc, spell, start, cur_end, recs, overlap, far))
    out = pd.DataFrame(rows)
    out["entry_year"] = out["entry"].dt.year.astype("int64")
    out["exit_year"] = out["exit"].dt.year.astype("Int64")
    return out


def _close_spell(aid, cc, spell, start, end, recs, overlap, far):
    ineffect = end == far
    last = [r for r in recs if (r.exit if pd.notna(r.exit) else far) == end]
    tm = Counter(int(r.termmode) for r in last).most_common(1)[0][0] if not ineffect else 0
    tcs = [r.termcaus for r in last if pd.notna(r.termcaus)]
    tc = (Counter(int(x) for x in tcs).most_common(1)[0][0] if tcs else pd.NA) if not ineffect else 0
    return {"atopid": aid, "ccode": cc, "spell": spell, "entry": start, "exit": pd.NaT if ineffect else end,
            "ineffect": int(ineffect), "termmode": tm, "termcaus": tc, "n_records": len(recs), "overlapping": bool(overlap)}


def _max_concurrent(spells: pd.DataFrame, key: str | list[str] = "atopid") -> pd.Series:
    """Maximum number of members in the alliance on the same day (a sweep over spell entry/exit dates), per ``key``.
    A member counts on [entry, exit): a successor entering on its predecessor's exit day (West Germany -> Germany on
    3 Oct 1990) is a hand-over, not a third member. Members still in effect count to the end."""
    far = pd.Timestamp("2262-01-01")
    key = [key] if isinstance(key, str) else list(key)
    ins = spells[key].assign(t=spells["entry"].to_numpy(), d=1)
    outs = spells[key].assign(t=spells["exit"].fillna(far).to_numpy(), d=-1)
    ev = pd.concat([ins, outs], ignore_index=True).sort_values([*key, "t", "d"])  # exits before entries on the same day
    ev["n"] = ev.groupby(key)["d"].cumsum()
    return ev.groupby(key)["n"].max()


def _labels(codes: pd.Series, labels: dict) -> pd.Series:
    return codes.map(lambda v: labels.get(int(v)) if pd.notna(v) else pd.NA).astype("string")


def _modal(vals: list[int]):
    if not vals:
        return pd.NA
    c = Counter(vals).most_common()
    top = c[0][1]
    return min(v for v, n in c if n == top)  # ties: the smallest code (stated in the docstring)


# --------------------------------------------------------------------------------------------------------------------
# alliance level
# --------------------------------------------------------------------------------------------------------------------

def _build(src: DataSource | None):
    """The ATOP alliance, member-record, phase and member-spell frames, built once per data source
    (:meth:`DataSource.derived`); copies, so callers may change them."""
    s = get_source(src)
    return tuple(x.copy() for x in s.derived("atop_alliances_members_phases_spells", lambda: _build_fresh(s)))


def _build_fresh(src: DataSource):
    a, m, p = _read(src)
    a = a.copy()
    ended = a["ineffect"] == 0
    a["begin"], a["begday_imputed"], _ = _dates(a["begyr"], a["begmo"], a["begday"], what="alliance begin date")
    a["end"], a["endday_imputed"], a["endmo_imputed"] = _dates(a["endyr"], a["endmo"], a["endday"], ended=ended, what="alliance end date")
    mr = _member_records(m)
    sp = member_spells(_m=mr)
    return a, mr, p, sp


def alliances(src: DataSource | None = None) -> pd.DataFrame:
    return _alliances_and_quirks(src)[0]


alliances.__doc__ = """One row per ATOP 5.1 alliance (789 rows), ready for a duration model.

    Columns
    - ``atopid``; ``begin``/``end`` (datetime; ``end`` NaT while in effect); ``begyr``; ``endyr`` (NA while in effect);
      ``begday_imputed``/``endday_imputed`` (the day was missing and set to the 15th).
    - ``ineffect`` (ATOP), ``event`` (1 = ended on or before 31 Dec 2018), ``event_atop`` (1 = ended with ``term`` 1–3:
      ATOP's own rule, which censors endings caused by a loss of independence unrelated to the alliance),
      ``censor_date`` (2018-12-31 for every row), ``duration_days``, ``duration_years`` (= days / 365.25, from begin to
      end, or to the censoring date while in effect).
    - ``term`` + ``term_label`` (how the final phase ended). Member-level termination, summarised over the spells that
      end on the alliance's end date (the members still in when it ended): ``termmode_final``/``termcaus_final`` (modal
      code; ties go to the smallest code) with labels, and ``termmode_members``/``termcaus_members`` ("ccode:code;…" for
      those members). All NA while the alliance is in effect.
    - obligations ``defense offense neutral nonagg consul`` (1 if any member, any phase, ever promised it — ATOP's
      alliance-level rule); ``asymm``; ``wartime``.
    - design ``speclgth length renounce proren renewlgt`` (ATOP: NA when the text was not found).
    - issue linkage ``ecaid compag agprois nomicoop`` as published and ``econ_linkage`` = 1 if ``ecaid`` > 0 or
      ``compag`` = 2 or ``agprois`` = 2, 0 if all three are known and none holds, else NA.
    - membership: ``n_members_ever`` (distinct states), ``n_members_formation`` (members whose entry date equals the
      begin date), ``max_concurrent_members`` (from the members' spells), ``bilat`` (ATOP, maximum over phases),
      ``bilat_at_formation`` (``n_members_formation`` ≤ 2), ``bilat_phase1`` (``bilat`` of the first phase in the
      phase file); ``maxphase`` (ATOP: 0 = one phase), ``n_phases`` (rows in the phase file).

    ``attrs["pactwatch_log"]`` records the counts of every quirk (see :func:`alliance_quirks`).
    """


def _alliances_and_quirks(src: DataSource | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    a, mr, p, sp = _build(src)
    out = a[["atopid", "begin", "end", "begyr"]].copy()
    out["endyr"] = a["endyr"].where(a["ineffect"] == 0).astype("Int64")
    out["begday_imputed"] = a["begday_imputed"].astype(bool)
    out["endday_imputed"] = a["endday_imputed"].astype(bool)
    out["ineffect"] = a["ineffect"].astype("int64")
    out["event"] = (a["ineffect"] == 0).astype("int64")
    out["event_atop"] = ((a["ineffect"] == 0) & (a["term"] != 0)).astype("int64")
    out["censor_date"] = CENSOR_DATE
    stop = out["end"].fillna(CENSOR_DATE)
    bad = stop < out["begin"]
    out["duration_days"] = (stop.where(~bad, out["begin"]) - out["begin"]).dt.days.astype("int64")
    out["duration_years"] = out["duration_days"] / 365.25
    out["term"] = a["term"].astype("Int64")
    out["term_label"] = _labels(out["term"], TERM_LABELS)

    # member-level termination at the end of the alliance
    ends = sp.merge(a[["atopid", "end"]], on="atopid")
    fin = ends[ends["exit"].notna() & (ends["exit"] == ends["end"])]
    agg = fin.groupby("atopid").apply(lambda g: pd.Series({
        "termmode_final": _modal([int(v) for v in g["termmode"]]),
        "termcaus_final": _modal([int(v) for v in g["termcaus"] if pd.notna(v)]),
        "termmode_members": ";".join(f"{c}:{int(v)}" for c, v in zip(g["ccode"], g["termmode"])),
        "termcaus_members": ";".join(f"{c}:{int(v) if pd.notna(v) else 'NA'}" for c, v in zip(g["ccode"], g["termcaus"])),
    }), include_groups=False)
    out = out.merge(agg, left_on="atopid", right_index=True, how="left")
    for c in ("termmode_final", "termcaus_final"):
        out[c] = out[c].astype("Int64")
    out["termmode_final_label"] = _labels(out["termmode_final"], TERMMODE_LABELS)
    out["termcaus_final_label"] = _labels(out["termcaus_final"], TERMCAUS_LABELS)

    for c in [*OBLIGATIONS, "asymm", "wartime"]:
        out[c] = a[c].astype("Int64")
    for c in [*DESIGN, *ECON]:
        out[c] = pd.to_numeric(a[c], errors="coerce").astype("Int64")
    pos = (out["ecaid"] > 0) | (out["compag"] == 2) | (out["agprois"] == 2)
    known = out[["ecaid", "compag", "agprois"]].notna().all(axis=1)
    out["econ_linkage"] = pd.Series(np.where(pos.fillna(False), 1, np.where(known, 0, -1)), index=out.index)
    out["econ_linkage"] = out["econ_linkage"].astype("Int64").mask(out["econ_linkage"] == -1)

    out["n_members_ever"] = out["atopid"].map(sp.groupby("atopid")["ccode"].nunique()).astype("Int64")
    form = mr.merge(a[["atopid", "begin"]], on="atopid")
    form = form[form["entry"] == form["begin"]]
    out["n_members_formation"] = out["atopid"].map(form.groupby("atopid")["member"].nunique()).astype("Int64")
    out["max_concurrent_members"] = out["atopid"].map(_max_concurrent(sp)).astype("Int64")
    out["bilat"] = a["bilat"].astype("Int64")
    out["bilat_at_formation"] = (out["n_members_formation"] <= 2).astype("Int64").mask(out["n_members_formation"].isna())
    first_phase = p.sort_values(["atopid", "phase"]).drop_duplicates("atopid")
    out["bilat_phase1"] = out["atopid"].map(first_phase.set_index("atopid")["bilat"]).astype("Int64")
    out["maxphase"] = a["maxphase"].astype("Int64")
    out["n_phases"] = out["atopid"].map(p.groupby("atopid").size()).astype("Int64")
    out = out.reset_index(drop=True)

    q = _quirks(a, mr, p, sp, out)
    out.attrs = {}
    log_step(out, "alliances", f"ATOP 5.1 alliance level; censoring {CENSOR_DATE.date()}; missing day -> 15th of the month",
             alliances=len(out), ended=int(out["event"].sum()), censored=int((out["event"] == 0).sum()),
             ended_but_atop_censored=int(((out["event"] == 1) & (out["event_atop"] == 0)).sum()),
             days_imputed=int(out["begday_imputed"].sum() + out["endday_imputed"].sum()),
             end_clipped_to_begin=int(bad.sum()))
    for code, n in q.groupby("quirk")["atopid"].nunique().items():
        log_step(out, f"quirk:{code}", _QUIRK_NOTES.get(code, ""), alliances=n)
    return out, q


_QUIRK_NOTES = {
    "bilat_max_over_phases": "bilat=1 (maximum over phases) but more than two members at formation or at some time",
    "bilat_succession_documented": "Czechoslovak succession: bilat=1 on purpose (codebook footnote 10)",
    "bilat_succession_undocumented": "every phase bilateral, simultaneous successor phases; not listed in footnote 10",
    "bilat_phase_mismatch": "phase-level bilat disagrees with the members concurrently in that phase",
    "term_coded_but_in_effect": "term != 0 while ineffect == 1",
    "ended_term0": "ended but term == 0 (ATOP censors loss-of-independence endings)",
    "end_before_begin": "end date precedes begin date",
    "member_exit_after_end": "a member exits after the alliance end date",
    "member_entry_before_begin": "a member enters before the alliance begin date",
    "ineffect_mismatch": "alliance and member ineffect codes disagree",
    "end_not_last_exit": "alliance end date differs from the last member exit date",
    "member_gap": "all members were out for a time; the alliance resumed later",
    "overlapping_member_records": "a member's phase records overlap in time",
    "day_missing": "begin or end day missing; set to the 15th",
    "termcaus_missing": "a member exit with no termination cause",
}


def _quirks(a, mr, p, sp, out) -> pd.DataFrame:
    rows: list[dict] = []

    def add(aid, code, detail):
        rows.append({"atopid": int(aid), "quirk": code, "detail": detail})

    o = out.set_index("atopid")
    conc = _max_concurrent(mr, ["atopid", "phase"]).rename("n_at_once")
    phase_max = conc.groupby(level="atopid").max()
    for aid, r in o.iterrows():
        multi = (r["n_members_formation"] > 2) or (r["max_concurrent_members"] > 2)
        if r["bilat"] == 1 and multi:
            detail = (f"bilat=1 but {r['n_members_formation']} members at formation, up to {r['max_concurrent_members']} "
                      f"at once, {r['n_members_ever']} ever; maxphase={r['maxphase']}; largest phase {phase_max.get(aid)} at once")
            if phase_max.get(aid, 3) <= 2:  # every phase bilateral: simultaneous successor phases
                code = "bilat_succession_documented" if aid in SUCCESSION_BILAT_DOCUMENTED else "bilat_succession_undocumented"
            else:
                code = "bilat_max_over_phases"
            add(aid, code, detail)
        if r["term"] != 0 and r["ineffect"] == 1:
            add(aid, "term_coded_but_in_effect", f"term={r['term']} ({r['term_label']}) but ineffect=1")
        if r["term"] == 0 and r["ineffect"] == 0:
            add(aid, "ended_term0", f"ended {r['end'].date()} with term=0; member termmode(s) {r['termmode_members']}")
        if pd.notna(r["end"]) and r["end"] < r["begin"]:
            add(aid, "end_before_begin", f"begin {r['begin'].date()}, end {r['end'].date()}")
        if r["begday_imputed"] or r["endday_imputed"]:
            add(aid, "day_missing", ("begin " if r["begday_imputed"] else "") + ("end" if r["endday_imputed"] else ""))

    # phase-level bilat vs concurrent members of the phase
    ever = mr.groupby(["atopid", "phase"])["member"].nunique().rename("n_ever")
    ph = pd.concat([conc, ever], axis=1).reset_index().merge(p[["atopid", "phase", "bilat"]], on=["atopid", "phase"], how="outer", indicator="in_file")
    for r in ph.itertuples(index=False):
        if r.in_file != "both":
            add(r.atopid, "bilat_phase_mismatch", f"phase {r.phase} is only in the {'member' if r.in_file == 'left_only' else 'phase'} file")
        elif (r.bilat == 1 and r.n_at_once > 2) or (r.bilat == 0 and r.n_ever <= 2):
            add(r.atopid, "bilat_phase_mismatch", f"phase {r.phase}: bilat={r.bilat}, {r.n_at_once} members at once, {r.n_ever} ever")

    ends = sp.merge(a[["atopid", "begin", "end", "ineffect"]].rename(columns={"ineffect": "a_ineffect"}), on="atopid")
    late = ends[ends["end"].notna() & ends["exit"].notna() & (ends["exit"] > ends["end"])]
    for aid, g in late.groupby("atopid"):
        add(aid, "member_exit_after_end", "; ".join(f"{c} exits {e.date()} > end {d.date()}" for c, e, d in zip(g["ccode"], g["exit"], g["end"])))
    still = ends[ends["end"].notna() & (ends["ineffect"] == 1)]
    for aid, g in still.groupby("atopid"):
        add(aid, "ineffect_mismatch", f"alliance ended {g['end'].iloc[0].date()} but member(s) {g['ccode'].tolist()} in effect")
    early = ends[ends["entry"] < ends["begin"]]
    for aid, g in early.groupby("atopid"):
        add(aid, "member_entry_before_begin", "; ".join(f"{c} enters {e.date()} < begin {b.date()}" for c, e, b in zip(g["ccode"], g["entry"], g["begin"])))
    anyin = ends.groupby("atopid")["ineffect"].max()
    for aid in a.loc[(a["ineffect"] == 1) & (a["atopid"].map(anyin) == 0), "atopid"]:
        add(aid, "ineffect_mismatch", "alliance in effect but no member is")
    last = ends[ends["exit"].notna()].groupby("atopid")["exit"].max()
    for aid, r in a[a["end"].notna()].set_index("atopid").iterrows():
        if aid in last.index and last[aid] != r["end"] and anyin.get(aid, 0) == 0:
            add(aid, "end_not_last_exit", f"end {r['end'].date()}, last member exit {last[aid].date()}")
    # gaps: a day on which fewer than two members... we flag days with no member between begin and end
    for aid, g in sp.groupby("atopid"):
        g = g.sort_values("entry")
        reach = g["exit"].fillna(pd.Timestamp("2262-01-01")).cummax().shift()
        gap = g["entry"] > reach + pd.Timedelta(days=1)
        if gap.any():
            add(aid, "member_gap", "; ".join(f"no member from {(rr + pd.Timedelta(days=1)).date()} to {(e - pd.Timedelta(days=1)).date()}"
                                             for rr, e in zip(reach[gap], g["entry"][gap])))
    for aid, g in sp[sp["overlapping"]].groupby("atopid"):
        add(aid, "overlapping_member_records", f"members {sorted(g['ccode'].tolist())} have overlapping phase records")
    miss = sp[(sp["ineffect"] == 0) & sp["termcaus"].isna()]
    for aid, g in miss.groupby("atopid"):
        add(aid, "termcaus_missing", f"members {g['ccode'].tolist()} exit without termcaus")
    q = pd.DataFrame(rows, columns=["atopid", "quirk", "detail"])
    sev = {"bilat_succession_undocumented": "info", "ended_term0": "info", "day_missing": "info", "termcaus_missing": "info", "bilat_succession_documented": "documented",
           "overlapping_member_records": "documented", "member_gap": "info"}
    q["severity"] = q["quirk"].map(sev).fillna("contradiction")
    return q.sort_values(["quirk", "atopid"]).reset_index(drop=True)


def alliance_quirks(src: DataSource | None = None) -> pd.DataFrame:
    """Places where ATOP 5.1's codes disagree with each other or need care: one row per (atopid, quirk) with a
    human-readable ``detail`` and a ``severity`` ("contradiction", "documented" by the codebook, or "info").
    The quirk codes are explained in this module's docstring."""
    q = _alliances_and_quirks(src)[1]
    q.attrs["pactwatch_log"] = [{"step": "alliance_quirks", "rows": int(len(q)), "note": "counts by quirk",
                                 **{k: int(v) for k, v in q["quirk"].value_counts().items()}}]
    return q


#: Phase-level provisions read from the phase file for the first phase (the alliance's terms at formation).
FIRST_PHASE_COLUMNS = ["atopid", "phase", *OBLIGATIONS, "wartime", "speclgth", "renounce", "ecaid", "compag", "agprois"]


def first_phase(src: DataSource | None = None) -> pd.DataFrame:
    """The obligations and design of each alliance's **first phase** (ATOP 5.1 phase file ``atop5_1aph``), index
    ``atopid``: ``phase`` plus :data:`FIRST_PHASE_COLUMNS`, numeric, NA where ATOP did not locate the text.

    The alliance-level file codes the maximum over phases (later renegotiations leak into it, codebook 2.4); the first
    phase is what the alliance promised when it was formed."""
    ph = get_source(src).table("atop_phase")
    miss = [c for c in FIRST_PHASE_COLUMNS if c not in ph.columns]
    if miss:
        raise DataError(f"atop_phase (atop5_1aph): columns {miss} missing; expected the ATOP 5.1 layout")
    p = ph[FIRST_PHASE_COLUMNS].copy()
    for c in FIRST_PHASE_COLUMNS[1:]:
        p[c] = pd.to_numeric(p[c], errors="coerce")
    if p["atopid"].isna().any():
        raise DataError(f"atop_phase: {int(p['atopid'].isna().sum())} rows without an atopid")
    p["atopid"] = p["atopid"].astype("int64")
    return p.sort_values(["atopid", "phase"]).drop_duplicates("atopid").set_index("atopid")


# --------------------------------------------------------------------------------------------------------------------
# alliance-member-years
# --------------------------------------------------------------------------------------------------------------------

#: Coverage of each time-varying covariate (inclusive years); outside it the covariate is NA, never 0.
COVERAGE = {
    "cinc": (1816, 2016),          # COW NMC 6.0
    "cowmaj": (1816, 2016),        # COW majors2016
    "polity2": (1800, 2018),       # Polity5 (per-state gaps stay NA: interregna, foreign occupation)
    "v2x_polyarchy": (1789, 2025),  # V-Dem v16 via isard (per-state gaps stay NA)
    "leader_change": (1875, 2015),  # Archigos 4.1 (peacesciencer); per state from its first leader (a few from 1840)
    "at_war": (1816, 2007),        # COW inter-state wars 4.0
    "shared_rival": (1816, 2020),  # Thompson, Sakuwa & Suhas 2021 (tss); (1816, 2010) with rivalries="td"
    "new_outside_alliance": (ATOP_FIRST_YEAR, ATOP_LAST_YEAR),  # ATOP 5.1 itself
}

#: Gleditsch–Ward -> COW codes where they differ for the states/years Archigos covers. Everything else is identical.
#: (GW 260 is the FRG *and* united Germany; COW uses 255 for Germany from 3 Oct 1990. GW 340 is Serbia (1878-1918 and
#: from 2006); COW keeps 345. GW 678 is Yemen (Arab Republic) and united Yemen; COW uses 679 from 22 May 1990.)
#: In the change-over year 1990 the GW state maps to both COW codes. peacesciencer's ``gw_cow_years`` leaves GW 260 after
#: 1990 unmatched, which would drop united Germany's leaders; hence our own table.
GW_TO_COW = [
    # (gwcode, first_year, last_year, ccode)
    (260, 1990, 9999, 255),
    (340, 0, 9999, 345),
    (678, 1990, 9999, 679),
]


def _check_end(end) -> int:
    try:
        e = int(end)
    except (TypeError, ValueError):
        raise PactwatchError(f"alliance_member_years: end must be a year, got {end!r}") from None
    if e != end or not ATOP_FIRST_YEAR <= e <= ATOP_LAST_YEAR:
        raise PactwatchError(f"alliance_member_years: end must be a whole year in {ATOP_FIRST_YEAR}..{ATOP_LAST_YEAR} (ATOP 5.1 coverage), got {end!r}")
    return e


def _spell_years(sp: pd.DataFrame, end: int) -> pd.DataFrame:
    sp = sp[sp["entry_year"] <= end].copy()
    last = sp["exit_year"].fillna(end).clip(upper=end).astype("int64")
    n = (last - sp["entry_year"] + 1).to_numpy()
    idx = np.repeat(np.arange(len(sp)), n)
    off = np.arange(len(idx)) - np.repeat(np.cumsum(n) - n, n)
    y = sp.iloc[idx][["atopid", "ccode", "spell", "entry_year", "exit_year", "termmode", "termcaus"]].reset_index(drop=True)
    y["year"] = sp["entry_year"].to_numpy()[idx] + off
    ex = y["exit_year"].notna() & (y["year"] == y["exit_year"])
    y["member_exit"] = ex.astype("int64")
    y["termmode"] = y["termmode"].where(ex).astype("Int64")
    y["termcaus"] = pd.to_numeric(y["termcaus"], errors="coerce").where(ex).astype("Int64")
    return y.drop(columns=["exit_year"])


def _leader_changes(src: DataSource) -> pd.DataFrame:
    """COW state-years with ``leader_change`` (1 = a new leader entered office that year) from Archigos (GW codes).

    A state's first Archigos leader is its entry into the data, not a change. Covered years: from the year its first
    leader took office to 2015 (Archigos 4.1 as distributed ends 31 Dec 2015); earlier/later years are absent (NA)."""
    arch = src.table("archigos")
    need = ["gwcode", "leadid", "startdate", "enddate"]
    miss = [c for c in need if c not in arch.columns]
    if miss:
        raise DataError(f"archigos: columns {miss} are missing")
    a = arch[need].copy()
    a["gwcode"] = pd.to_numeric(a["gwcode"], errors="coerce")
    a["start"] = pd.to_datetime(a["startdate"], errors="coerce")
    a["stop"] = pd.to_datetime(a["enddate"], errors="coerce")
    bad = a["gwcode"].isna() | a["start"].isna()
    if bad.any():
        raise DataError(f"archigos: {int(bad.sum())} spells without a gwcode or start date")
    a["gwcode"] = a["gwcode"].astype("int64")
    a = a.sort_values(["gwcode", "start"])
    a["first"] = ~a.duplicated("gwcode")
    a["year"] = a["start"].dt.year
    ch = a[~a["first"]].groupby(["gwcode", "year"]).size().rename("n_new_leaders")
    span = a.groupby("gwcode").agg(lo=("year", "min"), hi=("stop", "max"))
    span["hi"] = span["hi"].dt.year.clip(upper=2015)  # Archigos 4.1 as distributed ends 31 Dec 2015
    rows = [(g, y) for g, r in span.iterrows() for y in range(int(r["lo"]), int(r["hi"]) + 1)]
    gy = pd.DataFrame(rows, columns=["gwcode", "year"]).merge(ch.reset_index(), on=["gwcode", "year"], how="left")
    gy["n_new_leaders"] = gy["n_new_leaders"].fillna(0).astype("int64")
    gy["ccode"] = gy["gwcode"]
    extra = []
    for gw, lo, hi, cc in GW_TO_COW:
        sel = (gy["gwcode"] == gw) & gy["year"].between(lo, hi)
        if gw in (260, 678):  # change-over year 1990: the GW state is both COW states that year
            extra.append(gy[sel & (gy["year"] == lo)].assign(ccode=gw))
        gy.loc[sel, "ccode"] = cc
    gy = pd.concat([gy, *extra], ignore_index=True)
    out = gy.groupby(["ccode", "year"], as_index=False)["n_new_leaders"].sum()
    out["leader_change"] = (out["n_new_leaders"] > 0).astype("int64")
    return out


def _war_years(src: DataSource) -> pd.DataFrame:
    """COW state-years at inter-state war (COW 4.0 participant spells StartYear1..EndYear1 and StartYear2..EndYear2).

    -8 (not applicable: no second spell) is skipped; -9 (unknown) or -7 (ongoing) end years would run to the start year
    (-9) or 2007 (-7) and are counted in the log — none occur in 4.0. Returns [ccode, year, at_war=1, war_nums]."""
    w = src.table("cow_war_inter")
    need = ["WarNum", "ccode", "StartYear1", "EndYear1", "StartYear2", "EndYear2"]
    miss = [c for c in need if c not in w.columns]
    if miss:
        raise DataError(f"cow_war_inter (Inter-StateWarData_v4.0.csv): columns {miss} are missing")
    parts = []
    for k in (1, 2):
        s, e = w[f"StartYear{k}"].astype("int64"), w[f"EndYear{k}"].astype("int64")
        keep = s > 0
        if k == 1 and (~keep).any():
            raise DataError(f"cow_war_inter: {int((~keep).sum())} participants without a first start year")
        e = np.where(e == -7, COVERAGE["at_war"][1], np.where(e < 0, s, e))
        parts.append(pd.DataFrame({"war": w["WarNum"], "ccode": w["ccode"], "s": s, "e": e})[keep])
    p = pd.concat(parts, ignore_index=True)
    n = (p["e"] - p["s"] + 1).to_numpy()
    idx = np.repeat(np.arange(len(p)), n)
    yrs = p["s"].to_numpy()[idx] + (np.arange(len(idx)) - np.repeat(np.cumsum(n) - n, n))
    x = pd.DataFrame({"ccode": p["ccode"].to_numpy()[idx].astype("int64"), "year": yrs, "war": p["war"].to_numpy()[idx]})
    out = x.groupby(["ccode", "year"])["war"].agg(lambda v: ";".join(str(int(i)) for i in sorted(set(v)))).rename("war_nums").reset_index()
    out["at_war"] = 1
    return out


def _within(years: pd.Series, key: str) -> pd.Series:
    lo, hi = COVERAGE[key]
    return years.between(lo, hi)


def _any(s: pd.Series):
    """1 if any member is 1; NA if none is but some are NA; 0 if all are known 0 (for groupby.agg)."""
    if (s == 1).any():
        return 1
    if s.isna().any():
        return pd.NA
    return 0


def member_year_values(src: DataSource | None, keys: pd.DataFrame) -> pd.DataFrame:
    """The member-level values of :func:`alliance_member_years` that depend only on the state, the year and the
    member's entry year: ``keys`` (columns ccode, year, entry_year, plus any others, kept) with ``cinc``,
    ``cinc_entry``, ``cinc_change``, ``cinc_ratio``; ``polity2``, ``v2x_polyarchy``, their entry-year values and
    ``polity2_change`` / ``polyarchy_change``; ``leader_change`` and ``leader_change_nondem``; ``at_war`` and
    ``war_nums``. NA outside each source's coverage (:data:`COVERAGE`). The alliance panels and the direct cases of
    the forecasts (:mod:`pactwatch.panels.state`) both call this one function."""
    from pactwatch.panels import states

    s = get_source(src)
    y = keys
    # capabilities
    nmc = states.nmc_state_years(s)[["ccode", "year", "cinc"]]
    y = y.merge(nmc, on=["ccode", "year"], how="left")
    base = nmc.rename(columns={"year": "entry_year", "cinc": "cinc_entry"})
    y = y.merge(base, on=["ccode", "entry_year"], how="left")
    y["cinc_change"] = y["cinc"] - y["cinc_entry"]
    y["cinc_ratio"] = (y["cinc"] / y["cinc_entry"]).where(y["cinc_entry"] > 0)

    # regime
    dem = states.democracy_state_years(s)[["ccode", "year", "polity2", "v2x_polyarchy"]]
    y = y.merge(dem, on=["ccode", "year"], how="left")
    y = y.merge(dem.rename(columns={"year": "entry_year", "polity2": "polity2_entry", "v2x_polyarchy": "polyarchy_entry"}),
                on=["ccode", "entry_year"], how="left")
    y["polity2_change"] = y["polity2"] - y["polity2_entry"]
    y["polyarchy_change"] = y["v2x_polyarchy"] - y["polyarchy_entry"]
    for c in ("polity2", "v2x_polyarchy", "polity2_change", "polyarchy_change"):
        y.loc[~_within(y["year"], "polity2" if "polity" in c else "v2x_polyarchy"), c] = np.nan

    # leaders
    lc = _leader_changes(s)
    y = y.merge(lc[["ccode", "year", "leader_change"]], on=["ccode", "year"], how="left")
    y["leader_change"] = y["leader_change"].astype("Int64")
    lag = dem[["ccode", "year", "polity2"]].assign(year=dem["year"] + 1).rename(columns={"polity2": "_p2lag"})
    y = y.merge(lag, on=["ccode", "year"], how="left")
    nd = pd.Series(pd.NA, index=y.index, dtype="Int64")
    known = y["leader_change"].notna() & y["_p2lag"].notna()
    nd[known] = ((y.loc[known, "leader_change"] == 1) & (y.loc[known, "_p2lag"] < 6)).astype("int64")
    y["leader_change_nondem"] = nd
    y = y.drop(columns=["_p2lag"])

    # war
    wy = _war_years(s)
    y = y.merge(wy, on=["ccode", "year"], how="left")
    inwar = _within(y["year"], "at_war")
    y["at_war"] = y["at_war"].where(~inwar | y["at_war"].notna(), 0).where(inwar).astype("Int64")

    return y


def new_outside_alliances(co: pd.DataFrame, sp: pd.DataFrame, partners: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per (atopid, ccode, year) of ``co`` (the current members of each alliance: atopid, ccode, year): the number of
    other ATOP alliances (member spells ``sp``; their members in each year: ``partners``, atopid, ccode, year, default
    ``co``) the member entered that year that include a partner who is not a current member of this alliance
    (``n_new_outside_alliances``; rows with none are absent)."""
    entries = sp[["atopid", "ccode", "entry_year"]].rename(columns={"atopid": "other_atopid", "entry_year": "year"}).drop_duplicates()
    cand = co.merge(entries, on=["ccode", "year"])
    cand = cand[cand["other_atopid"] != cand["atopid"]]
    partners = (co if partners is None else partners).rename(columns={"atopid": "other_atopid", "ccode": "partner"})
    cp = cand.merge(partners, on=["other_atopid", "year"])
    cp = cp[cp["partner"] != cp["ccode"]]
    inA = co.rename(columns={"ccode": "partner"}).assign(_in=1)
    cp = cp.merge(inA, on=["atopid", "partner", "year"], how="left")
    outside = cp[cp["_in"].isna()]
    return outside.groupby(["atopid", "ccode", "year"])["other_atopid"].nunique().rename("n_new_outside_alliances").reset_index()


def alliance_member_years(src: DataSource | None = None, end: int = ATOP_LAST_YEAR, *, rivalries: str = "tss") -> pd.DataFrame:
    """Alliance-member-years: one row per (atopid, ccode, year) in which the state was a member on at least one day.

    Membership comes from ATOP 5.1's member file: a member's phase records are merged into spells (see
    :func:`member_spells`); years run from the spell's entry year (``yrent``) to its exit year (``yrexit``), or to
    ``end`` (default 2018) while in effect. A member that leaves and re-enters within one year has one row for that year.

    Event: ``member_exit`` = 1 in the year a spell ends (before 31 Dec 2018; phase hand-overs are not exits), with
    ``termmode``/``termcaus`` (+ labels) of that exit, NA otherwise. ``alliance_end`` = 1 in the alliance's end year.

    Covariates (coverage in :data:`COVERAGE`; NA outside it and where the source has no value — counted in the log):
    - ``cinc`` (COW NMC 6.0), ``cinc_entry`` (the member's CINC in its entry year), ``cinc_change`` = cinc − cinc_entry
      and ``cinc_ratio`` = cinc / cinc_entry (change in capabilities since formation: Bennett 1997; Leeds & Savun 2007).
      "Formation" is the member's own entry year (the alliance's formation year for founders), so both are 0 / 1 then.
    - ``cowmaj`` (COW major power; 0 for states outside the COW system within 1816–2016). Alliance-level in that year:
      ``n_members``, ``n_major``, ``any_major``, ``asymmetric`` (at least one major and one minor power: Morrow 1991).
    - ``polity2``, ``v2x_polyarchy`` and their change since the entry year (``polity2_change``, ``polyarchy_change``).
    - ``leader_change`` (a new Archigos leader entered office that year; GW codes converted to COW, see
      :data:`GW_TO_COW`), ``leader_change_nondem`` = leader change while the state was not a democracy in the previous
      year (polity2 < 6 in t−1; Leeds, Mattes & Vogel 2009 on leader turnover in non-democracies; NA when polity2(t−1)
      is missing).
    - ``at_war`` (participant in a COW inter-state war that year), ``war_nums``.
    - ``n_shared_rivals`` / ``shared_rival``: third states that are strategic rivals (tss by default; ``rivalries="td"``)
      of this member and of at least one other current member of the alliance in that year.
    - ``n_new_outside_alliances`` / ``new_outside_alliance``: other ATOP alliances the member entered that year that
      include a state which is not a current member of this alliance (i.e. a new commitment with an outsider).
    """
    e = _check_end(end)
    s = get_source(src)
    a, mr, p, sp = _build(s)
    from pactwatch.panels import conflict, states

    y = _spell_years(sp, e)
    n_raw = len(y)
    y = (y.sort_values(["atopid", "ccode", "year", "spell"])
         .groupby(["atopid", "ccode", "year"], as_index=False)
         .agg(spell=("spell", "last"), entry_year=("entry_year", "last"), member_exit=("member_exit", "max"),
              termmode=("termmode", "first"), termcaus=("termcaus", "first")))
    same_year_reentry = n_raw - len(y)
    y["termmode_label"] = _labels(y["termmode"], TERMMODE_LABELS)
    y["termcaus_label"] = _labels(y["termcaus"], TERMCAUS_LABELS)
    al = a[["atopid", "begyr", "endyr", "ineffect", "term"]].rename(columns={"begyr": "alliance_begyr"})
    y = y.merge(al, on="atopid", how="left")
    y["alliance_end"] = ((y["ineffect"] == 0) & (y["year"] == y["endyr"])).astype("int64")
    y["alliance_term"] = y["term"].where(y["alliance_end"] == 1).astype("Int64")
    y = y.drop(columns=["endyr", "ineffect", "term"])
    y["years_in_alliance"] = y["year"] - y["entry_year"]
    log = []

    # the member-level values of each state-year (one function: the case forecasts call it too)
    y = member_year_values(s, y)

    # major powers
    mp = states.major_power_years(s)[["ccode", "year", "cowmaj"]]
    y = y.merge(mp, on=["ccode", "year"], how="left")
    fill = y["cowmaj"].isna() & _within(y["year"], "cowmaj")
    y.loc[fill, "cowmaj"] = 0
    log.append(("cowmaj", "non-system states within 1816-2016 set to 0 (majors2016 lists every major power)", int(fill.sum())))
    y["cowmaj"] = y["cowmaj"].astype("Int64")
    g = y.groupby(["atopid", "year"])
    y["n_members"] = g["ccode"].transform("size").astype("int64")
    y["n_major"] = g["cowmaj"].transform(lambda v: v.sum() if v.notna().all() else pd.NA).astype("Int64")
    y["any_major"] = (y["n_major"] > 0).astype("Int64")
    y["asymmetric"] = ((y["n_major"] > 0) & (y["n_major"] < y["n_members"])).astype("Int64")

    # shared rivals
    rv = conflict.rivalry_years(rivalries, s)[["ccode1", "ccode2", "year"]].drop_duplicates()
    cov_r = conflict.TSS_COVERAGE if rivalries == "tss" else conflict.TD_COVERAGE
    co = y[["atopid", "ccode", "year"]]
    pairs = co.merge(co.rename(columns={"ccode": "other"}), on=["atopid", "year"])
    pairs = pairs[pairs["ccode"] != pairs["other"]]
    r1 = pairs.merge(rv.rename(columns={"ccode1": "ccode", "ccode2": "rival"}), on=["ccode", "year"])
    r2 = r1.merge(rv.rename(columns={"ccode1": "other", "ccode2": "rival"}), on=["other", "rival", "year"])
    r2 = r2[r2["rival"] != r2["other"]]
    nsr = r2.groupby(["atopid", "ccode", "year"])["rival"].nunique().rename("n_shared_rivals").reset_index()
    y = y.merge(nsr, on=["atopid", "ccode", "year"], how="left")
    inr = y["year"].between(*cov_r)
    y["n_shared_rivals"] = y["n_shared_rivals"].fillna(0).where(inr).astype("Int64")
    y["shared_rival"] = (y["n_shared_rivals"] > 0).astype("Int64")

    # new outside alliances: other alliances B the member entered this year with a partner outside this alliance
    noa = new_outside_alliances(co, sp)
    y = y.merge(noa, on=["atopid", "ccode", "year"], how="left")
    y["n_new_outside_alliances"] = y["n_new_outside_alliances"].fillna(0).astype("int64")
    y["new_outside_alliance"] = (y["n_new_outside_alliances"] > 0).astype("int64")

    y = y.sort_values(["atopid", "ccode", "year"]).reset_index(drop=True)
    if y.duplicated(["atopid", "ccode", "year"]).any():  # pragma: no cover - guarded by the groupby above
        raise PactwatchError("alliance_member_years: duplicated (atopid, ccode, year) keys")
    y.attrs = {}
    log_step(y, "alliance_member_years", f"ATOP 5.1 member spells, years entry..exit (or {e} while in effect)",
             members_spells=len(sp), same_year_reentries_merged=same_year_reentry,
             member_exits=int(y["member_exit"].sum()), alliance_ends=int(y[["atopid", "alliance_end"]].drop_duplicates()["alliance_end"].sum()))
    for c, note, n in log:
        log_step(y, f"fill:{c}", note, rows_filled=n)
    _log_na(y, rivalries)
    return y


def _log_na(df: pd.DataFrame, rivalries: str = "tss") -> None:
    for c in ["cinc", "cinc_change", "cinc_ratio", "cowmaj", "asymmetric", "polity2", "polity2_change", "v2x_polyarchy",
              "polyarchy_change", "leader_change", "leader_change_nondem", "at_war", "shared_rival", "new_outside_alliance",
              "max_cinc_change", "any_leader_change", "any_at_war"]:
        if c in df.columns:
            key = {"cinc_change": "cinc", "cinc_ratio": "cinc", "max_cinc_change": "cinc", "asymmetric": "cowmaj",
                   "polity2_change": "polity2", "polyarchy_change": "v2x_polyarchy", "leader_change_nondem": "leader_change",
                   "any_leader_change": "leader_change", "any_at_war": "at_war"}.get(c, c)
            lo, hi = COVERAGE[key]
            if key == "shared_rival" and rivalries == "td":
                lo, hi = 1816, 2010
            na = df[c].isna()
            out_cov = ~df["year"].between(lo, hi)
            log_step(df, f"na:{c}", f"coverage {lo}-{hi}", na_rows=int(na.sum()), na_beyond_coverage=int((na & out_cov).sum()),
                     na_within_coverage=int((na & ~out_cov).sum()))


# --------------------------------------------------------------------------------------------------------------------
# alliance-years
# --------------------------------------------------------------------------------------------------------------------

_ANY_COLS = {"any_leader_change": "leader_change", "any_leader_change_nondem": "leader_change_nondem", "any_at_war": "at_war",
             "any_shared_rival": "shared_rival", "any_new_outside_alliance": "new_outside_alliance"}


def alliance_years(src: DataSource | None = None, end: int = ATOP_LAST_YEAR, *, rivalries: str = "tss",
                   member_years: pd.DataFrame | None = None) -> pd.DataFrame:
    """Alliance-years: one row per (atopid, year) with at least one member, aggregated from
    :func:`alliance_member_years` (pass ``member_years`` to reuse one you built).

    Years with no member at all (the 4 ``member_gap`` alliances, e.g. the German Confederation 1848–1850) have no row; the
    count is logged. Columns: ``n_members``, ``n_major``, ``any_major``, ``asymmetric`` (Morrow 1991), ``max_cinc_change``
    / ``min_cinc_ratio`` / ``max_cinc_ratio`` over the members with a value (``n_cinc_missing`` members without),
    ``max_abs_polity2_change``, ``max_abs_polyarchy_change``, ``any_leader_change``, ``any_leader_change_nondem``,
    ``any_at_war``, ``n_at_war``, ``any_shared_rival``, ``any_new_outside_alliance``, ``n_member_exits``;
    ``any_*`` is 1 if some member has 1, NA if none has 1 but some member's value is NA, else 0.
    Event: ``event`` = 1 in the alliance's end year (ATOP end date on or before 31 Dec 2018), with ``term`` and
    ``term_label``; ``event_atop`` = 1 only for endings with ``term`` 1–3 (ATOP's censoring rule); ``duration_years`` is
    the alliance's total duration from :func:`alliances` (constant within alliance), ``alliance_age`` = year − begin year.
    """
    e = _check_end(end)
    y = member_years if member_years is not None else alliance_member_years(src, e, rivalries=rivalries)
    y = y.assign(
        _abs_p2=y["polity2_change"].abs(), _abs_px=y["polyarchy_change"].abs(), _cinc_na=y["cinc_change"].isna().astype("int64"),
        **{f"_one_{c}": (y[c] == 1).fillna(False).astype("int64") for c in _ANY_COLS.values()},
        **{f"_na_{c}": y[c].isna().astype("int64") for c in [*_ANY_COLS.values(), "at_war"]},
    )
    g = y.groupby(["atopid", "year"])
    out = g.agg(n_members=("ccode", "size"), n_major=("n_major", "first"), any_major=("any_major", "first"),
                asymmetric=("asymmetric", "first"), max_cinc_change=("cinc_change", "max"),
                min_cinc_ratio=("cinc_ratio", "min"), max_cinc_ratio=("cinc_ratio", "max"),
                n_cinc_missing=("_cinc_na", "sum"), n_member_exits=("member_exit", "sum"),
                max_abs_polity2_change=("_abs_p2", "max"), max_abs_polyarchy_change=("_abs_px", "max"),
                n_at_war=("at_war", "sum"), _na_war=("_na_at_war", "max"),
                **{f"_one_{c}": (f"_one_{c}", "max") for c in _ANY_COLS.values()},
                **{f"_na_{c}": (f"_na_{c}", "max") for c in _ANY_COLS.values()}).reset_index()
    for new_c, c in _ANY_COLS.items():
        v = out[f"_one_{c}"].astype("Int64")
        out[new_c] = v.mask((v == 0) & (out[f"_na_{c}"] == 1))
    out["n_at_war"] = out["n_at_war"].astype("Int64").mask(out["_na_war"] == 1)
    out = out.drop(columns=[c for c in out.columns if c.startswith("_")])
    al, _ = _alliances_and_quirks(src)
    out = out.merge(al[["atopid", "begyr", "endyr", "ineffect", "term", "term_label", "event_atop", "duration_years"]],
                    on="atopid", how="left")
    out["alliance_age"] = out["year"] - out["begyr"]
    out["event"] = ((out["ineffect"] == 0) & (out["year"] == out["endyr"])).astype("int64")
    out["event_atop"] = (out["event_atop"].astype("int64") & out["event"]).astype("int64")
    out["term"] = out["term"].where(out["event"] == 1).astype("Int64")
    out["term_label"] = out["term_label"].where(out["event"] == 1)
    out = out.drop(columns=["ineffect"]).sort_values(["atopid", "year"]).reset_index(drop=True)
    span = al[al["begyr"] <= e].assign(last=lambda d: d["endyr"].fillna(e).clip(upper=e).astype("int64"))
    expected = int((span["last"] - span["begyr"] + 1).sum())
    out.attrs = {}
    log_step(out, "alliance_years", "aggregated from alliance_member_years; event in the alliance end year",
             alliances=int(out["atopid"].nunique()), events=int(out["event"].sum()),
             years_without_members=expected - len(out))
    _log_na(out, rivalries)
    return out


def irregular_leader_entries(src: DataSource | None = None) -> pd.DataFrame:
    """COW state-years with ``irregular_entry`` = 1 if a leader entered office irregularly (Archigos ``entry`` =
    "Irregular": coup, revolt, assassination, ...; or "Foreign Imposition") that year, 0 if every new leader that
    year entered regularly or none entered. A state's first Archigos leader is not counted (its entry into the data).
    Entries coded "Unknown" (2 in Archigos 4.1) make the year NA. Years: as :func:`_leader_changes` (the state's first
    leader to 2015); GW codes converted with :data:`GW_TO_COW`. Columns ccode, year, irregular_entry."""
    s = get_source(src)
    arch = s.table("archigos")
    need = ["gwcode", "startdate", "enddate", "entry"]
    miss = [c for c in need if c not in arch.columns]
    if miss:
        raise DataError(f"archigos: columns {miss} are missing")
    a = arch[need].copy()
    a["gwcode"] = pd.to_numeric(a["gwcode"], errors="coerce").astype("int64")
    a["start"] = pd.to_datetime(a["startdate"], errors="coerce")
    a = a.sort_values(["gwcode", "start"])
    a = a[a.duplicated("gwcode")]  # drop each state's first leader
    a["year"] = a["start"].dt.year
    # 1 irregular, 0 regular, -1 unknown; a year is 1 if any entry was irregular, else NA if any was unknown, else 0
    a["_irr"] = np.where(a["entry"].isin(["Irregular", "Foreign Imposition"]), 1, np.where(a["entry"] == "Unknown", -1, 0))
    a["ccode"] = a["gwcode"]
    for gw, lo, hi, cc in GW_TO_COW:
        a.loc[(a["gwcode"] == gw) & a["year"].between(lo, hi), "ccode"] = cc
    g = a.groupby(["ccode", "year"])["_irr"]
    irr = pd.DataFrame({"_max": g.max(), "_min": g.min()}).reset_index()
    irr["_v"] = np.where(irr["_max"] == 1, 1.0, np.where(irr["_min"] == -1, np.nan, 0.0))
    out = _leader_changes(s)[["ccode", "year"]].merge(irr[["ccode", "year", "_v"]], on=["ccode", "year"], how="left")
    known_na = out.merge(irr.loc[irr["_v"].isna(), ["ccode", "year"]].assign(_u=1), on=["ccode", "year"], how="left")["_u"]
    out["irregular_entry"] = out["_v"].fillna(0.0).where(known_na.isna().to_numpy())
    return out[["ccode", "year", "irregular_entry"]]
