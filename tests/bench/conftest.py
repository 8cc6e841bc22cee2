"""Fixtures of the benchmark tests: a small MovieLens-like catalog with a known structure."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # bench/ is a folder of scripts at the repo root, not a package
    sys.path.insert(0, str(REPO))

GENRES = ("Action", "Comedy", "Drama", "Horror", "Sci-Fi", "Romance")


def make_catalog(n_users: int = 150, n_items: int = 200, per_user: int = 20,
                 seed: int = 0) -> Dataset:
    """Users like one genre cluster (85% of their items); items carry MovieLens-style
    ``title``, ``genres`` (``|``), ``tags`` (``;``) and ``year`` columns."""
    rng = np.random.default_rng(seed)
    item_cluster = rng.integers(0, len(GENRES), n_items)
    user_cluster = rng.integers(0, len(GENRES), n_users)
    rows = []
    for u in range(n_users):
        own = np.flatnonzero(item_cluster == user_cluster[u])
        picks = set(rng.choice(own, min(len(own), int(per_user * 0.85)), replace=False).tolist())
        while len(picks) < per_user:
            picks.add(int(rng.integers(0, n_items)))
        rows += [(u + 1, i + 10, 1.0, 1_000 + k) for k, i in enumerate(sorted(picks))]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
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
