"""Pseudo-interactions: ids constrained and re-checked, orders shuffled, votes aggregated, no
leak."""

from __future__ import annotations

import pandas as pd
import pytest

from augment.providers.fake import FakeProvider
from augment.tasks import PseudoInteractions, UserProfiles, aggregate_votes, check_picks
from augment.tasks.schema_tools import schema_errors


def _cold_item_task(item_split, **kw):
    cold = sorted(item_split.cold_items)[:4]
    return PseudoInteractions(item_split.train, cold_items=cold, n_candidates=20, **kw)


def test_check_picks_finds_every_kind_of_bad_id():
    out = {"positives": [{"item_id": "1", "confidence": "high"},
                         {"item_id": "1", "confidence": "low"},
                         {"item_id": "99", "confidence": "low"},
                         {"item_id": "7", "confidence": "low"}],
           "negatives": [{"item_id": "2", "confidence": "low"},
                         {"item_id": "7", "confidence": "low"}]}
    errors = check_picks(out, candidates=["1", "2", "3", "7"], history=["2"],
                         lists=("positives", "negatives"), id_field="item_id")
    text = "\n".join(errors)
    assert "item_id 99 is not one of the candidates" in text
    assert "item_id 1 appears more than once" in text
    assert "item_id 2 is already in the user's history" in text
    assert "item_id 7 is in both positives and negatives" in text
    assert len(errors) == 4
    ok = {"positives": [{"item_id": "1", "confidence": "high"}], "negatives": []}
    assert check_picks(ok, candidates=["1"], lists=("positives", "negatives"),
                       id_field="item_id") == []


def test_ids_are_an_enum_of_the_candidates_and_strings_in_the_prompt(item_split):
    item = _cold_item_task(item_split, n_repeats=1).work_items()[0]
    enum = item.request.schema["properties"]["users"]["items"]["properties"]["user_id"]["enum"]
    assert sorted(enum) == sorted(str(u) for u in item.meta["candidates"])
    assert all(isinstance(e, str) for e in enum)
    bad = {"users": [{"user_id": "no-such-user", "confidence": "high"}]}
    assert schema_errors(bad, item.request.schema)
    assert item.meta["task"] == "pseudo_interactions" and item.meta["schema_id"]
    assert item.meta["prompt_version"] == item.request.prompt_version


def test_each_repeat_lists_the_enum_in_its_prompt_order(item_split):
    items = _cold_item_task(item_split, n_repeats=2).work_items()[:2]
    enums = [it.request.schema["properties"]["users"]["items"]["properties"]["user_id"]["enum"]
             for it in items]
    for it, enum in zip(items, enums, strict=True):
        assert enum == [str(u) for u in it.meta["candidates"]]  # a grammar writes picks in it
        assert it.request.schema["properties"]["users"]["uniqueItems"] is True
    assert enums[0] != enums[1] and sorted(enums[0]) == sorted(enums[1])


def test_a_hallucinated_id_is_reasked_then_fails(item_split, run_items):
    item = _cold_item_task(item_split, n_repeats=1).work_items()[0]
    good = str(item.meta["candidates"][0])
    fake = FakeProvider(responses=[{"users": [{"user_id": "424242", "confidence": "high"}]},
                                   {"users": [{"user_id": good, "confidence": "high"}]}])
    result = run_items([item], provider=fake)
    assert result.records[0]["attempts"] == 2
    assert result.records[0]["output"]["users"][0]["user_id"] == good
    assert "424242" in fake.history[1].messages[-1]["content"]  # the error was fed back
    dup = {"users": [{"user_id": good, "confidence": "high"}] * 2}
    result = run_items([item], provider=FakeProvider(fn=lambda r: dup), max_reasks=1)
    assert result.records == [] and result.failures[0]["reason"] == "validation"
    assert "non-unique" in result.failures[0]["error"]  # the schema's uniqueItems
    dup = {"users": [{"user_id": good, "confidence": "high"},
                     {"user_id": good, "confidence": "low"}]}  # distinct objects, same id
    result = run_items([item], provider=FakeProvider(fn=lambda r: dup), max_reasks=0)
    assert result.records == [] and "more than once" in result.failures[0]["error"]


def test_candidate_order_is_shuffled_across_repeats_and_seeded(item_split, run_items):
    fake = FakeProvider(fn=lambda r: {"users": []})
    items = _cold_item_task(item_split, n_repeats=3, seed=7).work_items()
    run_items(items, provider=fake)
    assert len(fake.history) == 12
    for t in range(4):
        orders = [tuple(it.meta["candidates"]) for it in items[3 * t: 3 * t + 3]]
        assert len(set(orders)) == 3 and len({frozenset(o) for o in orders}) == 1
        prompts = {r.messages[1]["content"] for r in fake.history[3 * t: 3 * t + 3]}
        assert len(prompts) == 3  # the provider saw three different orders
    again = _cold_item_task(item_split, n_repeats=3, seed=7).work_items()
    assert [i.meta["candidates"] for i in again] == [i.meta["candidates"] for i in items]
    other = _cold_item_task(item_split, n_repeats=3, seed=8).work_items()
    assert [i.meta["candidates"] for i in other] != [i.meta["candidates"] for i in items]


def test_cold_user_candidates_exclude_the_history_and_votes_aggregate(synthetic, run_items,
                                                                      data_of):
    ds = synthetic[0]
    user = 1
    task = PseudoInteractions(ds, cold_users=[user], n_candidates=15, n_repeats=4, seed=0)
    items = task.work_items()
    history = set(ds.interactions.loc[ds.interactions["user_id"] == user, "item_id"])
    assert not history & set(items[0].meta["candidates"])
    fixed = sorted(str(i) for i in items[0].meta["candidates"])[:2]

    def fn(request):  # two fixed positives, one fixed negative, plus whatever is listed first
        listed = [c["item_id"] for c in data_of(request)["candidates"]]
        pos = {*fixed, listed[0]} - {listed[-1]}
        return {"positives": [{"item_id": i, "confidence": "high"} for i in sorted(pos)],
                "negatives": [{"item_id": listed[-1], "confidence": "low"}]
                if listed[-1] not in fixed else []}

    result = run_items(items, fn)
    assert len(result.records) == 4 and not result.failures
    votes = aggregate_votes(result.records, threshold=0.75)
    assert (votes["user_id"] == user).all()
    assert all(isinstance(i, int) for i in votes["item_id"])  # ids mapped back from strings
    positives = votes[votes["label"] == 1]
    assert {str(i) for i in positives["item_id"]} == set(fixed)  # position-driven picks drop out
    assert (positives["confidence"] == "high").all() and (positives["share"] == 1.0).all()
    lower = aggregate_votes(result.records, threshold=0.25)
    assert len(lower) > len(votes) and (lower["label"] == -1).any()
    with pytest.raises(Exception, match="threshold"):
        aggregate_votes(result.records, threshold=0)


def test_held_out_interactions_never_reach_a_prompt(item_split, data_of, run_items):
    cold = item_split.cold_items
    titles = dict(zip(item_split.dataset.items["item_id"], item_split.dataset.items["title"],
                      strict=True))
    cold_titles = {titles[i] for i in cold}
    held_out = pd.concat([item_split.valid, item_split.test])
    task = PseudoInteractions(item_split.train, cold_items=sorted(cold)[:5], n_repeats=1,
                              n_candidates=30)
    fake = FakeProvider(fn=lambda r: {"users": []})
    run_items(task.work_items(), provider=fake)
    for request in fake.history:
        data = data_of(request)
        liked = {t for c in data["candidates"] for t in c["recently_liked"]}
        assert not liked & cold_titles
        item = int(data["item"]["item_id"])
        true_users = set(held_out.loc[held_out["item_id"] == item, "user_id"])
        assert true_users  # the truth exists, but only in held-out data
    users = sorted(set(item_split.train.interactions["user_id"]))[:30]
    fake = FakeProvider(fn=lambda r: {"liked_genres": [], "disliked_genres": [], "themes": [],
                                      "summary": "Likes films."})
    run_items(UserProfiles(item_split.train, user_ids=users).work_items(), provider=fake)
    assert len(fake.history) == 30
    for request in fake.history:
        assert not {h["title"] for h in data_of(request)["history"]} & cold_titles


def test_position_bias_is_measured(item_split, run_items, data_of):
    from augment.tasks import position_bias

    def first_three(request):
        return {"users": [{"user_id": c["user_id"], "confidence": "high"}
                          for c in data_of(request)["candidates"][:3]]}

    items = _cold_item_task(item_split, n_repeats=3).work_items()
    bias = position_bias(run_items(items, first_three).records)
    assert bias["n_targets"] == 4 and bias["n_picks"] == 36
    assert bias["first_third_share"] == 1.0
    assert bias["first_third_expected"] == pytest.approx(7 / 20)
    assert bias["agreement_jaccard"] < 0.5


def test_rounds_feed_picks_back_and_show_new_candidates(synthetic, run_items, data_of):
    ds = synthetic[0]
    users = [1, 2]
    task = PseudoInteractions(ds, cold_users=users, n_candidates=10, n_repeats=2, seed=0,
                              rounds=3)
    assert task.round == 0 and task.next_round([]) is not None

    def fn(request):  # always picks the smallest listed id, whatever the order
        pick = min(c["item_id"] for c in data_of(request)["candidates"])
        return {"positives": [{"item_id": pick, "confidence": "high"}], "negatives": []}

    shown: dict = {u: set() for u in users}
    records, keys = [], []
    rounds = 0
    while task is not None:
        items = task.work_items()
        assert len(items) == len(users) * 2
        keys += [i.key for i in items]
        got = run_items(items, fn).records
        assert all(r["round"] == rounds for r in got)
        for r in got:
            assert not set(r["candidates"]) & shown[r["user_id"]]  # never shown twice
        for u in users:
            shown[u] |= {c for r in got if r["user_id"] == u for c in r["candidates"]}
        records += got
        task = task.next_round(got)
        rounds += 1
        if task is not None:  # the kept picks are in the next prompt and profile
            later = task.work_items()[0]
            card = data_of(later.request)["user"]
            assert len(card["probably_likes"]) == rounds
    assert rounds == 3 and len(set(keys)) == len(keys)
    assert keys[0] == "pseudo_interactions:user:1:r0" and ":g2:" in keys[-1]
    votes = aggregate_votes(records)
    # one kept positive per user per round (share 1 within its round, not 1/3 overall)
    assert votes.groupby("user_id").size().to_dict() == {1: 3, 2: 3}
    assert (votes["share"] == 1.0).all()
    with pytest.raises(Exception, match="rounds"):
        PseudoInteractions(ds, cold_users=users, rounds=0)


def test_one_round_is_the_default_and_cold_items_take_one_round(item_split):
    task = PseudoInteractions(item_split.train, cold_items=sorted(item_split.cold_items)[:2],
                              n_candidates=5, n_repeats=1)
    assert task.next_round([]) is None
    two = PseudoInteractions(item_split.train, cold_items=sorted(item_split.cold_items)[:2],
                             n_candidates=5, n_repeats=1, rounds=2)
    assert two.next_round([]) is None  # no cold users: nothing to ask again
