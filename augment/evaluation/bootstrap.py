"""Paired bootstrap confidence intervals of a ratio of means over scored users.

``ratio = mean(a) / mean(b)`` where ``a[j]`` and ``b[j]`` are two models' metric
for the same scored user ``j`` (pairs: both models are scored on the same
users). Users are resampled with replacement, within each stratum (a seed or a
fold of the benchmark, so every resample keeps each split's number of users),
and the interval is the percentile interval of the resampled ratios.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from augment.errors import ConfigError

__all__ = ["RatioCI", "paired_ratio_ci"]


@dataclass(frozen=True)
class RatioCI:
    """A ratio of means with its bootstrap interval."""

    ratio: float
    low: float
    high: float
    n_users: int


def paired_ratio_ci(a: np.ndarray, b: np.ndarray, strata: np.ndarray | None = None, *,
                    n_boot: int = 2000, level: float = 0.95, seed: int = 0) -> RatioCI:
    """Ratio ``mean(a) / mean(b)`` and its paired bootstrap ``level`` interval."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) == 0:
        raise ConfigError(f"need two equal-length, non-empty 1-d arrays, got {a.shape} and "
                          f"{b.shape}", key="bootstrap")
    if not 0 < level < 1:
        raise ConfigError(f"level must be within (0, 1), got {level}", key="level")
    strata = np.zeros(len(a), dtype=np.int64) if strata is None else np.asarray(strata)
    rng = np.random.default_rng(seed)
    sum_a = np.zeros(n_boot)
    sum_b = np.zeros(n_boot)
    for s in np.unique(strata):
        rows = np.flatnonzero(strata == s)
        pick = rows[rng.integers(0, len(rows), size=(n_boot, len(rows)))]
        sum_a += a[pick].sum(axis=1)
        sum_b += b[pick].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        boots = sum_a / sum_b
    ratio = float(a.sum() / b.sum()) if b.sum() > 0 else float("nan")
    tail = (1 - level) / 2 * 100
    lo, hi = np.nanpercentile(boots, [tail, 100 - tail]) if np.isfinite(boots).any() else (
        float("nan"), float("nan"))
    return RatioCI(ratio=ratio, low=float(lo), high=float(hi), n_users=len(a))
