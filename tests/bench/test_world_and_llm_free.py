"""The world-knowledge model learns from held-out world users only (a leak test), and the
LLM-free generator picks its scorer's top candidates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.engine import Engine, EngineConfig
from augment.errors import DataError
from augment.splits import hold_out_users, split
from augment.tasks import PseudoInteractions, aggregate_votes
from augment.testing.llm_free import LLMFreeProvider
from augment.testing.world import WorldProvider


def _run(sp, provider, n_candidates=40):
    task = PseudoInteractions(sp.train, cold_items=sorted(sp.cold_items),
                              cold_users=sorted(sp.cold_users), n_candidates=n_candidates,
                              n_repeats=1)
    res = Engine(provider, EngineConfig(progress=False)).run(task.work_items())
    assert not res.failures
    return res.records


def _pairs(df):
    return set(zip(df["user_id"].astype(str), df["item_id"].astype(str), strict=True))


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_no_platform_user_reaches_the_world_model(catalog, kind):
    platform, world = hold_out_users(catalog, 0.4, seed=0)
    sp = split(platform, kind, seed=0)
    platform_users = set(sp.dataset.user_vocab.ids)
    trained_or_scored = set(pd.concat([sp.train.interactions, sp.valid, sp.test])["user_id"])
    assert trained_or_scored <= platform_users
    assert not set(world["user_id"]) & platform_users
    assert len(world) + len(platform.interactions) == len(catalog.interactions)
    provider = WorldProvider(world, catalog.items, platform_users=platform_users, picks=5)
    assert not provider.world_users & {str(u) for u in platform_users}
    # a world group holding one platform interaction is refused
    leaked = pd.concat([world, sp.test.iloc[:1].drop(columns="segment")], ignore_index=True)
    with pytest.raises(DataError, match="shares 1 user"):
        WorldProvider(leaked, catalog.items, platform_users=platform_users)


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_world_answers_do_not_change_with_the_platforms_held_out_data(catalog, kind):
    """What is scored never reaches the world model: answers are the same when every
    held-out platform interaction is replaced by another one."""
    platform, world = hold_out_users(catalog, 0.4, seed=0)
    sp = split(platform, kind, seed=0)
    users = sp.dataset.user_vocab.ids
    provider = WorldProvider(world, catalog.items, platform_users=users, picks=5)
    before = _run(sp, provider)
    rng = np.random.default_rng(0)
    shuffled = sp.test.assign(item_id=rng.permutation(sp.test["item_id"].to_numpy()))
    from dataclasses import replace
    after = _run(replace(sp, test=shuffled), WorldProvider(world, catalog.items,
                                                           platform_users=users, picks=5))
    assert [r["output"] for r in before] == [r["output"] for r in after]


def test_world_model_carries_signal_and_noise_removes_it(catalog):
    platform, world = hold_out_users(catalog, 0.5, seed=0)
    sp = split(platform, "item-cold", seed=0)
    truth = _pairs(pd.concat([sp.valid, sp.test]))
    users = sp.dataset.user_vocab.ids

    def precision(noise):
        records = _run(sp, WorldProvider(world, catalog.items, platform_users=users, picks=5,
                                         noise=noise, seed=1))
        votes = aggregate_votes(records)
        picks = _pairs(votes[votes["label"] > 0])
        return sum(p in truth for p in picks) / len(picks)

    clean, junk = precision(0.0), precision(1.0)
    assert clean > 1.5 * junk and clean > 0.2


class _ByUser:
    """A scorer whose score is the user id: the highest ids are the best candidates."""

    def score(self, users, items):
        return np.array([[float(u)] * len(items) for u in users])


def test_llm_free_picks_the_scorers_top_candidates(catalog):
    sp = split(catalog, "item-cold", seed=0)
    provider = LLMFreeProvider(_ByUser(), user_ids=sp.dataset.user_vocab.ids,
                               item_ids=sp.dataset.item_vocab.ids, picks=3)
    for r in _run(sp, provider):
        cands = sorted(int(c) for c in r["candidates"])
        assert sorted(int(e["user_id"]) for e in r["output"]["users"]) == cands[-3:]
