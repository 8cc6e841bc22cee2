"""``RecommenderContract``: what every scorer and recommender owes the evaluation, as a
pytest mixin.

Subclass it and define ``fit(self, case, seed)`` returning a fitted model trained on
``case.split.train`` (:class:`SyntheticCase`: an item-cold split of
:func:`~augment.testing.synthetic.clustered_dataset`, plus the records a perfect model
would write). It checks, as :mod:`augment.evaluation.baselines` documents them:
``score(user_ids, item_ids)`` has shape ``(users, items)``, scores every training item in
vocabulary order when ``item_ids`` is None, and gives NaN for unknown users and items;
the same seed gives the same scores; ``recommend`` (when the model has one) returns
``user_id, item_id, score, rank`` with at most ``k`` rows per known user, ranks 1..n in
descending score, none of the user's training items, and no rows for unknown users.
On the known answer, a model that learns preferences (``learns_preferences``) ranks a
user's unseen same-cluster items above other items, and one that places cold items
(``places_cold_items``) does so among cold items.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd
import pytest

from augment.splits import Split, split
from augment.testing.synthetic import clustered_dataset, truth_records

__all__ = ["RecommenderContract", "SyntheticCase", "synthetic_case"]

UNKNOWN = "no-such-id"


@dataclass(frozen=True)
class SyntheticCase:
    """The data the contract fits on, with its right answer."""

    split: Split
    """Item-cold split (seed 0) of the clustered catalog."""
    item_cluster: np.ndarray
    """Cluster of item ``1000 + i``."""
    user_cluster: np.ndarray
    """Cluster of user ``u + 1``."""
    records: list[dict[str, Any]]
    """Truthful ``item_attributes`` and ``pseudo_interactions`` records (for enrichment)."""


@functools.lru_cache(maxsize=2)
def synthetic_case(seed: int = 0) -> SyntheticCase:
    """The contract's data (cached: every contract class shares it)."""
    dataset, item_cluster, user_cluster = clustered_dataset(seed)
    sp = split(dataset, "item-cold", seed=seed)
    return SyntheticCase(sp, item_cluster, user_cluster, truth_records(sp, item_cluster,
                                                                       seed=seed))


def _mean_auc(scores: np.ndarray, positive: np.ndarray, candidates: np.ndarray) -> float:
    """Mean over users of P(a positive candidate outscores a negative one), ties half."""
    aucs = []
    for r in range(scores.shape[0]):
        s = scores[r, candidates[r]]
        pos, neg = s[positive[r, candidates[r]]], s[~positive[r, candidates[r]]]
        if len(pos) and len(neg):
            greater = (pos[:, None] > neg[None, :]).mean()
            ties = (pos[:, None] == neg[None, :]).mean()
            aucs.append(greater + 0.5 * ties)
    return float(np.mean(aucs))


class RecommenderContract:
    """Test mixin for scorers and recommenders. Subclass it in a ``Test*`` class and define
    :meth:`fit`; set the class flags to say what the model is expected to learn."""

    learns_preferences: ClassVar[bool] = True
    """It ranks a user's unseen items of their cluster above other warm items."""
    places_cold_items: ClassVar[bool] = True
    """It ranks a user's cold items of their cluster above other cold items."""
    min_auc: ClassVar[float] = 0.75
    """Mean AUC of the known-answer checks (0.5 is chance)."""

    def fit(self, case: SyntheticCase, seed: int) -> Any:
        """A model fitted on ``case.split.train`` (and ``case.records`` if it enriches)."""
        raise NotImplementedError("define fit(self, case, seed) returning a fitted model")

    @pytest.fixture(scope="class")
    def case(self) -> SyntheticCase:
        return synthetic_case(0)

    @pytest.fixture(scope="class")
    def model(self, case: SyntheticCase) -> Any:
        return self.fit(case, 0)

    @staticmethod
    def ids(case: SyntheticCase) -> tuple[np.ndarray, np.ndarray]:
        """Training user and item ids, in vocabulary order."""
        return case.split.train.user_vocab.ids, case.split.train.item_vocab.ids

    # score -----------------------------------------------------------------------------------
    def test_score_shape(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        s = model.score(users[:5], items[:7])
        assert isinstance(s, np.ndarray) and s.shape == (5, 7), getattr(s, "shape", s)
        assert np.issubdtype(s.dtype, np.floating)
        assert np.isfinite(s).all(), "known users and items must get finite scores"
        assert model.score([], items[:7]).shape == (0, 7)
        assert model.score(users[:3], []).shape == (3, 0)

    def test_score_all_items_in_vocabulary_order(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        every = model.score(users[:4])
        assert every.shape == (4, len(items))
        np.testing.assert_array_equal(every, model.score(users[:4], items))

    def test_unknown_user_scores_nan(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        s = model.score([UNKNOWN, users[0]], items[:6])
        assert np.isnan(s[0]).all(), "an unknown user must score NaN, not raise or guess"
        assert np.isfinite(s[1]).all()

    def test_unknown_item_scores_nan(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        s = model.score(users[:3], [items[0], UNKNOWN, items[1]])
        assert np.isnan(s[:, 1]).all(), "an unknown item must score NaN, not raise or guess"
        assert np.isfinite(s[:, [0, 2]]).all()

    def test_same_seed_same_scores(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        again = self.fit(case, 0)
        np.testing.assert_array_equal(model.score(users, items), again.score(users, items))

    # recommend -------------------------------------------------------------------------------
    def _recs(self, model: Any, users: list[Any], **kw: Any) -> pd.DataFrame:
        if not hasattr(model, "recommend"):
            pytest.skip(f"{type(model).__name__} has no recommend()")
        recs = model.recommend(users, **kw)
        assert list(recs.columns) == ["user_id", "item_id", "score", "rank"]
        return recs

    def test_recommend_top_k_ranked(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        recs = self._recs(model, list(users[:6]), k=5)
        assert set(recs["user_id"]) == set(users[:6])
        for _, rows in recs.groupby("user_id"):
            assert len(rows) == 5
            assert rows["rank"].tolist() == [1, 2, 3, 4, 5]
            assert rows["score"].is_monotonic_decreasing
            assert rows["item_id"].is_unique and rows["item_id"].isin(items).all()

    def test_recommend_excludes_training_items(self, model: Any, case: SyntheticCase) -> None:
        users, _ = self.ids(case)
        recs = self._recs(model, list(users[:20]), k=10)
        train = case.split.train.interactions
        seen = set(zip(train["user_id"], train["item_id"], strict=True))
        again = [p for p in zip(recs["user_id"], recs["item_id"], strict=True) if p in seen]
        assert not again, f"training items recommended: {again[:5]}"

    def test_recommend_unknown_user_gets_no_rows(self, model: Any, case: SyntheticCase) -> None:
        users, _ = self.ids(case)
        recs = self._recs(model, [UNKNOWN, users[0]], k=3)
        assert UNKNOWN not in set(recs["user_id"])
        assert (recs["user_id"] == users[0]).sum() == 3

    def test_recommend_within_candidates(self, model: Any, case: SyntheticCase) -> None:
        users, items = self.ids(case)
        pool = list(items[:12]) + [UNKNOWN]
        recs = self._recs(model, list(users[:4]), k=20, candidates=pool)
        assert recs["item_id"].isin(items[:12]).all(), "recommended outside the candidates"

    # the known answer ------------------------------------------------------------------------
    def _auc(self, model: Any, case: SyntheticCase, cold: bool) -> float:
        users, items = self.ids(case)
        idx = (items.astype(np.int64) - 1000)
        is_cold = np.isin(items, list(case.split.cold_items))
        positive = (case.user_cluster[users.astype(np.int64) - 1][:, None]
                    == case.item_cluster[idx][None, :])
        unseen = case.split.train.matrix().toarray() == 0
        candidates = unseen & (is_cold if cold else ~is_cold)[None, :]
        return _mean_auc(model.score(users, items), positive, candidates)

    def test_ranks_unseen_warm_items_by_taste(self, model: Any, case: SyntheticCase) -> None:
        if not self.learns_preferences:
            pytest.skip("not expected to learn preferences")
        auc = self._auc(model, case, cold=False)
        assert auc > self.min_auc, f"warm-item AUC {auc:.3f} <= {self.min_auc}"

    def test_places_cold_items_by_taste(self, model: Any, case: SyntheticCase) -> None:
        if not self.places_cold_items:
            pytest.skip("not expected to place cold items")
        auc = self._auc(model, case, cold=True)
        assert auc > self.min_auc, f"cold-item AUC {auc:.3f} <= {self.min_auc}"
