"""`pactwatch panel alliances` and `pactwatch panel alliance-years` (registered on the `panel` app by cli/panel.py).

pandas and the panel modules are imported inside the commands, so `pactwatch --help` stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, data_source, print_json
from pactwatch.errors import PactwatchError

if TYPE_CHECKING:
    import pandas as pd

OutOpt = Annotated[Path, typer.Option("--out", help="Output file: .parquet, .csv or .dta (by extension).")]


def _summary(df: pd.DataFrame, kind: str, out: Path, extra: dict) -> dict:
    return {"panel": kind, "out": str(out), "rows": int(len(df)), "columns": int(df.shape[1]), **extra,
            "log": df.attrs.get("pactwatch_log", [])}


def _report(summary: dict, as_json: bool) -> None:
    if as_json:
        print_json(summary)
        return
    console.print(f"[bold]{summary['panel']}[/]: {summary['rows']} rows x {summary['columns']} columns -> {summary['out']}")
    for k, v in summary.items():
        if k not in ("panel", "out", "rows", "columns", "log"):
            console.print(f"  {k}: {v}")
    for rec in summary["log"]:
        counts = {k: v for k, v in rec.items() if k not in ("step", "rows", "note")}
        console.print(f"  - {rec['step']}: {counts}  [dim]{rec.get('note', '')}[/]")


def alliances_cmd(out: OutOpt, data_dir: DataDirOpt = None, db: DbOpt = None, as_json: JsonOpt = False,
                  quirks: Annotated[Path | None, typer.Option("--quirks", help="Also write the detected ATOP coding quirks here.")] = None) -> None:
    from pactwatch.panels.alliances import _alliances_and_quirks
    from pactwatch.panels.export import check_out_path as _check_out
    from pactwatch.panels.export import to_file as _write

    _check_out(out)
    if quirks is not None:
        _check_out(quirks)
    df, q = _alliances_and_quirks(data_source(data_dir, db))
    _write(df, out)
    if quirks is not None:
        _write(q, quirks)
    extra = {"alliances": int(len(df)), "ended": int(df["event"].sum()), "censored": int((df["event"] == 0).sum()),
             "bilateral": int((df["bilat"] == 1).sum()),
             "quirks": {k: int(v) for k, v in q.groupby("quirk")["atopid"].nunique().items()}}
    _report(_summary(df, "alliances", out, extra), as_json)


def alliance_years_cmd(out: OutOpt, level: Annotated[str, typer.Option("--level", help="member or alliance")] = "alliance",
                       end: Annotated[int, typer.Option("--end", help="Last year (<= 2018).")] = 2018,
                       rivalries: Annotated[str, typer.Option("--rivalries", help="tss or td")] = "tss",
                       data_dir: DataDirOpt = None, db: DbOpt = None, as_json: JsonOpt = False) -> None:
    from pactwatch.panels.alliances import alliance_member_years, alliance_years
    from pactwatch.panels.export import check_out_path as _check_out
    from pactwatch.panels.export import to_file as _write

    if level not in ("member", "alliance"):
        raise PactwatchError(f"--level must be 'member' or 'alliance', not {level!r}")
    if rivalries not in ("tss", "td"):
        raise PactwatchError(f"--rivalries must be 'tss' or 'td', not {rivalries!r}")
    _check_out(out)
    src = data_source(data_dir, db)
    my = alliance_member_years(src, end, rivalries=rivalries)
    if level == "member":
        df = my
        extra = {"alliances": int(df["atopid"].nunique()), "member_exits": int(df["member_exit"].sum()),
                 "alliance_ends": int(df.groupby("atopid")["alliance_end"].max().sum())}
    else:
        df = alliance_years(src, end, rivalries=rivalries, member_years=my)
        extra = {"alliances": int(df["atopid"].nunique()), "events": int(df["event"].sum())}
    _write(df, out)
    _report(_summary(df, f"alliance-years ({level})", out, extra), as_json)
