"""Candidate generators for pseudo-interactions.

A model picks among candidates; it never invents ids. Candidates come from
the training data only (item text and training interactions):

- :class:`UserCandidates` — for a cold item, the users whose history (training
  interactions) is most similar to the item's text (TF-IDF, cosine).
- :class:`ItemCandidates` — for a cold user, items most similar to the few items
  they have (text, and item-item co-occurrence in the training interactions),
  blended with popularity, excluding what they already have.

Both take the split's *train* Dataset, so a cold item's held-out interactions
never shape its candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from augment.data.dataset import Dataset
from augment.errors import ConfigError
from augment.features import tfidf

__all__ = ["item_text_matrix", "UserCandidates", "ItemCandidates"]


def _flatten(fields: Mapping[str, Any]) -> str:
    parts: list[str] = []
    for key, v in fields.items():
        if isinstance(v, (list, tuple)):
            # genre/tag tokens kept whole ("sci-fi" -> "genres_sci_fi") and as words
            parts.extend(f"{key}_{str(x).lower().replace(' ', '_').replace('-', '_')} {x}"
                         for x in v)
        elif v is not None:
            parts.append(str(v))
    return " ".join(parts)


def item_text_matrix(dataset: Dataset, extra: Mapping[Any, Mapping[str, Any]] | None = None,
                     *, max_features: int = 20000) -> sp.csr_matrix:
    """L2-normalised TF-IDF of each item's text, rows aligned with ``dataset.item_vocab``.

    ``extra`` adds fields per item id (e.g. generated attributes) to its text.
    """
    from augment.tasks.prompts import item_texts

    texts = item_texts(dataset.items)
    docs = []
    for iid in dataset.item_vocab.ids:
        fields = dict(texts.get(iid, {}))
        if extra and iid in extra:
            fields.update({f"x_{k}": v for k, v in extra[iid].items()})
        docs.append(_flatten(fields))
    m, names = tfidf(docs, "text", max_features=max_features, min_df=1,
                     token_pattern=r"(?u)\b\w[\w\-]*\b")
    if not names:  # every document empty
        m = sp.csr_matrix((len(docs), 1), dtype=np.float64)
    return normalize(m.tocsr())


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(-scores, kind="stable")[:k]`` without sorting the whole array: the
    ``k``-th best score is found by partition, and only the entries at least that good
    (ties included) are sorted, stably, so the answer is the same."""
    n = len(scores)
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    neg = -scores
    if k >= n:
        return np.argsort(neg, kind="stable")[:k]
    kth = np.partition(neg, k - 1)[k - 1]
    if np.isnan(kth):
        return np.argsort(neg, kind="stable")[:k]
    cand = np.flatnonzero(neg <= kth)
    return cand[np.argsort(neg[cand], kind="stable")][:k]


def _positive_matrix(train: Dataset) -> sp.csr_matrix:
    m = train.matrix().tocsr()
    m.data = np.where(m.data > 0, 1.0, 0.0).astype(np.float32)
    m.eliminate_zeros()
    return m


class UserCandidates:
    """Candidate users for cold items: users whose liked items read like the item.

    A user's vector is the normalised mean TF-IDF of their positive training
    items; a candidate's score is its cosine with the item's TF-IDF vector.
    """

    def __init__(self, train: Dataset, *, item_text: sp.csr_matrix | None = None) -> None:
        self.train = train
        self.item_text = item_text if item_text is not None else item_text_matrix(train)
        pos = _positive_matrix(train)
        self._user_ids = train.user_vocab.ids
        self._has_history = np.asarray(pos.sum(axis=1)).ravel() > 0
        self.user_profiles = normalize(pos @ self.item_text)
        # by column: a cold item's scores read only the columns of its few terms, and its
        # users only its column (per target cost no longer grows with the whole matrix)
        self._profiles_by_term = self.user_profiles.tocsc()
        self._profiles_by_term.sort_indices()
        self._users_of_item = pos.T.tocsr()

    def candidates(self, item_id: Any, k: int = 30) -> list[Any]:
        """The ``k`` most similar users with training history (best first)."""
        idx = self.train.item_vocab.index([item_id])[0]
        if idx < 0:
            raise ConfigError(f"item {item_id!r} is not in the dataset's items table")
        query = self.item_text[idx].tocsr()
        query.sort_indices()
        # the cosine, summed over the item's terms in the order the sparse product uses
        scores = (self._profiles_by_term[:, query.indices] @ query.data).astype(np.float64)
        seen = np.zeros(len(scores), dtype=bool)
        seen[self._users_of_item[idx].indices] = True
        scores = np.where(self._has_history & ~seen, scores, -np.inf)
        order = top_k(scores, k)
        return [self._user_ids[i] for i in order if np.isfinite(scores[i])]


class ItemCandidates:
    """Candidate items for cold users: similarity to their items plus popularity.

    ``similarity = (1 - collaborative_weight) * content + collaborative_weight * collab``
    and ``score = (1 - popularity_weight) * similarity + popularity_weight * popularity``
    (popularity / max popularity). ``content`` is the cosine of the item's TF-IDF
    with the user's items; ``collab`` is the item-item similarity of the training
    interactions summed over the user's positive items, scaled to a maximum of 1:
    ``sim(i, j) = co(i, j) / (n_i ** alpha * n_j ** (1 - alpha))`` (``co`` = users
    with both positive, ``n`` = users with the item positive; ``alpha`` =
    ``collaborative_alpha``, 0.5 is the cosine, lower favours popular items).
    Only ``train`` is read, so held-out interactions never shape candidates.
    Items the user already has are excluded; ``pool`` restricts candidates (e.g. to
    warm items). ``collaborative_weight=0`` is the content + popularity retriever.

    The defaults were chosen on validation data (how: CHANGELOG).
    """

    def __init__(self, train: Dataset, *, popularity_weight: float = 0.3,
                 item_text: sp.csr_matrix | None = None,
                 pool: Sequence[Any] | None = None,
                 collaborative_weight: float = 0.6,
                 collaborative_alpha: float = 0.2) -> None:
        for key, value in (("popularity_weight", popularity_weight),
                           ("collaborative_weight", collaborative_weight),
                           ("collaborative_alpha", collaborative_alpha)):
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{key} must be within [0, 1]", key=key)
        self.train = train
        self.popularity_weight = popularity_weight
        self.collaborative_weight = collaborative_weight
        self.collaborative_alpha = collaborative_alpha
        self.item_text = item_text if item_text is not None else item_text_matrix(train)
        self._all = train.matrix().tocsr()
        self._pos = _positive_matrix(train)
        self._pos_t = self._pos.T.tocsr()
        self._row_nnz = np.diff(self._pos.indptr)
        pop = np.asarray(self._pos.sum(axis=0)).ravel().astype(np.float64)
        self._count = pop
        self._pop = pop / pop.max() if pop.max() > 0 else pop
        self._allowed = np.ones(train.n_items, dtype=bool)
        if pool is not None:
            self._allowed[:] = False
            idx = train.item_vocab.index(list(pool))
            self._allowed[idx[idx >= 0]] = True

    def history(self, user_id: Any) -> list[Any]:
        """The user's training items (any weight)."""
        u = self.train.user_vocab.index([user_id])[0]
        if u < 0:
            return []
        return list(self.train.item_vocab.id(self._all[u].indices))

    def collaborative(self, items: np.ndarray) -> np.ndarray:
        """Item-item similarity of every item to the item indices ``items``, summed, max 1."""
        n = self._count
        if len(items) == 0 or not n[items].any():
            return np.zeros(self.train.n_items)
        a = self.collaborative_alpha
        h = np.zeros(self.train.n_items)
        has = n[items] > 0
        h[items[has]] = 1.0 / n[items[has]] ** (1.0 - a)
        # pos^T (pos h), restricted to the users who have one of ``items`` (the others
        # add exact zeros): the cost follows those users' histories, not the whole matrix
        # (unless they hold a good share of it, e.g. a popular item: then the full product)
        cols = np.unique(items[has])
        per_user = self._pos_t[cols].T @ h[cols]
        users = np.flatnonzero(per_user)
        if self._row_nnz[users].sum() * 4 > self._pos.nnz:
            co = self._pos_t @ per_user
        else:
            co = self._pos[users].T @ per_user[users]
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(n > 0, co / np.maximum(n, 1.0) ** a, 0.0)
        sim[items] = 0.0  # an item is not its own neighbour
        top = sim.max()
        return sim / top if top > 0 else sim

    def candidates(self, user_id: Any, k: int = 30, *, also_liked: Sequence[Any] = (),
                   exclude: Iterable[Any] = ()) -> list[Any]:
        """The ``k`` best-scoring items the user does not have (best first).

        ``also_liked``: items to treat as the user's positives besides the training
        ones (e.g. picks of an earlier round); ``exclude``: items never returned
        (e.g. candidates already shown). Both are item ids; unknown ids are ignored.
        """
        u = self.train.user_vocab.index([user_id])[0]
        content = np.zeros(self.train.n_items)
        collab = np.zeros(self.train.n_items)
        seen = np.zeros(self.train.n_items, dtype=bool)
        liked = np.zeros(0, dtype=np.int64)
        if u >= 0:
            liked = self._pos[u].indices
            seen[self._all[u].indices] = True
        if len(also_liked):
            extra = self.train.item_vocab.index(list(also_liked))
            liked = np.unique(np.concatenate([liked, extra[extra >= 0]]))
        if len(liked):
            row = sp.csr_matrix((np.ones(len(liked)), (np.zeros(len(liked), dtype=np.int64),
                                                       liked)), shape=(1, self.train.n_items))
            profile = normalize(row @ self.item_text)
            content = np.asarray((self.item_text @ profile.T).todense()).ravel()
            if self.collaborative_weight > 0:
                collab = self.collaborative(liked)
        seen[liked] = True
        gone = self.train.item_vocab.index(list(exclude))
        seen[gone[gone >= 0]] = True
        c, w = self.collaborative_weight, self.popularity_weight
        scores = (1 - w) * ((1 - c) * content + c * collab) + w * self._pop
        scores = np.where(self._allowed & ~seen, scores, -np.inf)
        order = top_k(scores, k)
        return [self.train.item_vocab.ids[i] for i in order if np.isfinite(scores[i])]
