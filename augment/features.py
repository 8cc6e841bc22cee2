"""Text features: the one TF-IDF builder, and item features over title, genres and tags.

:func:`tfidf` is what every TF-IDF in augment is built with (item text features,
generated summaries, the retrievers' item texts). Item text features feed the
content-kNN baseline and the feature -> factor mapping that gives cold items ALS
factors; their rows are aligned with the order of the ``items`` frame (for a
Dataset, that is its ``item_vocab`` order when every item is listed).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from augment.data.dataset import Dataset
from augment.data.genres import split_genres
from augment.errors import DataError

__all__ = ["item_text_features", "with_item_features", "DEFAULT_TEXT_COLUMNS", "tfidf"]

log = logging.getLogger(__name__)

DEFAULT_TEXT_COLUMNS = ("title", "genres", "tags")
"""Columns used when ``columns`` is not given (those present in the table)."""

_SPLITTERS = {"genres": "|", "tags": ";"}
"""Columns holding lists: their items become whole tokens as well as words."""


def _text(series: pd.Series) -> list[str]:
    return series.fillna("").astype(str).tolist()


def tfidf(texts: Sequence[str], prefix: str, **options: Any) -> tuple[sp.csr_matrix, list[str]]:
    """Sublinear TF-IDF of ``texts`` (one row each) and the names ``"<prefix>:<token>"``.

    ``options`` go to scikit-learn's ``TfidfVectorizer``. Texts without a usable
    word give a matrix with no column (and no names).
    """
    vec = TfidfVectorizer(sublinear_tf=True, **options)
    try:
        x = vec.fit_transform(texts)
    except ValueError:  # empty vocabulary: no usable word
        return sp.csr_matrix((len(texts), 0), dtype=np.float32), []
    return x.tocsr(), [f"{prefix}:{n}" for n in vec.get_feature_names_out()]


def _vectorize(texts: list[str], column: str, min_df: int) -> tuple[sp.csr_matrix, list[str]]:
    if _SPLITTERS.get(column) == "|":
        x, names = tfidf(texts, column, min_df=1, token_pattern=None, lowercase=False,
                         tokenizer=lambda s: [t.lower() for t in split_genres(s)])
    else:
        x, names = tfidf(texts, column, min_df=min_df, stop_words="english",
                         strip_accents="unicode")
    return x.astype(np.float32).tocsr(), names


def item_text_features(items: pd.DataFrame, columns: Sequence[str] | None = None, *,
                       min_df: int = 2) -> tuple[sp.csr_matrix, list[str]]:
    """TF-IDF features of ``items``: one row per row of ``items``, L2-normalised.

    Each text column gets its own vocabulary (feature names ``"<column>:<token>"``);
    ``genres`` is split on ``|`` into whole-genre tokens. Words seen in fewer than
    ``min_df`` items are dropped. Items with no text get an all-zero row.
    """
    if columns is None:
        columns = [c for c in DEFAULT_TEXT_COLUMNS if c in items.columns]
        if not columns:
            columns = [c for c in items.columns if c != "item_id"
                       and (pd.api.types.is_string_dtype(items[c])
                            or items[c].dtype == object)]
    missing = [c for c in columns if c not in items.columns]
    if missing:
        raise DataError(f"items have no column '{missing[0]}'; available: {list(items.columns)}",
                        column=missing[0])
    blocks, names = [], []
    for col in columns:
        x, n = _vectorize(_text(items[col]), col, min_df)
        blocks.append(x)
        names += n
    if not blocks:
        return sp.csr_matrix((len(items), 0), dtype=np.float32), []
    x = normalize(sp.hstack(blocks, format="csr"), norm="l2").astype(np.float32)
    log.info("item text features: %d items x %d features from %s", x.shape[0], x.shape[1],
             list(columns))
    return x.tocsr(), names


def with_item_features(dataset: Dataset, columns: Sequence[str] | None = None) -> Dataset:
    """``dataset`` with TF-IDF ``item_features`` aligned with its ``item_vocab``."""
    items = dataset.items.drop_duplicates("item_id").set_index("item_id")
    aligned = items.reindex(pd.Index(dataset.item_vocab.ids, dtype=object)).reset_index()
    x, names = item_text_features(aligned, columns)
    return dataset.replace(item_features=x,
                           feature_names={**dataset.feature_names, "item": names})
