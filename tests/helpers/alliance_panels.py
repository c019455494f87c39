"""The ATOP alliance panels (alliances, member-years, alliance-years) built once per test session and shared by the
replication and cross-check tests (building them takes several seconds)."""
from __future__ import annotations

import functools
from pathlib import Path

from pactwatch.data.source import DataSource


@functools.lru_cache(maxsize=2)
def _panels(data_dir: str) -> dict:
    from pactwatch.replications.leeds_savun import panels

    return panels(DataSource(data_dir=Path(data_dir)))


def alliance_panels(data_dir) -> dict:
    """{'alliances', 'member_years', 'alliance_years', 'src'} for the data directory (cached; do not modify them)."""
    return _panels(str(data_dir))
