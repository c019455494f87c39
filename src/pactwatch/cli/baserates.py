"""`pactwatch base-rates`: Kaplan–Meier base rates of ATOP alliances, overall or by obligation, size, era..."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli.common import (EVALUATION_DATA_STEPS, DataDirOpt, DbOpt, JsonOpt, console, data_source,
                                  evaluation_data, print_json, progress)


def _pct(x) -> str:
    return "—" if x != x else f"{100 * x:.0f}"


def _yrs(x) -> str:
    return "—" if x != x else f"{x:.1f}"


def base_rates_cmd(
    by: Annotated[str, typer.Option("--by", help="Comma-separated groupings: obligation, size, era, wartime, asymmetric "
                                    "(empty: all alliances).")] = "",
    event: Annotated[str, typer.Option("--event", help="Event definition: any-end, atop, death, violation, fulfilment, "
                                       "replacement, other.")] = "any-end",
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Also save KM curves by obligation and size (PNG+SVG) "
                                                 "into this directory.")] = None,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """How long have alliances like this lasted? KM median and survival at 5, 10, 20 years with 95% intervals."""
    from rich.table import Table

    from pactwatch.models.baserates import GROUPINGS, base_rates
    from pactwatch.models.specs import event_definition, event_indicator

    keys = [b.strip() for b in by.split(",") if b.strip()]
    event_definition(event)
    unknown = [b for b in keys if b not in GROUPINGS]  # before the panels are built, not after
    if unknown:
        from pactwatch.errors import PactwatchError

        raise PactwatchError(f"--by: unknown grouping(s) {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
    n_parts = EVALUATION_DATA_STEPS + 1 + (plot is not None)
    with progress() as prog:
        task = prog.add_task("alliance panels", total=n_parts)
        parts_done = iter(range(n_parts))

        def step(desc):  # called before each part starts
            prog.update(task, completed=next(parts_done), description=desc)

        data = evaluation_data(data_source(data_dir, db), step=step)
        step("Kaplan–Meier by group")
        table = base_rates(data.alliances, keys, event=event)
        if plot is not None:
            from pactwatch.models.plots import plot_survival_by_group

            step("plots")
            a = data.alliances.assign(_event=event_indicator(data.alliances, event))
            paths = plot_survival_by_group(a, "_event", plot, event_label=event)
    if json_out:
        print_json({"event": event, "by": keys, "unit": table.attrs["unit"], "unclassified": table.attrs["unclassified"],
                    "groups": table.to_dict(orient="records"), **({"plots": paths} if plot is not None else {})})
        return
    t = Table(title=f"Kaplan–Meier base rates; event: {event}", caption=table.attrs["unit"])
    for k in keys:
        t.add_column(k, no_wrap=True)
    for c in ("n", "ended", "median yrs (95%)", "S5 % (95%)", "S10 % (95%)", "S20 % (95%)"):
        t.add_column(c, justify="right", no_wrap=True)
    for r in table.to_dict(orient="records"):
        t.add_row(*[str(r[k]) for k in keys], str(r["alliances"]), str(r["events"]),
                  f"{_yrs(r['median_years'])} ({_yrs(r['median_lower'])}–{_yrs(r['median_upper'])})",
                  *[f"{_pct(r[f'S{s}'])} ({_pct(r[f'S{s}_lower'])}–{_pct(r[f'S{s}_upper'])})" for s in (5, 10, 20)])
    console.print(t)
    if table.attrs["unclassified"]:
        console.print(f"{table.attrs['unclassified']} alliance(s) with an unknown grouping value are not in any group.")
    if plot is not None:
        console.print("plots: " + ", ".join(paths))
