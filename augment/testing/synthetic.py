"""Synthetic interaction logs with a known right answer, for tests and examples.

Users and items fall into clusters; each user's items come mostly from their own
cluster, so a recommender that learns the structure can be checked against it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["clustered_interactions"]


def clustered_interactions(rng: np.random.Generator, *, n_users: int, n_items: int,
                           n_clusters: int, per_user: int, own_share: float = 0.85,
                           item_offset: int = 1000, timestamp_base: int | None = 1_000_000
                           ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Interactions where user ``u`` (id ``u + 1``) has ``per_user`` distinct items, about
    ``own_share`` of them from the user's cluster and the rest at random.

    Returns ``(interactions, item_cluster, user_cluster)``: ``user_id``, ``item_id``
    (``item_offset + index``), ``weight`` 1.0 and, unless ``timestamp_base`` is None,
    ``timestamp`` (increasing per user); and the cluster of every item and user index.
    """
    item_cluster = rng.integers(0, n_clusters, n_items)
    user_cluster = rng.integers(0, n_clusters, n_users)
    rows = []
    for u in range(n_users):
        own = np.flatnonzero(item_cluster == user_cluster[u])
        picks = set(rng.choice(own, min(len(own), int(per_user * own_share)),
                               replace=False).tolist())
        while len(picks) < per_user:
            picks.add(int(rng.integers(0, n_items)))
        for k, i in enumerate(sorted(picks)):
            row = [u + 1, i + item_offset, 1.0]
            if timestamp_base is not None:
                row.append(timestamp_base + k)
            rows.append(row)
    columns = ["user_id", "item_id", "weight"] + (["timestamp"] if timestamp_base is not None
                                                  else [])
    return pd.DataFrame(rows, columns=columns), item_cluster, user_cluster
