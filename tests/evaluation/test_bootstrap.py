"""Paired bootstrap intervals of a ratio of means, on data with a known answer."""

from __future__ import annotations

import numpy as np
import pytest

from augment.errors import ConfigError
from augment.evaluation.bootstrap import paired_ratio_ci


def test_identical_models_give_one_with_no_spread(rng):
    a = rng.random(200)
    ci = paired_ratio_ci(a, a.copy())
    assert ci.ratio == pytest.approx(1.0) and ci.low == pytest.approx(1.0)
    assert ci.high == pytest.approx(1.0) and ci.n_users == 200


def test_interval_covers_the_true_ratio_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    covered = 0
    for rep in range(200):
        b = rng.random(100) + 0.1
        a = 1.2 * b + rng.normal(0, 0.2, 100)  # true ratio of means 1.2
        ci = paired_ratio_ci(a, b, n_boot=400, seed=rep)
        covered += ci.low < 1.2 < ci.high
    assert 0.88 <= covered / 200 <= 0.99


def test_interval_shrinks_with_more_users():
    widths = []
    for n in (100, 1600):
        rng = np.random.default_rng(n)
        b = rng.random(n)
        a = 1.2 * b + rng.normal(0, 0.2, n)
        ci = paired_ratio_ci(a, b, n_boot=1000, seed=1)
        widths.append(ci.high - ci.low)
    assert widths[1] < widths[0] / 2


def test_pairing_matters():
    """Two models that differ by a constant per user are sure to differ, paired."""
    rng = np.random.default_rng(3)
    b = rng.random(300) + 0.5
    a = b + 0.05
    ci = paired_ratio_ci(a, b, strata=np.repeat([0, 1, 2], 100))
    assert ci.low > 1.0


def test_bad_input():
    with pytest.raises(ConfigError):
        paired_ratio_ci(np.ones(3), np.ones(4))
    with pytest.raises(ConfigError):
        paired_ratio_ci(np.ones(3), np.ones(3), level=1.5)
