import os
from pathlib import Path

import pytest

from pactwatch.data.source import DataSource

REPO = Path(__file__).resolve().parents[1]


def _reference_dir(env_var: str, shared_name: str, what: str) -> Path:
    """A reference directory from ``env_var``, else ../shared/<shared_name>. In CI its absence fails; elsewhere it skips."""
    env = os.environ.get(env_var)
    p = Path(env) if env else REPO.parent / "shared" / shared_name
    if not p.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{env_var} / ../shared/{shared_name} is missing in CI")
        pytest.skip(f"{what} not available (set {env_var})")
    return p


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real datasets (../shared/data in dev and CI)."""
    return _reference_dir("PACTWATCH_DATA_DIR", "data", "datasets")


@pytest.fixture(scope="session")
def events_dir() -> Path:
    """The events reference files: CAMEO/PLOVER tables, dictionaries, gold sets (../shared/events in dev and CI)."""
    return _reference_dir("PACTWATCH_EVENTS_DIR", "events", "events reference files")


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


@pytest.fixture(scope="session")
def nlp(events_dir):
    """The event-coding pipeline (spaCy + pactwatch components, rules only), loaded once per test session."""
    from pactwatch.events.pipeline import load_pipeline

    return load_pipeline(events_dir=str(events_dir), root_model=False)
