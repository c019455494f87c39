"""`pactwatch replicate NAME`: a registry of replications of published analyses.

Each replication lives in its own module under :mod:`pactwatch.replications` and exposes a ``REPLICATION`` dict:

- ``name``: the CLI name (``bremer-1992``);
- ``run(src) -> result``: fits the analysis from a :class:`~pactwatch.data.source.DataSource`; the result is a JSON-ready
  dict or an object with ``to_dict()``;
- ``render(result)``: something ``rich`` can print (a Table, a Group, a string);
- ``summary``: one line for the list of known names;
- ``variants`` (optional): the names ``run(src, variant=...)`` accepts, the first being the default (``--variant``);
- ``cache`` (optional, True): ``run`` takes ``use_cache`` and keeps what it builds under paths.home()/cache, keyed by
  the checksums of its inputs and its code (``--no-cache`` rebuilds without reading or writing it).

Adding one = writing the module and a loader in :data:`REPLICATIONS` (modules are imported only when asked for).
"""
from __future__ import annotations

from typing import Any, Callable, Optional

import typer

from pactwatch.cli.common import DataDirOpt, DbOpt, JsonOpt, console, print_json
from pactwatch.errors import PactwatchError

def _bremer():
    from pactwatch.replications import bremer
    return bremer.REPLICATION


def _leeds_anac():
    from pactwatch.replications import leeds_anac
    return leeds_anac.REPLICATION


def _berkemeier_fuhrmann():
    from pactwatch.replications import berkemeier_fuhrmann
    return berkemeier_fuhrmann.REPLICATION


def _leeds_savun():
    from pactwatch.replications import leeds_savun
    return leeds_savun.REPLICATION


def _bennett():
    from pactwatch.replications import bennett
    return bennett.REPLICATION


#: CLI name -> a function importing its module (plain imports, on demand) and returning its REPLICATION dict.
REPLICATIONS: dict[str, Callable[[], dict[str, Any]]] = {
    "bremer-1992": _bremer,
    "leeds-anac-2005": _leeds_anac,
    "berkemeier-fuhrmann-2018": _berkemeier_fuhrmann,
    "leeds-savun-2007": _leeds_savun,
    "bennett-1997": _bennett,
}


def known() -> list[str]:
    """The registered replication names."""
    return list(REPLICATIONS)


def get_replication(name: str) -> dict[str, Any]:
    """The REPLICATION dict for ``name``, or a PactwatchError listing the known names."""
    load = REPLICATIONS.get(name)
    if load is None:
        raise PactwatchError(f"unknown replication {name!r}; known: {', '.join(known())}")
    return load()


def _to_jsonable(result: Any) -> Any:
    if hasattr(result, "to_dict"):
        return result.to_dict()
    return result


def replicate(
    name: str = typer.Argument(..., help="Which replication, e.g. bremer-1992 (an unknown name lists the known ones)."),
    variant: Optional[str] = typer.Option(
        None, "--variant",
        help="Which rules to follow, for replications that have several: bremer-1992 has 'peacesciencer' (default: the "
             "package's rules, equal to its output) and 'corrected' (where the package is wrong, fixed)."),
    json_out: JsonOpt = False,
    data_dir: DataDirOpt = None,
    db: DbOpt = None,
    no_cache: bool = typer.Option(
        False, "--no-cache",
        help="Rebuild everything from the data files; do not read or write the cache of built panels (which is keyed by "
             "the checksums of the input files and the code, so it is never stale)."),
) -> None:
    """Run a replication and print our figures beside the peer's (the published table, or the package it re-does)."""
    from pactwatch.data.source import DataSource
    from pactwatch.paths import default_db

    entry = get_replication(name)
    variants = tuple(entry.get("variants", ()))
    if variant is not None and variant not in variants:
        have = f"choose one of {', '.join(variants)}" if variants else "it has none"
        raise PactwatchError(f"--variant {variant!r}: not a variant of {name}; {have}")
    src = DataSource(data_dir=data_dir, db=db if db is not None else default_db())
    kwargs: dict[str, Any] = {} if variant is None else {"variant": variant}
    if entry.get("cache"):
        kwargs["use_cache"] = not no_cache
    result = entry["run"](src, **kwargs)
    if json_out:
        print_json(_to_jsonable(result))
    else:
        console.print(entry["render"](result))
