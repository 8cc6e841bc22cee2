"""Metrics against hand-computed cases; the protocol and baselines on synthetic splits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
from augment.errors import ConfigError
from augment.evaluation import (
    ContentKNNScorer,
    PopularityScorer,
    RandomScorer,
    evaluate,
    fit_baselines,
    format_table,
)
from augment.evaluation import metrics as M
from augment.splits import split


def test_metrics_hand_computed():
    top = np.array([[5, 1, 7, 2], [3, 4, 8, 9]])
    relevant = [{1, 2, 6}, {0}]
    hits = M.hits_matrix(top, relevant)
    assert hits.tolist() == [[False, True, False, True], [False, False, False, False]]
    n_rel = np.array([3, 1])
    # user 0: 2 hits in top 4 of 3 relevant
    assert M.recall_at_k(hits, n_rel, 4).tolist() == [2 / 3, 0.0]
    assert M.recall_at_k(hits, n_rel, 2).tolist() == [1 / 3, 0.0]  # / |relevant|
    assert M.recall_capped_at_k(hits, n_rel, 2).tolist() == [1 / 2, 0.0]  # / min(k, n_rel)
    assert M.recall_capped_at_k(hits, n_rel, 4).tolist() == [2 / 3, 0.0]
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert M.ndcg_at_k(hits, n_rel, 4) == pytest.approx([dcg / idcg, 0.0])
    assert M.ndcg_at_k(hits[:, :2], n_rel, 2)[0] == pytest.approx(
        (1 / math.log2(3)) / (1 + 1 / math.log2(3)))
    assert M.hit_rate_at_k(hits, 1).tolist() == [0.0, 0.0]
    assert M.hit_rate_at_k(hits, 2).tolist() == [1.0, 0.0]
    assert M.precision_at_k(hits, 4).tolist() == [0.5, 0.0]
    assert M.coverage(top, 2, 10) == pytest.approx(4 / 10)
    assert M.popularity_percentile(np.array([0, 10, 5, 5])).tolist() == [0.0, 1.0, 0.5, 0.5]
    # a perfect ranking scores 1 everywhere
    perfect = M.hits_matrix(np.array([[1, 2, 3]]), [{1, 2, 3}])
    assert M.ndcg_at_k(perfect, np.array([3]), 3)[0] == pytest.approx(1.0)
    assert M.recall_capped_at_k(perfect, np.array([5]), 3)[0] == 1.0
    assert M.recall_at_k(perfect, np.array([5]), 3)[0] == pytest.approx(3 / 5)


def _clustered(rng, n_users=150, n_items=300) -> Dataset:
    """Two taste groups; item text names its group, so content can find cold items."""
    rows = []
    for u in range(n_users):
        group = u % 2
        pool = np.arange(group, n_items, 2)
        chosen = rng.choice(pool, size=12, replace=False)
        rows += [(u, int(i), 1.0) for i in chosen]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id", "weight"])
    titles = [("red fire dragon" if i % 2 == 0 else "blue water whale") + f" {i}"
              for i in range(n_items)]
    genres = ["Action|War" if i % 2 == 0 else "Drama|Romance" for i in range(n_items)]
    return Dataset(interactions=inter,
                   items=pd.DataFrame({"item_id": range(n_items), "title": titles,
                                       "genres": genres}))


class Oracle:
    """Knows the test set: scores relevant items 1, others 0."""

    def __init__(self, test: pd.DataFrame) -> None:
        self.pairs = set(zip(test.user_id, test.item_id, strict=True))

    def score(self, users, items):
        return np.array([[float((u, i) in self.pairs) for i in items] for u in users])


@pytest.fixture
def item_split(rng):
    return split(_clustered(rng), "item-cold", seed=0)


def test_evaluate_shape_and_oracle(item_split):
    out = evaluate(item_split, {"oracle": Oracle(item_split.test)}, k=(5, 10))
    assert set(out) == {"split", "seed", "k", "protocol", "models"}
    assert out["split"] == "item-cold" and out["k"] == [5, 10] and out["seed"] == 0
    segs = out["models"]["oracle"]
    assert list(segs) == ["cold", "warm", "all"]
    keys = {f"{m}@{k}" for m in ("recall", "recall_capped", "ndcg", "hit_rate", "precision",
                                 "coverage", "popularity") for k in (5, 10)}
    for seg in segs.values():
        assert set(seg) == keys
        assert seg["recall_capped@10"] == pytest.approx(1.0)
        assert seg["ndcg@10"] == pytest.approx(1.0)
        assert seg["recall@10"] <= 1.0
        assert seg["hit_rate@5"] == 1.0


SMALL_ALS = {"factors": 8, "regularization": 1.0, "alpha": 5.0}  # defaults suit MovieLens


def test_baselines_on_item_cold(item_split):
    models = fit_baselines(item_split, seed=0, als=SMALL_ALS)
    assert list(models) == ["random", "popularity", "content_knn", "als", "als+content"]
    out = evaluate(item_split, models, k=(5,))["models"]
    cold = {n: out[n]["cold"]["recall@5"] for n in out}
    # content finds the cold items' group (half the cold items: about 2x chance); plain
    # ALS knows nothing of cold items
    assert cold["content_knn"] > 1.5 * cold["random"]
    assert cold["als+content"] > 1.5 * cold["random"]
    assert out["als"]["cold"] == out["popularity"]["cold"]  # all ties -> same seeded chance
    assert out["als"]["warm"]["recall@5"] > out["random"]["warm"]["recall@5"]
    # determinism: the same seed gives the same numbers
    again = evaluate(item_split, fit_baselines(item_split, seed=0, als=SMALL_ALS),
                     k=(5,))["models"]
    assert again == out
    table = format_table(evaluate(item_split, models, k=(10,)))
    assert "als+content" in table and "recall@10" in table and table.count("\n") == 3 + 15


def test_user_cold_segments(rng):
    sp = split(_clustered(rng), "user-cold", seed=1, k=3)
    out = evaluate(sp, {"oracle": Oracle(sp.test), "pop": PopularityScorer().fit(sp.train)},
                   k=(10,))
    assert out["models"]["oracle"]["cold"]["hit_rate@10"] == 1.0
    assert 0 <= out["models"]["pop"]["all"]["recall@10"] <= 1
    assert out["models"]["pop"]["all"]["popularity@10"] > 0.8


def test_training_items_are_excluded(item_split):
    class LovesTraining:
        def __init__(self, train):
            self.pairs = set(zip(train.user_id, train.item_id, strict=True))

        def score(self, users, items):
            return np.array([[float((u, i) in self.pairs) for i in items] for u in users])

    out = evaluate(item_split, {"t": LovesTraining(item_split.train.interactions)}, k=(10,))
    rand = evaluate(item_split, {"r": RandomScorer(0).fit(item_split.train)}, k=(10,))
    # scoring only seen items high is no better than chance once they are excluded
    assert out["models"]["t"]["warm"]["recall@10"] < 3 * rand["models"]["r"]["warm"][
        "recall@10"] + 0.05


@pytest.mark.parametrize("kind", ["item-cold", "user-cold"])
def test_known_pairs_are_excluded_like_training_items(rng, kind):
    """Pairs in Split.known are never ranked: a model that puts them first is not punished."""
    from dataclasses import replace

    sp = split(_clustered(rng), kind, seed=0)
    cold = sp.test[sp.test["segment"] == "cold"]
    known = cold.groupby("user_id", group_keys=False).head(2)  # given to some model
    scored = cold.drop(index=known.index)
    sp = replace(sp, test=pd.concat([sp.test[sp.test["segment"] == "warm"], scored]),
                 known=known[["user_id", "item_id", "weight"]])

    class KnownFirst(Oracle):  # the known pairs score 2, the scored ones 1
        def __init__(self):
            super().__init__(scored)
            self.known = set(zip(known.user_id, known.item_id, strict=True))

        def score(self, users, items):
            return super().score(users, items) + np.array(
                [[2.0 * ((u, i) in self.known) for i in items] for u in users])

    with_known = evaluate(sp, {"m": KnownFirst()}, k=(2,))["models"]["m"]["cold"]
    without = evaluate(replace(sp, known=None), {"m": KnownFirst()}, k=(2,))["models"]["m"]
    assert with_known["recall_capped@2"] == pytest.approx(1.0)
    assert without["cold"]["recall_capped@2"] < 0.9
    seen = sp.seen_matrix()
    u = sp.dataset.user_vocab.index(known["user_id"])
    i = sp.dataset.item_vocab.index(known["item_id"])
    assert (np.asarray(seen[u, i]).ravel() != 0).all()
    assert seen.nnz == sp.train.matrix().nnz + len(known)
    assert replace(sp, known=None).seen_matrix().nnz == sp.train.matrix().nnz


def test_scorers_handle_unknown_ids(item_split):
    for model in (RandomScorer(1), PopularityScorer(), ContentKNNScorer()):
        model.fit(item_split.train)
        s = model.score([0, "ghost"], [0, 1, "ghost"])
        assert s.shape == (2, 3) and np.isnan(s[1]).all() and np.isnan(s[:, 2]).all()
        assert np.isfinite(s[0, :2]).all()
    r = RandomScorer(1).fit(item_split.train)
    assert np.array_equal(r.score([3], [0, 1]), r.score([5, 3], [0, 1])[1:])  # batch-free


def test_bad_arguments(item_split):
    with pytest.raises(ConfigError, match="unknown baseline"):
        fit_baselines(item_split, include=["svd"])
    with pytest.raises(ConfigError):
        evaluate(item_split, {}, k=(0,))
    with pytest.raises(ConfigError):
        evaluate(item_split, {}, on="train")


def test_include_limits_segments_without_changing_their_scores(item_split):
    models = fit_baselines(item_split, seed=0, als=SMALL_ALS, include=["random", "als"])
    full = evaluate(item_split, models, k=(10,))["models"]
    only_warm = evaluate(item_split, models, k=(10,), include=["warm"])["models"]
    for name in models:
        assert list(only_warm[name]) == ["warm"]
        assert only_warm[name]["warm"] == full[name]["warm"]  # same tie-breaking seeds
    with pytest.raises(ConfigError, match="unknown segment"):
        evaluate(item_split, models, include=["lukewarm"])
