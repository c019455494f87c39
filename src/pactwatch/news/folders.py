"""Which files of an articles folder are news articles.

A folder with an ``index.jsonl`` whose records name their ``file`` (and carry no ``text``: a catalogue, not articles
in JSON Lines), as the shared Russia–DPRK folder has, declares its articles: only the files it names are read (found
beside the index or in its ``articles/`` subfolder). The index itself and the folder's other files (``SOURCES.md``,
notes) are not news and are left out, each named in a note; an index entry whose file is missing is named too.
Any other folder is read whole, recursively; a file is read as it is. Every reader of input paths goes through
:func:`article_files` (:func:`pactwatch.news.ingest.iter_files`: the news store, the Parquet corpus, the event coder's
file coding, the monitor), and the news metadata of an article read from such a folder comes from the same catalogue
(:func:`catalogue`).
"""
from __future__ import annotations

import json
from pathlib import Path

INDEX = "index.jsonl"


def catalogue(folder: Path) -> dict[str, dict] | None:
    """The folder's ``index.jsonl`` catalogue as file name -> its record (url, title, publisher ...), in file order;
    None when the folder has no such catalogue (no index, an unreadable one, or records that are articles
    themselves, with a ``text``)."""
    idx = Path(folder) / INDEX
    if not idx.is_file():
        return None
    entries: dict[str, dict] = {}
    try:
        for line in idx.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            rec = json.loads(line)
            if not isinstance(rec, dict) or "text" in rec or not isinstance(rec.get("file"), str):
                return None
            entries[rec["file"]] = rec
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    return entries or None


def folder_index(folder: Path) -> list[str] | None:
    """The file names the folder's ``index.jsonl`` lists, in its order; None without a catalogue (:func:`catalogue`)."""
    entries = catalogue(folder)
    return None if entries is None else list(entries)


def article_files(paths) -> tuple[list[Path], list[str]]:
    """The article files under ``paths`` (files or folders) and notes on what was left out and why."""
    files: list[Path] = []
    notes: list[str] = []
    for p in map(Path, paths):
        if not p.is_dir():
            files.append(p)
            continue
        names = folder_index(p)
        if names is None:
            found = sorted(q for q in p.rglob("*") if q.is_file())
            if not found:
                notes.append(f"{p}: no files in this folder")
            files.extend(found)
            continue
        listed: list[Path] = []
        for n in names:
            hit = next((c for c in (p / n, p / "articles" / n) if c.is_file()), None)
            if hit is None:
                notes.append(f"{p / INDEX}: lists {n}, which is not in {p} nor in {p / 'articles'}")
            else:
                listed.append(hit)
        keep = set(listed)
        other = [q for q in sorted(p.rglob("*")) if q.is_file() and q not in keep and q.name != INDEX]
        shown = ", ".join(str(q.relative_to(p)) for q in other[:10]) + (f" and {len(other) - 10} more" if len(other) > 10
                                                                     else "")
        left = (f"; {len(other)} file{'s' if len(other) != 1 else ''} not named there (not articles) left out: {shown}"
                if other else "")
        notes.append(f"{p}: {len(listed)} articles named in its {INDEX} (the folder's catalogue, read for titles and "
                     f"addresses, not as an article){left}")
        files.extend(listed)
    return files, notes
