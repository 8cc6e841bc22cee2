"""enrich: a new Dataset with weighted pseudo-interactions and generated features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.enrich import augmented_variants, enrich, pseudo_interactions_frame
from augment.errors import ConfigError
from augment.tasks import ItemAttributes, PseudoInteractions, UserProfiles


def _pseudo_record(item_id, picks, repeat=0, candidates=None):
    cands = candidates or [u for u, _ in picks]
    return {"key": f"pseudo_interactions:item:{item_id}:r{repeat}", "task": "pseudo_interactions",
            "direction": "item", "item_id": item_id, "repeat": repeat, "candidates": cands,
            "output": {"users": [{"user_id": str(u), "confidence": c} for u, c in picks]},
            "provider": "fake", "model": "fake", "prompt_version": "p/1", "schema_id": "s"}


def _user_record(user_id, pos, neg, repeat=0):
    return {"key": f"pseudo_interactions:user:{user_id}:r{repeat}", "task": "pseudo_interactions",
            "direction": "user", "user_id": user_id, "repeat": repeat,
            "candidates": [*pos, *neg],
            "output": {"positives": [{"item_id": str(i), "confidence": "high"} for i in pos],
                       "negatives": [{"item_id": str(i), "confidence": "medium"} for i in neg]}}


def _attr_record(item_id, genres, tags, summary):
    return {"key": f"item_attributes:{item_id}", "task": "item_attributes", "item_id": item_id,
            "output": {"genres": genres, "tags": tags, "summary": summary}, "schema_id": "s"}


def _profile_record(user_id, liked, disliked):
    return {"key": f"user_profiles:{user_id}", "task": "user_profiles", "user_id": user_id,
            "output": {"liked_genres": liked, "disliked_genres": disliked, "themes": ["space"],
                       "summary": "Likes space films."}}


def test_weights_follow_confidence_votes_and_sign():
    recs = [_pseudo_record(1000, [(1, "high"), (2, "low")], 0),
            _pseudo_record(1000, [(1, "high"), (3, "medium")], 1),
            _user_record(5, pos=[1001], neg=[1002])]
    frame = pseudo_interactions_frame(recs, pseudo_weight=0.5, negative_weight=0.2,
                                      threshold=0.5)
    w = {(u, i): x for u, i, x in zip(frame["user_id"], frame["item_id"], frame["weight"],
                                      strict=True)}
    assert w[(1, 1000)] == pytest.approx(0.5 * 1.0 * 1.0)
    assert w[(2, 1000)] == pytest.approx(0.5 * 0.3 * 0.5)
    assert w[(3, 1000)] == pytest.approx(0.5 * 0.6 * 0.5)
    assert w[(5, 1001)] == pytest.approx(0.5) and w[(5, 1002)] == pytest.approx(-0.2 * 0.6)
    assert (frame["source"] == "generated").all()
    strict = pseudo_interactions_frame(recs, threshold=1.0)
    assert set(zip(strict["user_id"], strict["item_id"], strict=True)) == {
        (1, 1000), (5, 1001), (5, 1002)}
    with pytest.raises(ConfigError, match="confidence_weights"):
        pseudo_interactions_frame(recs, confidence_weights={"high": 1.0})


def test_enrich_returns_a_new_dataset_and_leaves_the_input_alone(synthetic):
    ds = synthetic[0]
    before = ds.interactions.copy()
    items_before = ds.items.copy()
    recs = [_pseudo_record(1000, [(1, "high"), (2, "medium")]),
            _pseudo_record(1001, [(3, "low")]),
            _attr_record(1000, ["Drama"], ["space", "robots"], "A robot in space."),
            _attr_record(1001, ["Comedy"], ["space"], "A funny wedding."),
            _profile_record(1, ["Drama"], ["Horror"]), _profile_record(2, ["Comedy"], [])]
    out = enrich(ds, recs)
    pd.testing.assert_frame_equal(ds.interactions, before)
    pd.testing.assert_frame_equal(ds.items, items_before)
    assert ds.item_features is None and "source" not in ds.interactions
    observed = out.interactions[out.interactions["source"] == "observed"]
    generated = out.interactions[out.interactions["source"] == "generated"]
    assert len(observed) == len(before)
    # (1, 1000) may already be observed: generated pairs never duplicate observed ones
    have = set(zip(before["user_id"], before["item_id"], strict=True))
    assert not set(zip(generated["user_id"], generated["item_id"], strict=True)) & have
    assert (generated["weight"] > 0).all() and generated["weight"].max() < before["weight"].min()
    names = out.feature_names["item"]
    assert out.item_features.shape == (out.n_items, len(names))
    assert {"attr_genre:Drama", "attr_tag:space", "attr_summary:robot"} <= set(names)
    assert any(n.startswith("genres:") for n in names)  # text features kept in front
    row = out.item_vocab.index([1000])[0]
    col = names.index("attr_genre:Drama")
    assert out.item_features[row, col] > 0
    assert out.item_features[out.item_vocab.index([1005])[0], col] == 0
    ucol = out.feature_names["user"]
    uf = out.user_features.toarray()
    u1 = out.user_vocab.index([1])[0]
    assert (uf[u1, ucol.index("profile_genre:Drama")] > 0
            > uf[u1, ucol.index("profile_genre:Horror")])
    assert out.user_features.shape[0] == out.n_users


def test_negative_picks_become_negative_weights(synthetic):
    ds = synthetic[0]
    items = set(ds.interactions.loc[ds.interactions["user_id"] == 1, "item_id"])
    free = [i for i in ds.items["item_id"] if i not in items][:2]
    out = enrich(ds, [_user_record(1, pos=[free[0]], neg=[free[1]])], negative_weight=0.4)
    gen = out.interactions[out.interactions["source"] == "generated"].set_index("item_id")
    assert gen.loc[free[0], "weight"] > 0 > gen.loc[free[1], "weight"]
    assert gen.loc[free[1], "weight"] == pytest.approx(-0.4 * 0.6)


def test_denoising_drops_the_least_plausible_quantile(synthetic):
    ds, item_cluster, user_cluster = synthetic
    rng = np.random.default_rng(0)
    recs = []
    for item in range(1000, 1030):
        cluster = item_cluster[item - 1000]
        fans = [u + 1 for u in np.flatnonzero(user_cluster == cluster)[:4]]
        strangers = [u + 1 for u in rng.choice(np.flatnonzero(user_cluster != cluster), 4,
                                                replace=False)]
        recs.append(_pseudo_record(item, [(u, "high") for u in fans + strangers]))
    kept = enrich(ds, recs, denoise_quantile=0.5).interactions
    gen = kept[kept["source"] == "generated"]
    all_gen = enrich(ds, recs).interactions
    n_all = (all_gen["source"] == "generated").sum()
    assert len(gen) == pytest.approx(n_all / 2, abs=2)
    def fan_share(df):
        return np.mean([user_cluster[u - 1] == item_cluster[i - 1000]
                        for u, i in zip(df["user_id"], df["item_id"], strict=True)])

    before = fan_share(all_gen[all_gen["source"] == "generated"])
    assert before < 0.55
    assert fan_share(gen) > before + 0.2  # the model of observed data keeps the plausible half
    with pytest.raises(ConfigError, match="denoise_quantile"):
        enrich(ds, recs, denoise_quantile=1.5)


def test_unknown_task_records_are_refused(synthetic):
    with pytest.raises(ConfigError, match="unknown task"):
        enrich(synthetic[0], [{"task": "mystery", "output": {}}])


def test_augmented_variants_fit_on_train_only(item_split, run_items, truth_answerer):
    cold = sorted(item_split.cold_items)[:6]
    attrs = ItemAttributes(item_split.train, item_ids=cold, items_per_request=5)

    def ids_of(r):
        return r.schema["properties"]["items"]["items"]["properties"]["item_id"]["enum"]

    rec_a = run_items(attrs.work_items(), lambda r: {"items": [
        {"item_id": i, "genres": ["Drama"], "tags": ["family"], "summary": "Family loss."}
        for i in ids_of(r)]}).records
    users = sorted(set(item_split.train.interactions["user_id"]))[:10]
    rec_p = run_items(UserProfiles(item_split.train, user_ids=users).work_items(),
                      lambda r: {"liked_genres": ["Drama"], "disliked_genres": [],
                                 "themes": ["family"], "summary": "Dramas."}).records
    pseudo = PseudoInteractions(item_split.train, cold_items=cold, n_candidates=20, n_repeats=2)
    rec_i = run_items(pseudo.work_items(), truth_answerer(item_split.dataset)).records
    models = augmented_variants(item_split, rec_a + rec_p + rec_i, seed=0,
                                als={"factors": 8, "iterations": 5})
    assert set(models) == {"als+attributes", "als+pseudo", "als+augmented"}
    users = list(item_split.train.user_vocab.ids[:5])
    for model in models.values():
        scores = model.score(users, cold)
        assert scores.shape == (5, 6) and np.isfinite(scores).all()
    # cold items with picks get fitted factors under als+pseudo; none under als+attributes
    picked = pseudo_interactions_frame(rec_i)["item_id"].unique()
    assert len(picked) >= 3
    assert set(models["als+pseudo"].mapped_items).isdisjoint(
        set(item_split.train.item_vocab.index(picked)))
    assert set(item_split.train.item_vocab.index(cold)) <= set(
        models["als+attributes"].mapped_items)
    train = item_split.train.interactions
    assert len(train) == len(train.drop_duplicates())


def test_attributes_with_nothing_to_count_add_no_empty_blocks(synthetic):
    ds = synthetic[0]
    out = enrich(ds, [_attr_record(1000, ["Drama"], [], "Short.")], text_features=False)
    assert out.feature_names["item"] == ["attr_genre:Drama", "attr_summary:short"]
    assert out.item_features.shape == (ds.n_items, 2)
