"""Write a panel to disk, the format chosen by the file extension: ``.parquet``, ``.csv`` or ``.dta`` (Stata 14+).

- parquet keeps dtypes exactly (nullable integers stay nullable) and the step log in the file's pandas metadata;
- csv writes NA as an empty field;
- dta (``to_stata`` version 118) stores nullable integers as doubles with Stata's missing value ``.``, and writes a
  variable label for every column pactwatch knows (e.g. ``cinc1`` = "CINC composite capabilities score (NMC 6.0), state 1").
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from pactwatch.errors import PactwatchError

FORMATS = (".parquet", ".csv", ".dta")


def variable_labels(columns) -> dict[str, str]:
    """Labels for the columns pactwatch knows; dyad-year copies ``x1``/``x2`` of a state variable ``x`` get ", state 1/2"."""
    from pactwatch.panels.steps import LABELS

    out = {}
    for c in columns:
        if c in LABELS:
            out[c] = LABELS[c]
        elif re.fullmatch(r".+[12]", str(c)) and str(c)[:-1] in LABELS:
            out[c] = f"{LABELS[str(c)[:-1]]}, state {str(c)[-1]}"
    return {k: v[:80] for k, v in out.items()}  # Stata's limit


def _for_stata(df: pd.DataFrame) -> pd.DataFrame:
    d = df.copy()
    d.attrs = {}
    for c in d.columns:
        dt = d[c].dtype
        if isinstance(dt, (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype, pd.Float32Dtype, pd.Float64Dtype)) \
                or str(dt) == "boolean":
            d[c] = d[c].astype("float64")
        elif dt == bool:
            d[c] = d[c].astype("int8")
        elif isinstance(dt, pd.StringDtype) or dt == object:
            d[c] = d[c].astype(object).where(d[c].notna(), "").astype(str)
    bad = [c for c in d.columns if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,31}", str(c))]
    if bad:
        raise PactwatchError(f"cannot write Stata: column names {bad} are not valid Stata names (letters, digits, _; at most 32)")
    return d


def check_out_path(path: str | Path) -> Path:
    """Fail early (before building a panel) on an output path pactwatch cannot write: unknown extension, missing directory."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PactwatchError(f"{path}: unknown file type {suffix or '(no extension)'!r}; use one of {', '.join(FORMATS)}")
    if not path.parent.exists():
        raise PactwatchError(f"{path}: directory {path.parent} does not exist")
    return path


def to_file(df: pd.DataFrame, path: str | Path) -> Path:
    """Write ``df`` to ``path`` (format by extension: .parquet, .csv, .dta). Returns the path. The index is not written.

    Raises PactwatchError for an unknown extension or a missing directory."""
    path = check_out_path(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        d = df.reset_index(drop=True)
        d.attrs = _jsonable_attrs(df.attrs)
        d.to_parquet(path, index=False)
    elif suffix == ".csv":
        df.to_csv(path, index=False)
    else:
        d = _for_stata(df)
        labels = {k: v for k, v in variable_labels(d.columns).items() if k in d.columns}
        d.to_stata(path, write_index=False, version=118, variable_labels=labels)
    return path


def _jsonable_attrs(attrs: dict) -> dict:
    """Only JSON-friendly attrs go into parquet metadata (the step log is a list of plain dicts)."""
    import json

    out = {}
    for k, v in attrs.items():
        try:
            json.dumps(v)
            out[k] = v
        except (TypeError, ValueError):
            continue
    return out
