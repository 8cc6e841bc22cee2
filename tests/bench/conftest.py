"""Fixtures of the benchmark tests: a small MovieLens-like catalog with a known structure."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
from augment.testing.synthetic import clustered_interactions

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ is a folder of scripts at the repo root, not a package
    sys.path.insert(0, str(REPO))

GENRES = ("Action", "Comedy", "Drama", "Horror", "Sci-Fi", "Romance")


def make_catalog(n_users: int = 150, n_items: int = 200, per_user: int = 20,
                 seed: int = 0) -> Dataset:
    """Users like one genre cluster (85% of their items); items carry MovieLens-style
    ``title``, ``genres`` (``|``), ``tags`` (``;``) and ``year`` columns."""
    rng = np.random.default_rng(seed)
    inter, item_cluster, _ = clustered_interactions(
        rng, n_users=n_users, n_items=n_items, n_clusters=len(GENRES), per_user=per_user,
        item_offset=10, timestamp_base=1_000)
    second = rng.integers(0, len(GENRES), n_items)
    items = pd.DataFrame({
        "item_id": np.arange(n_items) + 10,
        "title": [f"Film {i} ({1980 + i % 30})" for i in range(n_items)],
        "genres": [GENRES[c] if rng.random() < 0.5 else f"{GENRES[c]}|{GENRES[s]}"
                   for c, s in zip(item_cluster, second, strict=True)],
        "tags": [f"tag{c};mood{rng.integers(0, 3)}" for c in item_cluster],
        "year": [1980 + i % 30 for i in range(n_items)]})
    return Dataset(inter, items, name="catalog")


@pytest.fixture(scope="session")
def catalog() -> Dataset:
    return make_catalog()
