"""`pactwatch evaluate`: out-of-time evaluation of the alliance durability models against a Kaplan–Meier baseline.

Register in the app with ``app.command("evaluate", help=...)(evaluate)``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from pactwatch.cli.common import (EVALUATION_DATA_STEPS, DataDirOpt, DbOpt, JsonOpt, console, data_source,
                                  evaluation_data, print_json, progress)
from pactwatch.errors import PactwatchError

if TYPE_CHECKING:
    from rich.table import Table


def _int_list(text: str, what: str) -> list[int]:
    try:
        out = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise PactwatchError(f"{what}: expected comma-separated years like 1945,1960,1975,1989, got {text!r}") from None
    if not out:
        raise PactwatchError(f"{what}: no years given")
    return out


def _fmt(v, nd=3):
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{nd}f}"
    return str(v)


def _ci(r, k):
    lo, hi = r.get(f"{k}_lo"), r.get(f"{k}_hi")
    if lo is None or hi is None:
        return _fmt(r.get(k))
    return f"{r.get(k):+.3f} [{lo:+.3f}, {hi:+.3f}]"


def _models_table(res: dict) -> Table:
    from rich.table import Table

    i = res["info"]
    t = Table(title=f"Cut-off {res['cutoff']}: trained on {i['train_alliances']} alliances formed {i['train_formed']} "
                    f"({i['train_events']} events by {i['train_follow_up_ends']}); tested on {i['test_alliances']} formed "
                    f"{i['test_formed']} ({i['test_events']} events by {i['test_follow_up_ends']}); "
                    f"event '{res['event']['name']}', horizon {res['horizon']} y", title_justify="left")
    for c in ("model", "Harrell C", "Uno C", "IBS", "Brier 5y", "Brier 10y", "mean AUC", "cal. err 5y",
              "ΔIBS vs KM [95%]", "ΔUno C vs KM [95%]", "beats baseline (95%)"):
        t.add_column(c, justify="left" if c == "model" else "right")
    for r in res["models"]:
        if r.get("error"):
            t.add_row(r["label"], *(["–"] * 9), f"[red]failed: {r['error'][:60]}[/]")
            continue
        v = r.get("verdict") or "no interval"
        b = "baseline" if r["model"] == "km" else {"yes": "[green]yes[/]", "no": "[red]no[/]"}.get(v, v)
        t.add_row(r["label"], _fmt(r["harrell_c"]), _fmt(r["uno_c"]), _fmt(r["ibs"]), _fmt(r["brier_5"]),
                  _fmt(r["brier_10"]), _fmt(r["mean_auc"]), _fmt(r["cal_error_5y"]),
                  "–" if r["model"] == "km" else _ci(r, "delta_ibs"), "–" if r["model"] == "km" else _ci(r, "delta_uno_c"), b)
    return t


def _calibration_table(res: dict) -> Table:
    from rich.table import Table

    from pactwatch.models.evaluation import MODEL_LABELS

    cal = res["calibration"]
    t = Table(title=f"Calibration at {res['t_calibration']:g} years (cut-off {res['cutoff']}): predicted / observed "
                    "(KM) probability of ending, by decile of the prediction", title_justify="left")
    t.add_column("decile", justify="right")
    names = list(cal)
    for k in names:
        t.add_column(MODEL_LABELS.get(k, k), justify="right")
    n = max(len(v) for v in cal.values())
    for b in range(n):
        cells = []
        for k in names:
            rows = cal[k]
            if b < len(rows):
                r = rows[b]
                cells.append(f"{_fmt(r['predicted'])} / {_fmt(r['observed'])}")
            else:
                cells.append("")
        t.add_row("all" if n == 1 else str(b + 1), *cells)
    t.caption = "Kaplan–Meier predicts one curve for everyone: one bin."
    return t


def _summary_table(res: dict) -> Table:
    from rich.table import Table

    t = Table(title=f"Rolling origin over cut-offs {', '.join(map(str, res['cutoffs']))} (event '{res['event']['name']}'): "
                    "means over cut-offs", title_justify="left")
    for c in ("model", "Harrell C", "Uno C", "IBS", "Brier 5y", "Brier 10y", "cal. err 5y", "ΔIBS", "ΔUno C",
              "better (points only)", "beats (95% intervals)"):
        t.add_column(c, justify="left" if c == "model" else "right")
    for r in res["summary"]:
        n_ok = r["cutoffs"] - r["failed"]
        t.add_row(r["label"], _fmt(r["mean_harrell_c"]), _fmt(r["mean_uno_c"]), _fmt(r["mean_ibs"]), _fmt(r["mean_brier_5"]),
                  _fmt(r["mean_brier_10"]), _fmt(r["mean_cal_error_5y"]),
                  "–" if r["model"] == "km" else f"{r['mean_delta_ibs']:+.3f}",
                  "–" if r["model"] == "km" else f"{r['mean_delta_uno_c']:+.3f}",
                  "baseline" if r["model"] == "km" else f"{r['better_point']} of {n_ok}",
                  "–" if r["model"] == "km" else f"{r['beats_baseline']} of {n_ok}")
    return t


def evaluate(
    train_end: Annotated[int, typer.Option("--train-end", help="Cut-off year: fit on alliances formed up to it (follow-up "
                                           "censored at 31 Dec of that year), score those formed after it.")] = 1989,
    event: Annotated[str, typer.Option("--event", help="Event definition: any-end, atop, death, violation, fulfilment, "
                                       "replacement, other.")] = "any-end",
    rolling: Annotated[Optional[str], typer.Option("--rolling", help="Comma-separated cut-off years for the rolling-origin "
                                                   "variant, e.g. 1945,1960,1975,1989 (replaces --train-end).")] = None,
    models: Annotated[str, typer.Option("--models", help="Comma-separated models: km,cox,weibull,forest,tvcox "
                                        "(the KM baseline is always included).")] = "km,cox,weibull,forest,tvcox",
    spec: Annotated[str, typer.Option("--spec", help="Covariate specification: formation, design or forecast (the forecast model's).")] = "formation",
    forest_trees: Annotated[int, typer.Option("--forest-trees", help="Trees in the random survival forest.")] = 200,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Paired bootstrap resamples for the differences to the "
                                        "baseline (0 = none).")] = 200,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (forest, bootstrap).")] = 0,
    plots: Annotated[Optional[Path], typer.Option("--plots", help="Directory for PNG and SVG figures.")] = None,
    json_out: JsonOpt = False,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
) -> None:
    """Out-of-time evaluation: Harrell's/Uno's C, (integrated) Brier, calibration, each beside the Kaplan–Meier baseline."""
    from pactwatch.models import evaluation as E
    from pactwatch.models.specs import event_definition, event_indicator, model_spec

    event_definition(event)
    model_spec(spec)
    mlist = [m.strip() for m in models.split(",") if m.strip()]
    bad = [m for m in mlist if m not in E.MODEL_LABELS]
    if bad:
        raise PactwatchError(f"--models: unknown {bad}; choose from {', '.join(E.MODEL_LABELS)}")
    if forest_trees < 1 or n_boot < 0:
        raise PactwatchError("--forest-trees must be >= 1 and --n-boot >= 0")
    cutoffs = _int_list(rolling, "--rolling") if rolling else [train_end]
    src = data_source(data_dir, db)
    n_models = len(set(mlist) | {"km"})
    with progress() as prog:
        task = prog.add_task("alliance panels", total=EVALUATION_DATA_STEPS + len(cutoffs) * (n_models + 1))
        parts_done = iter(range(EVALUATION_DATA_STEPS))

        def panel_step(desc):  # called before each part starts
            prog.update(task, completed=next(parts_done), description=desc)

        data = evaluation_data(src, spec, step=panel_step)
        prog.update(task, completed=EVALUATION_DATA_STEPS)

        def step(desc):
            prog.update(task, advance=1, description=desc)

        kw = dict(models=mlist, forest_trees=forest_trees, n_boot=n_boot, seed=seed, progress=step)
        if rolling:
            res = E.evaluate_rolling(data, cutoffs, event, **kw)
            splits = res["splits"]
        else:
            res = E.evaluate_split(data, train_end, event, **kw)
            splits = [res]
    if plots is not None:
        from pactwatch.models import plots as P

        files = P.plot_survival_by_group(data.alliances.assign(duration_years=data.alliances["duration_years"],
                                                               _ev=event_indicator(data.alliances, event)),
                                         "_ev", plots, event_label=event)
        for s in splits:
            files += P.plot_calibration(s, plots) + P.plot_time_auc(s, plots)
        res["plots"] = files
    if json_out:
        print_json(res)
        return
    for s in splits:
        console.print(_models_table(s))
        if not rolling:
            console.print(_calibration_table(s))
    if rolling:
        console.print(_summary_table(res))
    s0 = splits[0]
    console.print(f"Event '{s0['event']['name']}': {s0['event']['description']}.")
    console.print(f"Specification '{s0['spec']['name']}': {', '.join(s0['spec']['covariates'])}"
                  f" (+ time-varying {', '.join(s0['spec']['tv_covariates'])} in the time-varying Cox, scored on the "
                  "status-quo path: time-varying covariates held at 0).")
    for s in splits:
        i = s["info"]
        console.print(f"[dim]cut-off {s['cutoff']}: left out for missing covariates: {i['train_excluded_incomplete']} train, "
                      f"{i['test_excluded_incomplete']} test; time-varying rows dropped for missing values "
                      f"{i['tv_rows_dropped_missing']} (events lost {i['tv_events_lost_missing']}); "
                      f"{'; '.join(s['notes'])}; bootstrap {s['bootstrap']['n_boot']} "
                      f"({s['bootstrap']['failed']} failed).[/]")
    console.print("[dim]beats baseline = the 95% bootstrap interval of the IBS difference is below 0 and that of the "
                  "Uno's C difference above 0; 'not distinguishable' = an interval includes 0 (whatever the point "
                  "estimates); 'no' = an interval lies wholly on the baseline's side.[/]")
    if plots is not None:
        console.print(f"plots: {len(res['plots'])} files in {plots}")
