"""`pactwatch panel ...`: state-year, dyad-year and alliance panels.

    pactwatch panel state-years --start 1816 --end 2016 --add nmc,democracy,majors --out sy.parquet
    pactwatch panel dyad-years --start 1816 --end 2016 --directed --add cinc,democracy,contiguity --out ddy.dta
"""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from pactwatch.cli import panel_alliances
from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, data_source, print_json

app = typer.Typer(no_args_is_help=True)

StartOpt = Annotated[int, typer.Option("--start", help="First year (>= 1816).")]
EndOpt = Annotated[int, typer.Option("--end", help="Last year (<= 2016, the end of COW system membership, unless --carry-forward).")]
AddOpt = Annotated[Optional[str], typer.Option("--add", help="Comma-separated steps to add, in order (e.g. nmc,democracy,majors). "
                                               "Run with an unknown name to see the list.")]
OutFileOpt = Annotated[Path, typer.Option("--out", help="Output file: .parquet, .csv or .dta (by extension).")]
CarryOpt = Annotated[bool, typer.Option("--carry-forward", help="Allow years after 2016: states alive at the end of 2016 are "
                                        "assumed to remain members (logged).")]


def _step_names(add: str | None) -> list[str]:
    from pactwatch.panels.steps import STEPS
    from pactwatch.errors import PactwatchError

    names = [n.strip() for n in (add or "").split(",") if n.strip()]
    unknown = [n for n in names if n not in STEPS]
    if unknown:
        raise PactwatchError(f"--add: unknown step(s) {', '.join(unknown)}; valid steps: {', '.join(sorted(STEPS))}")
    return names


def _build_and_write(panel, names, src, out: Path, json_out: bool, kind: str) -> None:
    from pactwatch.errors import PactwatchError
    from pactwatch.panels.export import check_out_path, to_file
    from pactwatch.panels.steps import STEPS

    check_out_path(out)  # fail before the work, not after
    if not json_out:
        console.print(f"{kind}: {len(panel):,} rows", highlight=False)
    for n in names:
        before = len(panel)
        panel = STEPS[n](panel, src=src)
        if len(panel) != before:
            raise PactwatchError(f"step {n!r} changed the number of rows from {before} to {len(panel)}")
        if not json_out:
            rec = panel.attrs.get("pactwatch_log", [{}])[-1]
            nas = {k: v for k, v in rec.items() if k.startswith("na_") and v}
            na_txt = f"; missing: {', '.join(f'{k[3:]} {v:,}' for k, v in nas.items())}" if nas else ""
            console.print(f"+ {n} ({rec.get('step', n)}): {rec.get('rows', len(panel)):,} rows{na_txt}", highlight=False)
    to_file(panel, out)
    log = panel.attrs.get("pactwatch_log", [])
    if json_out:
        print_json({"panel": kind, "out": str(out), "rows": int(len(panel)), "columns": list(map(str, panel.columns)), "log": log})
    else:
        console.print(f"wrote {out} ({len(panel):,} rows, {panel.shape[1]} columns)", highlight=False)


@app.command("state-years")
def state_years_cmd(
    out: OutFileOpt,
    start: StartOpt = 1816,
    end: EndOpt = 2016,
    add: AddOpt = None,
    carry_forward: CarryOpt = False,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """COW state-years (one row per state and year of system membership), with the --add steps, written to --out."""
    from pactwatch.panels.states import state_years

    names = _step_names(add)
    src = data_source(data_dir, db)
    panel = state_years(start, end, src=src, carry_forward=carry_forward)
    _build_and_write(panel, names, src, out, json_out, "state-years")


@app.command("dyad-years")
def dyad_years_cmd(
    out: OutFileOpt,
    start: StartOpt = 1816,
    end: EndOpt = 2016,
    directed: Annotated[bool, typer.Option("--directed/--non-directed", help="Directed (both orders) or non-directed "
                                           "(ccode1 < ccode2, default) dyads.")] = False,
    add: AddOpt = None,
    carry_forward: CarryOpt = False,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """COW dyad-years (pairs of states that were system members on a common day of the year), with the --add steps."""
    from pactwatch.panels.dyads import dyad_years

    names = _step_names(add)
    src = data_source(data_dir, db)
    panel = dyad_years(start, end, directed=directed, src=src, carry_forward=carry_forward)
    _build_and_write(panel, names, src, out, json_out, "directed dyad-years" if directed else "non-directed dyad-years")


# The alliance-panel commands live in their own module (which does not import this one).
app.command("alliances", help="One row per ATOP 5.1 alliance with duration, censoring, termination codes and design "
            "fields.")(panel_alliances.alliances_cmd)
app.command("alliance-years", help="ATOP alliance-member-years (--level member) or alliance-years (--level alliance) "
            "with time-varying covariates.")(panel_alliances.alliance_years_cmd)
