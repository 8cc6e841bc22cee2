"""Helpers of the data-source tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from augment.data import Dataset


def small_ratings(seed: int = 0, n_users: int = 40, n_items: int = 30) -> Dataset:
    """A MovieLens-shaped ratings Dataset (every rating kept, with timestamps)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(1, n_users + 1):
        for i in rng.choice(n_items, size=int(rng.integers(4, 12)), replace=False):
            rows.append((u, int(i) + 1, float(rng.integers(1, 11)) / 2,
                         int(1_500_000_000 + rng.integers(0, 10_000_000))))
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    inter["weight"] = 1.0
    items = pd.DataFrame({"item_id": np.arange(1, n_items + 1),
                          "title": [f"Movie {i} (199{i % 10})" for i in range(1, n_items + 1)],
                          "genres": ["Drama|Comedy" if i % 2 else "Action" for i in
                                     range(1, n_items + 1)],
                          "tags": ["" if i % 3 else "classic" for i in range(1, n_items + 1)]})
    return Dataset(interactions=inter, items=items, name="small")
