"""The large synthetic catalog: exact size, seeded, power laws and clusters with signal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.errors import ConfigError
from augment.testing.catalog import ML25M_SHAPE, catalog_shape, synthetic_catalog


@pytest.fixture(scope="module")
def cat():
    return synthetic_catalog(50_000, seed=3)


def test_exact_size_distinct_pairs_and_ids(cat):
    inter = cat.dataset.interactions
    assert len(inter) == 50_000
    assert not inter.duplicated(["user_id", "item_id"]).any()
    n_users, n_items = catalog_shape(50_000)
    assert inter["user_id"].between(1, n_users).all()
    assert inter["item_id"].between(1, n_items).all()
    assert len(cat.dataset.items) == n_items and len(cat.dataset.users) == n_users
    assert (inter.groupby("user_id").size() >= 8).all()  # min_per_user


def test_shape_tops_out_at_movielens_25m():
    users, items, total = ML25M_SHAPE
    assert catalog_shape(total) == (users, items)
    assert catalog_shape(10_000)[0] < catalog_shape(1_000_000)[0] < users


def test_same_seed_same_catalog_other_seed_other():
    a = synthetic_catalog(5_000, seed=1).dataset
    b = synthetic_catalog(5_000, seed=1).dataset
    c = synthetic_catalog(5_000, seed=2).dataset
    assert a.interactions.equals(b.interactions) and a.items.equals(b.items)
    assert not a.interactions.equals(c.interactions)


def test_popularity_and_activity_are_heavy_tailed(cat):
    inter = cat.dataset.interactions
    for col in ("item_id", "user_id"):
        counts = np.sort(inter.groupby(col).size().to_numpy())[::-1]
        top = counts[: max(1, len(counts) // 10)].sum() / counts.sum()
        assert top > 0.3, col  # the top 10% hold far more than 10%


def test_users_mostly_pick_their_own_cluster(cat):
    inter = cat.dataset.interactions
    uc = cat.user_cluster[inter["user_id"].to_numpy() - 1]
    ic = cat.item_cluster[inter["item_id"].to_numpy() - 1]
    own = pd.Series(uc == ic).groupby(inter["user_id"].to_numpy()).agg(["mean", "size"])
    # users far from filling their cluster keep ~own_share (0.8) of their items in it;
    # heavy users cannot (a cluster is 1/20 of the catalog) and fill the rest uniformly
    light = own["size"] < len(cat.item_cluster) / 20 / 2
    assert light.sum() > 100 and 0.6 < own.loc[light, "mean"].mean() < 0.85
    assert (uc == ic).mean() > 0.5  # chance is 1/20


def test_item_text_names_the_cluster(cat):
    items = cat.dataset.items
    assert items["title"].str.match(r"^[A-Z][a-z]+ \w+ \w+ \(\d{4}\)$").all()
    # items of one cluster share genres; different clusters mostly differ
    by_cluster = items.groupby(cat.item_cluster)["genres"].nunique()
    assert (by_cluster == 1).all()
    assert items.groupby(cat.item_cluster)["genres"].first().nunique() > 10


def test_impossible_size_is_a_clear_error():
    with pytest.raises(ConfigError, match="do not fit"):
        synthetic_catalog(10_000, n_users=10, n_items=20)
