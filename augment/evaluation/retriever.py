"""The candidate retriever of :class:`augment.tasks.retrieval.ItemCandidates` as a ranker.

``score(u, i) = (1 - w) * ((1 - c) * content + c * collab) + w * popularity`` with
the retriever's definitions: ``content`` the cosine of the item's TF-IDF with
the user's positive training items, ``collab`` the item-item similarity of the
training interactions summed over them (scaled to a maximum of 1 per user),
``popularity`` the item's positive count over the largest. It is a strong
LLM-free baseline for cold users (the co-occurrence of a few known items), and
for cold items it ranks by content alone (a cold item has no interactions, so
``collab`` and ``popularity`` are 0 for it). Only ``train`` is read.
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from augment.data.dataset import Dataset
from augment.errors import ConfigError
from augment.evaluation.baselines import Scorer
from augment.tasks.retrieval import item_text_matrix

__all__ = ["RetrieverScorer"]


class RetrieverScorer(Scorer):
    """The retriever's score of every (user, item); see the module docstring."""

    def __init__(self, popularity_weight: float = 0.3, collaborative_weight: float = 0.6,
                 collaborative_alpha: float = 0.2) -> None:
        for key, value in (("popularity_weight", popularity_weight),
                           ("collaborative_weight", collaborative_weight),
                           ("collaborative_alpha", collaborative_alpha)):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{key} must be within [0, 1], got {value}", key=key)
        self.popularity_weight = popularity_weight
        self.collaborative_weight = collaborative_weight
        self.collaborative_alpha = collaborative_alpha

    def _fit(self, dataset: Dataset) -> None:
        m = dataset.matrix().tocsr()
        pos = (m > 0).astype(np.float64).tocsr()
        text = item_text_matrix(dataset)
        n = np.asarray(pos.sum(axis=0)).ravel()
        self._pop = n / n.max() if n.max() > 0 else n
        a = self.collaborative_alpha
        content = np.asarray((normalize(pos @ text) @ text.T).todense(), dtype=np.float32)
        h = pos @ sp.diags(np.where(n > 0, 1.0 / np.maximum(n, 1.0) ** (1.0 - a), 0.0))
        co = np.asarray(((h @ pos.T) @ pos).todense(), dtype=np.float32)
        with np.errstate(divide="ignore", invalid="ignore"):
            collab = np.where(n > 0, co / np.maximum(n, 1.0) ** a, 0.0).astype(np.float32)
        collab[pos.nonzero()] = 0.0  # an item is not its own neighbour
        top = collab.max(axis=1, keepdims=True)
        self._content = content
        self._collab = np.divide(collab, top, out=np.zeros_like(collab), where=top > 0)

    def with_weights(self, popularity_weight: float, collaborative_weight: float
                     ) -> RetrieverScorer:
        """The same fitted retriever with other blend weights (no refit)."""
        other = copy.copy(self)
        other.popularity_weight = popularity_weight
        other.collaborative_weight = collaborative_weight
        return other

    def _score(self, uidx: np.ndarray, iidx: np.ndarray) -> np.ndarray:
        c, w = self.collaborative_weight, self.popularity_weight
        sim = (1 - c) * self._content[np.ix_(uidx, iidx)] + c * self._collab[np.ix_(uidx, iidx)]
        return (1 - w) * sim + w * self._pop[iidx][None, :]
