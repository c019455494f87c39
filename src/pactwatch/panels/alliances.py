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

#: ATOP 5.1 codes every alliance still in effect on this date as censored.
CENSOR_DATE = pd.Timestamp("2018-12-31")
ATOP_LAST_YEAR = 2018
IMPUTED_DAY = 15

TERM_LABELS = {
    0: "in effect on 31 Dec 2018, or censored by a member's loss of independence unrelated to the alliance",
    1: "provisions fulfilled (term completed or goals accomplished)",
    2: "violation of provisions / abrogation before scheduled termination",
    3: "members negotiated a new relationship",
}
TERMMODE_LABELS = {
    0: "in effect for this member on 31 Dec 2018",
    1: "not renewed at its scheduled termination date",
    2: "replaced by a new agreement among the members",
    3: "broken before its scheduled termination date",
    4: "a member lost political independence",
    5: "casus foederis ceased to exist (moot)",
    6: "terminated due to loss of a war",
}
TERMCAUS_LABELS = {
    0: "in effect for this member on 31 Dec 2018",
    1: "replaced by a new agreement among the members",
    2: "a member lost political independence",
    3: "the problem the alliance addressed was resolved",
    4: "policy dispute unrelated to alliance management",
    5: "policy dispute over alliance management",
    6: "military conflict among the members",
    7: "war involvement ended the alliance (unfulfilled obligations or war lost)",
    8: "violation of a provision short of war",
}
#: Codebook footnote 10: Czechoslovak succession turns one bilateral alliance into two simultaneous bilateral phases.
SUCCESSION_BILAT_DOCUMENTED = frozenset({3610, 3625, 4070, 4075, 4100, 4185, 4195})

OBLIGATIONS = ["defense", "offense", "neutral", "nonagg", "consul"]
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
    return m


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
    log_step(out, "alliances", "ATOP 5.1 alliance level; censoring 2018-12-31; missing day -> 15th of the month",
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
