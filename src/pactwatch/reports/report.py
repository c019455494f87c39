"""The forecast report: one self-contained HTML file built from a forecast result
(:class:`pactwatch.scenarios.result.ForecastResult` or its JSON form, ``pactwatch.forecast/2``).

:func:`render_report` (``result``, ``path``, optional ``validation``; default: the result's ``validation``, the stored
landmark back-test's summary) writes the file;
:func:`render_html` returns the text. The page holds: the question (the case's ``question``) and, when the case states them, its resolution
criteria and dates with each scenario's probability of the alliance being in effect on each date
(:func:`.present.resolution_view`), a one-paragraph answer
written from the numbers (:func:`answer`; its second sentence is the model's track record), the survival curves per
scenario with their bands and the scenario table, the driver chart and table, the base rate, the historical
analogues, the coding sensitivity (:func:`coding_view`: each uncertain coding's swing beside the scenario effects),
the back-test (the landmark back-test's pooled skill against the best baseline, and its subgroups with the
named Soviet/Russian treaties as illustrations; or how to compute it), the caveats (:func:`caveats`: from the model's notes, the case's values marked
``uncertain`` and the scenarios' assumptions) and the provenance (:func:`provenance`: dataset files with version and
the sha256 the panels were built from, model, event definition, fit date, pactwatch version, as-of date, draws, seed).

Self-contained: charts are embedded as base64 PNG, the CSS is inline, there is no script and no ``src``/``href`` to
another host; publisher addresses and citations appear as plain text only. Rendered with Jinja2, autoescaped.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from pactwatch.errors import PactwatchError

from pactwatch.scenarios.result import BACKTEST_SCHEMA, SCHEMA as FORECAST_SCHEMA, as_json  # noqa: F401


# ------------------------------------------------------------------------------------------------------ formatting
# every number is written by .present (shared with the CLI and the web pages)
from .present import index_of as _idx  # noqa: E402
from .present import join as _join  # noqa: E402
from .present import lc as _lc  # noqa: E402
from .present import median_text, pct, pct_interval, pts, pts_abs, pts_interval, years  # noqa: E402,F401
from .present import (SPLIT_WORDS, backtest_lead, backtest_rest, backtest_tables, origins_text,  # noqa: E402
                      pooled_row, resolution_view, skill_ci, status_quo_words, times_text, timing_text)
from .present import competing_table  # noqa: E402
from .present import coded_value, coding_sentence, swing_rows, weight  # noqa: E402
from .present import headline_rows, headline_text, trust_paragraph  # noqa: E402


def _plain(result, validation=None):
    """(result, validation) in their JSON form; the validation defaults to the result's own."""
    result = as_json(result)
    if validation is None and isinstance(result, dict):
        validation = result.get("validation")
    if hasattr(validation, "model_dump"):
        validation = validation.model_dump(mode="json")
    return result, validation


# ----------------------------------------------------------------------------------------------------- checks
def check_result(result: dict, validation: dict | None = None) -> None:
    """A clear error when ``result`` (or ``validation``) is not what the report is built from."""
    result, validation = _plain(result, validation)
    if not isinstance(result, dict) or result.get("schema") != FORECAST_SCHEMA:
        got = result.get("schema") if isinstance(result, dict) else type(result).__name__
        raise PactwatchError(f"report: expected a forecast result with schema {FORECAST_SCHEMA!r}, got {got!r}")
    for k in ("case", "scenarios", "times", "base_rate", "analogues", "model", "level", "as_of"):
        if k not in result:
            raise PactwatchError(f"report: the forecast result has no {k!r} field")
    if not result["scenarios"]:
        raise PactwatchError("report: the forecast result has no scenarios")
    if validation is not None:
        if not isinstance(validation, dict) or validation.get("schema") == BACKTEST_SCHEMA or "status" not in validation:
            got = validation.get("schema", "a dict without 'status'") if isinstance(validation, dict) else \
                type(validation).__name__
            raise PactwatchError(f"report: expected the forecast's validation (the stored landmark back-test's "
                                 f"summary, from forecast_case), got {got!r}")
        lm = validation.get("landmark")
        if lm and lm.get("event") != result["event"]["name"]:
            raise PactwatchError(f"report: the back-test used event {lm.get('event')!r} but the forecast "
                                 f"{result['event']['name']!r}; run both with the same event definition")


# ------------------------------------------------------------------------------------------------ derived facts
def status_quo(result: dict) -> dict:
    return next((s for s in result["scenarios"] if s["name"] == "status-quo"), result["scenarios"][0])


def changed_covariates(result: dict, scenario: dict) -> list[str]:
    """The model covariates the scenario's own shocks (those it does not share with the status quo, which every
    scenario runs on) can move on its paths (:func:`pactwatch.scenarios.shocks.moved_covariates`)."""
    from pactwatch.scenarios.shocks import moved_covariates

    sq = status_quo(result)
    if scenario is sq:
        return []
    base = (sq or {}).get("shocks") or []
    covs = result["model"]["covariates"]
    moved = {c for s in scenario.get("shocks") or [] if s not in base for c in moved_covariates(s["kind"], covs)}
    return [c for c in covs if c in moved]


def filters_text(br: dict) -> str:
    f = br.get("filters", {})
    parts = []
    if "obligation_class" in f:
        parts.append(f"{f['obligation_class']} pacts")
    if "bilateral" in f:
        parts.append("bilateral" if f["bilateral"] else "multilateral")
    if "post1945" in f:
        parts.append("formed after 1945" if f["post1945"] else "formed before 1945")
    if "asymmetric" in f:
        parts.append("major–minor" if f["asymmetric"] else "not major–minor")
    return ", ".join(parts) or "all ATOP alliances"


def scenario_rows(result: dict) -> list[dict]:
    """One row per scenario for the table: survival cells, median, the 5-year difference to the status quo, what
    the scenario changes (covariates) and its timing assumptions."""
    result = as_json(result)
    times = result["times"]
    i5 = _idx(times, min(5.0, result["horizon"]))
    labels = result["model"]["labels"]
    rows = []
    for s in result["scenarios"]:
        d = s["vs_status_quo"][i5] if s.get("vs_status_quo") and s is not status_quo(result) else None
        timing = []
        for sh in s.get("shocks", []):
            desc = timing_text(sh)
            tm = sh.get("timing") or {}
            if tm.get("source"):
                desc += f" — {tm['source']}"
            timing.append(desc)
        rows.append({"name": s["name"], "label": s["label"], "description": s.get("description", ""),
                     "survival": s["survival"], "median": s["median_remaining"], "diff5": d,
                     "changes": [labels.get(c, c) for c in changed_covariates(result, s)], "timing": timing,
                     "notes": s.get("timing_notes", [])})
    return rows


#: The Brier score of always saying 50% (whatever happens): the floor a forecast must beat to say anything.
CONSTANT_HALF_BRIER = 0.25


def small_backtest_reference(b: dict) -> dict:
    """The best of the base rate and a constant 50% for one row of the small back-test's Brier table, and whether
    the model's Brier score is below it: {"best", "best_label", "beats"}."""
    refs = [(CONSTANT_HALF_BRIER, "always saying 50%")]
    if b.get("base_rate") is not None:
        refs.append((b["base_rate"], "the base rate"))
    best, label = min(refs)
    return {"best": best, "best_label": label, "beats": b["model"] is not None and b["model"] < best}


def answer(result: dict, validation: dict | None = None) -> dict:
    """The one-paragraph answer, written from the numbers. Returns {"text", "facts"}: ``facts`` are the figures the
    sentences quote (for checking the text against the result). Right after the forecast comes its track record (the
    stored landmark back-test at the same horizon, :func:`.present.backtest_lead`): when the model does not beat the
    best baseline the reader learns it in the second sentence; the other skill figures close the paragraph."""
    result, validation = _plain(result, validation)
    times, lvl = result["times"], f"{100 * result['level']:.0f}%"
    T5 = min(5.0, result["horizon"])
    i5 = _idx(times, T5)
    sq = status_quo(result)
    s5 = sq["survival"][i5]
    case = result["case"]
    facts = {"t": T5, "status_quo": s5}
    out = [f"As of {result['as_of']}, {case['age_at_as_of']:.1f} years after it entered into force, the model gives "
           f"the {case['name']} a {pct(s5['point'])} chance ({lvl} interval {pct_interval(s5['lower'], s5['upper'])}) "
           f"of still being in effect {T5:g} years later {status_quo_words(result)}"]
    if len(times) > i5 + 1:
        sl = sq["survival"][-1]
        out[-1] += f", and {pct(sl['point'])} ({pct_interval(sl['lower'], sl['upper'])}) after {sl['t']:g} years"
        facts["status_quo_last"] = sl
    out[-1] += "."
    lead = backtest_lead(validation, T5)
    if lead:
        out.append(lead)
        facts["backtest"] = pooled_row(validation, "development", T5)
    others = [s for s in result["scenarios"] if s is not sq and s.get("vs_status_quo")]
    if others:
        best = max(others, key=lambda s: abs(s["vs_status_quo"][i5]["point"]))
        d = best["vs_status_quo"][i5]
        facts["largest"] = {"name": best["name"], "label": best["label"], "diff": d, "survival": best["survival"][i5]}
        word = "raises" if d["point"] > 0 else "lowers"
        sent = (f"Of the {len(others)} scenarios, “{best['label']}” moves {T5:g}-year survival most: it {word} it by "
                f"{pts_abs(d['point'])} percentage points ({lvl} interval "
                f"{pts_interval(d['lower'], d['upper'])}) "
                f"to {pct(best['survival'][i5]['point'])}")
        ch = [_lc(result["model"]["labels"].get(c, c)) for c in changed_covariates(result, best)]
        if ch:
            sent += f", acting through {_join(ch)}"
        sent += "." if d["lower"] > 0 or d["upper"] < 0 else "; its interval includes zero."
        out.append(sent)
        drivers = {r["covariate"]: r for r in sq["drivers"]}
        top = [drivers[c] for c in changed_covariates(result, best) if c in drivers]
        # one channel only: with several (e.g. a main effect and its interaction) the single-covariate changes
        # are not separable and quoting one would mislead
        if len(top) == 1:
            t = top[0]
            word = "lowers" if t["delta_s5"] < 0 else "raises"
            out.append(f"Its present value of “{_lc(t['label'])}” ({t['value_now']:.3g}; {t['reference']:.3g} in a "
                       f"typical alliance-year) {word} this alliance's 5-year survival by "
                       f"{abs(100 * t['delta_s5']):.0f} points against a typical alliance.")
        null = [s for s in others if s is not best and s["vs_status_quo"][i5]["lower"] <= 0 <= s["vs_status_quo"][i5]["upper"]]
        if null:
            mx = max(abs(s["vs_status_quo"][i5]["point"]) for s in null)
            via = sorted({_lc(result["model"]["labels"].get(c, c)) for s in null for c in changed_covariates(result, s)})
            out.append(f"For {_join(['“' + s['label'] + '”' for s in null])} the change is at most "
                       f"{pts_abs(mx)} points and every interval includes zero: in this model they act only through "
                       f"{_join(via) or 'no covariate'}, and the data show no clear effect.")
            facts["no_clear_effect"] = [s["name"] for s in null]
        sig = [s for s in others if s is not best and s not in null]
        if sig:
            out.append("Other scenarios: " + "; ".join(
                f"“{s['label']}” {pts(s['vs_status_quo'][i5]['point'])} points "
                f"({pts_interval(s['vs_status_quo'][i5]['lower'], s['vs_status_quo'][i5]['upper'])})" for s in sig) + ".")
    br = result["base_rate"]
    b5 = br["survival"][i5] if br.get("survival") else None
    if b5 and b5.get("estimate") is not None:
        facts["base_rate"] = b5
        out.append(f"For comparison, of {br['n_alliances']} similar alliances ({filters_text(br)}), those that had "
                   f"lasted {br['conditional_on_age']:.1f} years were still in effect {T5:g} years later with "
                   f"probability {pct(b5['estimate'])} ({pct_interval(b5['lower'], b5['upper'])}, Kaplan–Meier).")
    m = sq["median_remaining"]
    if m["point"] is None:
        out.append(f"Under the status quo the median remaining life lies beyond the {m['horizon']:g}-year horizon.")
    else:
        out.append(f"Under the status quo the median remaining life is {m['point']:.1f} years "
                   f"({'> ' + format(m['horizon'], 'g') if m['lower'] is None else format(m['lower'], '.1f')}–"
                   f"{'> ' + format(m['horizon'], 'g') if m['upper'] is None else format(m['upper'], '.1f')}).")
    rest = backtest_rest(validation, T5)
    if rest:
        out.append(rest)
    return {"text": " ".join(out), "facts": facts}


def _case_model(result: dict):
    """The case as loaded from its file (None when the file is gone or no longer valid)."""
    from pactwatch.scenarios.cases import load_case

    c = result["case"]
    try:
        return load_case(c["file"] if c.get("file") and Path(c["file"]).exists() else c["id"])
    except PactwatchError:
        return None


def uncertain_values(result: dict) -> list[dict]:
    """The case's values marked ``uncertain: true`` with value, source and note (from the case file when it can be
    read; else the dotted paths the result lists)."""
    result = as_json(result)
    c = _case_model(result)
    paths = result["case"].get("uncertain_values", [])
    if c is None:
        return [{"path": p, "value": None, "source": None, "note": None} for p in paths]
    dump = c.model_dump(mode="json")
    out = []
    for p in paths:
        node = dump
        for part in p.replace("[", ".").replace("]", "").split("."):
            if isinstance(node, dict):
                node = node.get(part, node.get(int(part)) if part.isdigit() else None)
            elif isinstance(node, list) and part.isdigit():
                node = node[int(part)]
            else:
                node = None
            if node is None:
                break
        node = node if isinstance(node, dict) else {}
        val = node.get("value", {k: v for k, v in node.items() if k not in ("source", "uncertain", "note")} or None)
        out.append({"path": p, "value": val, "source": node.get("source"), "note": node.get("note")})
    return out


def caveats(result: dict, validation: dict | None = None) -> list[dict]:
    """What a careful analyst would say alongside the numbers, derived from the model, the case and the scenarios.
    Each item: {"title", "text"}."""
    result, validation = _plain(result, validation)
    from pactwatch.data.registry import find_file, registry

    out = []
    info = result["model"]["info"]
    notes = result.get("notes", [])
    ty = info.get("train_years", [None, None])
    out.append({"title": "Training window ends in " + str(ty[1]),
                "text": (notes[0] if notes else "") + f" The fit used {info.get('n_alliances')} alliances and "
                        f"{info.get('n_events')} endings; {info.get('tv_rows_dropped_missing', 0)} alliance-year rows "
                        f"({info.get('tv_events_lost_missing', 0)} endings) had a covariate missing and were left out, "
                        f"and {info.get('train_excluded_incomplete', 0)} alliances lacked a formation covariate."})
    cov = []
    reg = registry()
    seen = set()
    for t in result["model"].get("data", {}):
        try:
            ds = reg[find_file(t).dataset]
        except KeyError:
            continue
        if ds.key not in seen:
            seen.add(ds.key)
            cov.append(f"{ds.name} {ds.version}: {ds.coverage}")
    if cov:
        out.append({"title": "Data coverage",
                    "text": "The datasets behind the model cover: " + "; ".join(cov) + ". Values after a dataset's "
                            "end come from the case file (carried forward or coded from news), not from the data."})
    if len(notes) > 1:
        out.append({"title": "What the status quo assumes", "text": notes[1]})
    ev = result["event"]
    an = result.get("analogues", {}).get("rows", [])
    repl = [r for r in an if r.get("how_ended") and "replac" in r["how_ended"].lower()]
    txt = f"Event '{ev['name']}': {ev['description']}. " + (notes[2] if len(notes) > 2 else "")
    if repl:
        txt += (f" {len(repl)} of the {len(an)} closest analogues ended by replacement with a new agreement, which "
                f"this definition counts as an ending.")
    out.append({"title": "Event definition", "text": txt})
    unc = uncertain_values(result)
    sc_covs = {c for s in result["scenarios"] for c in changed_covariates(result, s)}
    rival_vals = [u for u in unc if u["path"].endswith("rivals")]
    sr = {"shared_rivals", "shared_rivals_lag1"}  # the forecast specification may lag it
    if rival_vals and sr & sc_covs:
        srcs = "; ".join(f"{u['path']}: {u['note'] or u['source']}" for u in rival_vals)
        labs = [s["label"] for s in result["scenarios"] if sr & set(changed_covariates(result, s))]
        out.append({"title": "Shared-rival coding",
                    "text": f"{_join(['“' + x + '”' for x in labs])} act only through the count of shared rivals, and "
                            f"that count rests on a judgement ({srcs})."})
    if unc:
        sampled = [v["path"] for v in (result.get("codings") or {}).get("values", []) if v["status"] == "sampled"]
        cover = ("The intervals do not cover errors in them." if not sampled else
                 f"The intervals cover the {len(sampled)} that list alternative readings ({', '.join(sampled)}: "
                 "sampled by their weights, see “How much the hand codings matter”), not errors in the others.")
        out.append({"title": f"{len(unc)} case values are judgements or secondary reporting",
                    "text": "Marked “uncertain” in the case file (listed below with their sources): "
                            + ", ".join(u["path"] for u in unc) + ". " + cover})
    labels = result["model"]["labels"]
    weak = [c for c in result["model"]["coefficients"] if c["covariate"] in sc_covs and c["p"] > 0.05]
    if weak:
        out.append({"title": "Weakly estimated scenario channels",
                    "text": "Scenarios move these covariates, whose coefficients are not distinguishable from zero at "
                            "the 5% level: " + "; ".join(f"{labels.get(c['covariate'], c['covariate'])} (coef "
                            f"{c['coef']:+.2f}, robust SE {c['se']:.2f}, p = {c['p']:.2f})" for c in weak) + "."})
    tim: dict = {}
    for s in result["scenarios"]:
        for sh in s.get("shocks", []):
            src = (sh.get("timing") or {}).get("source")
            if src:
                tim.setdefault((sh["kind"], src), []).append(s["label"])
    if tim:
        out.append({"title": "Shock timing is assumed",
                    "text": "When a shock happens is an assumption, not a forecast: " + "; ".join(
                        f"{kind} — {src} (in {_join(['“' + x + '”' for x in labs])})" for (kind, src), labs
                        in tim.items()) + "."})
    if len(notes) > 3:
        out.append({"title": "What the intervals cover", "text": notes[3]})
    br = result["base_rate"]
    if br.get("relaxed"):
        out.append({"title": "Base-rate filters relaxed",
                    "text": f"Fewer than 20 alliances matched every filter; dropped: {', '.join(br['relaxed'])}."})
    if validation and validation["status"] == "stored":
        lm = validation["landmark"]
        worse = [x for x in lm["pooled"] if x["beats_best_baseline"] != "yes" and x.get("skill") is not None]
        txt = (f"The landmark back-test (specification {lm['spec_hash'][:12]}, frozen {lm['frozen_at']}) scored "
               f"{lm['counts'].get('scored', 0):,} alliance-origins; {lm['counts'].get('no_model_prediction', 0):,} had no "
               f"model prediction (a member's data missing, or beyond the training data's ages) and are left out. ")
        if worse:
            txt += ("The model does not beat the best baseline on: " + "; ".join(
                f"{SPLIT_WORDS[x['split']]} {origins_text(x['origins'])} at {x['horizon']:g} years "
                f"(skill {skill_ci(x['skill'], x['skill_lower'], x['skill_upper'])})" for x in worse) + ". ")
        txt += (f"The later origins were scored {times_text(lm['later_looks_total'])} in all "
                f"({times_text(lm['later_looks_this_spec'])} with this specification). " + " ".join(lm["notes"]))
        out.append({"title": "Track record", "text": txt.strip()})
    elif validation:
        out.append({"title": "No back-test", "text": validation["message"]})
    else:
        out.append({"title": "No back-test", "text": "This report was made without the model's track record "
                    "(the forecast's validation was left out)."})
    return out


def provenance(result: dict) -> dict:
    """Where every number comes from: dataset files (version, sha256 used vs the registry's), model, event, fit date,
    pactwatch version, run settings, case file (sha256)."""
    result = as_json(result)
    import pactwatch
    from pactwatch.data.registry import find_file, registry

    reg = registry()
    ds_rows = []
    for t, sha in sorted(result["model"].get("data", {}).items()):
        try:
            spec = find_file(t)
            ds = reg[spec.dataset]
        except KeyError:
            ds_rows.append({"table": t, "sha256": sha, "file": None, "dataset": None, "version": None,
                            "registry_match": None, "citation": None, "homepage": None, "coverage": None})
            continue
        used = sha.split("registry:", 1)[1].split("|", 1)[0] if sha.startswith("registry:") else sha
        ds_rows.append({"table": t, "file": spec.path, "dataset": ds.name, "key": ds.key, "version": ds.version,
                        "coverage": ds.coverage, "sha256": used, "from_store": sha.startswith("registry:"),
                        "registry_match": (used == spec.sha256) if spec.sha256 else None, "citation": ds.citation,
                        "homepage": ds.homepage})
    m = result["model"]
    info = m["info"]
    fitted = info.get("fitted_at")
    if not fitted and m.get("cache", {}).get("fit_key"):
        try:
            from pactwatch.scenarios.training import cache_dir

            p = cache_dir() / f"fit-{m['cache']['fit_key']}.pkl"
            if p.exists():
                fitted = dt.datetime.fromtimestamp(p.stat().st_mtime).isoformat(timespec="seconds") + " (date of the cached fit)"
        except Exception:  # noqa: BLE001 - provenance is best effort here; say it is unknown
            fitted = None
    case_sha = None
    f = result["case"].get("file")
    if f and Path(f).exists():
        case_sha = hashlib.sha256(Path(f).read_bytes()).hexdigest()
    return {
        "datasets": ds_rows,
        "model": {"spec": m["spec"], "description": m.get("description"), "n_covariates": len(m["covariates"]),
                  "n_alliances": info.get("n_alliances"), "n_events": info.get("n_events"),
                  "n_rows": info.get("n_rows"), "train_years": info.get("train_years"),
                  "follow_up_ends": info.get("train_follow_up_ends"), "se_type": m.get("se_type"),
                  "ties": m.get("ties"), "fitted_at": fitted or "unknown", "fit_cache": m.get("cache", {}).get("fit_cache"),
                  "fit_key": m.get("cache", {}).get("fit_key"), "panels_built_at": m.get("panels_built_at"),
                  "dropped_rows": info.get("tv_rows_dropped_missing"), "dropped_events": info.get("tv_events_lost_missing"),
                  "excluded_incomplete": info.get("train_excluded_incomplete")},
        "event": result["event"],
        "run": {"pactwatch_version": pactwatch.__version__, "as_of": result["as_of"], "n_sims": result["n_sims"],
                "seed": result["seed"], "level": result["level"], "horizon": result["horizon"],
                "runtime_seconds": result.get("runtime_seconds"),
                "generated_at": dt.datetime.now().isoformat(timespec="seconds")},
        "case": {"file": f, "sha256": case_sha, "state_source": result["case"].get("state_source")},
    }


def question(result: dict) -> dict:
    """The question the report answers: the case's ``question``, else one made from the case's name."""
    result = as_json(result)
    c = result["case"]
    if c.get("question"):
        return {"text": c["question"], "source": c.get("question_source")}
    return {"text": f"How long will the {c['name']} last, and what would change that?", "source": None}


# ------------------------------------------------------------------------------------------------------- render
def context(result: dict, validation: dict | None = None, news=None) -> dict:
    """Everything the template shows (charts as data URIs). ``news``: what the news says
    (:class:`pactwatch.monitor.summary.NewsSummary` or the monitor's summary dict; None: none was read)."""
    result, validation = _plain(result, validation)
    from . import charts
    from .news import news_view

    check_result(result, validation)
    drows = charts.driver_rows(result)
    sq = status_quo(result)
    return {
        "r": result, "v": validation, "bt": backtest_tables(validation), "question": question(result),
        "resolution": resolution_view(result),
        "answer": answer(result, validation)["text"],
        "headline": headline_text(result.get("headline"), min(5.0, result["horizon"])),
        "headline_rows": headline_rows(result.get("headline")),
        "trust": trust_paragraph(result, validation),
        "lvl": f"{100 * result['level']:.0f}%", "i5": _idx(result["times"], min(5.0, result["horizon"])),
        "scenario_rows": scenario_rows(result), "status_quo": sq, "driver_rows": drows,
        "driver_rows_all": sq["drivers"], "interactions": [d["label"] for d in drows if "×" in d["label"]],
        "survival_png": charts.survival_chart(result), "driver_png": charts.driver_chart(result, drows) if drows else None,
        "base_filters": filters_text(result["base_rate"]), "caveats": caveats(result, validation),
        "uncertain": uncertain_values(result), "prov": provenance(result),
        "news": news_view(news, as_of=result.get("as_of")),
        "competing": competing_table(result), "competing_png": charts.competing_chart(result),
        **coding_view(result),
    }


def coding_view(result: dict) -> dict:
    """The coding-sensitivity section: {"codings": the result's ``codings`` (or None), "coding_text" (one sentence),
    "swing_rows" (text cells), "sensitivity_png" (chart, None without swings), "unsampled" (uncertain values without
    alternatives)}."""
    from . import charts

    cd = result.get("codings")
    rows = swing_rows(result)
    return {"codings": cd, "coding_text": coding_sentence(result), "swing_rows": rows,
            "sensitivity_png": charts.sensitivity_chart(result) if rows else None,
            "sampled_values": [{**v, "value_text": coded_value(v["value"]), "weight_text": weight(v["weight"]),
                                "alternatives_text": "; ".join(f"{coded_value(a['value'])} ({weight(a['weight'])})"
                                                               for a in v["alternatives"])}
                               for v in (cd or {}).get("values", []) if v["status"] == "sampled"],
            "unsampled": [v["path"] for v in (cd or {}).get("values", []) if v["status"] != "sampled"]}


def _env():
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("pactwatch.reports", "templates"),
                      autoescape=select_autoescape(["html", "j2", "html.j2"], default=True), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=pct, pts=pts, years=years, median=median_text)
    return env


def render_html(result: dict, validation: dict | None = None, news=None) -> str:
    result, validation = _plain(result, validation)
    return _env().get_template("report.html.j2").render(**context(result, validation, news))


def render_report(result: dict, path, validation: dict | None = None, news=None) -> Path:
    """Write the self-contained HTML report for ``result`` to ``path`` (parent folders created); returns the path.
    ``validation``: the forecast's validation (default: the result's own); ``news``: what the news says
    (:class:`pactwatch.monitor.summary.NewsSummary`, or None: the report says no news was read)."""
    html = render_html(result, validation, news)
    p = Path(path).expanduser()
    if p.exists() and p.is_dir():
        raise PactwatchError(f"report path {p}: is a directory; give a file name such as {p / 'report.html'}")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(p.name + ".tmp")
        tmp.write_text(html, encoding="utf-8")
        tmp.replace(p)
    except OSError as exc:
        raise PactwatchError(f"report path {p}: cannot write the report ({exc.strerror or exc})") from None
    return p
