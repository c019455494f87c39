"""The learning-curve tool's own arithmetic (tools/hybrid_learning_curve.py, docs/events-curve.md): subsets drawn by
whole article, the log-linear curve and the sentences it says a target needs, the by-article bootstrap of F1. The
fits and scores it calls are pactwatch's own (tested in test_events_hybrid*.py)."""
import importlib.util
import math
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "hybrid_learning_curve", Path(__file__).resolve().parents[1] / "tools" / "hybrid_learning_curve.py")
lc = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lc)

FILES = [f"2024-01-{i:02d}-a.txt" for i in range(1, 43)]


def test_draw_takes_whole_articles_a_fixed_share_reproducibly():
    a = lc.draw(FILES, 0.25, 7)
    assert len(a) == 10 == len(set(a)) and set(a) <= set(FILES)
    assert lc.draw(list(reversed(FILES)), 0.25, 7) == a  # order of the input does not matter
    assert lc.draw(FILES, 0.25, 8) != a
    assert len(lc.draw(FILES, 0.5, 1)) == 21 and len(lc.draw(FILES, 0.75, 1)) == 32
    assert lc.draw(FILES, 1.0, 3) == sorted(FILES)
    assert len(lc.draw(FILES[:3], 0.1, 0)) == 2  # never fewer than two articles (the sentence model's folds)


def _rows(f, ns, noise):
    return [{"sentences": n, "root": {"f1": f(n) + e}, "source_target_root": {"f1": f(n) / 2 + e}}
            for n, e in zip(ns, noise)]


def test_curve_recovers_a_known_slope_and_the_sentences_a_target_needs():
    ns = [100, 100, 200, 200, 400, 400, 800]
    noise = [0.004, -0.004, 0.003, -0.003, 0.002, -0.002, 0.0]
    c = lc.curve(_rows(lambda n: 0.1 + 0.05 * math.log2(n / 100), ns, noise))
    # root: 0.1 at 100 sentences, +0.05 per doubling -> 0.60 after 10 doublings = 102,400 sentences
    assert c["root"]["b_per_doubling"] == pytest.approx(0.05, abs=0.003)
    assert c["root"]["sentences_needed"] == pytest.approx(102400, rel=0.3)
    assert c["root"]["needed_p10"] < c["root"]["needed_p50"] < c["root"]["needed_p90"]
    assert c["root"]["share_slope_nonpositive"] == 0.0
    flat = lc.curve(_rows(lambda n: 0.3, ns, noise))  # no slope: the target is never reached on most draws
    assert flat["root"]["sentences_needed"] is None or flat["root"]["sentences_needed"] > 1e9
    assert flat["root"]["share_slope_nonpositive"] > 0.2


def test_saturating_fit_finds_the_level_a_curve_flattens_at():
    ns = [100, 100, 200, 200, 400, 400, 800, 800]
    rows = _rows(lambda n: 0.4 - 2.0 * n ** -0.8, ns, [0.001, -0.001] * 4)
    s = lc.saturating(rows)
    assert s["root"]["c"] == pytest.approx(0.4, abs=0.02)
