"""Forecast run settings are checked in the library (scenarios.schema.validate_run) with messages in library terms:
an as-of date beyond any sensible horizon, a negative seed, a draw count that would allocate gigabytes, a negative or
non-finite horizon, a level outside (0, 1) are refused; good values come back normalised."""
import datetime as dt

import numpy as np
import pytest

from pactwatch.errors import PactwatchError

TODAY = dt.date(2026, 12, 6)


def _validate(**kw):
    from pactwatch.scenarios.schema import validate_run

    return validate_run(**kw, today=TODAY)


@pytest.mark.parametrize("kw, words", [
    ({"as_of": "9999-12-31"}, "as-of date 9999-12-31 is more than 5 years ahead (latest accepted: 2031-12-31)"),
    ({"as_of": "1500-01-01"}, "before 1816-01-01"),
    ({"as_of": "0"}, "expected a date like 2026-11-26"),
    ({"as_of": 0}, "expected a date like 2026-11-26"),
    ({"as_of": "26/11/2026"}, "expected a date like 2026-11-26"),
    ({"seed": -1}, "random seed must be between 0 and 2**63 - 1, got -1"),
    ({"seed": 2**64}, "random seed must be between 0"),
    ({"seed": 1.5}, "random seed must be a whole number"),
    ({"sims": 100_000_000}, "capped at 100,000 (got 100,000,000)"),
    ({"sims": 5}, "at least 10"),
    ({"sims": True}, "whole number"),
    ({"horizon": -5}, "horizon must be between 1 and 50 years, got -5"),
    ({"horizon": float("inf")}, "horizon must be a finite number"),
    ({"horizon": float("nan")}, "horizon must be a finite number"),
    ({"level": 1.0}, "interval level must be strictly between 0 and 1"),
])
def test_bad_run_settings_are_refused(kw, words):
    with pytest.raises(PactwatchError) as ei:
        _validate(**kw)
    msg = str(ei.value)
    assert words in msg, msg
    assert "--" not in msg  # library terms: no command-line flags


def test_good_run_settings_are_normalised():
    import pandas as pd

    r = _validate(as_of="2026-11-26", sims=np.int64(2000), seed="7", horizon=5, level=0.8)
    assert (r.as_of, r.sims, r.seed, r.horizon, r.level) == (dt.date(2026, 11, 26), 2000, 7, 5.0, 0.8)
    assert type(r.sims) is int and type(r.horizon) is float
    assert _validate().as_of == TODAY
    assert _validate(as_of=pd.Timestamp("2024-12-04 13:00")).as_of == dt.date(2024, 12, 4)
    assert _validate(as_of=dt.date(2031, 12, 31), sims=100_000).sims == 100_000
