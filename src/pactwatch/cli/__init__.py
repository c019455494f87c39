"""The `pactwatch` command: a thin shell over the library. Each stage has its own module here.

The root command knows its sub-commands by name and help text only (:data:`COMMANDS`); a sub-command's module is
imported, and its options built, when that sub-command is used. `pactwatch --help` therefore imports none of them,
and `pactwatch replicate ...` only cli/replicate.py. Heavy libraries are imported inside the commands (cli/common.py).
"""
from __future__ import annotations

import sys
from typing import Annotated, Callable

import typer
from typer.core import TyperCommand, TyperGroup

from pactwatch import __version__
from pactwatch.cli.common import console_err
from pactwatch.errors import PactwatchError


def _main_job():
    from pactwatch.cli.main_job import main_job
    return main_job


def _data():
    from pactwatch.cli.data import app
    return app


def _panel():
    from pactwatch.cli.panel import app
    return app


def _events():
    from pactwatch.cli.events import app
    return app


def _dyad():
    from pactwatch.cli.events import dyad
    return dyad


def _read():
    from pactwatch.cli.events import read
    return read


def _monitor():
    from pactwatch.cli.monitor import monitor
    return monitor


def _case():
    from pactwatch.cli.case import app
    return app


def _forecast():
    from pactwatch.cli.forecast import forecast
    return forecast


def _base_rates():
    from pactwatch.cli.baserates import base_rates_cmd
    return base_rates_cmd


def _evaluate():
    from pactwatch.cli.evaluate import evaluate
    return evaluate


def _serve():
    from pactwatch.cli.serve import serve
    return serve


def _replicate():
    from pactwatch.cli.replicate import replicate
    return replicate


def _ledger():
    from pactwatch.cli.ledger import app
    return app


def _backtest():
    from pactwatch.cli.backtest import backtest_cmd
    return backtest_cmd


#: name -> (loader of the command function or sub-app, help shown in the command list), in display order.
COMMANDS: dict[str, tuple[Callable[[], object], str]] = {
    "main": (_main_job, "The main job: find or download the data, build the store, forecast the North Korea–Russia "
                        "alliance under every default scenario and write the HTML report."),
    "dyad": (_dyad, "Monthly event series of a pair of countries, with change points."),
    "monitor": (_monitor, "Ingest and code the news, then the case's indicators of the partnership by month, with change points and evidence."),
    "case": (_case, "Update a case file: the changes to its observed state proposed by the news, as a diff to accept."),
    "read": (_read, "An article's events as a table, with the evidence highlighted."),
    "forecast": (_forecast, "Scenario forecasts of an alliance's survival: Monte Carlo, base rate, analogues, back-test."),
    "backtest": (_backtest, "Landmark back-test of the forecast: every alliance in force at yearly origins, scored against "
                            "four baselines."),
    "ledger": (_ledger, "The forecast ledger: past headline forecasts, their outcomes and Brier score."),
    "base-rates": (_base_rates, "Kaplan–Meier base rates of ATOP alliances, overall or by obligation, size, era, wartime."),
    "evaluate": (_evaluate, "Out-of-time evaluation of the alliance durability models against a Kaplan–Meier baseline."),
    "serve": (_serve, "The local web app and REST API (127.0.0.1:8000 by default)."),
    "replicate": (_replicate, "Replicate a published analysis and print the result beside the peer's own figures."),
    "data": (_data, "Check, fetch and build the datasets (ATOP, COW, MIDs, democracy, ...)."),
    "panel": (_panel, "Build state-year, dyad-year and alliance panels and export them."),
    "events": (_events, "Code news text into CAMEO/PLOVER events; evaluate the coder on gold sets."),
}


class LazyGroup(TyperGroup):
    """The root group: builds a sub-command from :data:`COMMANDS` when it is used; the root's own help lists them
    from their names and help texts without importing them."""

    _listing = False

    def list_commands(self, ctx) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx, name: str):
        if name not in COMMANDS:
            return None
        if name in self.commands:
            return self.commands[name]
        load, help_ = COMMANDS[name]
        if self._listing:  # name and help are all the command list needs
            return TyperCommand(name=name, help=help_, rich_markup_mode=self.rich_markup_mode)
        self.commands[name] = _build(name, load(), help_)
        return self.commands[name]

    def resolve_command(self, ctx, args):
        from difflib import get_close_matches

        from typer._click.exceptions import UsageError

        try:
            return super().resolve_command(ctx, args)
        except UsageError as e:  # typer suggests from the commands built so far: suggest from all of them
            matches = get_close_matches(args[0], list(COMMANDS)) if args else []
            if matches and "Did you mean" not in e.message:
                e.message = f"{e.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def format_help(self, ctx, formatter) -> None:
        self._listing = True
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    name="pactwatch",
    help="How long will an alliance last, what holds it together, and what happens to it when the world changes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)


def _build(name: str, obj, help_: str):
    from typer.main import get_command_from_info, get_group_from_info
    from typer.models import CommandInfo, TyperInfo

    if isinstance(obj, typer.Typer):
        return get_group_from_info(TyperInfo(obj, name=name, help=help_), pretty_exceptions_short=app.pretty_exceptions_short,
                                   rich_markup_mode=app.rich_markup_mode, suggest_commands=app.suggest_commands)
    return get_command_from_info(CommandInfo(name=name, callback=obj, help=help_),
                                 pretty_exceptions_short=app.pretty_exceptions_short, rich_markup_mode=app.rich_markup_mode)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"pactwatch {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    pass


def main() -> None:
    try:
        app()
    except PactwatchError as exc:
        console_err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
