"""A small stored landmark back-test for the report, web and back-test tests."""
from __future__ import annotations


def tiny_landmark(data, home):
    """A small landmark back-test (origins 1979–1980, 5 years, 10 bootstrap draws), stored under ``home`` as if it
    were the default run, and the forecast's validation made from it: (result, validation)."""
    import pytest

    from pactwatch.scenarios import landmark as L
    from pactwatch.scenarios import landmark_store as LS

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PACTWATCH_HOME", str(home))
        mp.setattr(L, "DEFAULTS", {"start": 1979, "end": 1980, "step": 1, "horizons": (5.0,), "dev_end": 1979})
        res = L.run_backtest(start=1979, end=1980, horizons=(5.0,), n_boot=10, dev_end=1979, include_later=True,
                             oracle=False, data=data, use_cache=False)
        LS.save_landmark(res)
        return res, LS.validation("any-end", data.fingerprint)
