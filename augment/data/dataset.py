"""The Dataset: interactions, items and optional users, as pandas DataFrames."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from augment.data.vocab import Vocabulary

__all__ = ["Dataset", "INTERACTION_COLUMNS"]

INTERACTION_COLUMNS = ("user_id", "item_id", "weight")
"""Required interaction columns; ``timestamp`` and ``source`` are optional."""


@dataclass(frozen=True)
class Dataset:
    """Interactions, items and users of one recommender problem.

    - ``interactions``: ``user_id``, ``item_id``, ``weight`` (float; negative =
      disliked), optional ``timestamp`` and ``source`` (``observed`` /
      ``generated``).
    - ``items``: ``item_id`` plus any text columns (``title``, ``genres`` as a
      ``|``-separated string, ``tags``, ...). Every interacted item appears here.
    - ``users``: optional, ``user_id`` plus any columns.
    - ``item_features`` / ``user_features``: optional numeric feature matrices
      (rows aligned with ``item_vocab`` / ``user_vocab``) added by enrichment.

    Datasets are treated as immutable: every transformation returns a new one
    (:meth:`replace`). The vocabularies cover every id in ``items``/``users``
    and ``interactions``, in first-seen order, items first.
    """

    interactions: pd.DataFrame
    items: pd.DataFrame
    users: pd.DataFrame | None = None
    name: str = "dataset"
    item_features: sp.csr_matrix | None = field(default=None, compare=False)
    user_features: sp.csr_matrix | None = field(default=None, compare=False)
    feature_names: dict[str, list[str]] = field(default_factory=dict, compare=False)
    """Names of the columns of ``item_features`` (key ``"item"``) and ``user_features``
    (``"user"``)."""

    @cached_property
    def item_vocab(self) -> Vocabulary:
        return Vocabulary.from_columns(self.items["item_id"], self.interactions["item_id"])

    @cached_property
    def user_vocab(self) -> Vocabulary:
        if self.users is None:
            return Vocabulary(self.interactions["user_id"])
        return Vocabulary.from_columns(self.users["user_id"], self.interactions["user_id"])

    @property
    def n_users(self) -> int:
        return len(self.user_vocab)

    @property
    def n_items(self) -> int:
        return len(self.item_vocab)

    def replace(self, **changes: Any) -> Dataset:
        """A new Dataset with some fields replaced (vocabularies are recomputed)."""
        return replace(self, **changes)

    def matrix(self, interactions: pd.DataFrame | None = None) -> sp.csr_matrix:
        """Users x items CSR matrix of weights (duplicates summed), over this dataset's
        vocabularies.

        The matrix of :attr:`interactions` is built once per Dataset and a copy returned
        (callers may change theirs); a copy of 25M entries takes milliseconds, a build
        seconds.
        """
        if interactions is None:
            return self._matrix.copy()
        return self._build_matrix(interactions)

    @cached_property
    def _matrix(self) -> sp.csr_matrix:
        return self._build_matrix(self.interactions)

    def _build_matrix(self, df: pd.DataFrame) -> sp.csr_matrix:
        rows = self.user_vocab.index(df["user_id"])
        cols = self.item_vocab.index(df["item_id"])
        keep = (rows >= 0) & (cols >= 0)
        data = df["weight"].to_numpy(dtype=np.float32)[keep]
        m = sp.csr_matrix((data, (rows[keep], cols[keep])), shape=(self.n_users, self.n_items),
                          dtype=np.float32)
        m.sum_duplicates()
        return m

    def __repr__(self) -> str:
        return (f"Dataset({self.name!r}: {len(self.interactions)} interactions, "
                f"{self.n_users} users, {self.n_items} items)")
