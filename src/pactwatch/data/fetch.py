"""Download the registered datasets from their publishers into a data directory, verifying every file.

For each file the registry names the publisher's URL (``Source.url``); when ``member`` is set the URL is a zip
archive and that member is extracted; ``convert: rda`` means the URL serves an R data file that is converted to
CSV (pyreadr, then pandas ``to_csv(index=False)``, gzip-compressed for ``.csv.gz`` targets); ``convert: xls``
means an Excel file converted the same way (pandas + xlrd).

Verification before a file is put in place:
- plain and zip-member files: the sha256 of the bytes must equal the registered one (for ``.csv.gz`` the sha256 of
  the decompressed content, since gzip headers carry timestamps);
- converted files, whose bytes need not reproduce the reference copy exactly: when the bytes (or the gzip content)
  match, that is reported; otherwise the file must parse with the registered columns and row count (and the
  ``version`` column, where there is one), and the result says that this is how it was checked.

Every file is written to a temporary file in its own directory and renamed over the target only after it
passed verification, so a failed, mismatching or interrupted download never leaves a partial file and never
touches an existing good one. Files already present and verified are skipped unless ``force``. A fetch that was
killed outright leaves its ``.part-<pid>-*`` files and ``.pactwatch-fetch-<pid>-*`` download folder behind; the next
fetch removes those of processes that no longer run (:mod:`pactwatch.data.tempfiles`).

``base_url`` (or $PACTWATCH_MIRROR) replaces the scheme and host of every URL (its path, if any, is prefixed),
for mirrors and for tests that serve the files locally.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gzip
import hashlib
import os
import re
import shutil
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pactwatch.data.readers import is_converted, read_table, sha256_file
from pactwatch.data.registry import ENV_VAR, FileSpec, registry
from pactwatch.data.tempfiles import remove_stale_in
from pactwatch.errors import DataError, DataMissingError

MIRROR_ENV = "PACTWATCH_MIRROR"
RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


@dataclass
class FetchResult:
    """What happened to one file: ``status`` is fetched | skipped | failed; ``verified`` says how it was checked."""

    dataset: str
    path: str
    url: str
    status: str
    verified: str | None = None
    bytes: int | None = None
    message: str | None = None


class FetchError(DataError):
    """One or more files could not be fetched; ``results`` holds every file's outcome."""

    def __init__(self, message: str, results: list[FetchResult]):
        super().__init__(message)
        self.results = results


def mirror_url(url: str, base_url: str | None) -> str:
    """``url`` with its scheme and host replaced by those of ``base_url`` (whose path, if any, is prefixed)."""
    if not base_url:
        return url
    b, u = urlsplit(base_url), urlsplit(url)
    if not b.scheme or not b.netloc:
        raise DataError(f"base URL {base_url!r}: expected a URL like http://host:port or https://mirror.example/path")
    return urlunsplit((b.scheme, b.netloc, b.path.rstrip("/") + u.path, u.query, ""))


def _content_sha256_gz(path: Path) -> str | None:
    try:
        with gzip.open(path, "rb") as fh:
            h = hashlib.sha256()
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except (OSError, EOFError):
        return None


def verify_file(spec: FileSpec, path: Path, root: Path) -> str:
    """Check a file (at ``path``, standing in for ``spec``) against the registry; return how it was verified.

    Raises DataError naming ``path`` and the problem. ``root`` is the data directory (``path`` must lie under it).
    """
    ds = registry()[spec.dataset]
    if spec.kind == "csv.gz" and spec.content_sha256:
        if _content_sha256_gz(path) == spec.content_sha256:
            return "sha256 of the decompressed content matches"
    elif spec.sha256:
        digest = sha256_file(path)
        if digest == spec.sha256:
            return "sha256 matches"
        if not is_converted(spec):
            raise DataError(
                f"{path}: sha256 {digest[:16]}… does not match the registered {spec.sha256[:16]}… for "
                f"{spec.dataset} {ds.version}: the publisher may have changed the file or released another version"
            )
    if spec.kind == "csv.gz" and spec.content_sha256 and not is_converted(spec):
        raise DataError(f"{path}: decompressed content does not match the registered sha256 for {spec.dataset} {ds.version}")
    # Converted, or no checksum registered: check the layout by parsing the file like every reader will.
    if not (spec.is_table and spec.kind in ("csv", "csv.gz", "dta")):
        return "not verified: no checksum registered"
    stand_in = dataclasses.replace(spec, path=path.relative_to(root).as_posix())
    df = read_table(stand_in, root, verify="none")  # raises DataError on columns / rows / version / encoding
    checks = []
    if spec.columns:
        checks.append(f"{len(spec.columns)} columns")
    if spec.rows is not None:
        checks.append(f"{spec.rows} rows")
    if not checks:
        return f"not verified: no checksum, columns or row count registered (parsed {len(df)} rows)"
    why = f"converted from {spec.source.convert}: bytes differ from the reference copy" if is_converted(spec) \
        else "no checksum registered"
    return f"{why}; checked {' and '.join(checks)}"


# ---------------------------------------------------------------------------------------------------------------
# download

class _Incomplete(Exception):
    pass


def _download(client, url: str, dest: Path, *, retries: int, backoff: float, progress=None) -> int:
    """Stream ``url`` into ``dest``; retry transient failures; return the byte count. Raises DataError naming the URL."""
    import httpx

    last: str = ""
    for attempt in range(retries + 1):
        task = None
        try:
            with client.stream("GET", url) as r:
                if r.status_code >= 400:
                    last = f"HTTP {r.status_code} {r.reason_phrase}"
                    if r.status_code in RETRY_STATUS and attempt < retries:
                        time.sleep(backoff * 2**attempt)
                        continue
                    raise DataError(f"{url}: {last}")
                total = r.headers.get("content-length")
                total = int(total) if total and total.isdigit() and not r.headers.get("content-encoding") else None
                if progress is not None:
                    task = progress.add_task(Path(urlsplit(url).path).name or url, total=total)
                n = 0
                with open(dest, "wb") as fh:
                    for chunk in r.iter_bytes(1 << 16):
                        fh.write(chunk)
                        n += len(chunk)
                        if task is not None:
                            progress.update(task, completed=n)
                if total is not None and n != total:
                    raise _Incomplete(f"connection closed after {n} of {total} bytes")
                return n
        except (httpx.TransportError, _Incomplete) as exc:
            last = f"{type(exc).__name__}: {exc}"
            if attempt < retries:
                time.sleep(backoff * 2**attempt)
                continue
        finally:
            if task is not None:
                progress.remove_task(task)
    raise DataError(f"{url}: download failed after {retries + 1} attempt(s) ({last}); nothing was written")


def _extract_member(archive: Path, member: str, dest: Path, url: str) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise DataError(f"{url}: not a zip archive (expected one holding {member!r})") from None
    with zf:
        names = zf.namelist()
        name = member if member in names else None
        if name is None:  # tolerate a re-packed archive: a unique match on the file name alone
            base = [n for n in names if n.rsplit("/", 1)[-1].lower() == member.rsplit("/", 1)[-1].lower()]
            name = base[0] if len(base) == 1 else None
        if name is None:
            raise DataError(f"{url}: the archive has no member {member!r} (it holds: {', '.join(names[:12])})")
        try:
            with zf.open(name) as src, open(dest, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise DataError(f"{url}: member {member!r} could not be extracted ({exc})") from None


def _write_csv(df, spec: FileSpec, dest: Path) -> None:
    if spec.path.endswith(".gz"):
        df.to_csv(dest, index=False, compression={"method": "gzip", "mtime": 0, "compresslevel": 6})
    else:
        df.to_csv(dest, index=False, encoding=spec.encoding)


def _convert(spec: FileSpec, src: Path, dest: Path, url: str) -> None:
    kind = spec.source.convert
    if kind == "rda":
        import pyreadr

        try:
            objs = pyreadr.read_r(str(src))
        except Exception as exc:  # pyreadr raises its own LibrdataError types
            raise DataError(f"{url}: not a readable R data file ({exc})") from None
        if not objs:
            raise DataError(f"{url}: the R data file holds no data frame")
        stem = Path(urlsplit(url).path).stem
        df = objs[stem] if stem in objs else next(iter(objs.values()))
        if len(objs) > 1 and stem not in objs:
            raise DataError(f"{url}: the R data file holds {len(objs)} objects ({', '.join(objs)}) and none is named {stem!r}")
    elif kind == "xls":
        import pandas as pd

        try:
            df = pd.read_excel(src, engine="xlrd")
        except Exception as exc:
            raise DataError(f"{url}: not a readable Excel (.xls) file ({exc})") from None
    else:
        raise DataError(f"{spec.path}: unknown conversion {kind!r} in the registry")
    _write_csv(df, spec, dest)


def _select(datasets: list[str] | None) -> list[FileSpec]:
    reg = registry()
    if datasets:
        unknown = [k for k in datasets if k not in reg]
        if unknown:
            raise DataError(f"unknown dataset(s) {', '.join(unknown)}; known: {', '.join(reg)}")
        keys = list(dict.fromkeys(datasets))
    else:
        keys = [k for k, d in reg.items() if not d.optional]
    return [f for k in keys for f in reg[k].files if f.source is not None]


def _data_root(data_dir: str | Path | None) -> Path:
    if data_dir is None:
        data_dir = os.environ.get(ENV_VAR)
    if not data_dir:
        raise DataMissingError("no data directory: give one, or set PACTWATCH_DATA_DIR=DIR (it is created if needed)")
    root = Path(data_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"data directory {root}: cannot create it ({exc})") from None
    return root.resolve()


def fetch(
    data_dir: str | Path | None = None,
    datasets: list[str] | None = None,
    *,
    base_url: str | None = None,
    force: bool = False,
    progress: bool = True,
    retries: int = 3,
    backoff: float = 1.0,
    timeout: float = 60.0,
    raise_on_error: bool = True,
) -> list[FetchResult]:
    """Download and verify the files of ``datasets`` (default: every non-optional dataset) into ``data_dir``.

    Returns one FetchResult per file. Failed files are reported all together at the end as a FetchError
    (a DataError) unless ``raise_on_error=False``; files that succeeded stay in place.
    """
    import httpx
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from pactwatch import __version__

    root = _data_root(data_dir)
    base_url = base_url or os.environ.get(MIRROR_ENV) or None
    specs = _select(datasets)
    _remove_stale_parts(root, specs)
    results: list[FetchResult] = []
    pending: list[tuple[FileSpec, str]] = []
    for spec in specs:
        url = mirror_url(spec.source.url, base_url)
        target = root / spec.path
        if target.exists() and not force:
            try:
                how = verify_file(spec, target, root)
                results.append(FetchResult(spec.dataset, spec.path, url, "skipped", how, target.stat().st_size,
                                           "already present and verified"))
                continue
            except DataError as exc:
                pending.append((spec, url))
                results.append(FetchResult(spec.dataset, spec.path, url, "pending", message=f"present but {exc}; re-fetching"))
                continue
        pending.append((spec, url))
        results.append(FetchResult(spec.dataset, spec.path, url, "pending"))
    by_path = {r.path: r for r in results}

    prog = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                    console=Console(stderr=True), disable=not progress, transient=True)
    downloads: dict[str, Path | DataError] = {}
    cache = Path(tempfile.mkdtemp(prefix=f".pactwatch-fetch-{os.getpid()}-", dir=root)) if pending else None
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)), follow_redirects=True,
                          headers={"User-Agent": f"pactwatch/{__version__}"}) as client, prog:
            for spec, url in pending:
                res = by_path[spec.path]
                if url not in downloads:
                    dest = cache / f"{len(downloads)}-{Path(urlsplit(url).path).name or 'download'}"
                    try:
                        _download(client, url, dest, retries=retries, backoff=backoff, progress=prog if progress else None)
                        downloads[url] = dest
                    except DataError as exc:
                        with contextlib.suppress(OSError):
                            dest.unlink()
                        downloads[url] = exc
                got = downloads[url]
                if isinstance(got, DataError):
                    res.status, res.message = "failed", str(got)
                    continue
                try:
                    res.verified, res.bytes = _install(spec, url, got, root)
                    res.status = "fetched"
                    res.message = "replaced a file that failed verification" if res.message else None
                except DataError as exc:
                    res.status, res.message = "failed", str(exc) if url in str(exc) else f"{url}: {exc}"
    finally:
        if cache is not None:
            shutil.rmtree(cache, ignore_errors=True)
    failed = [r for r in results if r.status == "failed"]
    if failed and raise_on_error:
        lines = "\n".join(f"  - {r.path}: {r.message}" for r in failed)
        raise FetchError(f"{len(failed)} of {len(results)} file(s) could not be fetched (existing files were left as they were):\n{lines}",
                         results)
    return results


_STALE_PART = re.compile(r"\.part-(?P<pid>\d+)-.+")
_STALE_CACHE = re.compile(r"\.pactwatch-fetch-(?P<pid>\d+)-.+")


def _remove_stale_parts(root: Path, specs: list[FileSpec]) -> None:
    """Remove what killed fetches left: ``.part-<pid>-*`` beside the targets, ``.pactwatch-fetch-<pid>-*`` in ``root``."""
    remove_stale_in(root, _STALE_CACHE)
    for d in sorted({(root / s.path).parent for s in specs}):
        remove_stale_in(d, _STALE_PART)


def _install(spec: FileSpec, url: str, download: Path, root: Path) -> tuple[str, int]:
    """Make the target file from a download (extract / convert), verify it, rename it into place."""
    target = root / spec.path
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.parent / f".part-{os.getpid()}-{target.name}"  # keeps the extension: readers go by it
    scratch = target.parent / f".part-{os.getpid()}-src-{target.name}"
    try:
        src = download
        if spec.source.member:
            _extract_member(download, spec.source.member, scratch, url)
            src = scratch
        if spec.source.convert:
            _convert(spec, src, part, url)
        else:
            shutil.copyfile(src, part)
        try:
            how = verify_file(spec, part, root)
        except DataError as exc:
            problem = str(exc).replace(f"{part}: ", "").replace(str(part), spec.path)
            raise DataError(f"downloaded from {url}: {problem}") from None
        size = part.stat().st_size
        os.replace(part, target)
        return how, size
    finally:
        for p in (part, scratch):
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
