"""Shocks: how a scenario changes an alliance's time-varying covariates, year by year (a covariate *path*).

The world is represented per member and per calendar year (:class:`MemberState`): at war or not, its set of strategic
rivals, its capability relative to entry (log CINC ratio), its Polity2 change since entry, and one-year events
(a new leader, a new outside alliance). The model's alliance-year covariates are then computed from the member states
with the same rules :func:`pactwatch.panels.alliances.alliance_years` uses on the data (:func:`aggregate`). A shock
edits member states from its year on; nothing multiplies a hazard by hand.

Shock kinds (:data:`SHOCK_KINDS`: covariate touched, when the change shows in the yearly data)

==========================  ===========================  ==========================================================
kind                        covariate                    timing rule (shock in calendar year Y)
==========================  ===========================  ==========================================================
``war-ends``                ``any_at_war`` (and           members leave the war in Y: at war in Y (COW codes every
                            ``at_war_x_wartime``)        year with fighting), not from Y + 1
``rival-removed``           ``shared_rivals``            rivalry ends in Y (TSS end year inclusive): gone from Y + 1
``rival-added``             ``shared_rivals``            rivalry starts in Y (TSS start year inclusive): from Y
``leader-change``           ``any_leader_change``        1 in Y only (Archigos: a new leader entered office that year)
``power-shift``             ``cap_change``               CINC times ``cinc_factor`` from Y on
``regime-change``           ``max_abs_polity2_change``   Polity2 + ``polity2_delta`` from Y on
``new-outside-alliance``    ``any_new_outside_alliance`` 1 in Y only
==========================  ===========================  ==========================================================

Timing (:func:`draw_years`): a fixed year or a distribution over years (see :class:`.schema.Timing`; ``geometric``: a
constant yearly chance from the as-of date on, optionally conditioned on happening by a date); a shock drawn before
the as-of year is moved to the as-of year (counted in the notes); one drawn after the horizon, or "never", leaves the
path unchanged.

Scenarios (:func:`scenario_shocks`): every scenario runs on top of the status quo's shocks; its own shock of a kind
the status quo also has replaces the status quo's (no shock kind is applied twice).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Optional

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError
from pactwatch.panels.survival import lag_base

from .schema import Scenario, Shock, Timing

NEVER = 10**6

SHOCK_KINDS = {
    "war-ends": ("any_at_war", "next"),
    "rival-removed": ("shared_rivals", "next"),
    "rival-added": ("shared_rivals", "same"),
    "leader-change": ("any_leader_change", "once"),
    "power-shift": ("cap_change", "same"),
    "regime-change": ("max_abs_polity2_change", "same"),
    "new-outside-alliance": ("any_new_outside_alliance", "once"),
}


@dataclass(frozen=True)
class MemberState:
    """One member's state in one calendar year.

    ``at_war``: in an inter-state war (COW to 2007, UCDP/PRIO inter-state >= 1,000 deaths 2008-2022, a case's hand value
    after); ``rivals``: TSS strategic rivals; ``log_cinc_ratio``: log(CINC / CINC at entry); ``polity2_change``: Polity2
    change since entry; ``leader_change`` / ``new_outside_alliance`` / ``irregular_leader_entry``: one-year events.
    The candidate specifications' values (``None`` = not known, the covariate is then NA): ``euds_change`` (|extended
    UDS - at entry|), ``peace_rivals`` / ``severe_rivals`` (Goertz-Diehl-Balas lesser-or-severe / severe rivals),
    ``mid_opponents_10y`` (GML MID opponents within ten years), ``formation_war_end`` (the year the war this member
    fought when the alliance was formed ended; ``None``: not ended, or the alliance was not formed in wartime);
    ``in_formation_war``: still fighting that war (a ``war-ends`` shock in year Y then sets ``formation_war_end`` = Y
    from Y on)."""
    ccode: int
    major: bool
    at_war: bool
    rivals: frozenset
    log_cinc_ratio: float = 0.0
    polity2_change: float = 0.0
    leader_change: int = 0
    new_outside_alliance: int = 0
    irregular_leader_entry: Optional[int] = 0
    euds_change: Optional[float] = None
    peace_rivals: Optional[frozenset] = None
    severe_rivals: Optional[frozenset] = None
    mid_opponents_10y: Optional[frozenset] = None
    formation_war_end: Optional[int] = None
    in_formation_war: Optional[bool] = False


def _n_shared(states: list[MemberState], attr: str) -> float:
    """Largest count over members of third states in the member's set ``attr`` and in another member's set (the rule
    of the survival table's ``_shared_third`` and ``alliance_member_years``' shared rivals); NA if a member's set is
    unknown."""
    sets = [getattr(s, attr) for s in states]
    if any(x is None for x in sets):
        return math.nan
    shared = 0
    for i, s in enumerate(states):
        n = sum(1 for r in sets[i] if any(r in sets[j] and r != o.ccode for j, o in enumerate(states) if j != i))
        shared = max(shared, n)
    return float(shared)


def _any(vals) -> float:
    """1 if some value is 1, NA if none is but some are unknown, else 0 (the survival table's rule)."""
    vals = list(vals)
    if any(v == 1 for v in vals if v is not None and not (isinstance(v, float) and math.isnan(v))):
        return 1.0
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in vals):
        return math.nan
    return 0.0


def aggregate(states: list[MemberState], year: int | None = None) -> dict[str, float]:
    """Alliance-year covariates from the member states (the rules of ``alliance_years`` / the survival table's
    extended covariates). ``year``: the calendar year described (for ``war_ended_0_2``; NA without it)."""
    from pactwatch.panels.survival import EUDS_THRESHOLD

    euds = [s.euds_change for s in states if s.euds_change is not None and not math.isnan(s.euds_change)]
    max_euds = max(euds) if euds else math.nan
    n_gdb, n_sev = _n_shared(states, "peace_rivals"), _n_shared(states, "severe_rivals")
    grade = math.nan if math.isnan(n_gdb) or math.isnan(n_sev) else 2.0 if n_sev > 0 else 1.0 if n_gdb > 0 else 0.0
    n_mid = _n_shared(states, "mid_opponents_10y")
    if year is None or any(s.in_formation_war is None and s.formation_war_end is None for s in states):
        war_ended = math.nan  # unknown (e.g. an ATOP case's states: build_path then takes the data's value, ``held``)
    else:
        war_ended = float(any(s.formation_war_end is not None and 0 <= year - s.formation_war_end <= 2 for s in states))
    return {
        "any_at_war": float(any(s.at_war for s in states)),
        "shared_rivals": _n_shared(states, "rivals"),
        "cap_change": float(max(abs(s.log_cinc_ratio) for s in states)),
        "max_abs_polity2_change": float(max(abs(s.polity2_change) for s in states)),
        "any_leader_change": float(any(s.leader_change for s in states)),
        "any_new_outside_alliance": float(any(s.new_outside_alliance for s in states)),
        "any_at_war_cow_ucdp": float(any(s.at_war for s in states)),
        "max_abs_euds_change": float(max_euds),
        "regime_change_euds": math.nan if math.isnan(max_euds) else float(max_euds >= EUDS_THRESHOLD),
        "n_shared_gdb_rivals": n_gdb,
        "n_shared_severe_rivals": n_sev,
        "shared_rival_grade": grade,
        "common_mid_opponent_10y": n_mid if math.isnan(n_mid) else float(n_mid > 0),
        "war_ended_0_2": war_ended,
        "any_irregular_leader_entry": _any(s.irregular_leader_entry for s in states),
    }


#: Covariates derived from others on the path (same definition as in the training panels, :mod:`.training`).
DERIVED = {"at_war_x_wartime": lambda r: r["any_at_war"] * r["wartime"] if "wartime" in r else None,
           # COW's war status to 2007, UCDP/PRIO's after (panels.survival): on a path, the members' war status
           # (identical to any_at_war in every year the back-test predicts, <= 2007; a case's coded war after)
           "any_at_war_cow_ucdp": lambda r: r["any_at_war"],
           "at_war_cow_ucdp_x_wartime": lambda r: (r["any_at_war_cow_ucdp"] * r["wartime"]
                                                   if "wartime" in r and "any_at_war_cow_ucdp" in r else None),
           # era indicator (panels.survival: calendar year >= 1946); known in advance, so never lagged
           "post1945": lambda r: float(r["year"] >= 1946)}
#: Further covariates a shock kind moves on the path (besides its own, :data:`SHOCK_KINDS`): a war-ends shock moves
#: the COW/UCDP war status (derived from the members' war status) and, for an alliance formed in wartime, "the war it
#: was formed in ended 0-2 years ago" (``war_ended_0_2`` = 1 in the shock's year Y, the war's last year, and Y+1, Y+2:
#: the shocked war is taken to be the formation war — the question the war-ends scenario asks).
#: A rivalry shock also changes the members' peace-scale rival lists (:func:`member_states_by_year`), so the graded
#: shared-rival covariates.
ALSO_TOUCHES = {"war-ends": ("at_war_x_wartime", "any_at_war_cow_ucdp", "at_war_cow_ucdp_x_wartime", "war_ended_0_2"),
                "rival-removed": ("n_shared_gdb_rivals", "n_shared_severe_rivals", "shared_rival_grade"),
                "rival-added": ("n_shared_gdb_rivals", "n_shared_severe_rivals", "shared_rival_grade")}


def touched(scenario_shocks: list[Shock]) -> set[str]:
    return {SHOCK_KINDS[s.kind][0] for s in scenario_shocks}


def _touched_alternatives(kind: str) -> set[str]:
    return {SHOCK_KINDS[kind][0], *ALSO_TOUCHES.get(kind, ())}


def moved_covariates(kind: str, model_covariates) -> list[str]:
    """The model covariates (lagged or not) a shock of ``kind`` can move on a path, in the model's order."""
    t = _touched_alternatives(kind)
    return [c for c in model_covariates if c in t or lag_base(c) in t]


def check_scenario(name: str, shocks: list[Shock], model_covariates) -> None:
    """Every covariate a shock touches must be in the model (else the shock would silently do nothing)."""
    used = set(model_covariates) | {b for b in map(lag_base, model_covariates) if b}
    # a shock is used if the model has its covariate, or one of the covariates it also moves, lagged or not
    miss = sorted({SHOCK_KINDS[s.kind][0] for s in shocks if not (_touched_alternatives(s.kind) & used)})
    if miss:
        raise PactwatchError(f"scenario {name!r}: its shocks change {miss}, which the fitted model does not use "
                             f"(model covariates: {', '.join(model_covariates)})")


def select(shock: Shock, members: list[MemberState], rng: np.random.Generator | None) -> list[int]:
    """Indices of the members a shock applies to."""
    sel = shock.members
    cc = [m.ccode for m in members]
    if sel == "all":
        return list(range(len(members)))
    if sel == "any":
        return [int(rng.integers(len(members))) if rng is not None else 0]
    if sel in ("major", "minor"):
        out = [i for i, m in enumerate(members) if m.major == (sel == "major")]
        if not out:
            raise PactwatchError(f"shock {shock.kind!r}: the case has no {sel} power member (members {cc})")
        return out
    want = [sel] if isinstance(sel, int) else list(sel)
    bad = [w for w in want if w not in cc]
    if bad:
        raise PactwatchError(f"shock {shock.kind!r}: member(s) {bad} are not in the case (members {cc})")
    return [cc.index(w) for w in want]


def year_position(d) -> float:
    """A date as a calendar-year position: 2027-12-31 (end of day) -> 2028.0, 2027-07-02 -> about 2027.5."""
    import datetime as dt

    days = (dt.date(d.year + 1, 1, 1) - dt.date(d.year, 1, 1)).days
    return d.year + d.timetuple().tm_yday / days


def geometric_years(p_per_year: float, rng: np.random.Generator, n: int, *, first_year: float = 1.0,
                    within: float | None = None) -> np.ndarray:
    """Year offsets (0 = the as-of year) of ``n`` events that happen with chance ``p_per_year`` in each whole year.
    The waiting time from the as-of date is exponential with rate λ = −ln(1 − p_per_year); ``first_year`` is the part
    of the as-of year still ahead (in years), so the as-of year's chance is 1 − (1 − p)^first_year and each later
    year's is p given none before. ``within``: condition on the event happening within that many years of the as-of
    date (the exponential truncated there, drawn by inverting its distribution function)."""
    lam = -math.log1p(-p_per_year)
    u = rng.random(n)
    if within is not None:
        u = u * -math.expm1(-lam * within)  # U * P(T <= within)
    t = -np.log1p(-u) / lam
    k = np.where(t < first_year, 0.0, 1.0 + np.floor(t - first_year))
    return np.minimum(k, NEVER).astype(np.int64)


def draw_years(timing: Timing, rng: np.random.Generator, n: int, y0: int, *, first_year: float = 1.0) -> np.ndarray:
    """``n`` calendar years for a shock (NEVER = does not happen). Relative timings are offsets from ``y0``.
    ``first_year``: the part of the as-of year ``y0`` still ahead on the as-of date, in years (geometric timing only:
    the as-of year's chance is for that part of the year)."""
    off = y0 if timing.relative else 0
    if timing.dist == "geometric":
        within = None
        if timing.by is not None:
            within = year_position(timing.by) - (y0 + 1.0 - first_year)
            if within <= 0:
                raise PactwatchError(f"timing 'by: {timing.by}' is not after the as-of date (in {y0}): the shock "
                                     "cannot be conditioned to happen by a date already past")
        if not isinstance(timing.p_per_year, float):
            raise PactwatchError(f"timing 'p_per_year: {timing.p_per_year}' must be resolved to a number on the as-of "
                                 "date first (pactwatch.scenarios.war_timing.resolve_timings)")
        k = geometric_years(timing.p_per_year, rng, n, first_year=first_year, within=within)
        return np.where(k >= NEVER, NEVER, k + off).astype(np.int64)
    if timing.fixed is not None:
        y = np.full(n, timing.fixed + off, dtype=np.int64)
    elif timing.dist == "uniform":
        y = rng.integers(timing.low, timing.high + 1, size=n) + off
    elif timing.dist == "triangular":
        lo, hi = float(timing.low), float(timing.high + 1)
        mode = min(max(float(timing.mode), lo), hi)
        y = np.floor(rng.triangular(lo, mode, hi, size=n) if hi > lo else np.full(n, lo)).astype(np.int64)
        y = np.minimum(y, timing.high) + off
    else:
        keys = sorted(timing.p)
        probs = np.array([timing.p[k] for k in keys] + [timing.never], float)
        idx = rng.choice(len(probs), size=n, p=probs / probs.sum())
        vals = np.array([k + off for k in keys] + [NEVER], dtype=np.int64)
        y = vals[idx]
    y = np.where(y >= NEVER, NEVER, y)
    return y.astype(np.int64)


def member_states_by_year(base: list[MemberState], years: list[int], shocks: list[Shock], shock_years: tuple,
                          rng: np.random.Generator | None = None) -> dict[int, list[MemberState]]:
    """Member states for each calendar year in ``years`` (the first is the as-of year: its one-year events come from
    ``base``; later years start with none), with ``shocks`` applied at ``shock_years``."""
    y0 = years[0]
    out = {y: [m if y == y0 else replace(m, leader_change=0, new_outside_alliance=0, irregular_leader_entry=0) for m in base] for y in years}
    for sh, ys in zip(shocks, shock_years):
        if ys >= NEVER:
            continue
        idx = select(sh, base, rng)
        rule = SHOCK_KINDS[sh.kind][1]
        if sh.kind == "war-ends":  # the war the alliance was formed in ended in the shock year (war_ended_0_2)
            for y in years:
                if y >= ys:
                    out[y] = [replace(m, formation_war_end=int(ys), in_formation_war=False)
                              if i in idx and m.in_formation_war else m for i, m in enumerate(out[y])]
        for y in years:
            hit = (y > ys) if rule == "next" else (y == ys) if rule == "once" else (y >= ys)
            if not hit:
                continue
            st = out[y]
            for i in idx:
                m = st[i]
                if sh.kind == "war-ends":
                    m = replace(m, at_war=False)
                elif sh.kind == "rival-removed":  # the rivalry ends on every list (TSS and the peace scale)
                    gone = frozenset(sh.rivals)
                    m = replace(m, rivals=m.rivals - gone,
                                peace_rivals=None if m.peace_rivals is None else m.peace_rivals - gone,
                                severe_rivals=None if m.severe_rivals is None else m.severe_rivals - gone)
                elif sh.kind == "rival-added":  # a new strategic rival; on the peace scale a (lesser) rival
                    new = frozenset(r for r in sh.rivals if r != m.ccode)
                    m = replace(m, rivals=m.rivals | new,
                                peace_rivals=None if m.peace_rivals is None else m.peace_rivals | new)
                elif sh.kind == "leader-change":
                    m = replace(m, leader_change=1)
                elif sh.kind == "power-shift":
                    m = replace(m, log_cinc_ratio=m.log_cinc_ratio + math.log(sh.cinc_factor))
                elif sh.kind == "regime-change":
                    m = replace(m, polity2_change=m.polity2_change + float(sh.polity2_delta))
                elif sh.kind == "new-outside-alliance":
                    m = replace(m, new_outside_alliance=1)
                st[i] = m
    return out


@dataclass
class PathGrid:
    """Calendar-year segments of the forecast window: segment k covers ages (bounds[k], bounds[k+1]] and calendar
    year years[k]. The first segment starts at the as-of age; the last ends at as-of age + horizon."""
    years: list
    bounds: np.ndarray
    a0: float
    horizon: float


def path_grid(in_force: pd.Timestamp, as_of: pd.Timestamp, horizon: float) -> PathGrid:
    a0 = (as_of - in_force).days / 365.25
    if a0 < 0:
        raise PactwatchError(f"as-of date {as_of.date()} is before the alliance's entry into force {in_force.date()}")
    end = a0 + horizon
    years, bounds = [], [a0]
    y = as_of.year
    while True:
        years.append(y)
        nxt = (pd.Timestamp(year=y + 1, month=1, day=1) - in_force).days / 365.25
        if nxt >= end - 1e-9:
            bounds.append(end)
            break
        bounds.append(nxt)
        y += 1
    return PathGrid(years=years, bounds=np.array(bounds), a0=a0, horizon=horizon)


def build_path(grid: PathGrid, formation: dict, base: list[MemberState], shocks: list[Shock], shock_years: tuple,
               covariates: list, rng=None, *, lag0: dict | None = None, held: dict | None = None) -> pd.DataFrame:
    """The covariate path: one row per segment with year, start, stop and every model covariate.

    ``held``: covariates the member states do not produce (:func:`aggregate`), held at their observed as-of-year value
    over the path (the status quo; an ATOP case's extended covariates from the data). A value :func:`aggregate`
    produces is never overridden.

    Lagged covariates ``<c>_lag1`` are the path's value of ``<c>`` in the previous calendar year; for the first path
    year (the as-of year) the value observed in the year before it, ``lag0[c]`` (an ATOP case: from the data). Without
    ``lag0[c]`` (a direct case with no earlier record) the as-of year's own value is used and a note says so
    (``df.attrs["notes"]``). So a shock that changes ``<c>`` first in year y changes ``<c>_lag1`` first in y + 1.
    A model covariate the path cannot supply raises :class:`PactwatchError` naming it (no value is invented)."""
    st = member_states_by_year(base, grid.years, shocks, shock_years, rng)
    rows = []
    war_end = min((int(ys) for sh, ys in zip(shocks, shock_years) if sh.kind == "war-ends" and ys < NEVER), default=None)
    for k, y in enumerate(grid.years):
        r = {"year": y, "start": grid.bounds[k], "stop": grid.bounds[k + 1], **formation, **aggregate(st[y], year=y)}
        for name, fn in DERIVED.items():  # derived from the member states: they win over held values
            if name in r:
                continue
            v = fn(r)
            if v is not None:
                r[name] = float(v)
        for c, v in (held or {}).items():  # fills what the member states leave out or unknown (NA)
            if c not in r or r[c] is None or (isinstance(r[c], float) and math.isnan(r[c])):
                r[c] = float(v)
        if war_end is not None and r.get("wartime") == 1 and war_end <= y <= war_end + 2:
            r["war_ended_0_2"] = 1.0
        rows.append(r)
    notes = []
    for c in covariates:
        b = lag_base(c)
        if b is None or b not in rows[0]:
            continue  # not lagged, or its base is missing (reported below)
        if lag0 is not None and b in lag0:
            first = lag0[b]
            if first is None or (isinstance(first, float) and math.isnan(first)):
                raise PactwatchError(f"covariate path: {c} has no value for the year before the as-of year "
                                     f"{grid.years[0]} (the data have no {b} in {grid.years[0] - 1})")
        else:
            first = rows[0][b]
            notes.append(f"{c}: no record of {b} in {grid.years[0] - 1} (the year before the as-of year); the as-of "
                         f"year's observed value {first:g} is used for it")
        for k, r in enumerate(rows):
            r[c] = float(first) if k == 0 else float(rows[k - 1][b])
    df = pd.DataFrame(rows)
    miss = [c for c in covariates if c not in df.columns]
    if miss:
        raise PactwatchError(f"covariate path lacks model covariate(s) {miss}: the case's member states do not supply "
                             f"{sorted({lag_base(c) or c for c in miss})} (no value is invented)")
    out = df[["year", "start", "stop", *covariates]]
    na = [c for c in covariates if out[c].isna().any()]
    if na:
        raise PactwatchError(f"covariate path has no value for model covariate(s) {na} in some year: the case's member "
                             f"states leave {sorted({lag_base(c) or c for c in na})} unknown (no value is invented)")
    out.attrs["notes"] = notes
    return out


#: The scenario every other scenario is built on: its shocks (e.g. the status quo's yearly chance that a war ends)
#: belong to every scenario unless the scenario has its own shock of the same kind.
BASELINE = "status-quo"


def scenario_shocks(name: str, scenarios: dict[str, Scenario]) -> list[Shock]:
    """The shocks a scenario runs with: the status quo's (:data:`BASELINE`, when it exists), then the scenario's own
    shocks and those of the scenarios it composes (recursively; cycles are errors). A named scenario is the status quo
    plus its shocks: a shock of the same kind as one of the status quo's *replaces* it (e.g. the war-ends scenario's
    "the war ends by 2027" replaces the status quo's yearly chance of the war ending; it is not a second war end), so
    no kind is applied twice by the baseline and a scenario."""
    own = _own_shocks(name, scenarios)
    if name == BASELINE or BASELINE not in scenarios:
        return own
    kinds = {s.kind for s in own}
    return [b for b in _own_shocks(BASELINE, scenarios) if b.kind not in kinds] + own


def _own_shocks(name: str, scenarios: dict[str, Scenario], _seen=()) -> list[Shock]:
    """A scenario's own shocks plus those of the scenarios it composes (recursively; cycles are errors)."""
    if name not in scenarios:
        raise PactwatchError(f"unknown scenario {name!r}; available: {', '.join(sorted(scenarios))}")
    if name in _seen:
        raise PactwatchError(f"scenario {name!r}: composition cycle {' -> '.join([*_seen, name])}")
    sc = scenarios[name]
    out = []
    for c in sc.compose:
        out += _own_shocks(c, scenarios, (*_seen, name))
    return out + list(sc.shocks)
