"""How often a long inter-state war ends within the next year: the base rate behind the status quo's yearly chance
that the war a case's members fight ends (``scenarios/status-quo.yaml``).

Data: COW Inter-State War Data v4.0 (Sarkees & Wayman 2010; one row per war participant, 1816–2007). A war's start is
its participants' earliest start date, its end their latest end date (the end of a second spell where a participant
has one); a date part coded missing (−9) is an error naming the rows, never imputed. Durations in years of 365.25
days.

:func:`ending_share`: among the wars that had lasted at least ``age`` years, the share that ended within the next
``window`` years (a binomial proportion, Jeffreys interval), with the wars listed. :func:`yearly_hazard`: the same
question as a constant rate — endings per war-year at risk after ``age`` (the maximum-likelihood rate of an
exponential waiting time), turned into a chance per year 1 − exp(−rate). Both condition on the war's current age;
neither knows anything about the particular war.
"""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from pactwatch.errors import DataError

YEAR = 365.25
_PARTS = ("Year", "Month", "Day")


def _date(row, k: int, which: str):
    y, m, d = (int(row[f"{which}{p}{k}"]) for p in _PARTS)
    if y < 0:
        return None  # -8: no such spell
    if m < 0 or d < 0:
        raise ValueError(f"{which} date {y}-{m}-{d}")
    return dt.date(y, m, d)


def war_spells(wars: pd.DataFrame) -> pd.DataFrame:
    """One row per war from COW's participant rows: WarNum, WarName, start, end, years (sorted by start). A
    participant with a missing start or end part raises :class:`DataError` naming the war and the participant."""
    need = ["WarNum", "WarName", "ccode"] + [f"{w}{p}{k}" for w in ("Start", "End") for p in _PARTS for k in (1, 2)]
    miss = [c for c in need if c not in wars.columns]
    if miss:
        raise DataError(f"COW inter-state wars: columns {miss} are missing")
    rows = {}
    for _, r in wars.iterrows():
        try:
            s1, e1, e2 = _date(r, 1, "Start"), _date(r, 1, "End"), _date(r, 2, "End")
        except ValueError as exc:
            raise DataError(f"COW inter-state wars: war {r['WarNum']} ({r['WarName']}), participant {r['ccode']}: "
                            f"{exc} has a missing part") from None
        if s1 is None or e1 is None:
            raise DataError(f"COW inter-state wars: war {r['WarNum']} ({r['WarName']}), participant {r['ccode']}: "
                            "no first start or end date")
        end = max(e1, e2) if e2 is not None else e1
        w = rows.setdefault(int(r["WarNum"]), {"WarNum": int(r["WarNum"]), "WarName": str(r["WarName"]).strip(),
                                               "start": s1, "end": end})
        w["start"], w["end"] = min(w["start"], s1), max(w["end"], end)
    out = pd.DataFrame(list(rows.values()))
    out["years"] = [(e - s).days / YEAR for s, e in zip(out["start"], out["end"])]
    return out.sort_values(["start", "WarNum"]).reset_index(drop=True)


def _jeffreys(k: int, n: int, level: float) -> tuple[float, float]:
    from scipy import stats

    a = (1 - level) / 2
    lo = 0.0 if k == 0 else float(stats.beta.ppf(a, k + 0.5, n - k + 0.5))
    hi = 1.0 if k == n else float(stats.beta.ppf(1 - a, k + 0.5, n - k + 0.5))
    return lo, hi


def ending_share(spells: pd.DataFrame, age: float, window: float = 1.0, level: float = 0.9) -> dict:
    """Among the wars that lasted at least ``age`` years, the share that ended within ``age + window`` years:
    {age, window, n_at_risk, n_ended, share, lower, upper (Jeffreys), wars: [{name, start, end, years, ended}]}."""
    if age < 0 or window <= 0:
        raise ValueError(f"age must be >= 0 and window > 0 (got {age}, {window})")
    risk = spells[spells["years"] >= age]
    ended = risk["years"] < age + window
    n, k = int(len(risk)), int(ended.sum())
    lo, hi = _jeffreys(k, n, level) if n else (None, None)
    return {"age": age, "window": window, "level": level, "n_at_risk": n, "n_ended": k,
            "share": k / n if n else None, "lower": lo, "upper": hi,
            "wars": [{"name": r.WarName, "start": str(r.start), "end": str(r.end), "years": round(float(r.years), 2),
                      "ended": bool(e)} for r, e in zip(risk.itertuples(), ended)]}


def yearly_hazard(spells: pd.DataFrame, age: float, level: float = 0.9) -> dict:
    """Endings per war-year at risk after ``age`` (every war that lasted at least ``age`` years ends, so each adds one
    ending and ``years − age`` of exposure) and the chance per year 1 − exp(−rate), with an exact (Poisson count)
    interval: {age, n_wars, exposure_years, rate, p_per_year, lower, upper}."""
    from scipy import stats

    risk = spells[spells["years"] >= age]
    d, T = int(len(risk)), float((risk["years"] - age).sum())
    if d == 0 or T <= 0:
        return {"age": age, "n_wars": d, "exposure_years": T, "rate": None, "p_per_year": None, "lower": None,
                "upper": None}
    a = (1 - level) / 2
    rlo = float(stats.chi2.ppf(a, 2 * d)) / (2 * T)
    rhi = float(stats.chi2.ppf(1 - a, 2 * d + 2)) / (2 * T)
    rate = d / T
    return {"age": age, "n_wars": d, "exposure_years": T, "rate": rate, "p_per_year": -math.expm1(-rate),
            "lower": -math.expm1(-rlo), "upper": -math.expm1(-rhi)}


def yearly_hazard_as_of(spells: pd.DataFrame, age: float, as_of: dt.date, level: float = 0.9) -> dict:
    """:func:`yearly_hazard` with only what was known on ``as_of``: a war that had ended by then (end <= as_of) adds
    its ending and its war-years after ``age``; a war under way on ``as_of`` (start <= as_of < end) adds its
    war-years after ``age`` up to ``as_of`` as censored exposure (no ending: right-censored, the maximum-likelihood
    rate of an exponential waiting time with censoring); a war started after ``as_of`` is unknown. Returns the keys
    of :func:`yearly_hazard` plus as_of, n_censored (wars under way past ``age``) and censored_years."""
    from scipy import stats

    ended = spells[spells["end"] <= as_of]
    on = spells[(spells["start"] <= as_of) & (spells["end"] > as_of)]
    risk = ended[ended["years"] >= age]
    seen = pd.Series([(as_of - s).days / YEAR for s in on["start"]], dtype=float)
    cens = seen[seen > age] - age
    d = int(len(risk))
    T = float((risk["years"] - age).sum()) + float(cens.sum())
    out = {"age": age, "as_of": str(as_of), "n_wars": d, "n_censored": int(len(cens)),
           "censored_years": float(cens.sum()), "exposure_years": T, "rate": None, "p_per_year": None,
           "lower": None, "upper": None}
    if d == 0 or T <= 0:
        return out
    a = (1 - level) / 2
    rlo = float(stats.chi2.ppf(a, 2 * d)) / (2 * T)
    rhi = float(stats.chi2.ppf(1 - a, 2 * d + 2)) / (2 * T)
    out.update(rate=d / T, p_per_year=-math.expm1(-d / T), lower=-math.expm1(-rlo), upper=-math.expm1(-rhi))
    return out


def war_age(since: dt.date, on: dt.date) -> float:
    """Years from a war's start to ``on`` (365.25-day years)."""
    return (on - since).days / YEAR


def from_source(src=None) -> pd.DataFrame:
    """The war spells of COW inter-state war data 4.0 from a data source (default: the process-wide one)."""
    from pactwatch.data.source import default_source

    return war_spells((src or default_source()).table("cow_war_inter"))


__all__ = ["war_spells", "ending_share", "yearly_hazard", "yearly_hazard_as_of", "war_age", "from_source"]
