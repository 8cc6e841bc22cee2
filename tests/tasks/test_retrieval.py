"""Candidate generators: content similarity on training data finds the right cluster."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
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


def _cooccurrence_dataset(rng) -> tuple[Dataset, dict[int, set[int]]]:
    """Items in blocks of 5 that the same users take together; every item reads the same,
    so text says nothing and only co-occurrence in the training interactions can tell."""
    n_blocks, size = 8, 5
    blocks = {b: set(range(100 + b * size, 100 + (b + 1) * size)) for b in range(n_blocks)}
    rows = []
    for u in range(1, 161):
        b = int(rng.integers(0, n_blocks))
        items = set(blocks[b])
        items.add(int(rng.integers(100, 100 + n_blocks * size)))  # one random item: noise
        rows += [(u, i, 1.0) for i in sorted(items)]
    # a cold user knows 2 items of block 3; the other 3 items are the known answer
    rows += [(1000, 115, 1.0), (1000, 116, 1.0)]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight"])
    items = pd.DataFrame({"item_id": range(100, 100 + n_blocks * size),
                          "title": ["Film"] * (n_blocks * size)})
    return Dataset(inter, items, name="cooccurrence"), blocks


def test_item_candidates_collaborative_part_retrieves_cooccurring_items(rng):
    ds, blocks = _cooccurrence_dataset(rng)
    answer = blocks[3] - {115, 116}
    collab = ItemCandidates(ds, popularity_weight=0.0, collaborative_weight=1.0)
    assert set(collab.candidates(1000, k=3)) == answer
    blended = ItemCandidates(ds)  # defaults: content + co-occurrence + popularity
    assert set(blended.candidates(1000, k=3)) == answer
    assert blended.candidates(1000, k=10) == blended.candidates(1000, k=10)  # deterministic
    # content alone cannot tell (all items read alike): the answer is not its top 3
    content = ItemCandidates(ds, popularity_weight=0.0, collaborative_weight=0.0)
    assert set(content.candidates(1000, k=3)) != answer
    assert ItemCandidates(ds).history(1000) == [115, 116]
    with pytest.raises(ConfigError, match="collaborative_weight"):
        ItemCandidates(ds, collaborative_weight=1.5)
    with pytest.raises(ConfigError, match="collaborative_alpha"):
        ItemCandidates(ds, collaborative_alpha=-0.1)


def test_item_candidates_also_liked_and_exclude(rng):
    ds, blocks = _cooccurrence_dataset(rng)
    collab = ItemCandidates(ds, popularity_weight=0.0, collaborative_weight=1.0)
    # an earlier round's pick from block 5 pulls block 5 in; picks are never candidates
    more = collab.candidates(1000, k=7, also_liked=[125])
    assert set(more) == (blocks[3] - {115, 116}) | (blocks[5] - {125})
    assert set(collab.candidates(1000, k=3, exclude=[117])) != blocks[3] - {115, 116}
    assert 117 not in collab.candidates(1000, k=40, exclude=[117, "unknown id"])
    # a user unknown to the training data can still be profiled from also_liked
    assert set(collab.candidates("new", k=4, also_liked=[125])) == blocks[5] - {125}
