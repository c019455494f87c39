"""The politically relevant dyad filter (``filter_prd``), as peacesciencer's ``filter_prd()``.

A dyad-year is politically relevant when the two states are contiguous in any way (``conttype`` 1-5: land, or separated by
up to 12, 24, 150 or 400 miles of water) or at least one is a COW major power (``cowmaj1``/``cowmaj2``). It is the one panel
step that drops rows; it logs how many and why.

Lives in its own module because it builds on :mod:`pactwatch.panels.steps` (contiguity, major powers), which in turn lists
the conflict steps: panels.conflict <- panels.steps <- panels.prd, one way.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import PactwatchError
from pactwatch.panels.base import log_step, panel_kind
from pactwatch.panels.states import major_power_years
from pactwatch.panels.steps import CONTIGUITY_RULES, add_contiguity, add_major_powers, contiguity_dyad_years


def _prd_prescreen(panel: pd.DataFrame, src: DataSource | None) -> np.ndarray:
    """Rows that can possibly be politically relevant: the pair has a contiguity record (type 1-5) in some year, or one of
    the two states was a major power in some year. Everything else is certainly not a PRD, whatever the year and whichever
    contiguity rule, so ``add_contiguity``/``add_major_powers`` need not be run on it (on 1816-2010 this skips about 3/4
    of the rows). Uses the same tables those steps merge."""
    cy = contiguity_dyad_years(src, rule="closest")
    mp = major_power_years(src)
    ever_major = np.unique(mp.loc[mp["cowmaj"] == 1, "ccode"].to_numpy(np.int64))
    a, b = cy["ccode1"].to_numpy(np.int64), cy["ccode2"].to_numpy(np.int64)
    pairs = np.unique(np.minimum(a, b) * 1000 + np.maximum(a, b))
    c1, c2 = panel["ccode1"].to_numpy(np.int64), panel["ccode2"].to_numpy(np.int64)
    key = np.minimum(c1, c2) * 1000 + np.maximum(c1, c2)
    return np.isin(key, pairs) | np.isin(c1, ever_major) | np.isin(c2, ever_major)


def filter_prd(panel: pd.DataFrame, src: DataSource | None = None, *, contiguity: str = "closest") -> pd.DataFrame:
    """Keep politically relevant dyad-years (module docstring). If the panel lacks ``conttype`` or the major-power flags,
    they are added first (``add_contiguity(rule=contiguity)`` / ``add_major_powers``), as peacesciencer does; to save time
    they are then run only on the rows of pairs that were ever contiguous or include a state that was ever a major power
    (the others cannot be relevant), and the log says how many rows that pre-screen set aside.

    ``contiguity``: how a year's contiguity type is read when it changed within the year (see
    :func:`pactwatch.panels.steps.contiguity_dyad_years`): ``"closest"`` (default; contiguous in any month of the year) or
    ``"first-month"`` (peacesciencer 1.2.9's rule). Ignored when the panel already has ``conttype``.

    A dyad-year whose contiguity is NA (beyond the contiguity data, after 2016) is kept when a major power is in it (there
    peacesciencer drops it); one whose relevance cannot be known (contiguity NA and no major power) is dropped and counted
    in the log.
    """
    step = "filter_prd"
    if panel_kind(panel) != "dyad":
        raise PactwatchError(f"{step} is only available for dyad-year panels (ccode1, ccode2, year); got a state-year panel")
    if contiguity not in CONTIGUITY_RULES:
        raise PactwatchError(f"{step}: contiguity={contiguity!r}; choose one of {', '.join(CONTIGUITY_RULES)}")
    out = panel
    n_in = len(panel)
    prescreened = 0
    need_ct = "conttype" not in out.columns
    need_mp = not {"cowmaj1", "cowmaj2"} <= set(out.columns)
    if need_ct or need_mp:
        cand = _prd_prescreen(out, src)
        if not cand.all():
            prescreened = int((~cand).sum())
            attrs = dict(out.attrs)
            out = out[cand].reset_index(drop=True)
            out.attrs = attrs
            log_step(out, "filter_prd (pre-screen)", "kept pairs ever contiguous or with a state ever a major power",
                     set_aside=prescreened)
    if need_ct:
        out = add_contiguity(out, src=src, rule=contiguity)
    if need_mp:
        out = add_major_powers(out, src=src)
    ct = out["conttype"].astype("float64")
    maj = (out["cowmaj1"].astype("float64") == 1) | (out["cowmaj2"].astype("float64") == 1)
    contig = ct >= 1
    prd = contig | maj
    unknown = ct.isna() & ~maj
    attrs = dict(out.attrs)
    res = out[prd.to_numpy()].reset_index(drop=True)
    res.attrs = attrs
    return log_step(res, step, "kept contiguous (conttype 1-5) or major-power dyad-years",
                    dropped=n_in - len(res), kept_contiguous=int(contig.sum()),
                    kept_major_only=int((maj & ~contig).sum()), dropped_unknown_contiguity=int(unknown.sum()),
                    prescreened=prescreened)
