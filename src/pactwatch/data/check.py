"""Check the data directory against the registry: is every file there, the right size, the right bytes, the right layout?

One :class:`FileStatus` per registered file. ``full=True`` (the default) computes each file's sha256 and parses
every table through :func:`pactwatch.data.readers.read_table` (columns, ragged rows, the ``version`` column, the
row count); ``full=False`` checks only the size and the header line, and does not count rows.

Files pactwatch converts itself from the publisher's R data or Excel file (``source.convert`` in the registry) are
judged by columns and row count: their bytes may differ from the reference copy without anything being wrong.

Optional datasets (``optional: true``) that are absent are reported as "absent (optional)" and are not a failure;
an optional file that *is* present is checked like any other.
"""
from __future__ import annotations

import gzip
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

from pactwatch.data.readers import check_header, decode, is_converted, read_table, sha256_file, verify_bytes
from pactwatch.data.registry import FileSpec, registry, resolve_data_dir
from pactwatch.errors import DataError, DataMissingError

TABLE_KINDS = ("csv", "csv.gz", "dta")


@dataclass
class FileStatus:
    """What the check found for one registered file.

    ``sha256_ok`` / ``columns_ok`` are None when not checked (quick mode, no checksum registered, or not a table).
    ``rows`` is the number of data rows parsed (None when not counted). ``problem`` is a message naming the file.
    """

    dataset: str
    version: str
    path: str
    table: str | None
    optional: bool
    present: bool
    status: str  # ok | absent (optional) | missing | wrong size | sha256 mismatch | bad content
    bytes: int | None = None
    expected_bytes: int | None = None
    sha256_ok: bool | None = None
    columns_ok: bool | None = None
    rows: int | None = None
    expected_rows: int | None = None
    converted: bool = False
    note: str | None = None
    problem: str | None = None

    @property
    def failed(self) -> bool:
        return self.problem is not None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["failed"] = self.failed
        return d


def _head_text(spec: FileSpec, path: Path, nbytes: int = 1 << 16) -> str:
    """The first bytes of a CSV file, decoded as read_table would (for the quick header check)."""
    if spec.kind == "csv.gz":
        try:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(nbytes)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(f"{path}: not a readable gzip file ({exc})") from None
        fake = FileSpec(path=spec.path[: -len(".gz")], dataset=spec.dataset, encoding=spec.encoding)
    else:
        with open(path, "rb") as fh:
            raw = fh.read(nbytes)
        fake = spec
    # A multi-byte character may be cut at the end of the chunk: drop the partial last line.
    if len(raw) == nbytes and b"\n" in raw:
        raw = raw[: raw.rfind(b"\n")]
    return decode(fake, path, raw)


def _check_tail(spec: FileSpec, path: Path, ncols: int, nbytes: int = 1 << 16) -> None:
    """Quick truncation check for a plain CSV: the last line must hold as many fields as the header."""
    size = path.stat().st_size
    with open(path, "rb") as fh:
        fh.seek(max(0, size - nbytes))
        raw = fh.read()
    if size > nbytes:  # drop the (possibly partial) first line of the chunk
        cut = raw.find(b"\n")
        raw = raw[cut + 1:] if cut >= 0 else raw
    try:
        text = raw.decode(spec.encoding)
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not valid {spec.encoding} text near the end of the file (offset {size - len(raw) + exc.start})") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    _last_line_fields(path, text, ncols)


def _last_line_fields(path: Path, text: str, ncols: int) -> None:
    import csv

    last = text.rstrip("\n").rsplit("\n", 1)[-1]
    try:
        fields = next(csv.reader([last]))
    except (csv.Error, StopIteration) as exc:
        raise DataError(f"{path}: last line is not valid CSV ({exc}); the file looks truncated") from None
    if len(fields) != ncols:
        raise DataError(f"{path}: the last line has {len(fields)} fields where the header has {ncols}; "
                        "the file looks truncated or corrupt")


def check_file(spec: FileSpec, root: Path, *, full: bool = True) -> FileStatus:
    """Check one registered file under the data directory ``root``."""
    ds = registry()[spec.dataset]
    path = root / spec.path
    st = FileStatus(
        dataset=spec.dataset, version=ds.version, path=spec.path, table=spec.table, optional=ds.optional,
        present=path.exists(), status="ok", expected_bytes=spec.bytes, expected_rows=spec.rows,
        converted=is_converted(spec),
    )
    if not st.present:
        if ds.optional:
            st.status = "absent (optional)"
        else:
            st.status = "missing"
            st.problem = (f"{path}: missing (dataset {spec.dataset} {ds.version}). "
                          f"Run `pactwatch data fetch --data-dir {root}` to download it.")
        return st
    if not path.is_file():
        st.status, st.problem = "bad content", f"{path}: is not a regular file"
        return st
    st.bytes = path.stat().st_size
    notes = []
    # 1. bytes: size, then (full) sha256. Converted files are exempt (checked by columns and rows below).
    try:
        verify_bytes(spec, path, full=False)
    except DataError as exc:
        st.status, st.problem = "wrong size", str(exc)
        return st
    if full and (spec.sha256 or spec.content_sha256):
        digest = sha256_file(path)
        ok = digest == spec.sha256
        if not ok and spec.kind == "csv.gz" and spec.content_sha256:
            try:
                import hashlib

                ok = hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest() == spec.content_sha256
            except (OSError, EOFError, zlib.error):
                ok = False
            if ok:
                notes.append("gzip content matches")
        st.sha256_ok = ok
        if not ok:
            if st.converted:
                notes.append(f"converted from {spec.source.convert}: bytes differ from the reference copy, "
                             "checked columns and rows instead")
            else:
                try:
                    verify_bytes(spec, path, full=True)
                except DataError as exc:
                    st.status, st.problem = "sha256 mismatch", str(exc)
                    # Say what changed, when the table itself shows it (a renamed column, another version, ...).
                    if spec.is_table and spec.kind in TABLE_KINDS:
                        try:
                            read_table(spec, root, verify="none")
                        except DataError as detail:
                            if "column" in str(detail):
                                st.columns_ok = False
                            st.problem += f" Also: {str(detail).replace(f'{path}: ', '', 1)}"
                    return st
    elif full:
        notes.append("no checksum registered")
    # 2. layout: header columns (quick) or the whole table (full).
    if spec.is_table and spec.kind in TABLE_KINDS:
        try:
            if full:
                df = read_table(spec, root, verify="none")
                st.rows = len(df)
                st.columns_ok = all(c in df.columns for c in spec.columns)
            elif spec.kind == "dta":
                import pyreadstat

                try:
                    _, meta = pyreadstat.read_dta(str(path), metadataonly=True)
                except Exception as exc:
                    raise DataError(f"{path}: not a readable Stata file ({exc})") from None
                missing = [c for c in spec.columns if c not in meta.column_names]
                if missing:
                    raise DataError(f"{path}: missing expected column(s) {', '.join(missing[:8])}")
                st.columns_ok = True
            else:
                cols = check_header(spec, path, _head_text(spec, path))
                st.columns_ok = True
                if spec.kind == "csv":
                    _check_tail(spec, path, len(cols))
        except DataError as exc:
            st.columns_ok = False if "column" in str(exc) else None
            st.status, st.problem = "bad content", str(exc)
            return st
    if st.converted and not full:
        notes.append("converted file: size not compared (quick check: header and last line only)")
    st.note = "; ".join(notes) or None
    return st


def check_all(data_dir: str | Path | None = None, full: bool = True, datasets: list[str] | None = None) -> list[FileStatus]:
    """Check every registered file (or those of ``datasets``) in the data directory. Never raises for bad files:
    each problem is in its FileStatus. Raises DataMissingError only when there is no data directory."""
    root = resolve_data_dir(data_dir)
    keys = list(registry()) if datasets is None else datasets
    unknown = [k for k in keys if k not in registry()]
    if unknown:
        raise DataError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(registry())}")
    return [check_file(f, root, full=full) for k in keys for f in registry()[k].files]


def raise_for_failures(statuses: list[FileStatus]) -> None:
    """Raise one DataError (DataMissingError when every failure is a missing file) listing each failed file."""
    bad = [s for s in statuses if s.failed]
    if not bad:
        return
    lines = "\n".join(f"  - {s.problem}" for s in bad)
    cls = DataMissingError if all(s.status == "missing" for s in bad) else DataError
    raise cls(f"{len(bad)} of {len(statuses)} dataset files failed the check:\n{lines}")
