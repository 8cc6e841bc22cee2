"""``enrich``: validated records in, a new Dataset out (the input is never modified)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from augment.data.dataset import Dataset
from augment.enrich._features import attribute_features, combine_blocks, profile_features
from augment.errors import ConfigError
from augment.tasks.item_attributes import attributes_frame
from augment.tasks.registry import TASKS
from augment.tasks.user_profiles import profiles_frame
from augment.tasks.votes import aggregate_votes

__all__ = ["enrich", "pseudo_interactions_frame", "DEFAULT_CONFIDENCE_WEIGHTS", "denoise"]

log = logging.getLogger(__name__)

DEFAULT_CONFIDENCE_WEIGHTS: dict[str, float] = {"high": 1.0, "medium": 0.6, "low": 0.3}
"""Multiplier of a generated interaction's weight, by the model's stated confidence."""


def pseudo_interactions_frame(records: Iterable[Mapping[str, Any]], *, pseudo_weight: float = 0.3,
                              negative_weight: float = 0.3,
                              confidence_weights: Mapping[str, float] | None = None,
                              threshold: float = 0.5) -> pd.DataFrame:
    """Generated interactions: ``user_id, item_id, weight, source="generated"`` + vote columns.

    ``weight = pseudo_weight * confidence_weights[confidence] * share`` for
    positives and ``-negative_weight * confidence_weights[confidence] * share``
    for negatives, where ``share`` is the pick's share of the repeats' votes.
    """
    cw = dict(DEFAULT_CONFIDENCE_WEIGHTS if confidence_weights is None else confidence_weights)
    if pseudo_weight <= 0 or negative_weight < 0 or any(v < 0 for v in cw.values()):
        raise ConfigError("pseudo_weight must be > 0; negative_weight and confidence weights "
                          ">= 0", key="pseudo_weight")
    votes = aggregate_votes(records, threshold=threshold)
    if votes.empty:
        return votes.assign(weight=pd.Series(dtype=float), source=pd.Series(dtype=object))
    unknown = sorted(set(votes["confidence"]) - set(cw))
    if unknown:
        raise ConfigError(f"confidence_weights has no weight for {unknown}; give one for each "
                          "level the schema allows", key="confidence_weights")
    scale = np.where(votes["label"] > 0, pseudo_weight, -negative_weight)
    weight = scale * votes["confidence"].map(cw).to_numpy(dtype=float) * votes["share"].to_numpy()
    out = votes.assign(weight=weight, source="generated")
    return out[out["weight"] != 0].reset_index(drop=True)


def denoise(train: Dataset, generated: pd.DataFrame, quantile: float, *, seed: int = 0
            ) -> pd.DataFrame:
    """Drop the generated interactions a model of the observed data finds least plausible.

    An :class:`~augment.recommend.ALSRecommender` is fit on ``train`` (observed
    interactions; cold items get factors from ``train.item_features`` through the
    feature -> factor mapping, so they can be scored). Among generated
    *positives*, the lowest-scoring ``quantile`` are dropped; among generated
    *negatives*, the highest-scoring ``quantile``. Pairs the model cannot score
    (NaN) are kept.
    """
    if not 0.0 <= quantile < 1.0:
        raise ConfigError("denoise_quantile must be within [0, 1)", key="denoise_quantile")
    if generated.empty or quantile == 0:
        return generated
    from augment.recommend import ALSRecommender

    model = ALSRecommender(factors=32, iterations=10, seed=seed).fit(train)
    uidx = model.user_vocab.index(generated["user_id"])
    iidx = model.item_vocab.index(generated["item_id"])
    ok = (uidx >= 0) & (iidx >= 0)
    scores = np.full(len(generated), np.nan)
    scores[ok] = np.einsum("ij,ij->i", model.user_factors[uidx[ok]], model.item_factors[iidx[ok]])
    drop = np.zeros(len(generated), dtype=bool)
    for positive in (True, False):
        sel = ((generated["weight"] > 0) == positive).to_numpy() & ~np.isnan(scores)
        if not sel.any():
            continue
        cut = np.quantile(scores[sel], quantile if positive else 1 - quantile)
        drop |= sel & ((scores < cut) if positive else (scores > cut))
    log.info("denoise: dropped %d of %d generated interactions (quantile %.2f)",
             int(drop.sum()), len(generated), quantile)
    return generated[~drop].reset_index(drop=True)


def enrich(dataset: Dataset, records: Iterable[Mapping[str, Any]], *,
           pseudo_weight: float = 0.3,
           confidence_weights: Mapping[str, float] | None = None,
           negative_weight: float = 0.3, threshold: float = 0.5,
           denoise_quantile: float | None = None, text_features: bool = True,
           seed: int = 0) -> Dataset:
    """A new Dataset with the records' data merged in; ``dataset`` is left untouched.

    - ``pseudo_interactions`` records (aggregated by vote, ``threshold``) join the
      interactions with a weight below observed ones (see
      :func:`pseudo_interactions_frame`) and ``source="generated"``; observed rows
      get ``source="observed"``. A generated pair the user already has is dropped.
    - ``item_attributes`` records (per item, as the engine returns them) become item features:
      ``attr_genre:*``, ``attr_tag:*``, ``attr_summary:*``, stacked after the
      existing ``item_features`` (or, when there are none and ``text_features``,
      after TF-IDF text features of the items table, :mod:`augment.features`).
    - ``user_profiles`` records become user features (``profile_*``).
    - ``denoise_quantile``: see :func:`denoise` (None = keep everything).

    Train on the result with :class:`~augment.recommend.ALSRecommender`; the
    enriched interactions, features and ``feature_names`` are plain pandas/SciPy
    objects for any other trainer too.
    """
    records = list(records)
    unknown = sorted({str(r.get("task")) for r in records} - set(TASKS))
    if unknown:
        raise ConfigError(f"records of unknown task(s) {unknown}; enrich takes records of "
                          f"{', '.join(TASKS)}")
    by_role: dict[str, list[Mapping[str, Any]]] = {}
    for rec in records:  # what each task's records become
        by_role.setdefault(TASKS[str(rec["task"])].produces, []).append(rec)

    base = dataset
    if text_features and base.item_features is None:
        from augment.features import with_item_features
        base = with_item_features(base)

    observed = base.interactions.copy()
    if "source" not in observed.columns:
        observed["source"] = "observed"
    interactions = observed
    generated = pseudo_interactions_frame(
        by_role.get("interactions", []), pseudo_weight=pseudo_weight,
        negative_weight=negative_weight, confidence_weights=confidence_weights,
        threshold=threshold)
    if not generated.empty:
        have = pd.MultiIndex.from_frame(observed[["user_id", "item_id"]])
        pairs = pd.MultiIndex.from_frame(generated[["user_id", "item_id"]])
        generated = generated[~pairs.isin(have)]
        if denoise_quantile:
            generated = denoise(base, generated, denoise_quantile, seed=seed)
        cols = [c for c in observed.columns if c in generated.columns]
        interactions = pd.concat([observed, generated[cols]], ignore_index=True)
    out = base.replace(interactions=interactions,
                       name=f"{dataset.name}+augmented")

    names = dict(base.feature_names)
    item_x, user_x = base.item_features, base.user_features
    if by_role.get("item_features"):
        x, n = attribute_features(attributes_frame(by_role["item_features"]), out.item_vocab)
        blocks = ([(_pad(item_x, out.n_items),
                    names.get("item", [f"f{i}" for i in range(item_x.shape[1])]))]
                  if item_x is not None else [])
        item_x, names["item"] = combine_blocks([*blocks, (x, n)], out.n_items)
    if by_role.get("user_features"):
        x, n = profile_features(profiles_frame(by_role["user_features"]), out.user_vocab)
        blocks = ([(_pad(user_x, out.n_users),
                    names.get("user", [f"f{i}" for i in range(user_x.shape[1])]))]
                  if user_x is not None else [])
        user_x, names["user"] = combine_blocks([*blocks, (x, n)], out.n_users)
    log.info("enriched %s: %d generated interactions, %s item features, %s user features",
             dataset.name, len(interactions) - len(observed),
             None if item_x is None else item_x.shape[1],
             None if user_x is None else user_x.shape[1])
    return out.replace(item_features=None if item_x is None else _pad(item_x, out.n_items),
                       user_features=None if user_x is None else _pad(user_x, out.n_users),
                       feature_names=names)


def _pad(m: sp.csr_matrix, n_rows: int) -> sp.csr_matrix:
    """``m`` with zero rows appended up to ``n_rows`` (new ids come last in a vocabulary)."""
    if m.shape[0] >= n_rows:
        return sp.csr_matrix(m)
    return sp.vstack([m, sp.csr_matrix((n_rows - m.shape[0], m.shape[1]), dtype=m.dtype)],
                     format="csr")
