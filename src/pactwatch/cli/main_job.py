"""`pactwatch main`: the README's main job.

Finds the data (``--data-dir``, $PACTWATCH_DATA_DIR, or a ``shared/data`` folder beside the repository); with none, downloads
it from the publishers into ``<home>/data``; builds (or confirms up to date) the DuckDB store; prints what it holds.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from rich.table import Table

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, print_json
from pactwatch.errors import DataError, DataMissingError


def _find_or_fetch(data_dir: Path | None) -> Path:
    from pactwatch.data.registry import resolve_data_dir

    try:
        return resolve_data_dir(data_dir, search_shared=True)
    except DataMissingError:
        if data_dir is not None:
            raise
    from pactwatch.data.fetch import fetch
    from pactwatch.paths import home

    target = home() / "data"
    console.print(f"No data directory found; downloading the datasets from their publishers into {target} ...")
    try:
        # One small dataset first, without long retries, so an offline machine gets a prompt answer.
        fetch(target, ["cow-states-2016"], retries=1, backoff=0.2, timeout=20)
    except DataError as exc:
        raise DataMissingError(
            f"no datasets found and the publishers could not be reached ({str(exc).splitlines()[-1].strip()}).\n"
            "Either point pactwatch at a directory that holds them (--data-dir DIR or PACTWATCH_DATA_DIR=DIR), or run "
            f"`pactwatch data fetch --data-dir {target}` on a machine with network access (a mirror: --base-url URL)."
        ) from None
    fetch(target)
    return target


def main_job(data_dir: DataDirOpt = None, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """The main job: find or download the data, build the store, and print what it holds."""
    from pactwatch.data.registry import registry
    from pactwatch.data.store import build_store, store_summary

    root = _find_or_fetch(data_dir)
    result = build_store(root, db, progress=not json_out)
    rows = store_summary(result.db)
    per: dict[str, dict] = defaultdict(lambda: {"tables": 0, "rows": 0})
    for r in rows:
        if r.get("dataset"):
            per[r["dataset"]]["tables"] += 1
            per[r["dataset"]]["rows"] += int(r["rows"])
    reg = registry()
    summary = {
        "data_dir": str(root),
        "db": str(result.db),
        "build": result.status,
        "seconds": round(result.seconds, 2),
        "skipped": [{"file": f, "reason": why} for f, why in result.skipped],
        "datasets": [
            {"key": k, "name": reg[k].name, "version": reg[k].version, "coverage": reg[k].coverage, **per[k]}
            for k in reg if k in per
        ],
    }
    if json_out:
        print_json(summary)
        return
    t = Table(title=f"pactwatch store: {result.db} ({result.status}, {result.seconds:.1f} s)")
    for col in ("dataset", "version", "coverage", "tables", "rows"):
        t.add_column(col, justify="right" if col in ("tables", "rows") else "left")
    for d in summary["datasets"]:
        t.add_row(d["key"], d["version"], d["coverage"], str(d["tables"]), f"{d['rows']:,}")
    console.print(t)
    console.print(f"data: {root}")
    for f, why in result.skipped:
        console.print(f"[yellow]not loaded:[/] {f}: {why}")
    console.print("Next: `pactwatch panel alliances --out alliances.csv`, `pactwatch replicate bremer-1992`, `pactwatch --help`.")
