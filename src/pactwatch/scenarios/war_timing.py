"""The status quo's yearly chance that the members' war ends, computed on the as-of date (``p_per_year: from-data``).

A ``war-ends`` shock whose geometric timing says ``p_per_year: from-data`` gets its number here, for each forecast
(and each back-test origin) separately, from what was known on the as-of date (:data:`RULE`):

1. **The war.** For each member at war on the as-of date (its :class:`.shocks.MemberState` ``at_war``):

   - as-of year up to the COW data's end (:data:`COW_END`, 2007): the member's COW inter-state war participation
     covering that calendar year (``StartYear``..``EndYear`` of either spell); the war's start and end are COW's
     (:func:`pactwatch.models.war_duration.war_spells`: its participants' earliest start and latest end);
   - later: the case file's hand value (``observed.members.<ccode>.at_war``: ``war``, ``since``, ``source``).

   A member at war without a COW participation row or a ``since`` date has a war of unknown start.
2. **Already over.** If every war found had ended by the as-of date (COW codes a member at war in every calendar
   year with fighting, so a war that ended in the as-of year still shows), the war's end is known: the shock falls
   in the as-of year (``fixed: 0``: at war in it, not from the next year).
3. **Several wars.** The rate is that of the oldest war under way (earliest start) — COW's rule for a war's start
   (its first participant's start), so a member that joined a war later (the case's DPRK, in the Russia–Ukraine
   war since Oct 2024) does not make the war younger; with distinct wars the one shock ends all of them at once, an
   approximation (the wars are listed in the basis).
4. **Unknown start.** No war with a known start: the rate for age 0 (every war), with a note.
5. **The rate.** :func:`pactwatch.models.war_duration.yearly_hazard_as_of` at the war's age on the as-of date: wars
   that had ended by then add their endings and war-years past that age; wars under way then add their war-years
   past that age up to the as-of date as censored exposure (no ending). Fewer than :data:`MIN_AT_RISK` ended wars as
   old: the age is lowered to the :data:`MIN_AT_RISK`-th longest ended war's duration (noted).

No member at war: the shock changes nothing and is left out (noted in the basis).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from pactwatch.errors import PactwatchError
from pactwatch.models import war_duration as W

from .schema import Shock, Timing

#: The last year of the COW inter-state war data (4.0): later as-of years take the case's hand values.
COW_END = 2007
#: The fewest ended wars the rate is computed from (else the age is lowered, see the module docstring).
MIN_AT_RISK = 3
FROM_DATA = "from-data"
RULE = ("the yearly chance that the war ends, computed on the as-of date: the war a member fights then (COW "
        "inter-state war participation in the as-of year up to 2007, the case file's 'at_war.since' after), its age "
        "from its start (the oldest war if several; age 0 if no start is known), and the constant yearly rate of COW "
        "inter-state wars as old that had ended by the as-of date (wars under way then: censored exposure); a war "
        "already over on the as-of date ends in the as-of year")
SOURCE = "COW Inter-State War Data v4.0 (Sarkees & Wayman 2010), pactwatch.models.war_duration"


@dataclass
class WarData:
    """COW inter-state war participant rows and war spells from a data source (default the process-wide one),
    read on first use."""
    src: object = None
    _parts: pd.DataFrame | None = field(default=None, repr=False)
    _spells: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def participants(self) -> pd.DataFrame:
        if self._parts is None:
            from pactwatch.panels.base import get_source

            self._parts = get_source(self.src).table("cow_war_inter")
        return self._parts

    @property
    def spells(self) -> pd.DataFrame:
        if self._spells is None:
            self._spells = W.war_spells(self.participants)
        return self._spells


def _cow_wars(ccode: int, year: int, wd: WarData) -> list[dict]:
    p = wd.participants
    p = p[p["ccode"].astype(int) == int(ccode)]
    nums = set()
    for k in (1, 2):
        s, e = p[f"StartYear{k}"].astype(int), p[f"EndYear{k}"].astype(int)
        ok = (s > 0) & (s <= year) & ((e >= year) | (e == -7))  # -7: under way at the data's end
        nums |= set(p.loc[ok, "WarNum"].astype(int))
    sp = wd.spells.set_index("WarNum")
    return [{"ccode": int(ccode), "war": str(sp.loc[n, "WarName"]), "warnum": int(n), "start": sp.loc[n, "start"],
             "end": sp.loc[n, "end"], "source": f"COW inter-state war {n} ({sp.loc[n, 'WarName']}), participant "
                                                f"{ccode} in {year}"} for n in sorted(nums) if n in sp.index]


def member_wars(rc, as_of: dt.date, wd: WarData, members=None) -> list[dict]:
    """The war(s) of each member at war on ``as_of`` (rule 1 of the module docstring): [{ccode, war, warnum, start,
    end, source}] (start/end None where unknown). ``members``: indices into ``rc.states`` (default all)."""
    y = as_of.year
    obs = rc.case.observed.members if getattr(rc.case, "observed", None) is not None else {}
    out = []
    for i, s in enumerate(rc.states):
        if not s.at_war or (members is not None and i not in members):
            continue
        found = []
        if y <= COW_END:
            found = _cow_wars(s.ccode, y, wd)
        elif s.ccode in obs and obs[s.ccode].at_war.at_war == 1:
            w = obs[s.ccode].at_war
            found = [{"ccode": s.ccode, "war": w.war, "warnum": None, "start": w.since, "end": None,
                      "source": f"case file observed.members.{s.ccode}.at_war: {w.source}"}]
        if not found:
            found = [{"ccode": s.ccode, "war": None, "warnum": None, "start": None, "end": None,
                      "source": f"member {s.ccode} at war on {as_of} without a COW participation row or a 'since' date"}]
        out.extend(found)
    return out


def war_end_rate(rc, as_of: dt.date, wd: WarData, *, members=None, level: float = 0.9) -> dict:
    """The basis of the yearly war-end chance on ``as_of`` (see the module docstring): {rule, as_of, status
    ('no-war' | 'ended' | 'at-war'), wars[], war_used, age, age_used, p_per_year, lower, upper, n_wars, n_censored,
    exposure_years, censored_years, source (a sentence), notes[]}."""
    as_of = pd.Timestamp(as_of).date()
    wars = member_wars(rc, as_of, wd, members)
    b = {"rule": RULE, "as_of": str(as_of), "status": "no-war", "wars": [{**w, "start": _s(w["start"]), "end": _s(w["end"])}
                                                                         for w in wars],
         "war_used": None, "age": None, "age_used": None, "p_per_year": None, "lower": None, "upper": None,
         "n_wars": None, "n_censored": None, "exposure_years": None, "censored_years": None, "source": None,
         "notes": []}
    if not wars:
        b["source"] = f"no member at war on {as_of}: the war-ends shock changes nothing"
        return b
    ongoing = [w for w in wars if w["end"] is None or w["end"] > as_of]
    if not ongoing:
        b["status"] = "ended"
        b["source"] = (f"every member's war had ended by {as_of} ({'; '.join(sorted({str(w['war']) + ' ended ' + str(w['end']) for w in wars}))}): "
                       "the war ends in the as-of year")
        return b
    known = [w for w in ongoing if w["start"] is not None]
    if known:
        used = min(known, key=lambda w: w["start"])
        age = W.war_age(used["start"], as_of)
        if len({(w["warnum"], w["war"]) for w in ongoing}) > 1:
            b["notes"].append("members at war in more than one war (or wars named differently): the oldest war's age is "
                              "used, and the shock ends all of them at once")
    else:
        used, age = ongoing[0], 0.0
        b["notes"].append("the war's start is unknown: the rate for age 0 (all wars) is used")
    if len(known) < len(ongoing) and known:
        b["notes"].append(f"{len(ongoing) - len(known)} member war(s) of unknown start left out of the war's age")
    sp = wd.spells
    ended = sp[sp["end"] <= as_of]
    if len(ended) < MIN_AT_RISK:
        raise PactwatchError(f"war-end rate on {as_of}: only {len(ended)} COW inter-state wars had ended by then "
                             f"(at least {MIN_AT_RISK} needed)")
    age_used = age
    cap = float(ended["years"].sort_values(ascending=False).iloc[MIN_AT_RISK - 1])
    if int((ended["years"] >= age).sum()) < MIN_AT_RISK:
        age_used = cap
        b["notes"].append(f"fewer than {MIN_AT_RISK} wars that had ended by {as_of} lasted {age:.2f} years: the rate "
                          f"for age {cap:.2f} years (the {MIN_AT_RISK} longest) is used")
    h = W.yearly_hazard_as_of(sp, age_used, as_of, level)
    b.update(status="at-war", war_used={**used, "start": _s(used["start"]), "end": _s(used["end"])}, age=age,
             age_used=age_used, p_per_year=h["p_per_year"], lower=h["lower"], upper=h["upper"], n_wars=h["n_wars"],
             n_censored=h["n_censored"], exposure_years=h["exposure_years"], censored_years=h["censored_years"])
    war = used["war"] or "the war"
    start = f"since {used['start']}" if used["start"] is not None else "start unknown"
    cens = (f"; {h['n_censored']} war(s) under way on {as_of} add {h['censored_years']:.1f} censored war-years"
            if h["n_censored"] else "")
    b["source"] = (f"{SOURCE}, computed on {as_of}: {war} ({start}; {used['source']}) was {age:.2f} years old; of the "
                   f"wars that had ended by then, {h['n_wars']} lasted at least {age_used:.2f} years, with "
                   f"{h['exposure_years'] - h['censored_years']:.1f} war-years past that age{cens}: a constant yearly "
                   f"rate of {h['rate']:.3f}, a chance of {h['p_per_year']:.2f} a year ({level:.0%} interval "
                   f"{h['lower']:.2f}-{h['upper']:.2f}). A base rate, not a forecast of this war.")
    return b


def _s(d):
    return None if d is None else str(d)


def resolve_timings(shocks: list[Shock], rc, as_of, wd: WarData | None = None) -> tuple[list, list, list]:
    """Shocks with ``p_per_year: from-data`` resolved on ``as_of`` (see the module docstring). Returns (resolved
    shocks, the written shocks they come from (same order; the timing draws are keyed by these), bases: one dict
    per resolved shock {kind, written, **war_end_rate(...)}). A from-data shock when no member is at war is left out
    (it would change nothing); one whose war is already over falls in the as-of year."""
    from . import shocks as SH

    out, keys, bases = [], [], []
    memo = {}
    for sh in shocks:
        if sh.timing.p_per_year != FROM_DATA:
            out.append(sh)
            keys.append(sh)
            continue
        wd = wd if wd is not None else WarData()
        idx = None if sh.members in ("all", "any") else tuple(SH.select(sh, rc.states, None))
        if idx not in memo:
            memo[idx] = war_end_rate(rc, as_of, wd, members=None if idx is None else set(idx))
        b = memo[idx]
        bases.append({"kind": sh.kind, "written": sh.timing.model_dump(mode="json", exclude_none=True), **b})
        if b["status"] == "no-war":
            continue
        if b["status"] == "ended":
            tm = Timing(fixed=0, source=b["source"])
        else:
            tm = sh.timing.model_copy(update={"p_per_year": float(b["p_per_year"]), "source": b["source"]})
        out.append(sh.model_copy(update={"timing": tm}))
        keys.append(sh)
    return out, keys, bases


__all__ = ["WarData", "member_wars", "war_end_rate", "resolve_timings", "RULE", "COW_END", "MIN_AT_RISK", "FROM_DATA"]
