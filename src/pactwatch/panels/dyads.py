"""Dyad-year panels from COW state system membership.

Unit of analysis: the dyad-year, one row per (``ccode1``, ``ccode2``, ``year``).

- directed (``directed=True``): both (a, b) and (b, a) — France–Germany and Germany–France are different rows;
- non-directed (default): one row per pair with ``ccode1 < ccode2``; exactly half the directed rows.

A dyad-year exists only where the two states' COW membership spells (states2016, day precision, both end days inclusive)
overlap on at least one day of that year. Two states that were both members at some point of the same year but never at
the same time — e.g. Germany (until 8 May 1945) and the Netherlands (from its re-entry later in 1945), the Republic of
Vietnam (until 30 Apr 1975) and Suriname (from 25 Nov 1975) — do not form a dyad that year. These are peacesciencer's "false
dyads" (``false_cow_dyads``): 60 directed dyad-years in 1816–2016, which peacesciencer's ``create_dyadyears()`` removes
after the fact; here they are never created. The result equals peacesciencer's ``cow_ddy`` for 1816–2016 row for row.

Coverage: 1816–2016 (states2016). Years after 2016 need ``carry_forward=True`` (states alive on 31 Dec 2016 assumed
to remain members; like peacesciencer's ``mry = TRUE``), which is logged.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import PactwatchError
from pactwatch.panels.base import log_step
from pactwatch.panels.states import COW_FIRST_YEAR, COW_LAST_YEAR, check_years, membership_spells


def _expand_years(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For intervals [lo, hi] of years: (index of the interval, year) for every year in each, vectorised."""
    k = hi - lo + 1
    idx = np.repeat(np.arange(len(lo)), k)
    years = lo[idx] + (np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k))
    return idx, years


def dyad_years(start: int = COW_FIRST_YEAR, end: int = COW_LAST_YEAR, *, directed: bool = False,
               src: DataSource | None = None, carry_forward: bool = False) -> pd.DataFrame:
    """COW dyad-years ``start``–``end`` inclusive: [ccode1, ccode2, year] (int64), sorted by ccode1, ccode2, year.

    A dyad-year exists where both states were system members on at least one common day of the year (see the module
    docstring). ``directed=False`` keeps ccode1 < ccode2. 1816–2016 gives 1,912,290 directed / 956,145 non-directed rows.
    """
    s, e = check_years(start, end, what="dyad_years", carry_forward=bool(carry_forward))
    sp = membership_spells(src)
    code = sp["ccode"].to_numpy().astype("int64")
    if len(code) and (code.min() < 0 or code.max() > 999):
        raise PactwatchError(f"dyad_years: COW codes must lie in 0..999; states2016 has {code.min()}..{code.max()}")
    st = sp["stdate"].to_numpy()
    en = sp["enddate"].to_numpy().copy()
    carried = 0
    if carry_forward and e > COW_LAST_YEAR:
        last = en.max()
        en[en == last] = np.datetime64(f"{e}-12-31")
    # every ordered pair of spells of two different states (about 240^2 pairs: trivial), then their common days
    i, j = np.nonzero(code[:, None] != code[None, :])
    if not directed:
        keep = code[i] < code[j]
        i, j = i[keep], j[keep]
    lo = np.maximum(st[i], st[j])
    hi = np.minimum(en[i], en[j])
    ok = lo <= hi
    i, j, lo, hi = i[ok], j[ok], lo[ok], hi[ok]
    ylo = np.maximum(lo.astype("datetime64[Y]").astype("int64") + 1970, s)
    yhi = np.minimum(hi.astype("datetime64[Y]").astype("int64") + 1970, e)
    ok = ylo <= yhi
    i, j, ylo, yhi = i[ok], j[ok], ylo[ok], yhi[ok]
    # Several spell pairs of one dyad (states that left and re-entered) can cover the same years: merge each dyad's
    # overlapping year intervals first (sorting ~50,000 intervals, not ~900,000 dyad-years), then expand them, which
    # gives the dyad-years sorted by ccode1, ccode2, year and without repeats.
    pair_i = code[i] * 1000 + code[j]
    n_raw = int((yhi - ylo + 1).sum())
    order = np.lexsort((ylo, pair_i))
    pair_i, ylo, yhi = pair_i[order], ylo[order], yhi[order]
    if len(pair_i):
        # running maximum of yhi within each dyad (pair_i is sorted and dominates the combined key)
        runmax = np.maximum.accumulate(pair_i * 10000 + yhi) - pair_i * 10000
        new_block = np.ones(len(pair_i), dtype=bool)
        new_block[1:] = (pair_i[1:] != pair_i[:-1]) | (ylo[1:] > runmax[:-1])
        starts = np.flatnonzero(new_block)
        ends = np.r_[starts[1:], len(pair_i)] - 1
        pair_b, ylo_b, yhi_b = pair_i[starts], ylo[starts], runmax[ends]
    else:
        pair_b, ylo_b, yhi_b = pair_i, ylo, yhi
    idx, years = _expand_years(ylo_b, yhi_b)
    pair = pair_b[idx]
    out = pd.DataFrame({"ccode1": pair // 1000, "ccode2": pair % 1000, "year": years})
    if carry_forward:
        carried = int((out["year"] > COW_LAST_YEAR).sum())
    kind = "directed" if directed else "non-directed (ccode1 < ccode2)"
    note = f"COW {kind} dyad-years {s}-{e}: both states members on at least one common day of the year (states2016 spells)"
    if n_raw != len(out):
        note += f"; {n_raw - len(out)} repeated dyad-years from re-entry spells merged"
    if carried:
        note += f"; {carried} dyad-years after {COW_LAST_YEAR} carried forward (assumed, not observed)"
    out.attrs = {}
    return log_step(out, "dyad_years", note, carried_forward=carried)


def naive_dyad_years(start: int = COW_FIRST_YEAR, end: int = COW_LAST_YEAR, *, directed: bool = True,
                     src: DataSource | None = None) -> pd.DataFrame:
    """Dyad-years from year-level membership only (both states members at some point of the year, not necessarily at the
    same time): the way peacesciencer first builds them, before removing its false dyads. For comparison and tests; use
    :func:`dyad_years` for analysis."""
    from pactwatch.panels.states import state_years

    sy = state_years(start, end, src=src)
    out = sy.merge(sy, on="year", suffixes=("1", "2"))
    out = out[out["ccode1"] != out["ccode2"]] if directed else out[out["ccode1"] < out["ccode2"]]
    out = out[["ccode1", "ccode2", "year"]].sort_values(["ccode1", "ccode2", "year"], ignore_index=True)
    out.attrs = {}
    return log_step(out, "naive_dyad_years", "year-level co-membership (includes false dyads)")
