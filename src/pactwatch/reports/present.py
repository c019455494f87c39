"""How forecast numbers are written, in one place: the CLI (:mod:`pactwatch.cli.forecast`), the HTML report
(:mod:`.report`) and the web pages (:mod:`pactwatch.web`) all format through these functions, so the same number reads
the same everywhere.

Rules:

- probabilities as whole percents: 0.789 -> ``79%``; intervals ``74%–83%`` (en dash); with the point
  ``79% [74%–83%]``;
- differences of probabilities as signed percentage points: 0.088 -> ``+9``, −0.031 -> ``−3`` (a true minus sign);
  a change smaller than 0.95 points but not zero keeps one decimal (``−0.1``) so it never reads as no change; a
  rounded zero is ``0`` (no sign). Intervals of differences: ``−3 to −0.1``;
- years with one decimal (``2.3``); a median beyond the horizon as ``> 10``;
- a missing value (None) is ``–``.
"""
from __future__ import annotations

DASH = "–"
MINUS = "−"


def pct(v, digits: int = 0) -> str:
    """A probability as a percent: 0.789 -> '79%'; None -> '–'."""
    return DASH if v is None else f"{100 * v:.{digits}f}%"


def pct_interval(lower, upper) -> str:
    """'74%–83%'."""
    return f"{pct(lower)}{DASH}{pct(upper)}"


def pct_ci(point, lower, upper) -> str:
    """'79% [74%–83%]'; '–' without a point."""
    if point is None:
        return DASH
    return f"{pct(point)} [{pct_interval(lower, upper)}]"


def pts(v, digits: int = 0) -> str:
    """A difference in probability as signed percentage points: 0.088 -> '+9', -0.0007 -> '−0.1'; None -> '–'."""
    if v is None:
        return DASH
    x = 100 * v
    if digits == 0 and 0 < abs(x) < 0.95:
        digits = 1  # a small non-zero change shows as −0.1, not as 0
    s = f"{x:+.{digits}f}"
    return "0" if s.lstrip("+-").strip("0.") == "" else s.replace("-", MINUS)


def pts_abs(v) -> str:
    """The size of a difference in points, without sign: -0.031 -> '3', 0.0007 -> '0.1'."""
    return pts(abs(v)).lstrip("+") if v is not None else DASH


def pts_interval(lower, upper) -> str:
    """'−3 to −0.1'."""
    return f"{pts(lower)} to {pts(upper)}"


def diff_ci(d: dict | None) -> str:
    """A difference to the status quo with its interval: '−2 pts (−3 to −0.1)'; '–' for none."""
    if d is None:
        return DASH
    return f"{pts(d['point'])} pts ({pts_interval(d['lower'], d['upper'])})"


def years(v, digits: int = 1) -> str:
    return DASH if v is None else f"{v:.{digits}f}"


def median_text(m: dict | None) -> str:
    """'> 10 y' (beyond the horizon, interval too), '> 10 y [8.2, > 10]', '6.3 y [4.1, 9.0]'."""
    if m is None:
        return DASH
    h = f"{m['horizon']:g}"

    def fmt(v):
        return f"> {h}" if v is None else years(v)

    if m["point"] is None and m["lower"] is None and m["upper"] is None:
        return f"> {h} y"
    return f"{fmt(m['point'])} y [{fmt(m['lower'])}, {fmt(m['upper'])}]"


def level_text(level: float) -> str:
    """0.9 -> '90%'."""
    return f"{100 * level:.0f}%"


def interval_excludes_zero(d: dict) -> bool:
    return d["lower"] > 0 or d["upper"] < 0


def lc(s: str) -> str:
    """Lower-case the first letter of a label for use inside a sentence ('US …' and other acronyms stay)."""
    return s if len(s) > 1 and s[0].isupper() and s[1].isupper() else s[:1].lower() + s[1:]


def join(xs) -> str:
    """'a', 'a and b', 'a, b and c'."""
    xs = list(xs)
    if len(xs) <= 1:
        return "".join(xs)
    return ", ".join(xs[:-1]) + " and " + xs[-1]


def index_of(times: list, t: float) -> int:
    """The position in ``times`` nearest to ``t``."""
    return min(range(len(times)), key=lambda i: abs(times[i] - t))


def scenario_table(result: dict) -> dict:
    """The scenario table every view shows, as text cells: {"t_diff", "columns", "rows": [{name, label, survival[],
    median, diff}], "base_rate": [..]}; ``diff`` is the difference to the status quo at 5 years (or the horizon)."""
    times = result["times"]
    t5 = min(5.0, result["horizon"])
    i5 = index_of(times, t5)
    rows = []
    for s in result["scenarios"]:
        d = s["vs_status_quo"][i5] if s.get("vs_status_quo") and s["name"] != "status-quo" else None
        rows.append({"name": s["name"], "label": s["label"],
                     "survival": [pct_ci(x["point"], x["lower"], x["upper"]) for x in s["survival"]],
                     "median": median_text(s["median_remaining"]), "diff": diff_ci(d)})
    br = result["base_rate"]
    return {"t_diff": t5, "columns": [f"{t:g} y" for t in times], "rows": rows,
            "base_rate": [pct_ci(x["estimate"], x["lower"], x["upper"]) for x in br["survival"]]}


# ------------------------------------------------------------------------------------------------ the back-test
SPLIT_WORDS = {"development": "development origins", "later": "later origins"}
VERDICT_WORDS = {"yes": "yes", "no": "no (worse)", "not distinguishable": "not distinguishable"}


def skill(v) -> str:
    """A Brier skill score as a signed percent with one decimal: 0.2134 -> '+21.3%'; None -> '–'."""
    if v is None:
        return DASH
    s = f"{100 * v:+.1f}%"
    return "0%" if s.lstrip("+-") == "0.0%" else s.replace("-", MINUS)


def skill_ci(point, lower, upper) -> str:
    """'+21.3% [+14.8% to +28.1%]'."""
    if point is None:
        return DASH
    return f"{skill(point)} [{skill(lower)} to {skill(upper)}]"


def brier(v) -> str:
    return DASH if v is None else f"{v:.4f}"


def num_ci(point, lower, upper, digits: int = 2) -> str:
    """'0.17 [0.04, 0.36]' (a plain number with its interval)."""
    if point is None:
        return DASH
    f = f"{{:.{digits}f}}"
    lo = DASH if lower is None else f.format(lower)
    hi = DASH if upper is None else f.format(upper)
    return f"{f.format(point).replace('-', MINUS)} [{lo.replace('-', MINUS)}, {hi.replace('-', MINUS)}]"


def origins_text(o) -> str:
    return DASH if not o else (str(o[0]) if o[0] == o[1] else f"{o[0]}{DASH}{o[1]}")


#: The baselines in a sentence.
BASELINE_WORDS = {"km_all": "a Kaplan–Meier of all history", "km_30y": "a Kaplan–Meier of the last 30 years",
                  "km_class": "a Kaplan–Meier of the alliance's obligation class",
                  "const_10y": "a constant ending rate from the last 10 years"}


def _skill_words(s: dict, lvl: str) -> str:
    """'+0.6%, 90% interval −2.0% to +3.1%'."""
    return f"{skill(s['skill'])}, {lvl} interval {skill(s['skill_lower'])} to {skill(s['skill_upper'])}"


def times_text(n: int) -> str:
    """1 -> "once", 2 -> "twice", 3 -> "3 times"."""
    return {1: "once", 2: "twice"}.get(n, f"{n} times")


def _verdict_phrase(s: dict) -> str:
    b = BASELINE_WORDS.get(s["best_baseline"]) or lc(s["best_baseline_label"] or s["best_baseline"] or "it")
    v = s["beats_best_baseline"]
    if v == "yes":
        return f"beat the best baseline, {b}"
    if v == "no":
        return f"did worse than the best baseline, {b}"
    return f"did not beat the best baseline, {b}"


def pooled_row(v: dict, split: str, h: float) -> dict | None:
    lm = (v or {}).get("landmark") or {}
    return next((s for s in lm.get("pooled", []) if s["split"] == split and abs(s["horizon"] - h) < 1e-9), None)


def backtest_lead(v: dict | None, t: float = 5.0) -> str | None:
    """The sentence that goes right after the forecast in the answer: how the model did on the development origins at
    ``t`` years (or that no back-test is stored). None when no validation was attached."""
    if not v:
        return None
    if v["status"] != "stored":
        return (f"How far to trust this is unknown: no back-test of this model on these data is stored (run "
                f"`{v['command']}`, about {v['expected_minutes'][0]}–{v['expected_minutes'][1]} minutes).")
    lm = v["landmark"]
    lvl = level_text(lm["level"])
    s = pooled_row(v, "development", t)
    if s is None or s.get("skill") is None:
        return f"The stored back-test has no scored {t:g}-year forecasts on its development origins."
    head = ("Read it with caution: " if s["beats_best_baseline"] != "yes" else "")
    o = s["origins"] or [None, None]
    when = f"each year {origins_text(o)}" if o[0] != o[1] else f"at the end of {o[0]}"
    txt = (f"{head}in a back-test that re-made the forecast for every alliance in force {when} with only the data "
           f"known then ({s['n']:,} forecasts, {s['n_events']} endings), "
           f"the model's {t:g}-year forecasts {_verdict_phrase(s)} (Brier skill {_skill_words(s, lvl)}")
    if s.get("calibration_slope") is not None:
        txt += f"; calibration slope {s['calibration_slope']:.2f}, where 1 is ideal".replace("-", MINUS)
    txt += ")."
    return txt[0].upper() + txt[1:]


def backtest_rest(v: dict | None, t: float = 5.0) -> str | None:
    """The other skill figures (development origins at the other horizons, later origins) in plain words."""
    if not v or v["status"] != "stored":
        return None
    lm = v["landmark"]
    lvl = level_text(lm["level"])
    parts = []
    for s in lm["pooled"]:
        if (s["split"] == "development" and abs(s["horizon"] - t) < 1e-9) or s.get("skill") is None:
            continue
        where = (f"on the later origins {origins_text(s['origins'])} (scored {times_text(lm['later_looks_this_spec'])} "
                 "with this specification)"
                 if s["split"] == "later" else f"on the development origins {origins_text(s['origins'])}")
        parts.append(f"at {s['horizon']:g} years {where} it {_verdict_phrase(s)} (skill {_skill_words(s, lvl)})")
    if not parts:
        return None
    out = "In the same back-test, " + "; ".join(parts) + "."
    return out


def backtest_tables(v: dict | None) -> dict | None:
    """The back-test section's tables as text cells: {"pooled": rows, "subgroups": {horizon: rows}, "level"}; a
    subgroup row of the Soviet/Russian treaties carries its named illustrations."""
    if not v or v["status"] != "stored":
        return None
    lm = v["landmark"]
    lvl = level_text(lm["level"])

    def cells(s: dict) -> dict:
        return {"split": SPLIT_WORDS.get(s["split"], s["split"]), "horizon": f"{s['horizon']:g} y",
                "origins": origins_text(s["origins"]), "n": f"{s['n']:,}", "alliances": str(s["n_alliances"]),
                "events": str(s["n_events"]), "model": brier(s.get("model_brier")),
                "best": s.get("best_baseline_label") or s.get("best_baseline") or DASH,
                "best_key": s.get("best_baseline"), "best_brier": brier(s.get("best_baseline_brier")),
                "skill": skill_ci(s.get("skill"), s.get("skill_lower"), s.get("skill_upper")),
                "verdict": VERDICT_WORDS.get(s["beats_best_baseline"], s["beats_best_baseline"]),
                "slope": num_ci(s.get("calibration_slope"), s.get("calibration_slope_lower"),
                                s.get("calibration_slope_upper")),
                "auc": num_ci(s.get("auc"), s.get("auc_lower"), s.get("auc_upper")), "note": s.get("note") or ""}

    def illustrations(key, s: dict) -> list[dict]:
        out = []
        for i in lm["illustrations"]:
            if (i.get("subgroup") != key or abs(i["horizon"] - s["horizon"]) > 1e-9
                    or (i["origin"] <= lm["dev_end"]) != (s["split"] == "development")):
                continue
            bk = s.get("best_baseline")
            out.append({"atopid": i["atopid"], "name": i["name"], "formed": str(i["formed"]), "origin": str(i["origin"]),
                        "age": years(i["age"]), "model": pct(i["model"]),
                        "baseline": pct(i["baselines"].get(bk)) if bk else DASH, "baseline_key": bk or "",
                        "outcome": {1: "in effect", 0: "ended"}.get(i["survived"], "unknown")})
        return out

    pooled = [cells(s) for s in lm["pooled"]]
    subs: dict = {}
    for key, s in zip(lm["subgroup_of"], lm["subgroups"]):
        h = f"{s['horizon']:g}"
        subs.setdefault(h, []).append({"key": key, "label": lm["subgroup_labels"].get(key, key), **cells(s),
                                       "illustrations": illustrations(key, s)})
    # named case files outside the subgroups (e.g. China–DPRK 1961): a row of their own, compared with the pooled
    # best baseline of their split and horizon
    for s in lm["pooled"]:
        other = illustrations(None, s)
        if other:
            subs.setdefault(f"{s['horizon']:g}", []).append(
                {"key": "other_named", "label": "Other named cases (case files)", **{k: "" for k in cells(s)},
                 "split": SPLIT_WORDS.get(s["split"], s["split"]), "origins": origins_text(s["origins"]),
                 "note": "illustrations only", "illustrations": other})
    return {"pooled": pooled, "subgroups": subs, "level": lvl, "baselines": lm["baselines"],
            "later_looks": times_text(lm["later_looks_this_spec"]), "later_looks_total": times_text(lm["later_looks_total"])}


# ------------------------------------------------------------------------------------------------ competing risks
def competing_table(result: dict, names=("status-quo", "war-ends")) -> dict | None:
    """The competing-risk table as text cells, for the scenarios ``names`` present in the result's ``competing`` block
    (None without one): {"columns", "scenarios": [{name, label, rows: [{cause, label, n_events, cells[]}],
    not_replaced[], any_end[]}], "replacements_censored"}. ``any_end``: 1 − the survival forecast of the result's
    event (its interval from the survival interval), beside "ends for any reason but replacement"."""
    comp = result.get("competing")
    if not comp:
        return None
    times = result["times"]
    n_ev = {c["name"]: c["n_events"] for c in comp["causes"]}
    n_win = {c["name"]: c.get("n_events_at_case_ages") for c in comp["causes"]}
    surv = {s["name"]: s for s in result["scenarios"]}
    out = []
    for sc in comp["scenarios"]:
        if sc["name"] not in names:
            continue
        s = surv.get(sc["name"])
        out.append({"name": sc["name"], "label": sc["label"],
                    "rows": [{"cause": c["cause"], "label": c["label"], "n_events": n_ev.get(c["cause"]),
                              "n_window": n_win.get(c["cause"]),
                              "cells": [pct_ci(p["point"], p["lower"], p["upper"]) for p in c["by_t"]]}
                             for c in sc["incidence"]],
                    "not_replaced": [pct_ci(p["point"], p["lower"], p["upper"]) for p in sc["not_replaced"]],
                    "any_end": [pct_ci(1 - x["point"], 1 - x["upper"], 1 - x["lower"]) for x in s["survival"]]
                    if s else [DASH] * len(times)})
    return {"columns": [f"{t:g} y" for t in times], "scenarios": out, "event": result["event"]["name"],
            "replacements_censored": comp.get("replacements_censored"), "thin": competing_thin(result)}


#: Fewer training endings than this at the case's ages (all causes together) and the cause models are called thin.
THIN_ENDINGS = 30


def competing_thin(result: dict) -> str | None:
    """A warning when the cause models rest on few training endings at the case's ages (None otherwise)."""
    comp = result.get("competing") or {}
    win = {c["label"]: c.get("n_events_at_case_ages") for c in comp.get("causes", [])}
    if not win or any(v is None for v in win.values()) or sum(win.values()) >= THIN_ENDINGS:
        return None
    zero = [k for k, v in win.items() if v == 0]
    return (f"Thin evidence: at this case's ages the cause models rest on {sum(win.values())} training endings in all ("
            + ", ".join(f"{lc(k)} {v}" for k, v in win.items()) + ")"
            + (f"; a cause with none there ({join([lc(z) for z in zero])}) gets an incidence of about 0 with no "
               "interval to show the uncertainty" if zero else "")
            + ". Read these incidences as weak; the any-end survival above rests on all ages.")


# ------------------------------------------------------------------------------------------ timing and resolution
#: Shock kinds in words (for sentences).
KIND_WORDS = {"war-ends": "the war ending", "rival-removed": "a rivalry ending", "rival-added": "a new rivalry",
              "leader-change": "a leader change", "power-shift": "a power shift", "regime-change": "a regime change",
              "new-outside-alliance": "a new outside alliance"}


def timing_text(shock: dict) -> str:
    """A shock's timing in words: 'war-ends: a 47% chance each year from the as-of date, conditioned on happening by
    2027-12-31', 'power-shift: uniform over 0–4 years after the as-of year'."""
    tm = shock.get("timing") or {}
    kind = shock.get("kind", "shock")
    if tm.get("dist") == "geometric":
        desc = f"{kind}: a {pct(tm['p_per_year'])} chance each year from the as-of date"
        if tm.get("by"):
            desc += f", conditioned on happening by {tm['by']}"
    elif tm.get("dist"):
        desc = f"{kind}: {tm['dist']} over {tm.get('low')}–{tm.get('high')} years after the as-of year"
        if tm.get("mode") is not None:
            desc += f" (mode {tm['mode']:g})"
    elif tm.get("fixed") is not None:
        desc = (f"{kind}: {tm['fixed']} years after the as-of year" if tm.get("relative", True)
                else f"{kind}: in {tm['fixed']}")
    else:
        desc = kind
    if tm.get("never"):
        desc += f"; never with probability {tm['never']:g}"
    return desc


def status_quo_words(result: dict) -> str:
    """What the status quo assumes, for a sentence: 'if nothing changes' or 'under the status quo (war-ends: a 47%
    chance each year from the as-of date; nothing else changes)'."""
    sq = next((s for s in result["scenarios"] if s["name"] == "status-quo"), None)
    if sq is None or not sq.get("shocks"):
        return "if nothing changes"
    parts = []
    for s in sq["shocks"]:
        tm = s.get("timing") or {}
        if tm.get("dist") == "geometric":
            parts.append(f"{KIND_WORDS.get(s['kind'], s['kind'])} with a {pct(tm['p_per_year'])} chance each year")
        else:
            parts.append(timing_text(s))
    return "under the status quo (" + "; ".join(parts) + "; nothing else changes)"


def resolution_event_note(result: dict) -> str | None:
    """How the model's event relates to the resolution criteria (replacement is where they can differ)."""
    r = result["case"].get("resolution")
    if not r:
        return None
    ev = result["event"]["name"]
    if ev == "any-end" and r.get("continues"):
        return ("The model's event 'any-end' counts replacement by a new treaty as an ending, while these criteria "
                "count a successor treaty as continuation, so on that count the model understates survival (the "
                "event 'death' censors replacements); and the model learns endings from ATOP's record of treaties in "
                "force, so a breach or a break in relations that leaves the treaty formally in force is not in it.")
    if ev == "death":
        return ("The model's event 'death' censors replacement by a new treaty, as these criteria do; it learns "
                "endings from ATOP's record of treaties in force, so a breach or a break in relations that leaves the "
                "treaty formally in force is not in it.")
    return f"The model's event is '{ev}': {result['event']['description']}."


def resolution_view(result: dict) -> dict | None:
    """The question's resolution as text cells (every view opens with it): {"ends": [{text, source}], "continues",
    "dates", "note", "event_note", "rows": [{name, label, cells: ['87% [75%–94%]' per date]}], "beyond": dates past the
    horizon}; None when the case states no resolution."""
    r = result["case"].get("resolution")
    if not r:
        return None
    rows = []
    for s in result["scenarios"]:
        pts_ = s.get("at_resolution") or []
        rows.append({"name": s["name"], "label": s["label"],
                     "cells": [pct_ci(p["point"], p["lower"], p["upper"]) if p["within_horizon"] else
                               "before the as-of date" if p["t"] < 0 else
                               f"beyond the {result['horizon']:g}-year horizon" for p in pts_]})
    first = next((s.get("at_resolution") for s in result["scenarios"] if s.get("at_resolution")), []) or []
    return {"ends": r["ends"], "continues": r["continues"], "dates": r["dates"], "note": r.get("note"),
            "event_note": resolution_event_note(result), "rows": rows,
            "t": [years(p["t"]) for p in first],
            "beyond": [p["date"] for p in first if not p["within_horizon"]]}


def resolution_lines(result: dict) -> list[str]:
    """The resolution as plain text lines (the CLI opens with them): criteria, dates and each scenario's probability
    of the alliance still being in effect on each date."""
    v = resolution_view(result)
    if v is None:
        return []
    lvl = level_text(result["level"])
    out = ["Resolution: the alliance counts as ended if any of these happens:"]
    out += [f"  - {c['text']}" for c in v["ends"]]
    if v["continues"]:
        out.append("Not an ending (continuation):")
        out += [f"  - {c['text']}" for c in v["continues"]]
    out.append(f"Resolution dates: {join(v['dates'])}.")
    if v["event_note"]:
        out.append(v["event_note"])
    out.append(f"Probability the alliance is still in effect on each date ({lvl} interval):")
    for row in v["rows"]:
        out.append(f"  {row['label']}: " + "; ".join(f"{d}: {c}" for d, c in zip(v["dates"], row["cells"])))
    return out


# ------------------------------------------------------------------------------------------ coding uncertainty
def coded_value(v) -> str:
    """A case value as written in the case file: True -> 'true', [365] -> '[365]', None -> '–'."""
    if v is None:
        return DASH
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(str(x) for x in v) + "]"
    return f"{v:g}" if isinstance(v, float) else str(v)


def weight(w) -> str:
    """A reading's weight: 0.3 -> '0.30'."""
    return DASH if w is None else f"{w:.2f}"


def swing_rows(result: dict) -> list[dict]:
    """The coding swings as text cells, largest first: {path, change ('0 → 1'), weight, at_coded, at_alternative,
    swing ('+12 pts'), interval ('+6 to +19'), source, moves (False: the model's covariates are the same)}."""
    cd = result.get("codings") or {}
    rows = []
    for s in sorted(cd.get("swings") or [], key=lambda s: -abs(s["swing"])):
        rows.append({"path": s["path"], "change": f"{coded_value(s['coded'])} → {coded_value(s['alternative'])}",
                     "weight": weight(s["weight"]), "at_coded": pct(s["survival_coded"]),
                     "at_alternative": pct(s["survival_alternative"]), "swing": f"{pts(s['swing'])} pts",
                     "interval": pts_interval(s["lower"], s["upper"]), "source": s["source"],
                     "moves": s["changes_covariates"], "raw": s})
    return rows


def coding_sentence(result: dict) -> str | None:
    """One sentence on coding uncertainty: how the point averages over the sampled readings, and the largest swing.
    None when the result has no sampled coding."""
    cd = result.get("codings") or {}
    sampled = [v for v in cd.get("values", []) if v["status"] == "sampled"]
    if not sampled or cd.get("survival_at_coded") is None:
        return None
    t = cd["t"]
    sq = next((s for s in result["scenarios"] if s["name"] == cd["scenario"]), None)
    mix = None if sq is None else sq["survival"][index_of(result["times"], t)]["point"]
    none = [v["path"] for v in cd["values"] if v["status"] != "sampled"]
    out = (f"{len(sampled)} uncertain case values list alternative readings, which the Monte Carlo samples by weight: "
           f"at the coded values the status quo's {t:g}-year survival is {pct(cd['survival_at_coded'])}, averaged over "
           f"the readings {pct(mix)}")
    sw = [s for s in cd.get("swings", []) if s["changes_covariates"]]
    if sw:
        big = max(sw, key=lambda s: abs(s["swing"]))
        out += (f"; the largest swing is {big['path']} {coded_value(big['coded'])} → {coded_value(big['alternative'])} "
                f"(weight {weight(big['weight'])}): {pts(big['swing'])} points to {pct(big['survival_alternative'])}")
    out += "."
    if none:
        out += f" {len(none)} more are marked uncertain without alternatives and are not sampled."
    return out


# ------------------------------------------------------------------------------------- headline and how far to trust
POOL_WORDS = {"pooled": "the pooled forecast of the model and the reference classes",
              "classes": "the pooled reference classes"}
CLASS_WORDS = {"ref_design": "its design class", "ref_major": "its major power's bilateral treaties",
               "ref_members": "its own members' alliances"}


def _class_at(c: dict, t: float) -> dict | None:
    return next((p for p in c.get("survival", []) if abs(p["t"] - t) < 1e-9), None)


def rule_text(d: dict) -> str:
    """The decision rule's verdict in words, from its numbers (:func:`pactwatch.scenarios.pooling.decide`)."""
    if not d.get("checks"):
        return d.get("reason") or "the rule could not be applied"
    r = d.get("rule") or {}
    lo, hi = (r.get("slope_range") or [0.8, 1.2])[:2]
    iv = d.get("skill_interval") or [None, None]
    sl = d.get("calibration_slope")
    words = {"skill_above_zero": "skill above zero", "interval_above_zero": "its whole interval above zero",
             "slope_in_range": f"calibration slope in [{lo}, {hi}]"}
    failed = [words.get(k, k) for k, v in d["checks"].items() if not v]
    txt = (f"on the {d['decided_on']}, the pool of the model and the classes had {r.get('horizon', 5.0):g}-year Brier "
           f"skill {skill_ci(d.get('skill'), *iv)} against the best baseline and calibration slope "
           f"{DASH if sl is None else format(sl, '.2f')}")
    if d.get("passed"):
        return txt + " — the rule (skill above zero with its whole interval, slope in range) is met"
    return txt + f" — the rule is not met ({join(failed)} failed), so the headline is the pooled reference classes"


def headline_text(h: dict | None, t: float = 5.0) -> str | None:
    """The headline sentence: the chosen pool's probability at ``t`` years with its parts and the rule that chose it;
    without a stored back-test, the parts side by side and why there is no pooled number."""
    if not h:
        return None
    parts = h["parts"]
    model = parts["model"].get(f"{t:g}")
    cls = []
    for c in parts["classes"]:
        p = _class_at(c, t)
        name = CLASS_WORDS.get(c["name"], c["name"])
        if p is None or p.get("estimate") is None:
            cls.append(f"{name} {DASH} ({c.get('note') or 'no alliance of the class followed that far'}; n = {c['n']})")
        else:
            cls.append(f"{name} {pct_ci(p['estimate'], p['lower'], p['upper'])} (n = {c['n']}, "
                       f"{c['n_at_risk']} at this age)")
    sides = f"the model's status quo {pct(model)}; " + "; ".join(cls)
    if h["status"] != "stored" or not h.get("probabilities"):
        return f"No pooled {t:g}-year headline: {h['message']} The parts: {sides}."
    row = next((r for r in h["probabilities"] if abs(r["t"] - t) < 1e-9), None)
    if row is None:
        return f"No pooled {t:g}-year headline (the stored back-test has no {t:g}-year weights). The parts: {sides}."
    which = h["headline"]
    w = row[f"{which}_weights"]
    ws = ", ".join(f"{CLASS_WORDS.get(k, k)} {v:.2f}" for k, v in w.items() if k != "intercept" and "missing" not in k)
    txt = (f"Headline: {pct(row['headline'])} chance of still being in effect in {t:g} years, from "
           f"{POOL_WORDS[which]} (weights fitted on the back-test's development origins: {ws}; intercept "
           f"{w['intercept']:+.2f}). The parts: {sides}.")
    if which == "pooled":
        txt += " The back-test's rule chose this pool (see how far to trust it)."
    else:
        txt += (f" The pool that includes the model would say {pct(row['pooled'])}, but it failed the back-test's rule "
                "(see how far to trust it), so the headline falls back to the classes.")
    return txt.replace("-0.", f"{MINUS}0.").replace("intercept -", f"intercept {MINUS}")


def _sensitivities(result: dict) -> list[dict]:
    """The coding swings of the result (:func:`swing_rows`, largest first) as [{"label", "swing"}], leaving out readings
    that do not change the model's covariates; [] when the result has none."""
    return [{"label": f"{r['path']} {r['change']}", "swing": float(r["raw"]["swing"])} for r in swing_rows(result)
            if r["moves"]]


#: What each covariate of the model lets a scenario say, and what it cannot (the scenarios the model cannot speak to
#: are written from these: a channel the model lacks, or one that is 0 or rare in the training data).
BLIND_SPOTS = [
    ("shared_rivals", "US policy (retrenchment or pressure) enters only through shared rivals: the count of shared TSS "
     "strategic rivals, which is 0 for patron–client pairs in the training data (a patron's global rival is never its "
     "client's listed rival), and the peace-scale grade, which other shared rivals (here Japan) hold at its top "
     "whatever the US does"),
    ("any_leader_change", "a leader change enters only as “some member's leader changed that year”, the same for a "
     "coup in a personalist regime as for an election; a hereditary succession in a personalist regime has few "
     "analogues in the training data"),
    ("any_at_war", "the war enters only as “a member at war” the year before (COW to 2007, UCDP/PRIO to 2022, coded by "
     "hand since) and, for an alliance formed in wartime, “its formation war ended in the last two years”: who wins, "
     "how it ends and what the treaty was for are not represented"),
    (None, "nuclear status, sanctions, arms transfers, troop deployments and third parties' (e.g. China's) stance are "
     "not covariates: scenarios about them cannot move the forecast"),
]


def trust_paragraph(result: dict, validation: dict | None) -> str:
    """How far to trust the answer, in one paragraph: back-test skill against the best baseline (development and later
    origins, intervals, looks), calibration, the pooled forecast's verdict, the largest coding sensitivities, the
    scenarios the model cannot speak to, and the back-test's event study beside the model's war-ends effect."""
    out = []
    lm = (validation or {}).get("landmark") if validation and validation.get("status") == "stored" else None
    t = min(5.0, result["horizon"])
    if lm is None:
        out.append("How far to trust it: no back-test of this model on these data is stored, so its skill against "
                   "simple baselines is unknown.")
    else:
        lvl = level_text(lm["level"])
        bits = []
        for split in ("development", "later"):
            s = pooled_row(validation, split, t)
            if s is None or s.get("skill") is None:
                continue
            where = (f"on the later origins {origins_text(s['origins'])}, scored {times_text(lm['later_looks_this_spec'])}"
                     f" with this specification ({times_text(lm['later_looks_total'])} in all)"
                     if split == "later" else f"on the development origins {origins_text(s['origins'])}")
            sl = s.get("calibration_slope")
            bits.append(f"{where} Brier skill {_skill_words(s, lvl)} against the best baseline "
                        f"({BASELINE_WORDS.get(s['best_baseline'], s['best_baseline'])})"
                        + (f", calibration slope {num_ci(sl, s.get('calibration_slope_lower'), s.get('calibration_slope_upper'))}"
                           f" (1 is ideal)" if sl is not None else ""))
        if bits:
            out.append(f"How far to trust it: in the back-test the model's {t:g}-year status-quo forecasts had "
                       + "; ".join(bits) + ".")
        pool = lm.get("pooling")
        if pool and pool.get("decision"):
            d = pool["decision"]
            dev = (pool.get("splits", {}).get("development", {}).get(f"{t:g}") or {}).get("pooled_out_of_fold")
            s = (f"Pooling the model with the three reference classes (weights fitted on the development origins): "
                 f"out of fold on the development origins Brier skill "
                 f"{skill_ci(dev['skill'], *(dev.get('skill_interval') or [None, None]))}, calibration slope "
                 f"{dev['calibration_slope']:.2f}; " if dev and dev.get("skill") is not None else "")
            s += f"{rule_text(d)}."
            lat = pool.get("splits", {}).get("later", {}).get(f"{t:g}") or {}
            fb, pm = lat.get("classes"), lat.get("pooled")
            if fb and fb.get("skill") is not None and not d.get("passed"):
                m = pooled_row(validation, "later", t)
                s += (f" Said plainly: the fallback is no better — on the same later origins the pooled classes scored "
                      f"{skill_ci(fb['skill'], *(fb.get('skill_interval') or [None, None]))}")
                if m and m.get("skill") is not None:
                    s += f", while the model alone scored {skill_ci(m['skill'], m['skill_lower'], m['skill_upper'])}"
                dv = (pool.get("splits", {}).get("development", {}).get(f"{t:g}") or {}).get("pooled")
                if dv and dv.get("n") and pm and pm.get("n"):
                    s += (f"; the weights were fitted when {pct(dv['n_events'] / dv['n'])} of alliances ended within "
                          f"{t:g} years, against {pct(pm['n_events'] / pm['n'])} on the later origins, and a fixed "
                          "pool carries the earlier rate")
                s += "."
            out.append(s[0].upper() + s[1:])
        else:
            out.append("The stored back-test has no pooled forecast (it predates pooling).")
    sens = _sensitivities(result)
    if sens:
        out.append("The case's codings move the answer: " + "; ".join(
            f"{lc(r['label'])} {pts(r['swing'])} points" for r in sens[:3]) + " (largest swings of 5-year survival).")
    else:
        unc = result.get("case", {}).get("uncertain_values") or []
        if unc:
            out.append(f"{len(unc)} of the case's values are judgements whose alternatives are not in the intervals "
                       f"({', '.join(unc[:3])}{', …' if len(unc) > 3 else ''}).")
    from pactwatch.panels.survival import lag_base

    covs = {lag_base(c) or c for c in result["model"]["covariates"]}
    covs |= {"any_at_war" for c in set(covs) if c.startswith("any_at_war")}  # COW, or COW then UCDP/PRIO
    blind = [txt for cov, txt in BLIND_SPOTS if cov is None or cov in covs]
    if 731 in {m.get("ccode") for m in result.get("case", {}).get("members", [])}:
        blind = [b.replace("personalist regime has few", "personalist regime (as in the DPRK) has few") for b in blind]
    if "shared_rivals" not in covs:
        blind.insert(0, "US policy does not enter the model at all (no rivalry covariate)")
    out.append("What the model cannot speak to: " + "; ".join(blind) + ".")
    ws = next((s for s in result["scenarios"] if s["name"] == "war-ends" and s.get("vs_status_quo")), None)
    es = (lm or {}).get("event_study")
    if ws or es:
        i = index_of(result["times"], t)
        txt = []
        if ws:
            d = ws["vs_status_quo"][i]
            txt.append(f"the model's war-ends scenario changes {t:g}-year survival by {pts(d['point'])} points "
                       f"({pts_interval(d['lower'], d['upper'])})")
        row = next((r for r in (es or {}).get("pre_post", []) if r["group"] == "formed_in_war" and not r["world_war"]),
                   None)
        if row and row.get("rate_ratio") is not None:
            lo = DASH if row.get("lower") is None else f"{row['lower']:.1f}"
            hi = DASH if row.get("upper") is None else f"{row['upper']:.1f}"
            txt.append(f"in the back-test's event study, alliances formed in wartime ended at ×{row['rate_ratio']:.1f} "
                       f"[{lo}, {hi}] the rate in the two years after a war's end than in the three years before "
                       f"({row['post_events']} and {row['pre_events']} endings; world wars apart)")
            if ws:
                d = ws["vs_status_quo"][i]["point"]
                txt.append("the two point the same way (ending the war shortens such alliances)" if d < 0 else
                           "the two disagree: the event study says an alliance formed in a war loses its purpose when "
                           "the war ends, the model says ending the war lengthens it")
        elif es:
            txt.append("the back-test's event study has no estimate for alliances formed in wartime")
        out.append("The war's end: " + "; ".join(txt) + ".")
    return " ".join(out)


def headline_rows(h: dict | None) -> dict | None:
    """The reference-class table: the model, each class (n, at risk, survival with interval) and the pools (the
    headline marked), as text cells."""
    if not h:
        return None
    times = sorted(float(k) for k in h["parts"]["model"])
    rows = [{"label": "model (status quo)", "n": DASH, "at_risk": DASH,
             "cells": [pct(h["parts"]["model"].get(f"{t:g}")) for t in times]}]
    for c in h["parts"]["classes"]:
        cells = []
        for t in times:
            p = _class_at(c, t)
            cells.append(DASH if p is None or p.get("estimate") is None else pct_ci(p["estimate"], p["lower"], p["upper"]))
        rows.append({"label": f"{c['label']} ({c['case_class']})", "n": str(c["n"]), "at_risk": str(c["n_at_risk"]),
                     "cells": cells})
    for pool in ("pooled", "classes"):
        cells = []
        for t in times:
            r = next((x for x in h.get("probabilities", []) if abs(x["t"] - t) < 1e-9), None)
            cells.append(DASH if r is None else pct(r.get(pool)))
        mark = " — headline" if h.get("headline") == pool else ""
        rows.append({"label": f"{POOL_WORDS[pool]}{mark}", "n": DASH, "at_risk": DASH, "cells": cells})
    note = h.get("rule") or h.get("message") or ""
    return {"times": [f"{t:g}" for t in times], "rows": rows, "note": note}
