"""`pactwatch ledger`: the forecasts the main job made, their outcomes and their Brier score.

Register in ``cli/__init__.py``::

    def _ledger():
        from pactwatch.cli.ledger import app
        return app

    COMMANDS["ledger"] = (_ledger, "The forecast ledger: past headline forecasts, their outcomes and Brier score.")
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from pactwatch.cli.common import JsonOpt, console, print_json

app = typer.Typer(no_args_is_help=True, help="The forecast ledger (PACTWATCH_HOME/ledger.jsonl).")


def _pct(x) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


@app.command("list")
def list_cmd(case: Annotated[Optional[str], typer.Option("--case", help="Only this case's forecasts.")] = None,
             json_out: JsonOpt = False) -> None:
    """Past forecasts (oldest first) with their status: open, ended, survived or void."""
    from rich.table import Table

    from pactwatch.scenarios import ledger

    rows = ledger.list_entries(case)
    if json_out:
        print_json(rows)
        return
    if not rows:
        console.print(f"The ledger has no forecasts{' for ' + case if case else ''} ({ledger.ledger_path()}).")
        return
    t = Table(title=f"Forecast ledger ({ledger.ledger_path()})")
    for c in ("run", "case", "as of", "horizon", "P(in effect)", "interval", "model", "status"):
        t.add_column(c)
    for r in rows:
        lo, hi = r["interval"]
        t.add_row(r["run_date"][:10], r["case"], r["as_of"], f"{r['horizon']:g} y → {r['resolution_date']}",
                  _pct(r["probability"]), f"{_pct(lo)}–{_pct(hi)}", r["model_version"], r["status"])
    console.print(t)


@app.command("score")
def score_cmd(json_out: JsonOpt = False) -> None:
    """Brier score of the resolved forecasts (0 is perfect; always saying 50% scores 0.25)."""
    from pactwatch.scenarios import ledger

    s = ledger.score()
    if json_out:
        print_json(s)
        return
    if s["n"] == 0:
        console.print(f"No forecast is resolved yet ({s['open']} open, {s['void']} void).")
        return
    console.print(f"Brier score {s['brier']:.3f} over {s['n']} resolved forecast(s) ({s['open']} open, {s['void']} void).")


@app.command("resolve")
def resolve_cmd(case: Annotated[str, typer.Argument(help="Case name, e.g. rus-prk-2024.")],
                date: Annotated[str, typer.Option("--date", help="Date of the observation, YYYY-MM-DD.")],
                ended: Annotated[bool, typer.Option("--ended/--in-effect", help="The alliance ended on --date, or was "
                                                    "still in effect on it.")] = False,
                json_out: JsonOpt = False) -> None:
    """Record an outcome for a case: it ended on a date, or was still in effect on it."""
    from pactwatch.errors import PactwatchError
    from pactwatch.scenarios import ledger

    try:
        rec = ledger.record_outcome(case, date, ended)
    except PactwatchError as exc:
        raise PactwatchError(str(exc).replace("ledger outcome: date", "--date")) from None
    if json_out:
        print_json(rec)
        return
    console.print(f"Recorded: {case} {'ended' if ended else 'in effect'} on {rec['date']}.")
