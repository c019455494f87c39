"""Temporary files named after the process that writes them (``<name>.tmp-<pid>``, plus DuckDB's ``.wal`` beside a
database; the fetch's ``.part-<pid>-<name>`` and ``.pactwatch-fetch-<pid>-*``), and the clean-up of those a killed
process left behind.

A process killed with SIGKILL (or a power cut) runs no ``finally``: its temporary files stay. The next writer calls
:func:`remove_stale` first, which deletes the temporary files of ``<name>`` whose process is gone (or that nobody has
touched for a day, in case the pid was reused) and leaves those of a live writer alone.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

#: A temporary file untouched for this long is stale even if a process with its pid exists (pid reuse).
STALE_AFTER_SECONDS = 24 * 3600


def temp_name(path: Path) -> Path:
    """``<path>.tmp-<pid>`` for this process."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def remove_stale(path: Path, *, now: float | None = None) -> list[Path]:
    """Delete ``<path>.tmp-<pid>`` and ``<path>.tmp-<pid>.wal`` files whose process is gone or that are older than
    :data:`STALE_AFTER_SECONDS`. Returns the files removed. Never raises for a file it cannot remove."""
    return remove_stale_in(path.parent, re.compile(re.escape(path.name) + r"\.tmp-(?P<pid>\d+)(\.wal)?"), now=now)


def remove_stale_in(directory: Path, pattern: re.Pattern, *, now: float | None = None) -> list[Path]:
    """Delete the entries of ``directory`` whose whole name matches ``pattern`` (which captures the writer's pid as
    group ``pid``) when that process is gone or the entry is older than :data:`STALE_AFTER_SECONDS`; a directory is
    removed with its content. Returns the entries removed; never raises for one it cannot remove."""
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(directory.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = pattern.fullmatch(p.name)
        if not m:
            continue
        pid = int(m.group("pid"))
        try:
            old = now - p.lstat().st_mtime > STALE_AFTER_SECONDS
        except OSError:
            continue
        if pid == os.getpid() or not (old or not _alive(pid)):
            continue
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
            removed.append(p)
        except OSError:
            pass
    return removed
