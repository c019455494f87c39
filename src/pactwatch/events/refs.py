"""Event-coding reference files (CAMEO code table, PETRARCH verb dictionary, Phoenix actor dictionaries, gold sets):
where they are, whether they are the versions pactwatch was built against, and a parse cache.

The files are third-party material and never ship with pactwatch. They live in the *events directory*:

1. ``--events-dir DIR`` (the ``events_dir`` argument), else
2. ``$PACTWATCH_EVENTS_DIR``, else
3. an ``events`` folder beside the data directory (``$PACTWATCH_DATA_DIR/../events``; in development and CI that is
   ``../shared/events`` from the repository).

``registry.yaml`` beside this module lists every file with its path inside that directory, size, sha256 and the URL
of the upstream copy. A parsed file is cached under ``<home>/cache/events/`` keyed by the sha256 of the source bytes,
so an edited or replaced file is re-parsed, never served stale.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Callable

import yaml

from pactwatch.data.readers import sha256_file
from pactwatch.errors import DataError, DataMissingError

ENV_VAR = "PACTWATCH_EVENTS_DIR"


@dataclass(frozen=True)
class RefFile:
    key: str
    path: str
    required: bool
    bytes: int
    sha256: str
    url: str
    licence: str
    origin: str
    what: str

    def how_to_get(self, root: Path | None = None) -> str:
        where = f"{root}/{self.path}" if root else f"<events dir>/{self.path}"
        derived = " (derived file: rebuild it from that upstream file as described in the registry)" \
            if self.origin.startswith("derived") else ""
        return f"put {self.what.split(':')[0]} at {where}; upstream: {self.url} [{self.origin}]{derived}"


@lru_cache(maxsize=1)
def ref_registry() -> dict[str, RefFile]:
    """All registered reference files by key, in registry order."""
    text = resources.files("pactwatch.events").joinpath("registry.yaml").read_text(encoding="utf-8")
    return {f["key"]: RefFile(**f) for f in yaml.safe_load(text)["files"]}


def _repo_shared() -> list[Path]:
    """Candidate ``shared/events`` folders beside a source checkout (cwd upward, and the package's own checkout)."""
    out = []
    here = Path.cwd()
    for base in (here, *here.parents):
        out.append(base.parent / "shared" / "events")
        if (base / ".git").exists() or (base / "pyproject.toml").exists():
            break
    pkg = Path(__file__).resolve()
    if len(pkg.parents) > 3:
        out.append(pkg.parents[3].parent / "shared" / "events")  # <repo>/src/pactwatch/events -> <repo>/../shared/events
    return out


def resolve_events_dir(events_dir: str | os.PathLike | None = None) -> Path:
    """The events directory (see the module docstring). Raises DataMissingError with instructions when none exists."""
    if events_dir is not None or os.environ.get(ENV_VAR):
        p = Path(events_dir if events_dir is not None else os.environ[ENV_VAR])
        how = "the events_dir argument" if events_dir is not None else ENV_VAR
        if not p.is_dir():
            raise DataMissingError(f"events directory {p} (from {how}) does not exist; it must hold the event-coding "
                                   f"reference files listed by `pactwatch events refs` ({_required_list()})")
        return p.resolve()
    cands = []
    data = os.environ.get("PACTWATCH_DATA_DIR")
    if data:
        cands.append(Path(data).parent / "events")
    cands += _repo_shared()
    for p in cands:
        if p.is_dir():
            return p.resolve()
    raise DataMissingError(
        "no events directory: give one (events_dir) or set PACTWATCH_EVENTS_DIR=DIR, where DIR holds the event-coding "
        f"reference files ({_required_list()}); `pactwatch events refs` lists every file with its upstream URL. "
        "By default pactwatch looks for an `events` folder beside the data directory.")


def _required_list() -> str:
    return ", ".join(f"{f.path} <- {f.url}" for f in ref_registry().values() if f.required)


def ref_path(key: str, events_dir: str | os.PathLike | None = None, verify: str = "size") -> Path:
    """Path of a registered file, checked: it exists, and its size (``verify="size"``) or sha256 (``"sha256"``)
    matches the registry (``"none"`` skips the check). Raises DataMissingError / DataError saying how to get it."""
    spec = ref_registry().get(key)
    if spec is None:
        raise KeyError(f"no events reference file {key!r}; known: {', '.join(ref_registry())}")
    root = resolve_events_dir(events_dir)
    p = root / spec.path
    if not p.is_file():
        raise DataMissingError(f"{p}: events reference file missing; {spec.how_to_get(root)}")
    if verify in ("size", "sha256") and p.stat().st_size != spec.bytes:
        raise DataError(f"{p}: {p.stat().st_size} bytes, the registered version has {spec.bytes}: a different or damaged "
                        f"copy; {spec.how_to_get(root)}")
    if verify == "sha256" and sha256_file(p) != spec.sha256:
        raise DataError(f"{p}: sha256 differs from the registered version ({spec.sha256[:12]}…): a different or damaged "
                        f"copy; {spec.how_to_get(root)}")
    return p


def check_refs(events_dir=None) -> list[dict]:
    """Status of every registered file: ok / missing / size / sha256 mismatch (full hash of each file)."""
    root = resolve_events_dir(events_dir)
    out = []
    for spec in ref_registry().values():
        p = root / spec.path
        if not p.is_file():
            status = "missing"
        elif p.stat().st_size != spec.bytes:
            status = "size mismatch"
        elif sha256_file(p) != spec.sha256:
            status = "sha256 mismatch"
        else:
            status = "ok"
        out.append({"key": spec.key, "path": str(p), "required": spec.required, "status": status, "url": spec.url,
                    "origin": spec.origin})
    return out


def cached_parse(path: Path, kind: str, parse: Callable[[Path], object], to_json: Callable[[object], object],
                 from_json: Callable[[object], object], expect_sha256: str | None = None):
    """Parse ``path`` once per content: the result is stored as JSON under <home>/cache/events/<kind>-<sha256>.json.

    ``expect_sha256``: the registered hash; a file whose bytes differ raises DataError (pass None for a user's own file).
    A damaged cache file is ignored and rewritten."""
    from pactwatch.paths import home

    digest = sha256_file(path)
    if expect_sha256 and digest != expect_sha256:
        raise DataError(f"{path}: sha256 {digest[:12]}… differs from the registered version ({expect_sha256[:12]}…): a "
                        "different or damaged copy. Get the registered file (`pactwatch events refs` lists its URL) or "
                        "pass your own file explicitly (e.g. a verb dictionary of your own).")
    cache = home() / "cache" / "events" / f"{kind}-{digest[:32]}.json"
    if cache.is_file():
        try:
            return from_json(json.loads(cache.read_text(encoding="utf-8")))
        except (ValueError, KeyError, TypeError):
            pass
    obj = parse(path)
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(to_json(obj)), encoding="utf-8")
        tmp.replace(cache)
    except OSError:
        pass  # an unwritable cache only costs a re-parse next time
    return obj
