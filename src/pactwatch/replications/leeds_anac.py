"""Leeds & Anac (2005): does alliance institutionalization make allies honor their commitments in war?

Replicates the logit of alliance honoring in wartime (their Table 4) from the authors' replication file
``replication/LeedsAnacIIrep.dta`` (registered table ``rep_leeds_anac``).

Unit of analysis
    One **alliance-war-member observation**: a member state (``ccode1``, COW state code) of an ATOP
    alliance (``atopid``) whose commitment was invoked by an interstate war (``war``, the COW war number
    in the numbering the authors used; the wars run from 1848 to 1990). The file holds 137 such
    observations (105 alliances, 33 wars); (war, atopid, ccode1) is unique. Case selection (which
    alliance-war pairs count as an invocation) was done by the authors; we take the file as published and
    drop no rows. A row with a missing value in a model variable would be dropped by the logit and is
    counted and reported in ``notes`` (the published file has none).

Model
    ``honor3`` (1 = the member honored its commitment, 0 = it did not; the authors' coding - the file's
    alternative ``honor2`` differs in 2 rows) on
    ``milinst`` (peacetime military institutionalization, 0/1/2), ``formal`` (formality, 0/1/2),
    ``chcap2d`` (dummy: change in the member's capabilities since formation), ``dinstch2`` (dummy: change
    in its political institutions since formation) and ``origtar1`` (dummy: the ally was the original
    target). The file has no codebook; these readings follow the variable names, the file's labels and
    Leeds (2003), and the exact thresholds are the authors'. This is the specification in the only public
    code that uses this file (J. Alley, github.com/joshuaalley/arms-allies,
    ``data/leeds-anac-replication/depth-cred-reanalysis.R``). Alley fitted it on the ``active == 1``
    subset (N = 93); the full file (N = 137) matches the N the pactwatch issue gives for Table 4, so the
    full file is the main model and the ``active == 1`` fit is shown as a variant.

    Standard errors: conventional (inverse information) and, because several observations share an
    alliance, clustered by ``atopid`` (Stata's small-sample correction G/(G-1)·(N-1)/(N-K)).

Published figures
    We could not find the published Table 4 coefficients, standard errors or log-likelihood in any stored
    public material, so ``published_coef``/``published_se`` are ``None`` and ``match`` is ``None``
    ("published: not available"). Fill :data:`PUBLISHED` from the article to turn on the comparison; a
    figure then matches when ours rounds to it at the printed precision.
"""
from __future__ import annotations

import math
from typing import Any

import pandas as pd

from pactwatch.errors import DataError

NAME = "leeds-anac-2005"
TABLE = "rep_leeds_anac"
CITATION = (
    "Leeds, Brett Ashley and Sezi Anac. 2005. \"Alliance Institutionalization and Alliance Performance.\" "
    "International Interactions 31(3): 183-202. Table 4."
)
DV = "honor3"
TERMS = ["milinst", "formal", "chcap2d", "dinstch2", "origtar1"]
CLUSTER = "atopid"
ID_COLS = ["war", "atopid", "ccode1"]

#: Published Table 4 figures, term -> (coef, se); ``"loglik"`` -> value. Empty: not found in stored material.
PUBLISHED: dict[str, Any] = {}
#: Decimal places the published table prints (used for the rounding match once PUBLISHED is filled).
PUBLISHED_DECIMALS = 3

LABELS = {
    "const": "Constant",
    "milinst": "Military institutionalization",
    "formal": "Formality",
    "chcap2d": "Capability change",
    "dinstch2": "Political-institution change",
    "origtar1": "Ally was original target",
}


def load(src=None) -> pd.DataFrame:
    """The replication file, checked: required columns present, DV coded 0/1, regressors numeric."""
    if src is None:
        from pactwatch.data.source import default_source

        src = default_source()
    df = src.table(TABLE)
    missing = [c for c in [DV, *TERMS, *ID_COLS, "active"] if c not in df.columns]
    if missing:
        raise DataError(f"table {TABLE!r}: missing column(s) {', '.join(missing)} needed for the Leeds & Anac logit")
    out = df.copy()
    for c in [DV, *TERMS, *ID_COLS, "active"]:
        try:
            out[c] = pd.to_numeric(out[c])
        except (ValueError, TypeError) as e:
            raise DataError(f"table {TABLE!r}: column {c!r} is not numeric ({e})") from None
    bad = out[DV].dropna()
    bad = bad[~bad.isin([0, 1])]
    if len(bad):
        raise DataError(f"table {TABLE!r}: {DV!r} must be 0/1; found {sorted(bad.unique().tolist())[:5]}")
    if len(out) == 0:
        raise DataError(f"table {TABLE!r} is empty")
    return out


def _published_match(ours: float, pub: float | None, decimals: int = PUBLISHED_DECIMALS) -> bool | None:
    if pub is None:
        return None
    return abs(ours - pub) <= 0.5 * 10 ** (-decimals) + 1e-12


def fit(df: pd.DataFrame, *, subset: str = "all") -> dict[str, Any]:
    """Fit the logit on ``df`` (``subset`` = "all" or "active") and return the JSON-ready model block."""
    import statsmodels.api as sm

    if subset == "active":
        df = df[df["active"] == 1]
    elif subset != "all":
        raise ValueError(f"subset must be 'all' or 'active', not {subset!r}")
    cols = [DV, *TERMS, CLUSTER]
    na = df[cols].isna().any(axis=1)
    n_dropped = int(na.sum())
    d = df.loc[~na]
    if d[DV].nunique() < 2:
        raise DataError(f"table {TABLE!r}: {DV!r} has a single value in the {subset!r} sample; the logit is not identified")
    y = d[DV].astype(float)
    X = sm.add_constant(d[TERMS].astype(float), has_constant="add")
    model = sm.Logit(y, X)
    res = model.fit(disp=0, method="newton", maxiter=100, tol=1e-12)
    res_cl = model.fit(
        disp=0, method="newton", maxiter=100, tol=1e-12,
        cov_type="cluster", cov_kwds={"groups": d[CLUSTER].to_numpy(), "use_correction": True},
    )
    converged = bool(res.mle_retvals.get("converged", True))
    rows = []
    for term in X.columns:
        pub = PUBLISHED.get(term) if subset == "all" else None
        pub_coef, pub_se = (pub if pub is not None else (None, None))
        coef, se = float(res.params[term]), float(res.bse[term])
        m_coef = _published_match(coef, pub_coef)
        m_se = _published_match(se, pub_se)
        match = None if m_coef is None else bool(m_coef and (m_se is None or m_se))
        rows.append({
            "term": term,
            "label": LABELS.get(term, term),
            "coef": coef,
            "se": se,
            "se_cluster": float(res_cl.bse[term]),
            "z": float(res.tvalues[term]),
            "p": float(res.pvalues[term]),
            "published_coef": pub_coef,
            "published_se": pub_se,
            "match": match,
        })
    pub_ll = PUBLISHED.get("loglik") if subset == "all" else None
    return {
        "sample": subset,
        "n": int(res.nobs),
        "n_dropped_missing": n_dropped,
        "n_alliances": int(d[CLUSTER].nunique()),
        "n_wars": int(d["war"].nunique()),
        "n_honored": int(y.sum()),
        "loglik": float(res.llf),
        "loglik_null": float(res.llnull),
        "published_loglik": pub_ll,
        "loglik_match": _published_match(float(res.llf), pub_ll, 2),
        "converged": converged,
        "coefficients": rows,
    }


def run(src=None) -> dict[str, Any]:
    """Fit Table 4 (all 137 observations) and the active-alliance variant; JSON-ready result."""
    df = load(src)
    main = fit(df, subset="all")
    active = fit(df, subset="active")
    published = bool(PUBLISHED)
    notes = [
        "Unit: alliance-war-member observation (member ccode1 of ATOP alliance atopid, invoked by COW war `war`); "
        f"{len(df)} rows in {TABLE}, {main['n_alliances']} alliances, {main['n_wars']} wars.",
        f"DV honor3 (1 honored, 0 not): {main['n_honored']} of {main['n']} honored.",
        "Specification as in the public replication code of J. Alley (arms-allies); logit, SEs conventional and "
        "clustered by atopid.",
        "Variant 'active': only rows with active == 1 (N = %d), the subset Alley used." % active["n"],
    ]
    if main["n_dropped_missing"] or active["n_dropped_missing"]:
        notes.append(
            f"Rows dropped for missing model variables: {main['n_dropped_missing']} (all), "
            f"{active['n_dropped_missing']} (active)."
        )
    if not published:
        notes.append(
            "published: not available - the Table 4 figures were not found in stored public material; "
            "the estimates are cross-checked against independent implementations in the tests instead."
        )
    return {
        "name": NAME,
        "citation": CITATION,
        "table": TABLE,
        "unit": "alliance-war-member",
        "dv": DV,
        "published_available": published,
        "n": main["n"],
        "loglik": main["loglik"],
        "loglik_null": main["loglik_null"],
        "published_loglik": main["published_loglik"],
        "coefficients": main["coefficients"],
        "models": {"all": main, "active": active},
        "notes": notes,
    }


def _fmt(x: float | None, nd: int = 3) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.{nd}f}"


def _match_str(m: bool | None) -> str:
    return "n/a" if m is None else ("yes" if m else "NO")


def render(result: dict[str, Any]):
    """A rich Table: our coefficient and SEs beside the published ones, one section per model."""
    from rich.table import Table

    t = Table(title=f"{result['name']}: logit of honoring an alliance in war (Table 4)", title_justify="left")
    for col, just in [("model", "left"), ("term", "left"), ("coef", "right"), ("se", "right"),
                      ("se (cluster)", "right"), ("published coef", "right"), ("published se", "right"),
                      ("match", "center")]:
        t.add_column(col, justify=just)
    for key, m in result["models"].items():
        label = f"{key} (N={m['n']})"
        for i, r in enumerate(m["coefficients"]):
            t.add_row(label if i == 0 else "", r["label"], _fmt(r["coef"]), _fmt(r["se"]), _fmt(r["se_cluster"]),
                      _fmt(r["published_coef"]), _fmt(r["published_se"]), _match_str(r["match"]))
        t.add_row("", "log-likelihood", _fmt(m["loglik"]), "", "", _fmt(m["published_loglik"], 2), "",
                  _match_str(m["loglik_match"]))
        t.add_section()
    caption = [result["citation"]]
    if not result["published_available"]:
        caption.append("published: not available")
    caption.extend(n for n in result["notes"] if not n.startswith("published: not available"))
    t.caption = "\n".join(caption)
    t.caption_justify = "left"
    return t


REPLICATION = {
    "name": NAME,
    "run": run,
    "render": render,
    "summary": "Leeds & Anac 2005, Table 4: logit of alliance honoring in war (N=137), coefficients, SEs, log-likelihood.",
}
