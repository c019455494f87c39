"""Bremer (1992) "dangerous dyads", as peacesciencer's vignette ``bremer-example`` re-does it.

Unit of analysis
    The **non-directed politically relevant dyad-year**, 1816-2010: COW dyad-years (both states system members on a common
    day of the year, ccode1 < ccode2) whose states are contiguous (COW direct contiguity, any type 1-5) or include a COW
    major power. 2010 is the last year of the GML MID data.

Pipeline (each step's row count is in ``BremerResult.step_rows``)
    ``dyad_years(1816, 2010)`` -> ``filter_prd`` (adds ``conttype``, ``cowmaj1/2``) -> ``add_gml_mids`` (onset/ongoing) ->
    ``add_spells`` (peace years on ongoing disputes) -> ``add_nmc`` -> ``add_democracy(keep=["aeuds"])`` ->
    ``add_atop_alliance`` -> ``add_sim_gdp_pop(keep=["mrgdppc"])``; then the vignette's recodes:

    - ``landcontig`` = conttype == 1; ``cowmajdyad`` = cowmaj1 == 1 or cowmaj2 == 1;
    - ``minmilit`` = the lower of milper/tpop of the two states ("weak link" militarization);
    - ``cincprop`` = lower CINC / higher CINC; ``mindemest`` = lower aeuds; ``minmgdppc`` = lower mrgdppc;
    - ``cincprop``, ``mindemest``, ``minmgdppc``, ``minmilit`` rescaled by stevemisc's ``r2sd``: (x - mean) / (2 sd), mean
      and sd over all dyad-years where x is known (before the model drops rows, as in the vignette).

    Any NA in a pair makes the weak-link / proportion NA, as R's ``ifelse`` does; 0/0 (both CINC 0) is NA too.

Model
    Logit of ``gmlmidonset`` on landcontig, cincprop, cowmajdyad, atop_defense, mindemest, minmgdppc, minmilit,
    gmlmidspell, gmlmidspell^2, gmlmidspell^3 and a constant (Carter & Signorino cubic in peace years), fitted by
    Newton-Raphson (:func:`logit_newton`; tests check it against statsmodels Logit and GLM-Binomial/IRLS) to the same rows
    R's ``glm`` keeps: a row with NA in any model variable is dropped
    (listwise deletion). ``BremerResult.missing`` reports, per variable, how many panel rows it has NA and how many rows
    are dropped *only* because of it.

Differences from the printed vignette / manuscript
    The published table could not be found in the stored reference material, so no published figures are compared
    (``published`` is empty; fill :data:`PUBLISHED` to turn the comparison on). Expect small differences from what the
    vignette printed in any case, because the data moved on between peacesciencer versions: the manuscript used
    ``add_cow_alliance()`` and ``add_sdp_gdp()``, the vignette ATOP and the simulated GDP data (which we use); the extended
    UDS, NMC (6.0 here) and GDP simulations were revised; and a few rules differ on purpose:

    - dyad-years are built from day-level membership (peacesciencer removes the same "false dyads" afterwards);
    - contiguity ignores COW master records of type 0 when taking the year's closest type (peacesciencer takes the minimum
      over all records, so a year with a type-0 and a type-k record counts as 0 there);
    - ATOP obligations come from the ATOP member-level file unless ``atop_source="peacesciencer"`` (its ready-made
      ``atop_alliance`` table), which is the vignette's source.
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
#: Published figures, term -> (coef, se), and "n" -> N. Empty: not found in the stored reference material.
PUBLISHED: dict[str, Any] = {}


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

    def to_dict(self) -> dict[str, Any]:
        coefs = [
            {"term": t, "label": LABELS.get(t, t), **{k: float(v) for k, v in r.items()}}
            for t, r in self.coefficients.iterrows()
        ]
        return {
            "name": NAME,
            "citation": CITATION,
            "unit": "non-directed politically relevant dyad-year, 1816-2010",
            "dv": DV,
            "step_rows": self.step_rows,
            "panel_rows": int(len(self.data)),
            "n": self.n,
            "n_onsets": self.n_onsets,
            "loglik": self.loglik,
            "loglik_null": self.loglik_null,
            "converged": self.converged,
            "coefficients": coefs,
            "missing": self.missing.reset_index().to_dict("records"),
            "published_available": bool(PUBLISHED),
            "seconds": self.seconds,
            "notes": self.notes,
        }


# ------------------------------------------------------------------------------------------------------------ panel
def bremer_panel(src: DataSource | None = None, *, atop_source: str = "atop") -> pd.DataFrame:
    """The vignette's data: PRD non-directed dyad-years 1816-2010 with all steps applied (before recodes)."""
    from pactwatch.panels.conflict import add_gml_mids, add_spells, filter_prd
    from pactwatch.panels.dyads import dyad_years
    from pactwatch.panels.steps import add_atop_alliance, add_democracy, add_nmc, add_sim_gdp_pop

    src = get_source(src)
    p = dyad_years(START, END, directed=False, src=src)
    p = filter_prd(p, src=src)
    p = add_gml_mids(p, src=src)
    p = add_spells(p)
    p = add_nmc(p, src=src)
    p = add_democracy(p, src=src, keep=["aeuds"])
    p = add_atop_alliance(p, src=src, source=atop_source)
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


def recode(panel: pd.DataFrame) -> pd.DataFrame:
    """The vignette's recodes and r2sd rescaling (module docstring); returns a new frame with the model columns added."""
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
    for c in RESCALED:
        d[c] = r2sd(d[c].to_numpy(dtype="float64"))
    d["atop_defense"] = _f(d, "atop_defense")
    d["gmlmidonset"] = _f(d, "gmlmidonset")
    sp = _f(d, "gmlmidspell")
    d["gmlmidspell"], d["gmlmidspell2"], d["gmlmidspell3"] = sp, sp ** 2, sp ** 3
    return log_step(d, "bremer recode", "landcontig, cowmajdyad, minmilit, cincprop, mindemest, minmgdppc; r2sd on 4")


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


def bremer_1992(src: DataSource | None = None, *, atop_source: str = "atop") -> BremerResult:
    """Build the panel, recode, and fit the logit. See the module docstring for the unit, model and data differences."""
    t0 = time.perf_counter()
    panel = bremer_panel(src, atop_source=atop_source)
    d = recode(panel)
    miss = missing_report(d)
    y, X, names = design(d)
    res, tab, converged = fit_logit(y, X, names)
    seconds = time.perf_counter() - t0
    log_step(d, "bremer logit", "listwise deletion on the model variables", n=int(len(y)), dropped=int(len(d) - len(y)))
    step_rows = [{"step": r["step"], "rows": r["rows"], "note": r.get("note", "")} for r in d.attrs["pactwatch_log"]]
    notes = [
        f"Unit: non-directed politically relevant dyad-year {START}-{END}; DV gmlmidonset (GML MID 2.2.1 onsets).",
        f"Listwise deletion: {len(d) - len(y)} of {len(d)} dyad-years dropped for NA in a model variable (see missing).",
        f"ATOP obligations from {'the ATOP 5.1 member file' if atop_source == 'atop' else 'peacesciencer atop_alliance'}.",
        *d.attrs.get("bremer_notes", []),
    ]
    if not PUBLISHED:
        notes.append("published: not available - the vignette's printed table was not found in stored reference material; "
                     "the fit is checked against independent implementations in tests/test_bremer.py.")
    if not converged:
        notes.append("WARNING: the logit did not converge")
    return BremerResult(
        step_rows=step_rows, n=int(len(y)), n_onsets=int(y.sum()), loglik=float(res.llf), loglik_null=float(res.llnull),
        coefficients=tab, missing=miss, data=d, converged=converged, seconds=seconds, notes=notes,
    )


# ------------------------------------------------------------------------------------------------------------ CLI glue
def run(src: DataSource | None = None) -> BremerResult:
    return bremer_1992(src)


def _fmt(x: float, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if x != 0 and abs(x) < 10 ** (-nd):
        return f"{x:.2e}"
    return f"{x:.{nd}f}"


def render(result: BremerResult):
    from rich.console import Group
    from rich.table import Table

    steps = Table(title="Rows after each step", title_justify="left")
    steps.add_column("step")
    steps.add_column("rows", justify="right")
    for r in result.step_rows:
        steps.add_row(r["step"], f"{r['rows']:,}")
    miss = Table(title="Missing values (listwise deletion)", title_justify="left")
    for c, j in (("variable", "left"), ("NA rows", "right"), ("dropped only for this", "right")):
        miss.add_column(c, justify=j)
    for v, r in result.missing.iterrows():
        miss.add_row(v, f"{r['na']:,}", f"{r['dropped_only_for_this']:,}")
    coef = Table(title=f"{NAME}: logit of GML MID onset, N = {result.n:,} ({result.n_onsets:,} onsets), "
                       f"log-likelihood {result.loglik:.3f}", title_justify="left")
    for c, j in (("term", "left"), ("coef", "right"), ("se", "right"), ("z", "right"), ("p", "right")):
        coef.add_column(c, justify=j)
    for t, r in result.coefficients.iterrows():
        coef.add_row(LABELS.get(t, t), _fmt(r["coef"]), _fmt(r["se"]), f"{r['z']:.2f}", _fmt(r["p"]))
    coef.caption = "\n".join([CITATION, *result.notes])
    coef.caption_justify = "left"
    return Group(steps, miss, coef)


REPLICATION = {
    "name": NAME,
    "run": run,
    "render": render,
    "summary": "Bremer 1992 dangerous dyads (peacesciencer vignette): PRD dyad-years 1816-2010, logit of GML MID onset.",
}
