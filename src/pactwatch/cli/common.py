"""Options and output helpers shared by the CLI modules."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

console = Console()
console_err = Console(stderr=True)

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


def print_json(obj: Any) -> None:
    """JSON to stdout, plain (no colour codes), so another program can read it."""
    typer.echo(json.dumps(obj, indent=2, default=str))
