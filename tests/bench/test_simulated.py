"""The simulated provider: what it knows and what is scored are disjoint; precision as set;
its wrong picks are never held-out positives (no lucky noise)."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from augment.engine import Engine, EngineConfig
from augment.errors import ConfigError, PermanentProviderError
from augment.providers.base import Request
from augment.providers.registry import PROVIDERS
from augment.splits import split
from augment.tasks import ItemAttributes, PseudoInteractions, aggregate_votes
from augment.testing.simulated import SimulatedProvider, held_out_positives, oracle_split


def _pairs(df: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(df["user_id"].astype(str), df["item_id"].astype(str), strict=True))


def _records(sp, provider, **kw):
    task = PseudoInteractions(sp.train, cold_items=sorted(sp.cold_items),
                              cold_users=sorted(sp.cold_users), n_candidates=40, **kw)
    res = Engine(provider, EngineConfig(progress=False)).run(task.work_items())
    assert not res.failures
    return res.records


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_oracle_and_scored_are_disjoint_and_complete(catalog, kind):
    sp = split(catalog, kind, seed=0)
    scored, oracle = oracle_split(sp, seed=0)
    for part in ("valid", "test"):
        before = getattr(sp, part)
        after = getattr(scored, part)
        cold_before = _pairs(before[before["segment"] == "cold"])
        cold_after = _pairs(after[after["segment"] == "cold"])
        assert not (_pairs(oracle) & cold_after)
        assert cold_after | (_pairs(oracle) & cold_before) == cold_before
        assert _pairs(after[after["segment"] == "warm"]) == _pairs(
            before[before["segment"] == "warm"])
    col = "item_id" if kind == "item-cold" else "user_id"
    targets = sp.cold_items if kind == "item-cold" else sp.cold_users
    assert set(oracle[col]) <= set(targets)
    assert 0.3 < len(oracle) / (len(oracle) + (scored.test["segment"] == "cold").sum()
                                + (scored.valid["segment"] == "cold").sum()) <= 0.5
    assert scored.train is sp.train
    assert _pairs(scored.known) == _pairs(oracle)  # excluded from rankings, never scored


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_precision_one_answers_come_from_the_oracle_only(catalog, kind):
    sp = split(catalog, kind, seed=0)
    scored, oracle = oracle_split(sp, seed=0)
    records = _records(sp, SimulatedProvider(oracle, catalog.items, precision=1.0, picks=5,
                                             held_out=held_out_positives(sp)))
    picks = _pairs(aggregate_votes(records))
    assert picks, "the oracle should find some true pairs among the candidates"
    assert picks <= _pairs(oracle)
    assert not picks & _pairs(scored.test) and not picks & _pairs(scored.valid)


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_wrong_picks_are_never_held_out_positives(catalog, kind):
    """The oracle's noise: a (1 - p) share of picks, none of them a real positive."""
    sp = split(catalog, kind, seed=0)
    _, oracle = oracle_split(sp, seed=0)
    held = held_out_positives(sp)
    every_positive = _pairs(held)
    for p in (0.0, 0.5):
        records = _records(sp, SimulatedProvider(oracle, catalog.items, precision=p, picks=6,
                                                 held_out=held, seed=3))
        col = "users" if kind == "item-cold" else "positives"
        idf = "user_id" if kind == "item-cold" else "item_id"
        picks = []
        for r in records:
            for e in r["output"][col]:
                picks.append((e["user_id"], str(r["item_id"])) if kind == "item-cold"
                             else (str(r["user_id"]), e["item_id"]))
            assert len(r["output"][col]) <= 6 and all(idf in e for e in r["output"][col])
        hit = sum(pk in _pairs(oracle) for pk in picks)
        lucky = sum(pk in every_positive and pk not in _pairs(oracle) for pk in picks)
        assert lucky == 0  # no wrong pick is a held-out positive, oracle half or scored half
        if p == 0.0:
            assert hit == 0 and len(picks) == 6 * len(records)  # no signal, full budget
        else:
            assert 0 < hit < len(picks)


def test_p0_picks_do_not_depend_on_the_truth(catalog):
    """At p = 0 the number of picks is the budget whatever the oracle knows."""
    sp = split(catalog, "item-cold", seed=0)
    _, oracle = oracle_split(sp, seed=0)
    empty = oracle.iloc[:0]
    full = _records(sp, SimulatedProvider(oracle, catalog.items, precision=0.0, picks=4))
    none = _records(sp, SimulatedProvider(empty, catalog.items, precision=0.0, picks=4))
    assert [len(r["output"]["users"]) for r in full] == [len(r["output"]["users"])
                                                         for r in none]


def test_picks_are_the_same_across_repeats(catalog):
    sp = split(catalog, "item-cold", seed=0)
    _, oracle = oracle_split(sp, seed=0)
    records = _records(sp, SimulatedProvider(oracle, catalog.items, precision=0.5, seed=3))
    by_target: dict = {}
    for r in records:  # a wrong belief: every shuffled repeat makes the same picks
        by_target.setdefault(r["item_id"], []).append(
            sorted(e["user_id"] for e in r["output"]["users"]))
    assert all(all(p == ps[0] for p in ps) for ps in by_target.values())


def test_item_attributes_drop_a_share_of_real_genres(catalog):
    items = catalog.items
    truth = {str(i): set(g.split("|")) for i, g in zip(items["item_id"], items["genres"],
                                                       strict=True)}
    for drop, lo, hi in ((0.0, 1.0, 1.0), (0.5, 0.5, 0.85)):
        provider = SimulatedProvider(items.iloc[:0].assign(user_id=[], weight=[]), items,
                                     attribute_drop=drop)
        task = ItemAttributes(catalog, items_per_request=5)
        res = Engine(provider, EngineConfig(progress=False)).run(task.work_items())
        frame = task.to_frame(res.records)
        assert len(frame) == len(items) and not res.failures
        got = [(set(g), truth[str(i)]) for i, g in zip(frame["item_id"], frame["genres"],
                                                        strict=True)]
        assert all(g <= t and g for g, t in got)
        recall = sum(len(g) for g, _ in got) / sum(len(t) for _, t in got)  # kept share
        assert lo <= recall <= hi


def test_not_registered_and_refuses_other_tasks(catalog):
    assert "simulated" not in PROVIDERS
    provider = SimulatedProvider(catalog.interactions, catalog.items)
    req = Request(({"role": "user", "content": "hi"},), {"type": "object"},
                  schema_name="user_profile")
    with pytest.raises(PermanentProviderError):
        asyncio.run(provider.complete(req))
    with pytest.raises(ConfigError):
        SimulatedProvider(catalog.interactions, catalog.items, precision=1.5)
