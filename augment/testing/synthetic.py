"""Synthetic interaction logs with a known right answer, for tests and examples.

Users and items fall into clusters; each user's items come mostly from their own
cluster, so a recommender that learns the structure can be checked against it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset
from augment.errors import ConfigError
from augment.splits import Split

__all__ = ["clustered_interactions", "clustered_dataset", "truth_records", "CLUSTER_WORDS"]


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


CLUSTER_WORDS = ("space robot", "ghost night", "wedding laugh", "family loss", "chase heist",
                 "dragon quest")
"""The words an item's title uses for its cluster (cluster ``c`` -> ``CLUSTER_WORDS[c]``)."""


def clustered_dataset(seed: int = 0, *, n_users: int = 120, n_items: int = 150,
                      n_clusters: int = 4, per_user: int = 15, title_noise: float = 0.2
                      ) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """A :class:`Dataset` of :func:`clustered_interactions` with item titles that name the
    item's cluster (another cluster's words with probability ``title_noise``).

    Returns ``(dataset, item_cluster, user_cluster)`` (clusters by item / user index:
    item id ``1000 + i``, user id ``u + 1``). The right answer is known: a user prefers
    the items of their cluster, seen or not, warm or cold.
    """
    if not 1 <= n_clusters <= len(CLUSTER_WORDS):
        raise ConfigError(f"n_clusters must be within 1..{len(CLUSTER_WORDS)}, got {n_clusters}",
                          key="n_clusters")
    rng = np.random.default_rng(seed)
    inter, item_cluster, user_cluster = clustered_interactions(
        rng, n_users=n_users, n_items=n_items, n_clusters=n_clusters, per_user=per_user)
    named = np.where(rng.random(n_items) < title_noise, rng.integers(0, n_clusters, n_items),
                     item_cluster)
    items = pd.DataFrame({"item_id": np.arange(n_items) + 1000,
                          "title": [f"Film {i}: {CLUSTER_WORDS[c]}" for i, c in enumerate(named)]})
    return Dataset(inter, items, name="clustered"), item_cluster, user_cluster


def truth_records(split: Split, item_cluster: np.ndarray, *, n_candidates: int = 20,
                  seed: int = 0) -> list[dict[str, Any]]:
    """Records a perfect model would write for ``split`` of :func:`clustered_dataset`:
    ``item_attributes`` naming every item's cluster as its genre, and one
    ``pseudo_interactions`` record per cold item whose picks are the candidates that
    interacted with it in the full data (candidates: some of them and random others)."""
    rng = np.random.default_rng([seed, 7])
    full = split.dataset.interactions
    users = np.sort(pd.unique(full["user_id"]))
    records: list[dict[str, Any]] = []
    for item in split.dataset.items["item_id"]:
        c = int(item_cluster[int(item) - 1000])
        records.append({"task": "item_attributes", "item_id": item, "key": f"attr:{item}",
                        "output": {"genres": [f"cluster{c}"], "tags": [], "summary": "A film."}})
    for item in sorted(split.cold_items):
        owners = full.loc[full["item_id"] == item, "user_id"].to_numpy()
        picks = rng.choice(owners, min(len(owners), n_candidates // 2), replace=False)
        others = rng.choice(np.setdiff1d(users, owners), n_candidates - len(picks), replace=False)
        records.append({"task": "pseudo_interactions", "direction": "item", "item_id": item,
                        "key": f"pseudo:{item}",
                        "candidates": rng.permutation(np.concatenate([picks, others])).tolist(),
                        "output": {"users": [{"user_id": str(u), "confidence": "high"}
                                             for u in picks]}})
    return records
