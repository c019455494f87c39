"""`pactwatch data ...`: check, fetch, build and summarise the datasets.

Every failure is a DataError (exit code 2; 3 when files or the data directory are missing) whose message names the
file and what is wrong with it; `pactwatch.cli.main()` prints it without a traceback.
"""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, console_err, print_json

app = typer.Typer(no_args_is_help=True)

DatasetOpt = Annotated[Optional[list[str]], typer.Option("--dataset", help="Dataset key (repeatable); default: all. "
                                                         "Keys are listed by `pactwatch data check --quick`.")]


def _yes_no(v: bool | None) -> str:
    return "—" if v is None else ("[green]yes[/]" if v else "[red]no[/]")


@app.command("check")
def check_cmd(
    data_dir: DataDirOpt = None,
    json_out: JsonOpt = False,
    dataset: DatasetOpt = None,
    full: Annotated[bool, typer.Option("--full/--quick", help="--full: sha256 and parse every table (default); "
                                       "--quick: size and header line only.")] = True,
) -> None:
    """Check every registered dataset file: present, size, sha256, columns, rows.

    Exits non-zero when a required file is missing or wrong; absent optional datasets are reported here (and only
    here) but do not fail."""
    from rich.table import Table

    from pactwatch.data.check import check_all, raise_for_failures

    statuses = check_all(data_dir, full=full, datasets=dataset or None)
    if json_out:
        print_json([s.to_dict() for s in statuses])
    else:
        t = Table(title=f"Dataset files ({'full' if full else 'quick'} check)", show_lines=False)
        for col in ("dataset", "version", "file", "status", "bytes", "sha256", "columns", "rows"):
            t.add_column(col, justify="right" if col in ("bytes", "rows") else "left",
                         overflow="fold", no_wrap=col not in ("dataset", "file"))
        for s in statuses:
            colour = "green" if s.status == "ok" else ("yellow" if not s.failed else "red")
            sha = "—" if s.sha256_ok is None else ("[green]ok[/]" if s.sha256_ok else
                                                   ("[yellow]differs (converted)[/]" if s.converted and not s.failed else "[red]no[/]"))
            t.add_row(s.dataset, s.version, s.path, f"[{colour}]{s.status}[/]",
                      "—" if s.bytes is None else f"{s.bytes:,}", sha, _yes_no(s.columns_ok),
                      "—" if s.rows is None else f"{s.rows:,}")
        console.print(t)
        notes = [s for s in statuses if s.note and not s.failed]
        for s in notes:
            console.print(f"[dim]{s.path}: {s.note}[/]", highlight=False)
        n_bad = sum(s.failed for s in statuses)
        n_opt = sum(s.status == "absent (optional)" for s in statuses)
        console.print(f"{len(statuses) - n_bad - n_opt} ok, {n_opt} optional absent, {n_bad} failed", highlight=False)
    raise_for_failures(statuses)


@app.command("fetch")
def fetch_cmd(
    data_dir: DataDirOpt = None,
    dataset: Annotated[Optional[list[str]], typer.Option("--dataset", help="Dataset key (repeatable); default: every "
                                                          "non-optional dataset. Keys: `pactwatch data check`.")] = None,
    base_url: Annotated[Optional[str], typer.Option("--base-url", help="Replace scheme+host of every URL (a mirror); "
                                                    "also $PACTWATCH_MIRROR.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Download even files already present and verified.")] = False,
    json_out: JsonOpt = False,
) -> None:
    """Download the datasets from their publishers, verify each file, and put it in place atomically."""
    from rich.table import Table

    from pactwatch.data.fetch import FetchError, fetch
    from pactwatch.errors import DataMissingError

    try:
        results = fetch(data_dir, dataset or None, base_url=base_url, force=force, progress=not json_out)
        err = None
    except FetchError as exc:
        results, err = exc.results, exc
    except DataMissingError as exc:  # the library says "give one": here that is a flag
        raise DataMissingError(str(exc).replace("give one,", "pass --data-dir DIR")) from None
    if json_out:
        print_json([r.__dict__ for r in results])
    else:
        t = Table(title="Fetch")
        for col in ("dataset", "file", "status", "bytes", "verified"):
            t.add_column(col, justify="right" if col == "bytes" else "left", overflow="fold")
        colours = {"fetched": "green", "skipped": "cyan", "failed": "red"}
        for r in results:
            t.add_row(r.dataset, r.path, f"[{colours.get(r.status, 'white')}]{r.status}[/]",
                      "—" if r.bytes is None else f"{r.bytes:,}", r.verified or "—")
        console.print(t)
    if err is not None:
        raise err


@app.command("build")
def build_cmd(
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when the store is up to date.")] = False,
    dataset: DatasetOpt = None,
) -> None:
    """Load every registered table into the DuckDB store (typed, with provenance). Atomic; quick when up to date."""
    from pactwatch.data.store import build_store

    r = build_store(data_dir, db, force=force, progress=True, datasets=dataset or None)
    if r.status == "up to date":
        console.print(f"{r.db}: up to date ({len(r.tables)} tables; files unchanged since the last build). "
                      "Use --force to rebuild.", highlight=False)
    else:
        rows = sum(n for _, n in r.tables)
        console.print(f"{r.db}: built {len(r.tables)} tables, {rows:,} rows in {r.seconds:.1f}s", highlight=False)
    # r.skipped lists absent optional datasets only (a missing required file is an error): `data check` reports them.


@app.command("summary")
def summary_cmd(db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """List the tables in the store with their dataset, version and row count."""
    from rich.table import Table

    from pactwatch.data.store import store_summary

    rows = store_summary(db)
    if json_out:
        print_json(rows)
        return
    t = Table(title="pactwatch store")
    for col in ("table", "dataset", "version", "rows", "columns"):
        t.add_column(col, justify="right" if col in ("rows", "columns") else "left")
    for r in rows:
        t.add_row(r["table"], r["dataset"], r["version"], f"{r['rows']:,}", str(r["columns"]))
    console.print(t)
