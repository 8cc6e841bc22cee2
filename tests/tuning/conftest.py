"""Fixtures of the tuning tests: a clustered synthetic catalog, its item-cold split, and
pseudo-interaction records that are either right (from the held-out truth) or junk."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
from augment.splits import Split, split
from augment.testing.synthetic import clustered_interactions


def make_clustered(n_users: int = 240, n_items: int = 300, n_clusters: int = 6,
                   per_user: int = 24, seed: int = 0) -> Dataset:
    """Users like one cluster (90% of their items); titles and genres say nothing of it,
    so cold items can only be placed through their interactions."""
    rng = np.random.default_rng(seed)
    inter, item_cluster, _ = clustered_interactions(
        rng, n_users=n_users, n_items=n_items, n_clusters=n_clusters, per_user=per_user,
        own_share=0.9, timestamp_base=None)
    items = pd.DataFrame({"item_id": np.arange(n_items) + 1000,
                          "title": [f"Film {i}" for i in range(n_items)],
                          "genres": rng.choice(["Drama", "Comedy", "Action"], n_items),
                          "cluster": item_cluster})
    return Dataset(inter, items, name="clustered")


def pseudo_records(sp: Split, *, junk: bool, n_candidates: int = 30, seed: int = 0
                   ) -> list[dict[str, Any]]:
    """One record per cold item (valid and test halves): candidates = some true owners +
    random users; picks = the true owners among them. ``junk``: random candidates and random
    picks, nothing to do with the item."""
    rng = np.random.default_rng(seed)
    full = sp.dataset.interactions
    users = np.sort(pd.unique(full["user_id"]))
    out = []
    for item in sorted(sp.cold_items):
        owners = full.loc[full["item_id"] == item, "user_id"].to_numpy()
        true = rng.choice(owners, min(len(owners), n_candidates // 3), replace=False)
        if junk:  # candidates and picks carry no information about the item
            true = true[:0]
        others = rng.choice(np.setdiff1d(users, owners), n_candidates - len(true),
                            replace=False)
        cands = rng.permutation(np.concatenate([true, others])).tolist()
        picks = (rng.choice(cands, n_candidates // 3, replace=False) if junk else true).tolist()
        out.append({"task": "pseudo_interactions", "direction": "item", "item_id": item,
                    "key": f"pseudo:{item}", "candidates": cands,
                    "output": {"users": [{"user_id": str(u), "confidence": "high"}
                                         for u in picks]}})
    return out


def attribute_records(sp: Split, *, junk: bool, seed: int = 0) -> list[dict[str, Any]]:
    """Item attributes for every item: its cluster as genre (what titles do not say),
    or a random cluster (junk)."""
    rng = np.random.default_rng([seed, 99])  # not the catalog's own stream
    cluster = item_clusters(sp.dataset)
    out = []
    for item in sp.dataset.items["item_id"]:
        c = int(rng.integers(0, 6)) if junk else cluster[item]
        out.append({"task": "item_attributes", "item_id": item, "key": f"attr:{item}",
                    "output": {"genres": [f"cluster{c}"], "tags": [], "summary": "A film."}})
    return out


def item_clusters(ds: Dataset) -> dict[Any, int]:
    """Each item's true cluster (kept in a non-text column of the items table)."""
    return dict(zip(ds.items["item_id"], ds.items["cluster"], strict=True))


@pytest.fixture(scope="session")
def clustered_split() -> Split:
    return split(make_clustered(), "item-cold", seed=0)
