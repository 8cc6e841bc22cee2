"""Baseline scorers fitted in the same run as the model under test.

Every scorer has ``score(user_ids, item_ids) -> ndarray`` of shape
``(len(user_ids), len(item_ids))`` with NaN for ids it does not know, like
:class:`augment.recommend.ALSRecommender`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Self

import numpy as np
import scipy.sparse as sp

from augment.data.dataset import Dataset
from augment.data.vocab import Vocabulary
from augment.errors import ConfigError
from augment.features import with_item_features
from augment.recommend import ALSRecommender
from augment.splits import Split

__all__ = ["Scorer", "RandomScorer", "PopularityScorer", "ContentKNNScorer", "fit_baselines",
           "BASELINES"]

log = logging.getLogger(__name__)

BASELINES = ("random", "popularity", "content_knn", "als", "als+content")


class Scorer:
    """Base of the baselines: owns the training vocabularies; NaN for unknown ids."""

    user_vocab: Vocabulary
    item_vocab: Vocabulary

    def is_trained(self) -> bool:
        """True once :meth:`fit` has run."""
        return hasattr(self, "item_vocab")

    def fit(self, dataset: Dataset) -> Self:
        self.user_vocab, self.item_vocab = dataset.user_vocab, dataset.item_vocab
        self._fit(dataset)
        return self

    def _fit(self, dataset: Dataset) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def _score(self, uidx: np.ndarray, iidx: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def score(self, user_ids: Iterable[object], item_ids: Iterable[object] | None = None
              ) -> np.ndarray:
        """Scores (users x items); NaN where a user or an item is unknown."""
        if not self.is_trained():
            raise ConfigError(f"{type(self).__name__} is not fitted; call fit(dataset) first")
        uidx = self.user_vocab.index(list(user_ids))
        iidx = (np.arange(len(self.item_vocab)) if item_ids is None
                else self.item_vocab.index(list(item_ids)))
        out = np.asarray(self._score(np.maximum(uidx, 0), np.maximum(iidx, 0)), dtype=np.float64)
        out[uidx < 0, :] = np.nan
        out[:, iidx < 0] = np.nan
        return out


class RandomScorer(Scorer):
    """Uniform random scores, a fixed function of (seed, user, item)."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _fit(self, dataset: Dataset) -> None:
        self._n_items = dataset.n_items

    def _score(self, uidx: np.ndarray, iidx: np.ndarray) -> np.ndarray:
        rows = [np.random.default_rng([self.seed, int(u)]).random(self._n_items)[iidx]
                for u in uidx]
        return np.vstack(rows) if rows else np.zeros((0, len(iidx)))


class PopularityScorer(Scorer):
    """Number of positive training interactions of the item (the same for every user)."""

    def _fit(self, dataset: Dataset) -> None:
        m = dataset.matrix()
        self.counts = np.asarray((m > 0).sum(axis=0)).ravel().astype(np.float64)

    def _score(self, uidx: np.ndarray, iidx: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.counts[iidx], (len(uidx), len(iidx))).copy()


class ContentKNNScorer(Scorer):
    """Item-kNN on text features: sum of cosine similarities between an item and the
    user's positive training items, over each item's ``neighbors`` most similar
    items that have training interactions."""

    def __init__(self, neighbors: int = 50, chunk: int = 1024) -> None:
        self.neighbors = neighbors
        self.chunk = chunk

    def _fit(self, dataset: Dataset) -> None:
        if dataset.item_features is None:
            dataset = with_item_features(dataset)
        x = sp.csr_matrix(dataset.item_features, dtype=np.float32)
        m = dataset.matrix()
        self._user_items = (m > 0).astype(np.float32).tocsr()
        pool = np.flatnonzero(np.asarray(self._user_items.sum(axis=0)).ravel() > 0)
        xt = x[pool].T.tocsc()
        n_items, nn = x.shape[0], min(self.neighbors, len(pool))
        rows, cols, vals = [], [], []
        for start in range(0, n_items, self.chunk):
            block = (x[start:start + self.chunk] @ xt).toarray()
            ids = np.arange(start, start + block.shape[0])
            block[pool[None, :] == ids[:, None]] = 0.0  # no self-similarity
            if nn == 0:
                continue
            top = np.argpartition(-block, nn - 1, axis=1)[:, :nn]
            sims = np.take_along_axis(block, top, axis=1)
            rows.append(np.repeat(ids, nn))
            cols.append(pool[top].ravel())
            vals.append(sims.ravel())
        sim = sp.csr_matrix((np.concatenate(vals) if vals else [],
                             (np.concatenate(rows) if rows else [],
                              np.concatenate(cols) if cols else [])), shape=(n_items, n_items),
                            dtype=np.float32)
        sim.eliminate_zeros()
        self._sim_t = sim.T.tocsr()

    def _score(self, uidx: np.ndarray, iidx: np.ndarray) -> np.ndarray:
        return (self._user_items[uidx] @ self._sim_t).toarray()[:, iidx]


def fit_baselines(split: Split, seed: int = 0, *, als: dict[str, Any] | None = None,
                  include: Iterable[str] = BASELINES) -> dict[str, Any]:
    """Fit the baselines on ``split.train``: random, popularity, content_knn, als
    (cold items get zero factors, so they rank by chance) and als+content (cold
    items get factors mapped from TF-IDF text features). ``als`` overrides
    :class:`ALSRecommender` parameters."""
    include = list(include)
    unknown = set(include) - set(BASELINES)
    if unknown:
        raise ConfigError(f"unknown baseline(s) {sorted(unknown)}; use {list(BASELINES)}",
                          key="models")
    train = split.train
    if train.item_features is None and ("content_knn" in include or "als+content" in include):
        train = with_item_features(train)
    params = {"seed": seed, **(als or {})}
    makers = {
        "random": lambda: RandomScorer(seed).fit(train),
        "popularity": lambda: PopularityScorer().fit(train),
        "content_knn": lambda: ContentKNNScorer().fit(train),
        "als": lambda: ALSRecommender(**{**params, "cold_items": "zero"}).fit(train),
        "als+content": lambda: ALSRecommender(**{**params, "cold_items": "mapping"}).fit(train),
    }
    models = {}
    for name in include:
        models[name] = makers[name]()
        log.info("fitted baseline %s", name)
    return models
