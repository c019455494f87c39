"""The `pactwatch` command: a thin shell over the library. Each stage has its own module here."""
from __future__ import annotations

import sys
from typing import Annotated

import typer

from pactwatch import __version__

from pactwatch.cli import baserates as baserates_cli
from pactwatch.cli import data as data_cli
from pactwatch.cli import evaluate as evaluate_cli
from pactwatch.cli import events as events_cli
from pactwatch.cli import forecast as forecast_cli
from pactwatch.cli import main_job as main_job_cli
from pactwatch.cli import panel as panel_cli
from pactwatch.cli import replicate as replicate_cli
from pactwatch.cli import serve as serve_cli
from pactwatch.cli.common import console_err
from pactwatch.errors import PactwatchError

app = typer.Typer(
    name="pactwatch",
    help="How long will an alliance last, what holds it together, and what happens to it when the world changes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"pactwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    pass


app.command("main", help="The main job: find or download the data, build the store, forecast the North Korea–Russia alliance under every default scenario and write the HTML report.")(main_job_cli.main_job)
app.add_typer(data_cli.app, name="data", help="Check, fetch and build the datasets (ATOP, COW, MIDs, democracy, ...).")
app.add_typer(panel_cli.app, name="panel", help="Build state-year, dyad-year and alliance panels and export them.")
app.add_typer(events_cli.app, name="events", help="Code news text into CAMEO/PLOVER events; evaluate the coder on gold sets.")
app.command("dyad", help="Monthly event series of a pair of countries, with change points.")(events_cli.dyad)
app.command("read", help="An article's events as a table, with the evidence highlighted.")(events_cli.read)
app.command("forecast", help="Scenario forecasts of an alliance's survival: Monte Carlo, base rate, analogues, back-test.")(forecast_cli.forecast)
app.command("base-rates", help="Kaplan–Meier base rates of ATOP alliances, overall or by obligation, size, era, wartime.")(baserates_cli.base_rates_cmd)
app.command("evaluate", help="Out-of-time evaluation of the alliance durability models against a Kaplan–Meier baseline.")(evaluate_cli.evaluate)
app.command("serve", help="The local web app and REST API (127.0.0.1:8000 by default).")(serve_cli.serve)
app.command("replicate", help="Replicate a published analysis and print the result beside the published one.")(replicate_cli.replicate)


def main() -> None:
    try:
        app()
    except PactwatchError as exc:
        console_err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
