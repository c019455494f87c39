"""Read one registered dataset file into a pandas DataFrame, checking it on the way.

Every failure is a :class:`~pactwatch.errors.DataError` that names the file and what is wrong:
missing, truncated or altered (size / sha256), undecodable bytes, a renamed or missing column,
ragged rows, or a ``version`` column that is not the registered version.

By default every read verifies the file's sha256 against the registry (a same-size edit, such as two swapped column
names, is caught). The digest of each file is cached under ``paths.home()/cache/checksums.json``, keyed by the file's
real path, size, mtime, ctime and inode (:func:`cached_sha256`), so a file is hashed once until it changes. Files
pactwatch converts itself (:func:`is_converted`) are exempt from the byte check and judged by columns and row count.
``verify="size"`` (only the size) and ``verify="none"`` are the escape hatches, for data the user supplies on purpose.
"""
from __future__ import annotations

import contextlib
import csv
import gzip
import hashlib
import io
import json
import os
import threading
from pathlib import Path

from pactwatch.data.registry import FileSpec, find_file, registry, resolve_data_dir
from pactwatch.data.tempfiles import remove_stale, temp_name
from pactwatch.errors import DataError, DataMissingError

# Codes the COW family uses for "missing" / "not applicable" / "unknown" in numeric columns. Raw tables keep
# them as published; panel steps turn them into NA explicitly (see pactwatch.panels).
COW_MISSING_CODES = (-9, -8, -7)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_CACHE_LOCK = threading.Lock()
_CACHE_MEMO: dict[str, dict] = {}


def _checksum_cache_path() -> Path:
    from pactwatch.paths import home

    return home() / "cache" / "checksums.json"


def _stat_key(st: os.stat_result) -> list[int]:
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def cached_sha256(path: str | os.PathLike, *, use_cache: bool = True) -> str:
    """The sha256 of ``path``'s bytes, remembered in ``paths.home()/cache/checksums.json`` by the file's real path,
    size, mtime, ctime and inode: any write to the file (which changes mtime or ctime) makes it hash again."""
    real = Path(path).resolve()
    st = real.stat()
    key, stamp = str(real), _stat_key(st)
    cache_file = _checksum_cache_path()
    with _CACHE_LOCK:
        if use_cache:
            mem = _CACHE_MEMO.setdefault(str(cache_file), {})
            entry = mem.get(key)
            if entry is None:  # another process may have hashed it
                try:
                    disk = json.loads(cache_file.read_text())
                except (OSError, ValueError):
                    disk = {}
                if isinstance(disk, dict):
                    mem.update({k: v for k, v in disk.items() if k not in mem})
                entry = mem.get(key)
            if isinstance(entry, dict) and entry.get("stat") == stamp and isinstance(entry.get("sha256"), str):
                return entry["sha256"]
        digest = sha256_file(real)
        if _stat_key(real.stat()) != stamp:  # written while hashing: do not remember a torn digest
            return digest
        if use_cache:
            memo = _CACHE_MEMO.setdefault(str(cache_file), {})
            memo[key] = {"stat": stamp, "sha256": digest}
            with contextlib.suppress(OSError):  # a read-only home only costs speed
                cache_file.parent.mkdir(parents=True, exist_ok=True)
                try:  # merge with what other processes wrote meanwhile
                    disk = json.loads(cache_file.read_text())
                    if isinstance(disk, dict):
                        memo = {**disk, **memo}
                except (OSError, ValueError):
                    pass
                memo = {k: v for k, v in memo.items() if os.path.exists(k)}  # forget files that are gone
                _CACHE_MEMO[str(cache_file)] = memo
                remove_stale(cache_file)
                tmp = temp_name(cache_file)
                tmp.write_text(json.dumps(memo))
                os.replace(tmp, cache_file)
        return digest


def file_path(spec: FileSpec, data_dir: str | Path | None = None) -> Path:
    root = resolve_data_dir(data_dir)
    p = root / spec.path
    if not p.exists():
        raise DataMissingError(
            f"{p}: missing. It is part of dataset {spec.dataset!r}; run `pactwatch data fetch --data-dir {root}` "
            f"to download it, or copy it there."
        )
    return p


def is_converted(spec: FileSpec) -> bool:
    """True for files pactwatch makes itself from the publisher's R data / Excel file (``source.convert``).

    Their bytes need not match the reference copy (a re-conversion can format numbers differently, and the
    publisher's file may be re-saved), so they are checked by columns and row count rather than size / sha256.
    """
    return spec.source is not None and spec.source.convert is not None


def verify_bytes(spec: FileSpec, path: Path, *, full: bool = False, use_cache: bool = True) -> str | None:
    """Check size (always) and sha256 (when ``full``; the digest is cached, see :func:`cached_sha256`). Returns the
    sha256 when computed.

    Converted files (:func:`is_converted`) are exempt: :func:`read_table` checks their columns and row count.
    """
    size = path.stat().st_size
    if is_converted(spec):
        return cached_sha256(path, use_cache=use_cache) if full else None
    if spec.bytes is not None and size != spec.bytes:
        hint = "truncated" if size < spec.bytes else "longer than expected"
        raise DataError(
            f"{path}: {size} bytes, expected {spec.bytes} for {spec.dataset} {registry()[spec.dataset].version} "
            f"({hint}: a partial download, an edited file or another release of the dataset). "
            "Re-fetch it with `pactwatch data fetch`."
        )
    if full:
        digest = cached_sha256(path, use_cache=use_cache)
        if spec.sha256 and digest != spec.sha256:
            raise DataError(
                f"{path}: sha256 {digest[:16]}… does not match the registered {spec.sha256[:16]}… for "
                f"{spec.dataset} {registry()[spec.dataset].version}: the file was altered or is another release "
                f"(expected sha256 {spec.sha256}, found {digest}). Re-fetch it with "
                f"`pactwatch data fetch --force --dataset {spec.dataset}`, or restore the published file."
            )
        return digest
    return None


def decode(spec: FileSpec, path: Path, raw: bytes) -> str:
    if spec.kind == "csv.gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from None
    try:
        text = raw.decode(spec.encoding)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: not valid {spec.encoding} text (byte {raw[exc.start]:#04x} at offset {exc.start}); "
            f"expected the publisher's {spec.encoding}-encoded file"
        ) from None
    if "\x00" in text[:10000]:
        raise DataError(f"{path}: contains NUL bytes; this is not a CSV file")
    # Old COW files use bare CR line endings; normalise so every reader sees lines.
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def check_header(spec: FileSpec, path: Path, text: str) -> list[str]:
    first = text.split("\n", 1)[0]
    cols = [c.strip() for c in next(csv.reader([first]))] if first else []
    if spec.columns:
        missing = [c for c in spec.columns if c not in cols]
        extra = [c for c in cols if c not in spec.columns]
        if missing:
            more = f"; unexpected columns: {', '.join(extra[:8])}" if extra else ""
            raise DataError(
                f"{path}: missing expected column(s) {', '.join(missing[:8])}{more}. "
                f"Is this {spec.dataset} {registry()[spec.dataset].version}?"
            )
    return cols


def check_rows(spec: FileSpec, path: Path, text: str, ncols: int) -> None:
    """Catch a ragged last line (what truncation leaves) that pandas would silently pad with NaN."""
    body = text.rstrip("\n")
    last = body.rsplit("\n", 1)[-1]
    if not last or last == body.split("\n", 1)[0]:
        raise DataError(f"{path}: has a header but no data rows")
    try:
        fields = next(csv.reader([last]))
    except csv.Error as exc:
        raise DataError(f"{path}: last line is not valid CSV ({exc}); the file looks truncated") from None
    if len(fields) != ncols:
        nline = body.count("\n") + 1
        raise DataError(
            f"{path}: line {nline} has {len(fields)} fields where the header has {ncols}; the file looks truncated or corrupt"
        )


def check_version(spec: FileSpec, path: Path, df: pd.DataFrame) -> None:
    import pandas as pd
    if "version" not in df.columns or spec.dataset not in registry():
        return
    want = registry()[spec.dataset].version
    try:
        want_num = float(want.split("/")[0])
    except ValueError:
        return
    vals = pd.to_numeric(df["version"], errors="coerce").dropna().unique()
    # Published files often store the version with float noise (5.0999999) or as the release year (2021 for NMC 6.0).
    bad = [v for v in vals if not (abs(v - want_num) < 0.01 or v >= 1900)]
    if spec.table == "cow_system" or spec.table == "cow_states" or spec.table == "cow_majors":
        bad = [v for v in vals if v != want_num]
    if bad:
        raise DataError(f"{path}: version column says {bad[0]:g}, expected {want} for {spec.dataset}: wrong dataset version")


def check_row_count(spec: FileSpec, path: Path, df: pd.DataFrame) -> None:
    if spec.rows is not None and len(df) != spec.rows:
        ds = registry().get(spec.dataset)
        what = f"{spec.dataset} {ds.version}" if ds else spec.dataset
        hint = "truncated or rows deleted" if len(df) < spec.rows else "rows added"
        raise DataError(
            f"{path}: {len(df)} data rows, expected {spec.rows} for {what} ({hint}: an edited file, a partial "
            "download or another release). Re-fetch it with `pactwatch data fetch --force`."
        )


def read_table(key: str | FileSpec, data_dir: str | Path | None = None, *, verify: str = "sha256") -> pd.DataFrame:
    """Read a registered file (by table name or path) as a DataFrame.

    ``verify``: "sha256" (default: size and the full checksum, cached by path, size and mtime), "size" (only the
    size: catches truncation and other releases, not a same-size edit) or "none". Use "size" / "none" only for data
    a user supplies on purpose (a custom or corrected copy), never to silence a mismatch.
    """
    import pandas as pd  # here, not at the top: the checksum helpers above serve callers that never read a table

    if verify not in ("sha256", "size", "none"):
        raise ValueError(f"verify must be 'sha256', 'size' or 'none', not {verify!r}")
    spec = key if isinstance(key, FileSpec) else find_file(key)
    path = file_path(spec, data_dir)
    if verify != "none":
        verify_bytes(spec, path, full=(verify == "sha256"))
    if spec.kind == "dta":
        import pyreadstat

        try:
            df, _ = pyreadstat.read_dta(str(path))
        except Exception as exc:  # pyreadstat raises its own ReadstatError types
            raise DataError(f"{path}: not a readable Stata file ({exc})") from None
        check_row_count(spec, path, df)
        return df
    if spec.kind not in ("csv", "csv.gz"):
        raise DataError(f"{path}: is a {spec.kind} document, not a table")
    text = decode(spec, path, path.read_bytes())
    if spec.headerless:
        df = pd.read_csv(io.StringIO(text), header=None, low_memory=False)
        check_row_count(spec, path, df)
        return df
    cols = check_header(spec, path, text)
    check_rows(spec, path, text, len(cols))
    try:
        df = pd.read_csv(io.StringIO(text), low_memory=False, skipinitialspace=False)
    except (pd.errors.ParserError, ValueError) as exc:
        raise DataError(f"{path}: malformed CSV ({exc})") from None
    df.columns = [c.strip() for c in df.columns]
    check_version(spec, path, df)
    check_row_count(spec, path, df)
    return df
