"""Dyad monitor: the monthly event record of a pair of states, and where its character changed.

Unit of analysis: dyad-month-origin. For countries A and B, every event in the event table (see
:mod:`pactwatch.events.store`) with A as source and B as target or the reverse, counted by calendar month of the event
date, separately for each origin (pactwatch, gdelt1, gdelt2, icews: their counts are not comparable).

Columns per month: ``n`` events, ``q1``..``q4`` counts by quad class (1 verbal cooperation, 2 material cooperation,
3 verbal conflict, 4 material conflict), ``a_to_b`` / ``b_to_a`` directed counts, ``goldstein`` mean Goldstein score,
``index`` the cooperation–conflict index ``(q1 + q2 - q3 - q4) / n`` in [-1, 1], and ``change_point`` (True on the first
month of a new regime of the index).

Coverage and missing values: an origin's coverage is the span of months holding any of its events in the store (all
dyads). Inside it, a month without events of this dyad has ``n = 0`` and NA ``goldstein``/``index`` (no events is not
neutral relations); outside it every value is NA (the origin says nothing about those months). Events without a date
are left out and counted in ``attrs["pactwatch_log"]``. A store that holds only a sample of an origin (such as the
GDELT sample files) shows zeros for months the sample did not draw from: coverage is what was imported.

Change points: binary segmentation with a CUSUM mean-shift test on the index over the months that have events. For a
segment x_1..x_m the statistic is T = max_k |S_k| / (sigma * sqrt(m)) with S_k = sum_{i<=k} (x_i - mean(x)) and sigma
a robust noise scale (median absolute successive difference / (0.6745 * sqrt 2), pooled over the whole series);
under a constant mean T is asymptotically the supremum of a Brownian bridge, and a change is flagged when T exceeds
its 5% critical value 1.358. The segment is split at the maximising k and both halves are tested again, down to
``min_size`` months with events. This finds shifts in the mean of the index, not in its variance or in the volume of
events, and with few events per month it will miss small shifts.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pactwatch.errors import PactwatchError

CRITICAL_5PCT = 1.358


def parse_month(s: str | None, what: str) -> pd.Period | None:
    """The month of ``s`` (YYYY-MM or YYYY-MM-DD; None stays None); an error naming ``what`` otherwise."""
    if s is None:
        return None
    import re

    if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", s.strip()):
        raise PactwatchError(f"{what} {s!r}: give a date as YYYY-MM or YYYY-MM-DD")
    try:
        return pd.Period(s.strip()[:7], freq="M")
    except (ValueError, TypeError):
        raise PactwatchError(f"{what} {s!r}: give a date as YYYY-MM or YYYY-MM-DD") from None


_month = parse_month


class NoEventTable(PactwatchError):
    """The news store has no ``events`` table yet (nothing coded into it)."""


def has_events(con) -> bool:
    """True when the store has the ``events`` table (read only: nothing is created)."""
    n = con.execute("select count(*) from information_schema.tables where table_name = 'events'").fetchone()[0]
    return bool(n)


def dyad_events(con, a: str, b: str) -> pd.DataFrame:
    """Every stored event between ``a`` and ``b`` (either direction). Reads only: a store without the ``events``
    table raises :class:`NoEventTable` (it is not created here, so a read-only connection works)."""
    if not has_events(con):
        raise NoEventTable("the news store has no events table yet: code articles first (events store)")
    return con.execute(
        "select origin, event_date, source_country, target_country, quad, goldstein from events "
        "where (source_country = ? and target_country = ?) or (source_country = ? and target_country = ?)",
        [a, b, b, a]).df()


def dyad_series(con, a: str, b: str, start: str | None = None, end: str | None = None,
                origin: str | None = None, min_size: int = 3) -> pd.DataFrame:
    """Monthly series of the A–B dyad per origin (see module docstring). ``start``/``end``: YYYY-MM[-DD] bounds
    (default: the dyad's first and last event month in each origin)."""
    a, b = a.upper(), b.upper()
    if a == b:
        raise PactwatchError(f"dyad {a} {b}: give two different countries")
    for c in (a, b):
        if not (2 <= len(c) <= 8 and c.isalnum()):
            raise PactwatchError(f"{c!r} is not a country code (ISO3, e.g. RUS PRK)")
    p0, p1 = _month(start, "start"), _month(end, "end")
    if p0 is not None and p1 is not None and p1 < p0:
        raise PactwatchError(f"end {end} is before start {start}")
    ev = dyad_events(con, a, b)
    log = []
    if origin:
        ev = ev[ev["origin"] == origin]
    undated = int(ev["event_date"].isna().sum())
    if undated:
        log.append({"step": "undated", "rows": undated, "note": f"{undated} events without a date left out"})
    ev = ev.dropna(subset=["event_date"])
    cov = {o: (lo, hi) for o, lo, hi in con.execute(
        "select origin, min(event_date), max(event_date) from events where event_date is not null group by origin").fetchall()}
    frames = []
    for org, g in ev.groupby("origin"):
        g = g.assign(month=pd.PeriodIndex(pd.to_datetime(g["event_date"]), freq="M"))
        lo = p0 or g["month"].min()
        hi = p1 or g["month"].max()
        months = pd.period_range(lo, hi, freq="M")
        g = g[(g["month"] >= lo) & (g["month"] <= hi)]
        q = pd.crosstab(g["month"], g["quad"]).reindex(index=months, columns=[1, 2, 3, 4], fill_value=0)
        out = pd.DataFrame({"month": months.astype(str), "origin": org, "dyad": f"{a}-{b}"})
        out["n"] = q.sum(axis=1).to_numpy()
        for k in (1, 2, 3, 4):
            out[f"q{k}"] = q[k].to_numpy()
        ab = g[g["source_country"] == a].groupby("month").size().reindex(months, fill_value=0)
        out["a_to_b"] = ab.to_numpy()
        out["b_to_a"] = (out["n"] - out["a_to_b"]).to_numpy()
        gm = g.groupby("month")["goldstein"].mean().reindex(months)
        out["goldstein"] = gm.to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            idx = (out["q1"] + out["q2"] - out["q3"] - out["q4"]) / out["n"].where(out["n"] > 0)
        out["index"] = idx.astype(float)
        # outside the origin's coverage: unknown, not zero
        c_lo, c_hi = cov.get(org, (None, None))
        if c_lo is not None:
            inside = (months >= pd.Period(c_lo, freq="M")) & (months <= pd.Period(c_hi, freq="M"))
            n_out = int((~inside).sum())
            if n_out:
                cols = ["n", "q1", "q2", "q3", "q4", "a_to_b", "b_to_a"]
                out[cols] = out[cols].astype("Int64")
                out.loc[~inside, cols] = pd.NA
                out.loc[~inside, ["goldstein", "index"]] = np.nan
                log.append({"step": "coverage", "rows": n_out, "note": f"{org}: months outside {c_lo}..{c_hi} set NA"})
        out["change_point"] = False
        cps = change_points(out["index"].to_numpy(dtype=float), min_size=min_size)
        out.loc[out.index[cps], "change_point"] = True
        frames.append(out)
        log.append({"step": "series", "rows": len(out), "note": f"{org}: {int(g.shape[0])} events in {len(out)} months, "
                    f"{len(cps)} change points"})
    res = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["month", "origin", "dyad", "n", "q1", "q2", "q3", "q4", "a_to_b", "b_to_a", "goldstein", "index",
                 "change_point"])
    res.attrs["pactwatch_log"] = log
    return res


def _sigma(x: np.ndarray) -> float:
    d = np.abs(np.diff(x))
    if len(d) == 0:
        return float("nan")
    s = float(np.median(d)) / (0.6745 * math.sqrt(2))
    if not s > 0:
        s = float(np.std(x, ddof=1)) if len(x) > 1 else float("nan")
    return s


def cusum_stat(x: np.ndarray, sigma: float) -> tuple[float, int]:
    """(T, k): the standardised CUSUM maximum and the split index k (the new regime starts at x[k])."""
    m = len(x)
    s = np.cumsum(x - x.mean())[:-1]
    k = int(np.argmax(np.abs(s)))
    return float(abs(s[k]) / (sigma * math.sqrt(m))), k + 1


def change_points(series: np.ndarray, min_size: int = 3, critical: float = CRITICAL_5PCT) -> list[int]:
    """Positions (into ``series``) where a new regime of the mean starts; NaN entries (months without events) are
    skipped for the test and a change is placed at the first observed month of the new regime."""
    pos = np.flatnonzero(~np.isnan(series))
    x = series[pos]
    if len(x) < 2 * min_size:
        return []
    sigma = _sigma(x)
    if not sigma > 0:
        return []
    found = []

    def split(lo, hi):
        seg = x[lo:hi]
        if len(seg) < 2 * min_size:
            return
        t, k = cusum_stat(seg, sigma)
        if t <= critical or k < min_size or len(seg) - k < min_size:
            return
        found.append(lo + k)
        split(lo, lo + k)
        split(lo + k, hi)

    split(0, len(x))
    return sorted(int(pos[i]) for i in found)


def plot_series(df: pd.DataFrame, path, title: str = "") -> None:
    """Stacked monthly counts by quad class and the cooperation–conflict index, change points marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    origins = list(df["origin"].unique()) or ["(none)"]
    fig, axes = plt.subplots(len(origins), 1, figsize=(10, 3.2 * len(origins)), squeeze=False)
    colors = {"q1": "#7fbf7f", "q2": "#2e8b57", "q3": "#f4a460", "q4": "#b22222"}
    labels = {"q1": "verbal coop.", "q2": "material coop.", "q3": "verbal conflict", "q4": "material conflict"}
    for ax, org in zip(axes[:, 0], origins):
        g = df[df["origin"] == org]
        x = np.arange(len(g))
        bottom = np.zeros(len(g))
        for q in ("q1", "q2", "q3", "q4"):
            v = pd.to_numeric(g[q], errors="coerce").fillna(0).to_numpy(dtype=float)
            ax.bar(x, v, bottom=bottom, color=colors[q], label=labels[q], width=0.9)
            bottom += v
        ax.set_ylabel("events")
        ax2 = ax.twinx()
        ax2.plot(x, g["index"].to_numpy(dtype=float), "k.-", label="coop.–conflict index")
        ax2.set_ylim(-1.05, 1.05)
        ax2.axhline(0, color="grey", lw=0.5)
        for i in np.flatnonzero(g["change_point"].to_numpy(dtype=bool)):
            ax.axvline(i - 0.5, color="purple", ls="--")
        step = max(1, len(g) // 12)
        ax.set_xticks(x[::step])
        ax.set_xticklabels(g["month"].iloc[::step], rotation=45, ha="right", fontsize=8)
        ax.set_title(f"{title} ({org})")
        ax.legend(loc="upper left", fontsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
