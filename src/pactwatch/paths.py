"""Where pactwatch keeps its own files (not the datasets: those live in the data directory)."""
from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """$PACTWATCH_HOME, else ~/.pactwatch. Holds the default store and caches."""
    return Path(os.environ.get("PACTWATCH_HOME") or Path.home() / ".pactwatch")


def default_db() -> Path:
    """$PACTWATCH_DB, else <home>/pactwatch.duckdb."""
    return Path(os.environ.get("PACTWATCH_DB") or home() / "pactwatch.duckdb")
