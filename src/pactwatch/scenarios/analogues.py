"""Historical analogues: the ATOP alliances most similar to a case at formation.

Features (all at formation; :data:`FEATURES`): the five obligations, ``asymmetric`` (major–minor), ``any_major``,
``dem_share`` (regimes), ``wartime``, ``shared_rival`` (threat: some members share a strategic rival — for a direct case,
``shared_rivals`` > 0 from its member rivals at the as-of date), ``bilateral`` and ``post1945`` (era).

Distance: standardized Euclidean, d(i, c) = sqrt(sum_f ((x_if - x_cf) / sd_f)^2), sd_f the standard deviation of
feature f over the candidate alliances (features with sd 0 are skipped). Candidates: ATOP 5.1 alliances with every
feature known (the count left out is reported), excluding the case itself (and, with ``before_year``, alliances formed
after that year). Ties are broken by atopid. Each analogue carries how long it lasted and how it ended (ATOP term and
member-level termination mode/cause labels).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

FEATURES = ("defense", "offense", "neutral", "nonagg", "consul", "asymmetric", "any_major", "dem_share", "wartime",
            "shared_rival", "bilateral", "post1945")


def candidate_frame(data, *, exclude=None, before_year: int | None = None) -> tuple[pd.DataFrame, int]:
    a = data.eval.alliances.copy()
    a["post1945"] = (a["begyr"] >= 1945).astype(float)
    if exclude is not None:
        a = a[a["atopid"] != exclude]
    if before_year is not None:
        a = a[a["begyr"] <= before_year]
    ok = a[list(FEATURES)].notna().all(axis=1)
    return a[ok].reset_index(drop=True), int((~ok).sum())


def case_features(rc) -> dict:
    from .shocks import aggregate

    f = {k: rc.formation[k] for k in FEATURES if k in rc.formation}
    f["post1945"] = float(rc.in_force.year >= 1945)
    if rc.atopid is not None and "shared_rival" in rc.formation:
        f["shared_rival"] = rc.formation["shared_rival"]
    else:
        f["shared_rival"] = float(aggregate(rc.states)["shared_rivals"] > 0)
    return f


def distances(cand: pd.DataFrame, x: dict) -> tuple[np.ndarray, list]:
    X = cand[list(FEATURES)].to_numpy(float)
    sd = X.std(axis=0)
    use = sd > 0
    xc = np.array([x[k] for k in FEATURES], float)
    Z = (X[:, use] - xc[use]) / sd[use]
    return np.sqrt((Z ** 2).sum(1)), [f for f, u in zip(FEATURES, use) if u]


def analogues(data, rc, k: int = 8, *, before_year: int | None = None) -> dict:
    if k < 1:
        from pactwatch.errors import PactwatchError

        raise PactwatchError(f"k analogues must be >= 1, got {k}")
    cand, n_inc = candidate_frame(data, exclude=rc.atopid, before_year=before_year)
    x = case_features(rc)
    if rc.atopid is not None:
        row = data.eval.alliances[data.eval.alliances["atopid"] == rc.atopid]
        if len(row) and pd.notna(row["shared_rival"].iloc[0]):
            x["shared_rival"] = float(row["shared_rival"].iloc[0])
    d, used = distances(cand, x)
    order = np.lexsort((cand["atopid"].to_numpy(), d))[:k]
    al = data.alliances.set_index("atopid")
    my = data.member_years
    rows = []
    for i in order:
        r = cand.iloc[i]
        aid = int(r["atopid"])
        info = al.loc[aid]
        mem = sorted(my.loc[(my["atopid"] == aid) & (my["year"] == int(r["begyr"])), "ccode"].unique().tolist())
        ended = bool(info["event"] == 1)
        if before_year is not None and ended and info["end"].year > before_year:
            pass  # the analogue table shows the full history; the back-test uses only the forecast
        rows.append({
            "atopid": aid, "distance": float(d[i]), "begin": str(info["begin"].date()),
            "end": str(info["end"].date()) if pd.notna(info["end"]) else None, "ended": ended,
            "years": float(info["duration_years"]), "in_effect_2018": not ended,
            "members": [data.states.get(int(c), {}).get("abb", str(c)) for c in mem], "n_members": len(mem),
            "how_ended": (str(info["termmode_final_label"]) if ended and pd.notna(info["termmode_final_label"]) else None),
            "cause": (str(info["termcaus_final_label"]) if ended and pd.notna(info["termcaus_final_label"]) else None),
            "term": (str(info["term_label"]) if ended and pd.notna(info["term_label"]) else None),
            "features": {f: float(r[f]) for f in FEATURES},
        })
    return {"k": k, "features": list(FEATURES), "features_used": used, "case_features": x,
            "distance": "standardized Euclidean over the features (sd over candidates); ties by atopid",
            "n_candidates": int(len(cand)), "n_excluded_incomplete": n_inc, "before_year": before_year, "rows": rows}
