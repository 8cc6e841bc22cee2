"""Id <-> row-index vocabularies: the one place that owns them."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

__all__ = ["Vocabulary"]


class Vocabulary:
    """A fixed, ordered set of ids with their row indices.

    Unknown ids map to ``-1`` (never an exception), so callers can decide how to
    treat them (the recommender scores them NaN). Integer Series and arrays (ids
    and queries) are handled as NumPy arrays, which gives the same order and indices
    as the general path without one Python object per id (25M ids: seconds, not
    minutes); :attr:`ids` holds Python objects either way.
    """

    def __init__(self, ids: Iterable[object]) -> None:
        native = _integers(ids)
        if native is not None:  # integer ids: no Python object per id while building
            uniques = pd.unique(native)
            self._native: pd.Index | None = pd.Index(uniques)
            self._index = pd.Index(uniques.astype(object), dtype=object)
        else:
            self._native = None
            self._index = pd.Index(pd.unique(pd.Series(list(ids), dtype=object)))

    @classmethod
    def from_columns(cls, *columns: pd.Series | np.ndarray) -> Vocabulary:
        """The ids of ``columns`` read one after the other (first-seen order)."""
        maybe = [_integers(c) for c in columns]
        arrays = [a for a in maybe if a is not None]
        if len(arrays) == len(maybe):
            return cls(np.concatenate(arrays) if len(arrays) > 1 else arrays[0])
        return cls(v for c in columns for v in c)

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
        if isinstance(ids, list) and len(ids) == 1:  # one id (a target's lookup): no Index
            return np.array([self._position(ids[0])], dtype=np.int64)
        native = _integers(ids) if self._native is not None else None
        if native is not None and self._native is not None:  # the object path's answer,
            return self._native.get_indexer(native).astype(np.int64)  # without the objects
        return self._index.get_indexer(pd.Index(list(ids), dtype=object)).astype(np.int64)

    def _position(self, id_: object) -> int:
        try:
            pos = self._index.get_loc(id_)
        except (KeyError, TypeError, pd.errors.InvalidIndexError):
            return -1
        return pos if isinstance(pos, int) else -1

    def id(self, indices: Iterable[int] | np.ndarray) -> np.ndarray:
        """Ids at ``indices``."""
        return self._index.to_numpy()[np.asarray(indices, dtype=np.int64)]

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} ids)"


def _integers(ids: object) -> np.ndarray | None:
    """``ids`` as an int64 array when it is a Series, Index or array of (at most 32-bit
    unsigned or 64-bit signed) integers; None otherwise (lists, strings, mixed types)."""
    if not isinstance(ids, (pd.Series, pd.Index, np.ndarray)):
        return None
    values = ids if isinstance(ids, np.ndarray) else ids.to_numpy()
    kind, size = values.dtype.kind, values.dtype.itemsize
    if kind == "i" or (kind == "u" and size < 8):
        return values.astype(np.int64, copy=False)
    return None
