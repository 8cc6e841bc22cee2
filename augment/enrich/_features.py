"""Generated attributes and profiles as sparse feature blocks.

Item attributes become multi-hot genre and tag vocabularies plus TF-IDF of the
free-text summary; user profiles become liked (+1) / disliked (-1) genre
indicators, multi-hot themes and TF-IDF of the summary. Each block is
L2-normalised per row, so no block dominates the feature -> factor mapping.
Rows are aligned with a Vocabulary; targets without a record get zero rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from augment.data.vocab import Vocabulary
from augment.features import tfidf

__all__ = ["attribute_features", "profile_features", "combine_blocks"]


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    return [str(v) for v in value]


def _multi_hot(rows: np.ndarray, values: Sequence[list[str]], n_rows: int, prefix: str,
               *, min_count: int = 1, sign: float = 1.0, normalise: bool = True,
               ) -> tuple[sp.csr_matrix, list[str]]:
    counts: dict[str, int] = {}
    for vals in values:
        for v in set(vals):
            counts[v] = counts.get(v, 0) + 1
    vocab = sorted(v for v, c in counts.items() if c >= min_count)
    if not vocab:
        return sp.csr_matrix((n_rows, 0), dtype=np.float32), []
    col = {v: j for j, v in enumerate(vocab)}
    r, c = [], []
    for row, vals in zip(rows, values, strict=True):
        for v in set(vals):
            if v in col:
                r.append(row)
                c.append(col[v])
    m = sp.csr_matrix((np.full(len(r), sign, dtype=np.float32), (r, c)),
                      shape=(n_rows, len(vocab)), dtype=np.float32)
    return (normalize(m) if normalise else m), [f"{prefix}:{v}" for v in vocab]


def _tfidf(rows: np.ndarray, texts: Sequence[str], n_rows: int, prefix: str,
           ) -> tuple[sp.csr_matrix, list[str]]:
    texts = [t if isinstance(t, str) else "" for t in texts]
    x, names = tfidf(texts, prefix, min_df=2 if len(texts) >= 20 else 1, stop_words="english",
                     max_features=5000)
    if not names:
        return sp.csr_matrix((n_rows, 0), dtype=np.float32), []
    out = sp.csr_matrix((n_rows, x.shape[1]), dtype=np.float32).tolil()
    out[rows] = x
    return out.tocsr().astype(np.float32), names


def combine_blocks(blocks: Iterable[tuple[sp.csr_matrix, list[str]]], n_rows: int
                   ) -> tuple[sp.csr_matrix, list[str]]:
    """Horizontally stack (matrix, names) blocks."""
    mats, names = [], []
    for m, n in blocks:
        if m.shape[1]:
            mats.append(sp.csr_matrix(m, dtype=np.float32))
            names += n
    if not mats:
        return sp.csr_matrix((n_rows, 0), dtype=np.float32), []
    return sp.hstack(mats, format="csr", dtype=np.float32), names


def _aligned(frame: pd.DataFrame, id_col: str, vocab: Vocabulary
             ) -> tuple[pd.DataFrame, np.ndarray]:
    rows = vocab.index(frame[id_col])
    keep = rows >= 0
    return frame[keep].reset_index(drop=True), rows[keep]


def attribute_features(attributes: pd.DataFrame, vocab: Vocabulary, *, min_tag_count: int = 2
                       ) -> tuple[sp.csr_matrix, list[str]]:
    """Item features from an ``item_attributes`` frame, rows aligned with ``vocab``.

    Names: ``attr_genre:<g>``, ``attr_tag:<t>`` (tags lower-cased, kept when at
    least ``min_tag_count`` items have them), ``attr_summary:<word>``. Columns the
    frame lacks (a user schema without tags, say) give no block.
    """
    n = len(vocab)
    frame, rows = _aligned(attributes, "item_id", vocab)
    blocks = []
    if "genres" in frame:
        blocks.append(_multi_hot(rows, [_as_list(v) for v in frame["genres"]], n, "attr_genre"))
    if "tags" in frame:
        tags = [[t.strip().lower() for t in _as_list(v)] for v in frame["tags"]]
        blocks.append(_multi_hot(rows, tags, n, "attr_tag", min_count=min_tag_count))
    if "summary" in frame:
        blocks.append(_tfidf(rows, list(frame["summary"]), n, "attr_summary"))
    return combine_blocks(blocks, n)


def profile_features(profiles: pd.DataFrame, vocab: Vocabulary) -> tuple[sp.csr_matrix, list[str]]:
    """User features from a ``user_profiles`` frame, rows aligned with ``vocab``.

    Names: ``profile_genre:<g>`` (+1 liked, -1 disliked), ``profile_theme:<t>``,
    ``profile_summary:<word>``.
    """
    n = len(vocab)
    frame, rows = _aligned(profiles, "user_id", vocab)
    blocks = []
    if "liked_genres" in frame or "disliked_genres" in frame:
        empty = pd.Series([[]] * len(frame), dtype=object)
        liked = [_as_list(v) for v in frame.get("liked_genres", empty)]
        disliked = [_as_list(v) for v in frame.get("disliked_genres", empty)]
        genres = sorted({g for vals in liked + disliked for g in vals})
        col = {g: j for j, g in enumerate(genres)}
        if genres:  # no profile names a genre: no block (a 0-column one breaks normalize)
            m = np.zeros((len(frame), len(genres)), dtype=np.float32)
            for r, (a, b) in enumerate(zip(liked, disliked, strict=True)):
                m[r, [col[g] for g in set(a)]] += 1.0
                m[r, [col[g] for g in set(b)]] -= 1.0
            full = sp.csr_matrix((n, len(genres)), dtype=np.float32).tolil()
            full[rows] = m
            blocks.append((normalize(full.tocsr()), [f"profile_genre:{g}" for g in genres]))
    if "themes" in frame:
        themes = [[t.strip().lower() for t in _as_list(v)] for v in frame["themes"]]
        blocks.append(_multi_hot(rows, themes, n, "profile_theme", min_count=2))
    if "summary" in frame:
        blocks.append(_tfidf(rows, list(frame["summary"]), n, "profile_summary"))
    return combine_blocks(blocks, n)
