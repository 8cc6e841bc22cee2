"""Cold-start splits: invariants, sizes, determinism, no leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
from augment.errors import ConfigError, DataError
from augment.splits import split


@pytest.fixture
def ds(rng) -> Dataset:
    n_users, n_items = 200, 300
    rows = []
    for u in range(n_users):
        items = rng.choice(n_items, size=rng.integers(5, 40), replace=False)
        rows += [(f"u{u}", int(i), 1.0, int(rng.integers(0, 10**6))) for i in items]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight", "timestamp"])
    items = pd.DataFrame({"item_id": np.arange(n_items + 20)})  # 20 items never interacted
    return Dataset(interactions=inter, items=items)


def _pairs(df: pd.DataFrame) -> set:
    return set(zip(df["user_id"], df["item_id"], strict=True))


def _check_partition(ds, sp):
    train, valid, test = _pairs(sp.train.interactions), _pairs(sp.valid), _pairs(sp.test)
    assert not (train & valid) and not (train & test) and not (valid & test)
    assert train | valid | test == _pairs(ds.interactions)
    assert list(sp.train.item_vocab.ids) == list(ds.item_vocab.ids)
    assert list(sp.train.user_vocab.ids) == list(ds.user_vocab.ids)
    assert set(sp.valid["segment"]) <= {"warm", "cold"} and set(sp.test["segment"]) <= {"warm",
                                                                                         "cold"}


def test_item_cold_invariants(ds):
    sp = split(ds, "item-cold", seed=0)
    _check_partition(ds, sp)
    interacted = set(ds.interactions["item_id"])
    assert len(sp.cold_items) == round(0.2 * len(interacted)) and sp.cold_items <= interacted
    assert not sp.cold_items & set(sp.train.interactions["item_id"])  # no cold item in training
    for df in (sp.valid, sp.test):
        assert set(df.loc[df.segment == "cold", "item_id"]) <= sp.cold_items
        assert not set(df.loc[df.segment == "warm", "item_id"]) & sp.cold_items
    v_cold = set(sp.valid.loc[sp.valid.segment == "cold", "item_id"])
    t_cold = set(sp.test.loc[sp.test.segment == "cold", "item_id"])
    assert not v_cold & t_cold and v_cold | t_cold == sp.cold_items
    assert abs(len(v_cold) - len(t_cold)) <= 1
    n_warm = (~ds.interactions["item_id"].isin(sp.cold_items)).sum()
    assert len(sp.train.interactions) == pytest.approx(0.8 * n_warm, abs=2)
    assert (sp.test.segment == "warm").sum() == pytest.approx(0.1 * n_warm, abs=1)
    assert sp.warm_items == interacted - sp.cold_items


def test_user_cold_invariants(ds):
    sp = split(ds, "user-cold", seed=0, k=3)
    _check_partition(ds, sp)
    assert len(sp.cold_users) == 40 and not sp.cold_items
    train = sp.train.interactions
    per_user = train[train.user_id.isin(sp.cold_users)].groupby("user_id").size()
    assert (per_user == 3).all() and len(per_user) == 40
    # the k kept are the earliest ones
    for u in list(sp.cold_users)[:10]:
        kept = train.loc[train.user_id == u, "timestamp"].max()
        rest = pd.concat([sp.valid, sp.test])
        assert kept <= rest.loc[rest.user_id == u, "timestamp"].min()
    v = set(sp.valid.loc[sp.valid.segment == "cold", "user_id"])
    t = set(sp.test.loc[sp.test.segment == "cold", "user_id"])
    assert not v & t and v | t == sp.cold_users
    for df in (sp.valid, sp.test):
        assert not set(df.loc[df.segment == "warm", "user_id"]) & sp.cold_users


def test_user_cold_without_timestamps_is_random_but_seeded(ds):
    no_ts = ds.replace(interactions=ds.interactions.drop(columns="timestamp"))
    a = split(no_ts, "user-cold", seed=3, k=2)
    b = split(no_ts, "user-cold", seed=3, k=2)
    _check_partition(no_ts, a)
    assert a.train.interactions.equals(b.train.interactions)


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_deterministic_per_seed(ds, kind):
    a, b, c = split(ds, kind, seed=1), split(ds, kind, seed=1), split(ds, kind, seed=2)
    assert a.test.equals(b.test) and a.valid.equals(b.valid)
    assert a.train.interactions.equals(b.train.interactions)
    assert a.cold_items == b.cold_items and a.cold_users == b.cold_users
    assert _pairs(a.test) != _pairs(c.test)


def test_bad_arguments(ds):
    with pytest.raises(ConfigError, match="unknown split 'cold'"):
        split(ds, "cold")
    with pytest.raises(ConfigError):
        split(ds, "item-cold", cold_fraction=1.5)
    tiny = Dataset(interactions=pd.DataFrame({"user_id": [1, 2], "item_id": [1, 2],
                                              "weight": [1.0, 1.0]}),
                   items=pd.DataFrame({"item_id": [1, 2]}))
    with pytest.raises(DataError, match="needs more"):
        split(tiny, "item-cold")
    with pytest.raises(DataError, match="needs more users"):
        split(tiny, "user-cold")


def test_user_folds_make_every_user_a_cold_test_user_exactly_once(ds):
    from augment.splits import split as make

    folds = 5
    eligible = set(ds.interactions.groupby("user_id").size().loc[lambda s: s > 3].index)
    tested: list = []
    for f in range(folds):
        sp = make(ds, "user-cold", seed=1, folds=folds, fold=f)
        cold_test = set(sp.test.loc[sp.test["segment"] == "cold", "user_id"])
        cold_valid = set(sp.valid.loc[sp.valid["segment"] == "cold", "user_id"])
        assert sp.fold == f and not cold_test & cold_valid
        assert cold_test | cold_valid == set(sp.cold_users)
        # cold users keep k=3 training rows; none of their other rows is trained
        train = sp.train.interactions
        assert (train[train["user_id"].isin(sp.cold_users)].groupby("user_id").size() == 3).all()
        tested += sorted(cold_test)
    assert sorted(tested) == sorted(eligible)  # each once


def test_fold_arguments_are_checked(ds):
    with pytest.raises(ConfigError):
        split(ds, "item-cold", folds=5)
    with pytest.raises(ConfigError):
        split(ds, "user-cold", folds=5, fold=5)


def test_hold_out_users_leaves_disjoint_groups(ds):
    from augment.splits import hold_out_users

    platform, world = hold_out_users(ds, 0.3, seed=0)
    assert not set(world["user_id"]) & set(platform.interactions["user_id"])
    assert not set(world["user_id"]) & set(platform.user_vocab.ids)
    assert len(world) + len(platform.interactions) == len(ds.interactions)
    n_users = ds.interactions["user_id"].nunique()
    assert world["user_id"].nunique() == round(0.3 * n_users)
    with pytest.raises(ConfigError):
        hold_out_users(ds, 1.0)
