"""Ranking metrics at k, computed from a ranked list and a set of relevant items.

Conventions (binary relevance):

- ``recall@k`` = hits / n_relevant, as ColdRec (``util/metrics.py``), RecBole
  and Microsoft Recommenders compute it: a user with more than k relevant items
  cannot reach 1.0.
- ``recall_capped@k`` = hits / min(k, n_relevant), the "capped" recall (Liang et
  al., 2018; LensKit's convention), so a perfect ranking scores 1.0 even when a
  user has more than k relevant items. It equals ``recall@k`` whenever
  n_relevant <= k.
- ``ndcg@k`` = DCG / ideal DCG with gains 1 / log2(rank + 1), the ideal list
  holding min(k, n_relevant) hits (ColdRec's NDCG).
- ``hit_rate@k`` = 1 if any relevant item is in the top k, else 0.
- ``precision@k`` = hits / k.
- ``coverage@k`` = distinct items recommended to anyone / candidate items.
- ``popularity@k`` = mean popularity percentile (0 = least, 1 = most popular in
  training) of the recommended items.

Per-user metrics are averaged over the users with at least one relevant item.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.stats

__all__ = ["hits_matrix", "recall_at_k", "recall_capped_at_k", "ndcg_at_k", "hit_rate_at_k",
           "precision_at_k",
           "coverage", "popularity_percentile"]


def hits_matrix(top: np.ndarray, relevant: Sequence[set[int] | np.ndarray]) -> np.ndarray:
    """Boolean (users, k) matrix: is ``top[u, r]`` relevant for user ``u``?"""
    top = np.asarray(top)
    out = np.zeros(top.shape, dtype=bool)
    for u, rel in enumerate(relevant):
        out[u] = np.isin(top[u], np.fromiter(rel, dtype=top.dtype, count=len(rel)))
    return out


def _n_rel(relevant) -> np.ndarray:
    return np.asarray([len(r) for r in relevant], dtype=float)


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per-user hits in the top k / n_relevant (the field's recall)."""
    return hits[:, :k].sum(axis=1) / np.asarray(n_relevant, dtype=float)


def recall_capped_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per-user hits in the top k / min(k, n_relevant)."""
    return hits[:, :k].sum(axis=1) / np.minimum(k, np.asarray(n_relevant, dtype=float))


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int) -> np.ndarray:
    """Per-user NDCG@k with binary gains."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits[:, :k] * discounts[: hits[:, :k].shape[1]]).sum(axis=1)
    ideal_n = np.minimum(k, np.asarray(n_relevant, dtype=int))
    idcg = np.cumsum(discounts)[np.maximum(ideal_n, 1) - 1]
    return dcg / idcg


def hit_rate_at_k(hits: np.ndarray, k: int) -> np.ndarray:
    """Per-user 1.0 when the top k holds a relevant item."""
    return hits[:, :k].any(axis=1).astype(float)


def precision_at_k(hits: np.ndarray, k: int) -> np.ndarray:
    """Per-user hits in the top k / k."""
    return hits[:, :k].sum(axis=1) / float(k)


def coverage(top: np.ndarray, k: int, n_candidates: int) -> float:
    """Share of the candidate items recommended in anyone's top k."""
    if n_candidates == 0:
        return 0.0
    return len(np.unique(np.asarray(top)[:, :k])) / n_candidates


def popularity_percentile(counts: np.ndarray) -> np.ndarray:
    """Popularity percentile in [0, 1] of every item from its training counts (ties averaged)."""
    counts = np.asarray(counts, dtype=float)
    if len(counts) <= 1:
        return np.zeros(len(counts))
    return (scipy.stats.rankdata(counts, method="average") - 1) / (len(counts) - 1)
