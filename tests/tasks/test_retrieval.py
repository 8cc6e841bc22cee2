"""Candidate generators: content similarity on training data finds the right cluster."""

from __future__ import annotations

import numpy as np
import pytest

from augment.errors import ConfigError
from augment.tasks import ItemCandidates, UserCandidates


def test_user_candidates_come_from_the_items_cluster(synthetic, item_split):
    _, item_cluster, user_cluster = synthetic
    retriever = UserCandidates(item_split.train)
    shares = []
    for item in sorted(item_split.cold_items)[:20]:
        cands = retriever.candidates(item, k=20)
        assert len(cands) == len(set(cands)) == 20
        shares.append(np.mean([user_cluster[u - 1] == item_cluster[item - 1000] for u in cands]))
    assert np.mean(shares) > 0.45  # chance is 0.2; genres name the cluster 60% of the time
    with pytest.raises(ConfigError, match="not in the dataset"):
        retriever.candidates(-1)


def test_item_candidates_exclude_history_and_blend_popularity(synthetic):
    ds, item_cluster, user_cluster = synthetic
    user = 3
    history = set(ds.interactions.loc[ds.interactions["user_id"] == user, "item_id"])
    content = ItemCandidates(ds, popularity_weight=0.0).candidates(user, k=30)
    assert not history & set(content)
    same = np.mean([item_cluster[i - 1000] == user_cluster[user - 1] for i in content])
    assert same > 0.5
    popular = ItemCandidates(ds, popularity_weight=1.0).candidates(user, k=5)
    counts = ds.interactions["item_id"].value_counts()
    free = counts[[i for i in counts.index if i not in history]]
    assert list(counts[popular]) == sorted(free.to_numpy(), reverse=True)[:5]
    pooled = ItemCandidates(ds, pool=[1000, 1001, 1002]).candidates(user, k=10)
    assert set(pooled) <= {1000, 1001, 1002} - history
    with pytest.raises(ConfigError):
        ItemCandidates(ds, popularity_weight=2.0)
