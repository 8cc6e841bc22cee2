"""Id <-> row-index vocabularies: the one place that owns them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["Vocabulary"]


class Vocabulary:
    """A fixed, ordered set of ids with their row indices.

    Unknown ids map to ``-1`` (never an exception), so callers can decide how to
    treat them (the recommender scores them NaN).
    """

    def __init__(self, ids: Iterable[object]) -> None:
        index = pd.Index(pd.unique(pd.Series(list(ids), dtype=object)))
        self._index = index

    @property
    def ids(self) -> np.ndarray:
        """The ids in index order."""
        return self._index.to_numpy()

    def __len__(self) -> int:
        return len(self._index)

    def __contains__(self, id_: object) -> bool:
        return id_ in self._index

    def index(self, ids: Iterable[object] | object) -> np.ndarray:
        """Row indices of ``ids`` (``-1`` for unknown ones)."""
        if np.isscalar(ids) or not isinstance(ids, Iterable):
            ids = [ids]
        return self._index.get_indexer(pd.Index(list(ids), dtype=object)).astype(np.int64)

    def id(self, indices: Iterable[int] | np.ndarray) -> np.ndarray:
        """Ids at ``indices``."""
        return self._index.to_numpy()[np.asarray(indices, dtype=np.int64)]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} ids)"
