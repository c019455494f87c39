"""Geometric shock timing (a constant yearly chance): the draws have the stated per-year rate, the as-of year counts
only its remaining part, 'by' conditions on the shock happening by a date, and bad timings are refused."""
import datetime as dt

import numpy as np
import pytest
from pydantic import ValidationError

from pactwatch.errors import PactwatchError
from pactwatch.scenarios.schema import Timing
from pactwatch.scenarios.shocks import NEVER, draw_years, geometric_years, year_position

N = 200_000


def _yearly_rates(k: np.ndarray, years: int) -> list[float]:
    """Share of the draws still 'waiting' at the start of each year whose event falls in that year."""
    out = []
    for j in range(years):
        at_risk = k >= j
        out.append(float(np.mean(k[at_risk] == j)))
    return out


@pytest.mark.parametrize("p", [0.1, 0.25, 0.47])
def test_geometric_draws_have_the_stated_per_year_rate(p):
    k = geometric_years(p, np.random.default_rng(7), N)  # whole first year
    rates = _yearly_rates(k, 5)
    se = np.sqrt(p * (1 - p) / (N * (1 - p) ** 4))  # the widest of the five (fewest at risk)
    assert np.allclose(rates, p, atol=4 * se), rates
    assert np.mean(k >= 10) == pytest.approx((1 - p) ** 10, abs=4 * np.sqrt((1 - p) ** 10 / N))


def test_geometric_as_of_year_counts_only_its_remaining_part():
    p, f = 0.47, 35 / 365.25  # as of 26 Nov: five weeks left in the year
    k = geometric_years(p, np.random.default_rng(3), N, first_year=f)
    first = 1 - (1 - p) ** f
    assert np.mean(k == 0) == pytest.approx(first, abs=0.004)
    assert first < 0.07  # not the whole year's 47%
    later = _yearly_rates(k, 4)[1:]
    assert np.allclose(later, p, atol=0.01), later


def test_draw_years_geometric_is_relative_to_the_as_of_year_and_never_past_the_cap():
    y = draw_years(Timing(dist="geometric", p_per_year=0.3), np.random.default_rng(1), 50_000, 2026)
    assert y.min() == 2026 and np.all((y >= 2026) & (y < NEVER))
    assert np.mean(y == 2026) == pytest.approx(0.3, abs=0.01)
    y = draw_years(Timing(dist="geometric", p_per_year=1e-9), np.random.default_rng(1), 1000, 2026)
    assert np.all(y == NEVER)  # a tiny rate: the shock does not happen (capped, not an overflow)


def test_geometric_by_date_conditions_on_happening_by_then():
    tm = Timing(dist="geometric", p_per_year=0.47, by=dt.date(2027, 12, 31))
    f = 35 / 365.25
    y = draw_years(tm, np.random.default_rng(5), N, 2026, first_year=f)
    assert set(np.unique(y)) == {2026, 2027}  # every war end falls by the date
    # the status quo's distribution truncated at the date: P(2026 | by end-2027) = P(2026) / P(by end-2027)
    p = 0.47
    p26, p_by = 1 - (1 - p) ** f, 1 - (1 - p) ** (f + 1)
    assert np.mean(y == 2026) == pytest.approx(p26 / p_by, abs=0.005)
    with pytest.raises(PactwatchError, match="not after the as-of date"):
        draw_years(Timing(dist="geometric", p_per_year=0.5, by=dt.date(2025, 6, 30)), np.random.default_rng(0), 10, 2026)


def test_year_position():
    assert year_position(dt.date(2027, 12, 31)) == pytest.approx(2028.0)
    assert year_position(dt.date(2027, 1, 1)) == pytest.approx(2027 + 1 / 365)


@pytest.mark.parametrize("kw, words", [
    ({"dist": "geometric"}, "needs p_per_year"),
    ({"dist": "geometric", "p_per_year": 1.0}, "less than 1"),
    ({"dist": "geometric", "p_per_year": 0}, "greater than 0"),
    ({"dist": "geometric", "p_per_year": 0.2, "low": 0}, "not ['low']"),
    ({"dist": "geometric", "p_per_year": 0.2, "relative": False}, "relative timing"),
    ({"dist": "uniform", "low": 0, "high": 2, "p_per_year": 0.2}, "only allowed with dist 'geometric'"),
    ({"fixed": 2, "by": "2027-12-31"}, "only allowed with dist 'geometric'"),
])
def test_geometric_timing_errors(kw, words):
    with pytest.raises(ValidationError, match=words.replace("[", r"\[").replace("]", r"\]")):
        Timing(**kw)
