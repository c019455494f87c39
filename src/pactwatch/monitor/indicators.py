"""Indicators of a partnership: pre-registered event definitions (in the case file's ``indicators:`` section) counted
month by month in the event table, with change points and the evidence behind every count.

Definition (one YAML mapping per indicator, parsed by :class:`Indicator`)::

    - id: arms-to-russia
      label: DPRK arms and munitions to Russia
      description: ...
      why: ...                       # why this event definition measures the indicator
      measure: count                 # count (events per month) or index (cooperation-conflict index of the events)
      events:                        # an event counts when it matches ANY of these rules
        - codes: ["06", "07"]        # CAMEO code prefixes ("06" = root 06, "0871" = that code only)
          source: [PRK]              # ISO3 codes of the source actor; omitted = any actor (or none)
          target: [RUS]              # ISO3 codes of the target actor; omitted = any actor (or none)
          both_directions: false     # true: also count target -> source
          keywords: [shell, missile] # word stems; at least one must start a word of the evidence sentence
                                     # (a stem ending in $ must be the whole word: "UN$")
          exclude: [deny]            # word stems; none may start a word of the evidence sentence

Unit of analysis: indicator-month, one origin of the event table at a time (``pactwatch`` by default: counts of
different coders are not comparable). The month is that of ``event_date`` (for pactwatch's own events the article's
publication date). One event counts once per indicator even when several rules match it; near-duplicate articles are
not coded (see :mod:`pactwatch.events.store`), so a wire story reprinted twice counts once.

Coverage: the months from the first to the last month holding any event of the origin (all dyads), as in
:mod:`pactwatch.monitor.dyad`; inside it a month without a matching event has count 0 (``index``: NA, no events is
not neutral relations). Events without a date are left out and counted (``log``).

Change points: :func:`pactwatch.monitor.dyad.change_points` (CUSUM binary segmentation, 5% level) on the monthly
counts (``count``) or on the index over the months with events (``index``). With a handful of events a month it finds
only large, lasting shifts.

Evidence: every month lists its events with the event id, CAMEO code, source and target, date, article id, URL,
title and where the article was read from (``article_source``: its file or feed, as stored), the evidence sentence and its character span in the stored article body (``None`` when the sentence is not
found verbatim in the body, e.g. for imported GDELT/ICEWS events, which have no text).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Optional

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pactwatch.errors import PactwatchError

EVENT_COLUMNS = ["event_id", "origin", "event_date", "source_country", "target_country", "code", "quad", "goldstein",
                 "confidence", "article_id", "url", "evidence"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EventRule(_Strict):
    """Which events count: CAMEO code prefixes, direction and optional word filters on the evidence sentence."""
    codes: list[str] = Field(min_length=1, description="CAMEO code prefixes (text, leading zeros kept)")
    source: Optional[list[str]] = Field(default=None, description="ISO3 codes of the source; None = any")
    target: Optional[list[str]] = Field(default=None, description="ISO3 codes of the target; None = any")
    both_directions: bool = False
    keywords: list[str] = Field(default_factory=list, description="word stems, at least one must occur")
    exclude: list[str] = Field(default_factory=list, description="word stems, none may occur")

    @field_validator("codes")
    @classmethod
    def _codes(cls, v):
        for c in v:
            if not re.fullmatch(r"\d{1,4}", str(c)):
                raise ValueError(f"{c!r} is not a CAMEO code prefix (1 to 4 digits, quoted so leading zeros stay)")
        return [str(c) for c in v]

    @field_validator("source", "target")
    @classmethod
    def _iso(cls, v):
        if v is None:
            return v
        out = []
        for c in v:
            if not (isinstance(c, str) and re.fullmatch(r"[A-Za-z]{2,8}", c)):
                raise ValueError(f"{c!r} is not an actor code (ISO3 such as RUS, or an IGO code such as UN)")
            out.append(c.upper())
        return out

    @field_validator("keywords", "exclude")
    @classmethod
    def _words(cls, v):
        if any(not str(w).strip() for w in v):
            raise ValueError("empty word stem")
        return [str(w).strip().lower() for w in v]


class Indicator(_Strict):
    """One pre-registered indicator of the partnership."""
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    label: str
    description: str = ""
    why: str = Field(min_length=3, description="why this event definition measures the indicator")
    measure: Literal["count", "index"] = "count"
    events: list[EventRule] = Field(min_length=1)


class IndicatorSet(_Strict):
    indicators: list[Indicator] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self):
        ids = [i.id for i in self.indicators]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"indicator ids repeated: {dup}")
        return self


def parse_indicators(data: Any, where: str = "indicators") -> list[Indicator]:
    """Indicators from a case file's ``indicators:`` list (or a whole case mapping holding one). Errors name ``where``
    and the field."""
    if isinstance(data, dict):
        if "indicators" not in data:
            raise PactwatchError(f"{where}: no 'indicators:' section (define the case's indicators there)")
        data = data["indicators"]
    if not isinstance(data, list):
        raise PactwatchError(f"{where}: 'indicators' must be a list of indicator definitions, got {type(data).__name__}")
    try:
        return IndicatorSet.model_validate({"indicators": data}).indicators
    except ValidationError as exc:
        lines = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"])
            lines.append(f"{where}: field '{loc}': {e['msg']}")
        raise PactwatchError("\n".join(lines)) from None


def load_indicators(case_path: str | Path) -> list[Indicator]:
    """The ``indicators:`` section of a case YAML file."""
    import yaml

    p = Path(case_path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise PactwatchError(f"{p}: cannot read the case file ({exc})") from None
    return parse_indicators(data, str(p))


# ------------------------------------------------------------------------------------------------------- matching
def _stem_re(stems: list[str]) -> re.Pattern | None:
    """A stem matches at the start of a word (``deploy``: deployed, deployment); a stem ending in ``$`` only as the
    whole word (``UN$``: UN, not unit)."""
    if not stems:
        return None
    alts = [re.escape(s[:-1]) + r"(?!\w)" if s.endswith("$") else re.escape(s)
            for s in sorted(stems, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + ")", re.IGNORECASE)


def _rule_mask(ev: pd.DataFrame, rule: EventRule) -> np.ndarray:
    code = ev["code"].fillna("").astype(str)
    m = np.zeros(len(ev), dtype=bool)
    for c in rule.codes:
        m |= code.str.startswith(c).to_numpy()
    src = ev["source_country"].fillna("").astype(str).str.upper()
    tgt = ev["target_country"].fillna("").astype(str).str.upper()

    def direction(s, t):
        ok = np.ones(len(ev), dtype=bool)
        if rule.source is not None:
            ok &= s.isin(rule.source).to_numpy()
        if rule.target is not None:
            ok &= t.isin(rule.target).to_numpy()
        return ok

    d = direction(src, tgt)
    if rule.both_directions:
        d |= direction(tgt, src)
    m &= d
    text = ev["evidence"].fillna("").astype(str)
    kw = _stem_re(rule.keywords)
    if kw is not None:
        m &= text.map(lambda s: bool(kw.search(s))).to_numpy(dtype=bool)
    ex = _stem_re(rule.exclude)
    if ex is not None:
        m &= ~text.map(lambda s: bool(ex.search(s))).to_numpy(dtype=bool)
    return m


def match(ev: pd.DataFrame, ind: Indicator) -> pd.Series:
    """Boolean mask: events of ``ev`` (event-table columns) that count for ``ind`` (any of its rules)."""
    m = np.zeros(len(ev), dtype=bool)
    for r in ind.events:
        m |= _rule_mask(ev, r)
    return pd.Series(m, index=ev.index)


# -------------------------------------------------------------------------------------------------------- reading
def has_events_table(con) -> bool:
    return bool(con.execute("select count(*) from information_schema.tables where table_name = 'events'").fetchone()[0])


def read_events(con, origin: str | None = "pactwatch") -> pd.DataFrame:
    """Event-table rows of ``origin`` (all origins when None) with the article title and the evidence sentence's span
    in the stored body (``sentence_start``/``sentence_end``, NA when not found). Reads only: an empty store (no
    ``events`` table) gives an empty frame."""
    cols = EVENT_COLUMNS + ["title", "article_source", "sentence_start", "sentence_end"]
    if not has_events_table(con):
        return pd.DataFrame(columns=cols)
    has_articles = bool(con.execute(
        "select count(*) from information_schema.tables where table_name = 'articles'").fetchone()[0])
    sel = ", ".join(f"e.{c}" for c in EVENT_COLUMNS)
    where = "where e.origin = ?" if origin else ""
    args = [origin] if origin else []
    if has_articles:
        # the coder's sentence is a verbatim substring of the cleaned body (offsets kept): its first occurrence
        q = (f"select {sel}, a.title, a.source as article_source, "
             "case when a.body is not null and e.evidence is not null and strpos(a.body, e.evidence) > 0 "
             "then strpos(a.body, e.evidence) - 1 end as sentence_start "
             f"from events e left join articles a on a.article_id = e.article_id {where}")
    else:
        q = f"select {sel}, null as title, null as article_source, null as sentence_start from events e {where}"
    df = con.execute(q, args).df()
    df["sentence_start"] = df["sentence_start"].astype("Int64")
    # the span of the sentence without the line end the coder's sentence may carry
    df["sentence_end"] = (df["sentence_start"] + df["evidence"].fillna("").str.rstrip().str.len()).astype("Int64")
    df.loc[df["sentence_start"].isna(), "sentence_end"] = pd.NA
    return df[cols]


# --------------------------------------------------------------------------------------------------------- series
def _evidence(r) -> dict:
    def val(x):
        return None if x is None or (not isinstance(x, str) and pd.isna(x)) else x

    s0, s1 = val(r.sentence_start), val(r.sentence_end)
    return {"event_id": r.event_id, "date": str(pd.Timestamp(r.event_date).date()), "code": val(r.code),
            "source": val(r.source_country), "target": val(r.target_country), "article_id": val(r.article_id),
            "url": val(r.url), "title": val(getattr(r, "title", None)),
            "article_source": val(getattr(r, "article_source", None)),
            "sentence": val(r.evidence).strip() if val(r.evidence) else None,
            "sentence_span": [int(s0), int(s1)] if s0 is not None else None,
            "confidence": None if val(r.confidence) is None else float(r.confidence)}


def indicator_series(events: pd.DataFrame, indicators: list[Indicator], start: str | None = None,
                     end: str | None = None, min_size: int = 3) -> dict:
    """Monthly series per indicator from an event table (columns :data:`EVENT_COLUMNS`, optionally ``title``,
    ``sentence_start``, ``sentence_end``; one origin). ``start``/``end`` (YYYY-MM): the months to cover (default: the
    months of the table's first and last dated event). Returns ``{"months": [...], "indicators": [{"id", "label",
    "measure", "total", "change_points": [months], "series": [{"month", "n", "value", "change_point", "evidence"}]}],
    "log": [...]}``."""
    from pactwatch.monitor.dyad import change_points

    ev = events.copy()
    for c in ("title", "article_source", "sentence_start", "sentence_end"):
        if c not in ev.columns:
            ev[c] = pd.NA
    log = []
    undated = int(ev["event_date"].isna().sum())
    if undated:
        log.append({"step": "undated", "rows": undated, "note": f"{undated} events without a date left out"})
    ev = ev.dropna(subset=["event_date"])
    if ev.empty and (start is None or end is None):
        return {"months": [], "indicators": [
            {"id": i.id, "label": i.label, "measure": i.measure, "total": 0, "change_points": [], "series": []}
            for i in indicators], "log": log}
    ev = ev.assign(month=pd.PeriodIndex(pd.to_datetime(ev["event_date"]), freq="M"))
    lo = pd.Period(start, freq="M") if start else ev["month"].min()
    hi = pd.Period(end, freq="M") if end else ev["month"].max()
    if hi < lo:
        raise PactwatchError(f"indicator series: end month {hi} is before start month {lo}")
    months = pd.period_range(lo, hi, freq="M")
    out_of_range = int(((ev["month"] < lo) | (ev["month"] > hi)).sum())
    if out_of_range:
        log.append({"step": "range", "rows": out_of_range, "note": f"{out_of_range} events outside {lo}..{hi} left out"})
    ev = ev[(ev["month"] >= lo) & (ev["month"] <= hi)]
    res = []
    for ind in indicators:
        g = ev[match(ev, ind).to_numpy()].sort_values(["event_date", "event_id"])
        n = g.groupby("month").size().reindex(months, fill_value=0)
        if ind.measure == "index":
            quad = pd.to_numeric(g["quad"], errors="coerce")
            sign = quad.map({1: 1.0, 2: 1.0, 3: -1.0, 4: -1.0})
            no_quad = int(sign.isna().sum())
            if no_quad:
                log.append({"step": "no-quad", "rows": no_quad, "note": f"{ind.id}: {no_quad} events without a quad "
                            "class left out of the index"})
            val = sign.groupby(g["month"]).mean().reindex(months)
            x = val.to_numpy(dtype=float)
        else:
            val = n.astype(float)
            x = val.to_numpy(dtype=float)
        cps = change_points(x, min_size=min_size)
        by_month = {m: [_evidence(r) for r in gg.itertuples(index=False)] for m, gg in g.groupby("month")}
        series = []
        for k, m in enumerate(months):
            v = x[k]
            series.append({"month": str(m), "n": int(n.iloc[k]), "value": None if np.isnan(v) else round(float(v), 4),
                           "change_point": k in cps, "evidence": by_month.get(m, [])})
        res.append({"id": ind.id, "label": ind.label, "measure": ind.measure, "total": int(len(g)),
                    "change_points": [str(months[k]) for k in cps], "series": series})
        log.append({"step": "indicator", "rows": int(len(g)), "note": f"{ind.id}: {len(g)} events in {len(months)} "
                    f"months, {len(cps)} change points"})
    return {"months": [str(m) for m in months], "indicators": res, "log": log}


def store_coverage(con, origin: str | None = "pactwatch") -> tuple[str | None, str | None]:
    """(first month, last month) of the origin's dated events in the store (None, None when it has none)."""
    if not has_events_table(con):
        return None, None
    where = "and origin = ?" if origin else ""
    lo, hi = con.execute(f"select min(event_date), max(event_date) from events where event_date is not null {where}",
                         [origin] if origin else []).fetchone()
    if lo is None:
        return None, None
    return str(lo)[:7], str(hi)[:7]


def monitor_series(con, indicators: list[Indicator], origin: str = "pactwatch", min_size: int = 3) -> dict:
    """:func:`indicator_series` over the store's events of ``origin``, covering the origin's months in the store."""
    ev = read_events(con, origin)
    lo, hi = store_coverage(con, origin)
    out = indicator_series(ev, indicators, start=lo, end=hi, min_size=min_size)
    out.update({"origin": origin, "events_read": int(len(ev)), "coverage": [lo, hi]})
    return out


# ----------------------------------------------------------------------------------------------------------- plot
def plot_indicators(result: dict, path: str | Path, last: int = 24, title: str = "") -> Path | None:
    """One small panel per indicator over the last ``last`` months of the series (bars: events per month; for an
    index measure its value), change points marked by dashed lines. Writes nothing and returns None when no indicator
    has an event in those months (no empty plots)."""
    months = result.get("months", [])[-last:]
    if not months or not any(p["n"] for ind in result["indicators"] for p in ind["series"][-last:]):
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    inds = result["indicators"]
    ncol = 2
    nrow = (len(inds) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(11, 2.3 * nrow), squeeze=False)
    x = np.arange(len(months))
    for ax, ind in zip(axes.flat, inds):
        pts = ind["series"][-last:]
        if ind["measure"] == "index":
            y = np.array([np.nan if p["value"] is None else p["value"] for p in pts], dtype=float)
            ax.axhline(0, color="grey", lw=0.5)
            ax.plot(x, y, "k.-")
            ax.set_ylim(-1.1, 1.1)
            ax.set_ylabel("index", fontsize=7)
        else:
            n = [p["n"] for p in pts]
            ax.bar(x, n, color="#4a7ab5", width=0.85)
            ax.set_ylim(0, max(1, max(n)) * 1.08)  # counts: from 0, whole numbers, 0..1 for a panel without events
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel("events", fontsize=7)
        for i, p in enumerate(pts):
            if p["change_point"]:
                ax.axvline(i - 0.5, color="purple", ls="--", lw=1)
        ax.set_title(f"{ind['label']} ({sum(p['n'] for p in pts)})", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(inds):]:
        ax.set_visible(False)
    step = max(1, len(months) // 8)
    for ax in list(axes.flat)[:len(inds)]:
        ax.set_xticks(x[::step])
        ax.set_xticklabels(months[::step], rotation=45, ha="right", fontsize=6)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
