"""Options and output helpers shared by the CLI modules.

Only typer and rich are imported here (and by every cli module at start-up); the library (pandas, numpy, DuckDB, spaCy,
lifelines, scikit-learn, matplotlib, FastAPI, ...) is imported inside the commands that use it, so `pactwatch --help`
and a command's own start-up stay fast.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from typer.core import TyperOption

#: Width for output that is not a terminal (a pipe or a file): wide enough that rich never wraps a table or cuts a
#: cell ("[94%–99…"); tables are only as wide as their content. $COLUMNS still wins when set.
PIPE_WIDTH = 10_000


def _width(stream) -> int | None:
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    return None if tty or os.environ.get("COLUMNS") else PIPE_WIDTH


console = Console(width=_width(sys.stdout))
console_err = Console(stderr=True, width=_width(sys.stderr))


def _flag_type(self: TyperOption, ctx) -> str | None:
    """Help shows an on/off flag as ``--json``, not ``--json <bool>`` (typer 0.29 labels every option with its type)."""
    if self.is_flag and self.metavar is None:
        return None
    return _typer_display_type_rich(self, ctx)


_typer_display_type_rich = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_type  # type: ignore[method-assign]

DataDirOpt = Annotated[
    Optional[Path],
    typer.Option("--data-dir", help="Directory holding the datasets (default: $PACTWATCH_DATA_DIR).", show_default=False),
]
DbOpt = Annotated[
    Optional[Path],
    typer.Option("--db", help="DuckDB store file (default: $PACTWATCH_DB or ~/.pactwatch/pactwatch.duckdb).", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of a table.")]


def data_source(data_dir: Path | None, db: Path | None):
    """The DataSource for --data-dir/--db (the store defaults to ~/.pactwatch/pactwatch.duckdb)."""
    from pactwatch.data.source import DataSource
    from pactwatch.paths import default_db

    return DataSource(data_dir=data_dir, db=db if db is not None else default_db())


def progress():
    """A progress display on stderr for the long commands; shown only when stderr is a terminal, so pipes, files and
    --json output never carry it."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                    TimeElapsedColumn(), console=console_err, transient=True, disable=not console_err.is_terminal)


#: Steps of :func:`evaluation_data` (for a progress total).
EVALUATION_DATA_STEPS = 4


def evaluation_data(src, spec: str = "formation", step=lambda desc: None):
    """``pactwatch.models.evaluation.load_data`` built panel by panel, calling ``step(description)`` before each of
    its :data:`EVALUATION_DATA_STEPS` parts (the alliance panels take most of the 20-30 s)."""
    from pactwatch.models.evaluation import load_data
    from pactwatch.panels import alliances as AL

    step("ATOP alliances")
    al = AL.alliances(src)
    step("alliance-member-years")
    my = AL.alliance_member_years(src)
    step("alliance-years (time-varying covariates)")
    ay = AL.alliance_years(src, member_years=my)
    step("formation covariates")
    return load_data(src, spec, alliances_df=al, member_years=my, years_df=ay)


def print_json(obj: Any) -> None:
    """JSON to stdout, plain (no colour codes), so another program can read it."""
    typer.echo(json.dumps(obj, indent=2, default=str))
