import os
from pathlib import Path

import pytest

from pactwatch.data.source import DataSource

REPO = Path(__file__).resolve().parents[1]


def _shared_data() -> Path | None:
    env = os.environ.get("PACTWATCH_DATA_DIR")
    p = Path(env) if env else REPO.parent / "shared" / "data"
    return p if p.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets (../shared/data in dev and CI). In CI their absence is a failure, not a skip."""
    p = _shared_data()
    if p is None:
        if os.environ.get("CI"):
            pytest.fail("PACTWATCH_DATA_DIR / ../shared/data is missing in CI")
        pytest.skip("datasets not available (set PACTWATCH_DATA_DIR)")
    return p


@pytest.fixture(scope="session")
def src(data_dir) -> DataSource:
    """A session-wide DataSource over the raw files (no store), cached across tests."""
    return DataSource(data_dir=data_dir)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """Tests never touch the user's ~/.pactwatch."""
    monkeypatch.setenv("PACTWATCH_HOME", str(tmp_path / "pwhome"))
    monkeypatch.delenv("PACTWATCH_DB", raising=False)


@pytest.fixture(scope="session")
def forecast_data(src, tmp_path_factory):
    """The forecast training data (ATOP/COW panels), built once per test session without touching any cache."""
    from pactwatch.scenarios.training import build_data

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PACTWATCH_HOME", str(tmp_path_factory.mktemp("pwhome")))
        return build_data(src, use_cache=False)[0]


@pytest.fixture(scope="session")
def forecast_ctx(forecast_data):
    """The fitted forecast context (time-varying Cox) over :func:`forecast_data`, shared by the forecast and report tests."""
    from pactwatch.scenarios import forecast as F

    return F.context(data=forecast_data, use_cache=False)
