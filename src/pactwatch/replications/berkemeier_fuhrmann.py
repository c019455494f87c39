"""Berkemeier & Fuhrmann (2018): how often are alliance commitments honored in war, 1816-2003?

Reliability rates from the authors' replication file ``replication/BerkemeierFuhrmannRAP2018_0303.dta``
(registered table ``rep_berkemeier_fuhrmann``) and its codebook (``replication/Codebook2018_0326.pdf``).

Unit of analysis
    One **alliance-war observation**: an ATOP alliance (``atopid``, ATOP 3.0 numbering) and an interstate
    war (``warid``, Interstate War Data 1.1) in which at least one of its members took part. The file holds
    576 of them (wars 1828-2003). Members are not separate rows: for a multilateral alliance the
    alliance-level codes apply, and ``sabhon``/``sabvio`` give the lenient (Sabrosky) reading.

Case-selection rule (codebook)
    A case is *relevant* - a test of alliance performance - unless ``dna`` = 1 ("not a case of alliance
    performance in war"), which combines three situations: a nonaggression pact whose members did not fight
    each other (``nonagg``), a consultation pact (``consul``), and a war in which the casus foederis was not
    met (``cfna``). Every relevant case is coded either ``honor`` = 1 or ``violate`` = 1; the reliability
    rate is honored / relevant. The dummies are stored as 1 or missing, and missing is read as 0 (the
    codebook defines them as indicators; the authors' own counts rely on this). Anything else - a code
    other than 0/1, a relevant case with neither or both of honor/violate - raises a DataError, since the
    rate would then be undefined.

    The primary coding is the ``LLM`` one (LLM's procedures replicated as closely as possible); the
    authors' alternative ``BF`` coding (its own ``dnaBF`` relevant cases) and the lenient Sabrosky rule for
    multilateral alliances (``sabroskyhonorllm``: honored if at least one member assisted and none fought an
    ally) are reported as sensitivities; the lenient rate is taken over the LLM relevant cases (the flag is
    also set on 4 excluded cases, which stay excluded and are counted in the notes).

Periods
    "1816-1944" vs "1945-2003" follow the file's (undocumented) ``sample`` flag, which is what reproduces the
    published 66% / 22%: ``sample`` = 1 marks Leeds, Long & Mitchell's original universe - alliances formed
    before 1945 in wars begun before 1945 - and 0 the authors' extension (alliances formed from 1945, such
    as those formed in WWII's last year, or wars begun from 1945). The test suite checks this rule against
    ATOP 5.1 formation years. A split purely by the war's start year (parsed from the IWD war name) is
    reported as a sensitivity.

Obligation types
    ATOP obligation flags ``defense``, ``offense``, ``neutral``, ``nonagg``, ``consul`` of the alliance; they
    overlap (an alliance with defense and offense obligations counts in both), so the groups do not sum to
    the total.

Published figures
    From the article's abstract (stored copies: doaj.org record, vivo.library.tamu.edu): overall 50%,
    before 1945 66%, 1945-2003 22%, defense pacts 41%, nonaggression pacts 37%, offensive alliances 74%,
    neutrality agreements 78%. Consultation pacts: not in the abstract (published: not available).
    A figure matches when our rate, in percent, rounds to the published whole percent.
"""
from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from pactwatch.errors import DataError

NAME = "berkemeier-fuhrmann-2018"
TABLE = "rep_berkemeier_fuhrmann"
CITATION = (
    "Berkemeier, Molly and Matthew Fuhrmann. 2018. \"Reassessing the fulfillment of alliance commitments in "
    "war.\" Research & Politics."
)
CODINGS = ("LLM", "BF")
OBLIGATIONS = {
    "defense": "Defense pacts",
    "offense": "Offensive alliances",
    "neutral": "Neutrality agreements",
    "nonagg": "Nonaggression pacts",
    "consul": "Consultation pacts",
}
#: Published rates (percent, rounded) from the article abstract. Keys are row keys of :func:`rates`.
PUBLISHED_PCT: dict[str, int] = {
    "overall": 50,
    "period:1816-1944": 66,
    "period:1945-2003": 22,
    "obligation:defense": 41,
    "obligation:nonagg": 37,
    "obligation:offense": 74,
    "obligation:neutral": 78,
}
PUBLISHED_SOURCE = "article abstract (stored copies: doaj.org, vivo.library.tamu.edu)"
_WAR_YEAR_OVERRIDES = {"worldwari": 1914, "worldwarii": 1939}


def _indicator(df: pd.DataFrame, col: str) -> pd.Series:
    """0/1 int Series from a 1-or-missing dummy; DataError on any other code."""
    if col not in df.columns:
        raise DataError(f"table {TABLE!r}: missing column {col!r}")
    s = pd.to_numeric(df[col], errors="coerce")
    bad = df[col].notna() & ~s.isin([0, 1])
    if bad.any():
        vals = sorted(map(str, df.loc[bad, col].unique()))[:5]
        raise DataError(f"table {TABLE!r}: column {col!r} must be 1, 0 or missing; found {', '.join(vals)}")
    return s.fillna(0).astype(int)


def war_start_year(name: str) -> int:
    """Start year of an IWD war from its name ("Crimean1853-1856" -> 1853; WorldWarI/II -> 1914/1939)."""
    key = re.sub(r"[^a-z]", "", str(name).lower())
    if key in _WAR_YEAR_OVERRIDES:
        return _WAR_YEAR_OVERRIDES[key]
    m = re.search(r"(1[89]\d\d|20\d\d)", str(name))
    if not m:
        raise DataError(f"table {TABLE!r}: cannot read a start year from war name {name!r}")
    return int(m.group(1))


def prepare(df: pd.DataFrame, coding: str = "LLM") -> pd.DataFrame:
    """One row per alliance-war with 0/1 columns relevant, honor, violate, lenient_honor, the obligation
    flags, pre1945 (from ``sample``) and war_year; checks the codebook rule on every relevant case."""
    if coding not in CODINGS:
        raise ValueError(f"coding must be one of {CODINGS}, not {coding!r}")
    need = ["sample", "warid", "atopid", "warname", f"dna{coding}", f"honor{coding}", f"violate{coding}",
            f"sabroskyhonor{coding.lower()}", *OBLIGATIONS]
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise DataError(f"table {TABLE!r}: missing column(s) {', '.join(missing)}")
    out = pd.DataFrame(index=df.index)
    out["warid"] = df["warid"]
    out["atopid"] = df["atopid"]
    out["warname"] = df["warname"]
    out["relevant"] = 1 - _indicator(df, f"dna{coding}")
    out["honor"] = _indicator(df, f"honor{coding}")
    out["violate"] = _indicator(df, f"violate{coding}")
    out["lenient_honor"] = _indicator(df, f"sabroskyhonor{coding.lower()}")
    for ob in OBLIGATIONS:
        out[ob] = _indicator(df, ob)
    sample = pd.to_numeric(df["sample"], errors="coerce")
    if sample.isna().any() or not sample.isin([0, 1]).all():
        raise DataError(f"table {TABLE!r}: column 'sample' must be 0/1 on every row")
    out["pre1945"] = sample.astype(int)
    out["war_year"] = [war_start_year(n) for n in df["warname"]]

    rel = out["relevant"] == 1
    both = rel & (out["honor"] == 1) & (out["violate"] == 1)
    neither = rel & (out["honor"] == 0) & (out["violate"] == 0)
    coded_irrelevant = ~rel & ((out["honor"] == 1) | (out["violate"] == 1))
    for mask, what in [(both, "coded both honored and violated"), (neither, "coded neither honored nor violated"),
                       (coded_irrelevant, "excluded (dna=1) yet coded honored/violated")]:
        if mask.any():
            ex = out.loc[mask, ["warname", "atopid"]].head(3).to_dict("records")
            raise DataError(f"table {TABLE!r} ({coding} coding): {int(mask.sum())} alliance-war case(s) {what}, e.g. {ex}")
    # The lenient (Sabrosky) flag is also set on a few excluded cases (multilateral alliances whose casus
    # foederis was not met but where a member fought alongside the ally); they stay excluded and are counted.
    out.attrs["n_lenient_honored_but_excluded"] = int((~rel & (out["lenient_honor"] == 1)).sum())
    return out


def _rate_row(key: str, label: str, group: str, sub: pd.DataFrame, col: str = "honor",
              published: bool = True) -> dict[str, Any]:
    n = int(len(sub))
    k = int(sub[col].sum())
    rate = k / n if n else None
    se = math.sqrt(rate * (1 - rate) / n) if n else None
    pub_pct = PUBLISHED_PCT.get(key) if published else None
    pub = pub_pct / 100 if pub_pct is not None else None
    match = None if (pub is None or rate is None) else bool(round(rate * 100) == pub_pct)
    return {
        "key": key, "term": label, "group": group, "n": n, "honored": k,
        "coef": rate, "se": se, "published_coef": pub, "published_se": None, "match": match,
    }


def rates(prepared: pd.DataFrame, *, published: bool = True, col: str = "honor") -> list[dict[str, Any]]:
    """Honor rates among relevant cases: overall, by period, by war start year, by obligation type."""
    rel = prepared[prepared["relevant"] == 1]
    rows = [_rate_row("overall", "All relevant cases", "overall", rel, col, published)]
    rows.append(_rate_row("period:1816-1944", "1816-1944 (LLM universe, sample=1)", "period",
                          rel[rel["pre1945"] == 1], col, published))
    rows.append(_rate_row("period:1945-2003", "1945-2003 (extension, sample=0)", "period",
                          rel[rel["pre1945"] == 0], col, published))
    rows.append(_rate_row("waryear:<1945", "War began before 1945", "war start year",
                          rel[rel["war_year"] < 1945], col, False))
    rows.append(_rate_row("waryear:>=1945", "War began 1945 or later", "war start year",
                          rel[rel["war_year"] >= 1945], col, False))
    for ob, label in OBLIGATIONS.items():
        rows.append(_rate_row(f"obligation:{ob}", label, "obligation", rel[rel[ob] == 1], col, published))
    return rows


def run(src=None) -> dict[str, Any]:
    """Reliability rates (primary LLM coding) beside the published ones, plus BF-coding and lenient-rule
    sensitivities. JSON-ready."""
    if src is None:
        from pactwatch.data.source import default_source

        src = default_source()
    raw = src.table(TABLE)
    if len(raw) == 0:
        raise DataError(f"table {TABLE!r} is empty")
    llm = prepare(raw, "LLM")
    bf = prepare(raw, "BF")
    main = rates(llm)
    n_rel = int(llm["relevant"].sum())
    excl = llm[llm["relevant"] == 0]
    cf = raw.loc[excl.index]
    exclusions = {
        "nonaggression, no fighting between allies": int(_indicator(cf, "nonaggLLM").sum()),
        "consultation pact": int(_indicator(cf, "consulLLM").sum()),
        "casus foederis not met": int(_indicator(cf, "cfnaLLM").sum()),
    }
    p = {r["key"]: r for r in main}
    notes = [
        f"Unit: alliance-war observation; {len(raw)} rows, {n_rel} relevant (dna=0) under the LLM coding, "
        f"{len(raw) - n_rel} excluded as not tests of performance (reasons overlap: "
        + ", ".join(f"{k} {v}" for k, v in exclusions.items()) + ").",
        "Rate = honored / relevant. Periods by the file's 'sample' flag (1 = alliance formed and war begun "
        "before 1945); 'war start year' rows split by the war alone (sensitivity, no published figure).",
        "Obligation groups overlap (ATOP flags); consultation pacts have no published figure in the abstract.",
        f"Published figures: {PUBLISHED_SOURCE}, whole percent; match = our rate rounds to it.",
        f"Lenient rule: counted over the same relevant cases; {llm.attrs['n_lenient_honored_but_excluded']} "
        "excluded (dna=1) multilateral cases also carry sabroskyhonorllm=1 and stay excluded.",
        f"War-year split moves {int(((llm['pre1945'] == 1) != (llm['war_year'] < 1945))[llm['relevant'] == 1].sum())} "
        f"relevant cases: {p['waryear:<1945']['honored']}/{p['waryear:<1945']['n']} before 1945, "
        f"{p['waryear:>=1945']['honored']}/{p['waryear:>=1945']['n']} after.",
    ]
    return {
        "name": NAME,
        "citation": CITATION,
        "table": TABLE,
        "unit": "alliance-war",
        "coding": "LLM",
        "n": n_rel,
        "n_rows": int(len(raw)),
        "n_excluded": int(len(raw) - n_rel),
        "exclusions": exclusions,
        "loglik": None,
        "published_available": True,
        "coefficients": main,
        "sensitivity": {
            "bf_coding": rates(bf, published=False),
            "sabrosky_lenient": rates(llm, published=False, col="lenient_honor"),
        },
        "notes": notes,
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def render(result: dict[str, Any]):
    """A rich Table: rate, n, published rate and match for the primary coding; BF and lenient beside it."""
    from rich.table import Table

    t = Table(title=f"{result['name']}: alliance commitments honored in war (relevant cases)", title_justify="left")
    for col, just in [("group", "left"), ("cases", "left"), ("honored/n", "right"), ("rate", "right"),
                      ("published", "right"), ("match", "center"), ("BF coding", "right"),
                      ("lenient (Sabrosky)", "right")]:
        t.add_column(col, justify=just)
    bf = {r["key"]: r for r in result["sensitivity"]["bf_coding"]}
    len_ = {r["key"]: r for r in result["sensitivity"]["sabrosky_lenient"]}
    last_group = None
    for r in result["coefficients"]:
        if last_group is not None and r["group"] != last_group:
            t.add_section()
        b, l_ = bf[r["key"]], len_[r["key"]]
        t.add_row(
            r["group"] if r["group"] != last_group else "", r["term"], f"{r['honored']}/{r['n']}", _pct(r["coef"]),
            "-" if r["published_coef"] is None else f"{round(100 * r['published_coef'])}%",
            "n/a" if r["match"] is None else ("yes" if r["match"] else "NO"),
            f"{_pct(b['coef'])} ({b['n']})", f"{_pct(l_['coef'])} ({l_['n']})",
        )
        last_group = r["group"]
    t.caption = "\n".join([result["citation"], *result["notes"]])
    t.caption_justify = "left"
    return t


REPLICATION = {
    "name": NAME,
    "run": run,
    "render": render,
    "summary": "Berkemeier & Fuhrmann 2018: alliance reliability rates 1816-2003 overall, by period and by obligation type.",
}
