"""Alliance search: ATOP 5.1 alliances by member, year and obligation, and one alliance in full (members per phase,
provisions with the codebook's labels, lifetime). Used by the web app's explorer (``/alliances``, ``/api/alliances``).

The alliance rows come from :func:`pactwatch.panels.alliances.alliances` (dates, censoring, termination labels), the
membership spells from :func:`pactwatch.panels.alliances.member_spells`, state names from the COW state list, and every
label from the codebook module :mod:`pactwatch.data.atop`. Errors: :class:`NotFound` (no such state or alliance) and
:class:`InvalidQuery` (a value out of range), both :class:`~pactwatch.errors.PactwatchError`.
"""
from __future__ import annotations

import math

import pandas as pd

from pactwatch.data.atop import CENSOR_DATE, OBLIGATIONS, PROVISIONS, TERMCAUS_LABELS, TERMMODE_LABELS
from pactwatch.data.atop import FIRST_YEAR as ATOP_FIRST_YEAR
from pactwatch.data.atop import LAST_YEAR as ATOP_LAST_YEAR
from pactwatch.errors import PactwatchError


class NotFound(PactwatchError):
    """No state or alliance matches."""


class InvalidQuery(PactwatchError):
    """A search value that cannot be used (empty, out of ATOP's years, not an obligation)."""


def _plain(v):
    """A plain JSON value: NA/NaN -> None, timestamps -> ISO dates, numpy scalars -> Python."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


class AllianceExplorer:
    """Search ATOP 5.1 alliances (unit: the alliance, 789 rows) by member, year and obligation, and show one alliance.

    - *member*: a COW state code (``365``), a COW abbreviation (``RUS``) or part of a COW state name (``korea``),
      matched against the COW state list (its last name for each code).
    - *year*: alliances in effect on at least one day of that year (ATOP: begin year <= year <= end year, or still in
      effect at the 31 Dec 2018 censoring date); with a member, that member's own membership spell must cover the year.
    - *obligation*: ATOP's alliance-level code (1 if any member in any phase ever promised it).
    """

    def __init__(self, src):
        from pactwatch.panels.alliances import alliances, member_spells

        self.alliances = alliances(src).set_index("atopid", drop=False).sort_index()
        self.raw = src.table("atop_alliance").set_index("atopid", drop=False)
        self.members_raw = src.table("atop_member")
        self.spells = member_spells(src)
        st = src.table("cow_states")
        last = st.sort_values(["ccode", "endyear"]).drop_duplicates("ccode", keep="last")
        self.names: dict[int, str] = {int(c): str(n) for c, n in zip(last["ccode"], last["statenme"])}
        self.abbs: dict[str, int] = {str(a).upper(): int(c) for a, c in zip(last["stateabb"], last["ccode"])}
        sp = self.spells
        self._member_sets = sp.groupby("atopid")["ccode"].apply(lambda s: sorted(set(int(x) for x in s))).to_dict()

    def state_name(self, cc) -> str:
        return self.names.get(int(cc), f"COW {int(cc)}")

    def match_states(self, member: str) -> list[int]:
        m = member.strip()
        if not m:
            raise InvalidQuery("member is empty: give a COW code (365), abbreviation (RUS) or name")
        if m.isdigit():
            cc = int(m)
            if cc not in self.names and cc not in set(self.members_raw["member"].astype(int)):
                raise NotFound(f"member {m!r}: no COW state or ATOP member has code {cc}")
            return [cc]
        if m.upper() in self.abbs:
            return [self.abbs[m.upper()]]
        hits = sorted(c for c, n in self.names.items() if m.lower() in n.lower())
        if not hits:
            raise NotFound(f"member {m!r} matches no COW state code, abbreviation or name")
        return hits

    def search(self, member: str | None = None, year: int | None = None, obligation: str | None = None,
               limit: int = 50, offset: int = 0) -> dict:
        a = self.alliances
        keep = pd.Series(True, index=a.index)
        matched: list[int] = []
        if obligation is not None:
            if obligation not in OBLIGATIONS:
                raise InvalidQuery(f"obligation {obligation!r}: use one of {', '.join(OBLIGATIONS)}")
            keep &= a[obligation].fillna(0).astype(int) == 1
        if year is not None:
            if not ATOP_FIRST_YEAR <= year <= ATOP_LAST_YEAR:
                raise InvalidQuery(f"year {year}: ATOP 5.1 covers {ATOP_FIRST_YEAR}-{ATOP_LAST_YEAR}")
            endyr = a["endyr"].astype("float").fillna(ATOP_LAST_YEAR)
            keep &= (a["begyr"] <= year) & (endyr >= year)
        if member is not None:
            matched = self.match_states(member)
            sp = self.spells[self.spells["ccode"].isin(matched)]
            if year is not None:
                ex = sp["exit_year"].astype("float").fillna(ATOP_LAST_YEAR)
                sp = sp[(sp["entry_year"] <= year) & (ex >= year)]
            keep &= a.index.isin(set(sp["atopid"]))
        hits = a[keep.values]
        page = hits.iloc[offset: offset + limit]
        return {"count": int(len(hits)), "offset": offset, "limit": limit,
                "matched_states": [{"ccode": c, "name": self.state_name(c)} for c in matched],
                "results": [self.summary(r) for r in page.itertuples(index=False)]}

    def summary(self, r) -> dict:
        members = self._member_sets.get(int(r.atopid), [])
        return {
            "atopid": int(r.atopid),
            "begin": _plain(r.begin), "end": _plain(r.end),
            "in_effect": bool(r.ineffect == 1),
            "duration_years": round(float(r.duration_years), 2),
            "members": [{"ccode": c, "name": self.state_name(c)} for c in members],
            "obligations": [o for o in OBLIGATIONS if getattr(r, o) is not pd.NA and getattr(r, o) == 1],
            "term_label": _plain(r.term_label) if int(r.ineffect) == 0 else None,
        }

    def detail(self, atopid: int) -> dict:
        if atopid not in self.alliances.index:
            raise NotFound(f"no ATOP 5.1 alliance has atopid {atopid}")
        r = self.alliances.loc[atopid]
        raw = self.raw.loc[atopid]
        m = self.members_raw[self.members_raw["atopid"] == atopid].sort_values(["phase", "member", "yrent"])
        def ymd(y, mo, d):
            if pd.isna(y) or int(y) == 0:
                return None
            parts = [int(y), int(mo) if pd.notna(mo) and int(mo) else None, int(d) if pd.notna(d) and int(d) else None]
            return "-".join(f"{p:02d}" if i else f"{p:04d}" for i, p in enumerate(parts) if p is not None)

        members = []
        for x in m.itertuples(index=False):
            in_eff = int(x.ineffect) == 1
            tm = None if in_eff or pd.isna(x.termmode) else int(x.termmode)
            tc = None if in_eff or pd.isna(x.termcaus) else int(x.termcaus)
            members.append({
                "ccode": int(x.member), "name": self.state_name(x.member), "phase": int(x.phase),
                "entry": ymd(x.yrent, x.moent, x.dayent), "exit": None if in_eff else ymd(x.yrexit, x.moexit, x.dayexit),
                "in_effect": in_eff,
                "termmode": tm, "termmode_label": TERMMODE_LABELS.get(tm) if tm is not None else None,
                "termcaus": tc, "termcaus_label": TERMCAUS_LABELS.get(tc) if tc is not None else None,
            })
        provisions = [{"code": k, "label": lab, "meaning": mean,
                       "value": _plain(pd.to_numeric(raw.get(k), errors="coerce"))}
                      for k, (lab, mean) in PROVISIONS.items() if k in raw.index]
        lifetime = {
            "begin": _plain(r["begin"]), "end": _plain(r["end"]), "in_effect": bool(r["ineffect"] == 1),
            "event": int(r["event"]), "event_atop": int(r["event_atop"]),
            "censor_date": str(CENSOR_DATE.date()), "duration_days": int(r["duration_days"]),
            "duration_years": round(float(r["duration_years"]), 3),
            "begday_imputed": bool(r["begday_imputed"]), "endday_imputed": bool(r["endday_imputed"]),
            "term": _plain(r["term"]), "term_label": _plain(r["term_label"]),
            "termmode_final_label": _plain(r["termmode_final_label"]),
            "termcaus_final_label": _plain(r["termcaus_final_label"]),
            "n_phases": _plain(r["n_phases"]), "n_members_ever": _plain(r["n_members_ever"]),
            "max_concurrent_members": _plain(r["max_concurrent_members"]),
        }
        return {"atopid": int(atopid), "summary": self.summary(r), "lifetime": lifetime,
                "members": members, "provisions": provisions}
