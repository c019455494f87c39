"""The news side of the report: how far each update the news proposes would move the forecast, and what the report
shows of the news (:class:`pactwatch.monitor.summary.NewsSummary`).

:func:`with_effects` reruns the status-quo forecast once per proposed update with the case's file changed in memory
(:func:`pactwatch.monitor.updates.apply_proposals`; the file on disk is not touched), with the same as-of date, draws
and seed as the forecast it is compared with, and records the status-quo survival at 5 years (or the horizon) before
and after. Nothing runs when there are no proposals. An update that changes no covariate (an entry in the case's
``events`` list) moves nothing, and says so.
"""
from __future__ import annotations

from pathlib import Path

from pactwatch.errors import PactwatchError
from pactwatch.monitor.summary import ForecastEffect, NewsSummary, from_monitor, none

from .present import DASH, index_of, pct, pts

#: what the report says when no news was read
HOW_TO_ADD = ("Add articles with `pactwatch monitor CASE --articles DIR` (or `--feed URL`); the main job reads the folder "
              "$PACTWATCH_NEWS_ARTICLES, else articles/rus-prk-news/articles beside the data directory, when it holds "
              "articles.")


def as_summary(news) -> NewsSummary | None:
    """``news`` as a :class:`NewsSummary`: one already, or what ``run_monitor`` returned (a dict); None stays None."""
    if news is None or isinstance(news, NewsSummary):
        return news
    if isinstance(news, dict):
        return from_monitor(news)
    raise PactwatchError(f"report: news must be a NewsSummary or the monitor's summary dict, got {type(news).__name__}")


def _status_quo_point(res: dict, t: float) -> float:
    sq = next((s for s in res["scenarios"] if s["name"] == "status-quo"), res["scenarios"][0])
    return sq["survival"][index_of(res["times"], t)]["point"]


def with_effects(summary: NewsSummary, result, *, source=None, ctx=None, use_cache: bool = True) -> NewsSummary:
    """``summary`` with every proposal's ``effect`` (status-quo survival at min(5, horizon) years before and after
    the update; the changes proposed from the same news, same kind and date, are applied together) and, with more
    than one such update, ``combined`` (all of them), for the forecast ``result`` (its case file, as-of date, draws,
    seed, horizon, event and level; the model of ``ctx``, a fitted forecast context, or of ``source``'s data). A
    proposal whose changed case cannot be forecast keeps ``effect`` None and says why in ``effect_error``."""
    import yaml

    from pactwatch.monitor.updates import apply_proposals
    from pactwatch.scenarios.cases import load_case
    from pactwatch.scenarios.forecast import forecast_case
    from pactwatch.scenarios.result import as_json
    from pactwatch.scenarios.schema import Case, parse

    if summary.status != "ok" or not summary.proposals:
        return summary
    r = as_json(result)
    t = min(5.0, r["horizon"])
    before = _status_quo_point(r, t)
    f = r["case"].get("file")
    path = Path(f) if f and Path(f).exists() else Path(load_case(r["case"]["id"]).__dict__["_path"])
    text = path.read_text(encoding="utf-8")

    def effect(props, what: str):
        try:
            data = yaml.safe_load(apply_proposals(text, [p.model_dump(mode="json") for p in props], str(path)))
            case = parse(Case, data, f"{path} with {what}")
            res = forecast_case(case, ["status-quo"], as_of=r["as_of"], source=source, sims=r["n_sims"],
                                seed=r["seed"], horizon=r["horizon"], event=r["event"]["name"], level=r["level"],
                                ctx=ctx, use_cache=use_cache).to_json()
        except PactwatchError as exc:
            return None, str(exc)
        after = _status_quo_point(res, t)
        return ForecastEffect(t=t, before=before, after=after, diff=after - before), None

    out = summary.model_copy(deep=True)
    groups: dict = {}
    for p in out.proposals:  # one piece of news can propose several changes (a ceasefire ends both members' war)
        groups.setdefault((p.kind, p.date), []).append(p)
    for (kind, date), props in groups.items():
        eff, err = effect(props, f"the proposed update '{props[0].summary}'")
        notes = []
        if len(props) > 1:
            notes.append(f"the {len(props)} changes proposed from the same news ({kind}, {date}) applied together")
        if all(p.path == ["events"] for p in props):
            notes.append("an entry in the case's events list: no covariate of the model changes")
        for p in props:
            p.effect, p.effect_error = (eff.model_copy(update={"note": "; ".join(notes) or None}) if eff else None), err
    if len(groups) > 1:
        out.combined, out.combined_error = effect(out.proposals, "every proposed update")
    return out


def news_gap(last_month: str | None, as_of) -> dict | None:
    """How far the latest coded news (``last_month``, YYYY-MM) lies before the forecast date ``as_of`` (a date or
    YYYY-MM-DD): ``{"last", "as_of", "months"}`` when it ends more than one whole month before the as-of month, else
    None. The months after it are not in the series: no news was read for them, which is not the same as no events."""
    import pandas as pd

    if not last_month or as_of is None:
        return None
    gap = (pd.Period(str(as_of)[:7], freq="M") - pd.Period(last_month, freq="M")).n
    return {"last": last_month, "as_of": str(as_of)[:10], "months": gap} if gap > 1 else None


def news_view(news, as_of=None) -> dict:
    """What the report's "What the news says" section shows, every number written by :mod:`.present`. ``as_of``:
    the forecast's date; when the coded news ends well before it, ``gap`` says by how many months
    (:func:`news_gap`)."""
    from .charts import news_chart

    s = as_summary(news)
    if s is None or s.status != "ok":
        why = "the relationship monitor was not run" if s is None else s.message.rstrip(".")
        return {"status": "none", "message": f"No news was read for this report ({why}). {HOW_TO_ADD}"}
    props = []
    for p in s.proposals:
        e = p.effect
        props.append({"summary": p.summary, "kind": p.kind, "date": p.date, "confidence": pct(p.confidence),
                      "where": ".".join(str(x) for x in p.path),
                      "evidence": p.evidence[0] if p.evidence else None, "n_evidence": len(p.evidence),
                      "before": pct(e.before) if e else DASH, "after": pct(e.after) if e else DASH,
                      "diff": pts(e.diff) if e else DASH, "t": f"{e.t:g}" if e else None,
                      "note": (e.note if e else p.effect_error) or ""})
    c = s.combined
    combined = {"before": pct(c.before), "after": pct(c.after), "diff": pts(c.diff), "t": f"{c.t:g}"} if c else None
    return {"status": "ok", "summary": s, "chart": news_chart(s), "combined": combined,
            "combined_error": s.combined_error, "first": s.months[0], "last": s.months[-1],
            "gap": news_gap(s.coverage[1] if s.coverage else None, as_of),
            "n_months": len(s.months), "indicators": s.indicators, "latest": s.latest, "proposals": props}


def news_from_store(case_file, db=None, wait: float | None = None, min_confidence: float | None = None) -> NewsSummary:
    """What the news says about the case in ``case_file``, read from the news store ``db`` (default: the user's)
    without coding anything: its indicator series from the events already coded, and the updates the events propose
    at or above ``min_confidence`` (default that of `case update`), without their effect on the forecast. Status
    'none' when the case defines no indicators or the store has no coded events; a store that cannot be opened
    (``wait`` seconds for a writer) raises."""
    import yaml

    from pactwatch.monitor.indicators import parse_indicators, read_events
    from pactwatch.monitor.summary import from_store
    from pactwatch.monitor.updates import DEFAULT_MIN_CONFIDENCE, propose_updates
    from pactwatch.news.store import connect, default_news_db

    path = Path(case_file)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    case_id = data.get("id") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not data.get("indicators"):
        return none(f"the case file {path.name} defines no indicators", case_id)
    inds = parse_indicators(data, str(path))
    db = Path(db) if db is not None else default_news_db()
    if not db.is_file():
        return none(f"no news store at {db}", case_id)
    mc = DEFAULT_MIN_CONFIDENCE if min_confidence is None else min_confidence
    con = connect(db, read_only=True, wait=wait)
    try:
        try:
            props = propose_updates(read_events(con, "pactwatch"), data)["proposals"]
        except PactwatchError:
            props = []  # a case whose observed block cannot be read proposes nothing; the series still show
        return from_store(con, inds, [p for p in props if p["confidence"] >= mc], case=case_id)
    finally:
        con.close()
