"""LLM-free baselines with their hyper-parameters chosen on validation.

For one split (one seed or fold), every grid point of a model is fitted on
``split.train`` and scored on ``split.valid`` (cold segment, ``recall@20`` by
default); the best wins (ties keep the earlier, i.e. the default-first order of
the grid). ``split.test`` is never read. The models:

- ``popularity`` and ``content_knn`` (no grid);
- ``retriever``: :class:`~augment.evaluation.retriever.RetrieverScorer`, popularity
  and collaborative weights (user-cold only: for cold items every weight gives
  the same ranking, content alone);
- ``als``: ALS regularization (cold items get zero factors);
- ``als+content``: ALS regularization, then the ridge penalty of the feature ->
  factor mapping (item-cold only: user-cold has no item without interactions
  to map).

:func:`fit_tuned_baselines` returns the fitted models, the chosen parameters and
each model's validation figure, which is what "best LLM-free" is chosen on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from augment.evaluation.baselines import ContentKNNScorer, PopularityScorer
from augment.evaluation.protocol import per_user
from augment.evaluation.retriever import RetrieverScorer
from augment.features import with_item_features
from augment.recommend import ALSRecommender
from augment.splits import Split

__all__ = ["TunedBaselines", "fit_tuned_baselines", "validation_score", "GRIDS", "TUNED"]

log = logging.getLogger(__name__)

TUNED = ("popularity", "content_knn", "retriever", "als", "als+content")
GRIDS: dict[str, Any] = {
    "regularization": (50.0, 25.0, 100.0),
    "mapping_regularization": (1.0, 0.3, 3.0),
    "retriever": ((0.3, 0.6), (0.1, 0.6), (0.5, 0.6), (0.3, 0.3), (0.3, 0.9), (0.1, 0.9)),
}
"""Grids, default first: ALS ``regularization``, the mapping's ridge penalty, and the
retriever's ``(popularity_weight, collaborative_weight)``."""


@dataclass
class TunedBaselines:
    """Fitted baselines with their chosen parameters and validation figures."""

    models: dict[str, Any]
    """name -> fitted scorer."""
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    """name -> chosen hyper-parameters."""
    validation: dict[str, float] = field(default_factory=dict)
    """name -> validation metric (cold segment) of the chosen setting."""
    grid: list[dict[str, Any]] = field(default_factory=list)
    """Every grid point tried: ``model``, params, ``valid``."""

    @property
    def als(self) -> dict[str, Any]:
        """ALSRecommender parameters of the tuned ``als+content`` (for augmented models)."""
        return dict(self.params.get("als+content", {}))


def validation_score(split: Split, model: Any, metric: str = "recall@20",
                     segment: str = "cold") -> float:
    """Mean ``metric`` over the validation users of ``segment`` (0 when nobody is scored)."""
    k = int(metric.partition("@")[2])
    df = per_user(split, model, k=(k,), on="valid", include=(segment,))
    return float(df[metric].mean()) if len(df) else 0.0


def fit_tuned_baselines(split: Split, seed: int = 0, *, include: Sequence[str] = TUNED,
                        als: Mapping[str, Any] | None = None, grids: Mapping[str, Any] = GRIDS,
                        metric: str = "recall@20") -> TunedBaselines:
    """Fit the baselines of ``include`` on ``split.train`` with parameters chosen on
    ``split.valid`` (see the module docstring); ``als`` fixes other ALS parameters."""
    train = with_item_features(split.train) if split.train.item_features is None else split.train
    out = TunedBaselines(models={})

    def best(name: str, options: list[tuple[dict[str, Any], Any]]) -> None:
        top = None
        for params, model in options:
            v = validation_score(split, model, metric)
            out.grid.append({"model": name, **params, "valid": round(v, 6)})
            if top is None or v > top[0] + 1e-12:
                top = (v, params, model)
        assert top is not None
        out.models[name], out.params[name], out.validation[name] = top[2], top[1], top[0]
        log.info("tuned %s: %s (validation cold %s %.4f)", name, top[1], metric, top[0])

    base = {"seed": seed, **(als or {})}
    if "popularity" in include:
        best("popularity", [({}, PopularityScorer().fit(train))])
    if "content_knn" in include:
        best("content_knn", [({}, ContentKNNScorer().fit(train))])
    if "retriever" in include:
        fitted = RetrieverScorer().fit(train)
        points = grids["retriever"] if split.kind == "user-cold" else grids["retriever"][:1]
        best("retriever", [({"popularity_weight": w, "collaborative_weight": c},
                            fitted.with_weights(w, c)) for w, c in points])
    if "als" in include:
        best("als", [({**base, "regularization": r, "cold_items": "zero"},
                      ALSRecommender(**{**base, "regularization": r, "cold_items": "zero"})
                      .fit(train)) for r in grids["regularization"]])
    if "als+content" in include:
        regs = [({**base, "regularization": r},
                 ALSRecommender(**{**base, "regularization": r}).fit(train))
                for r in grids["regularization"]]
        best("als+content", regs)
        if split.kind == "item-cold":
            chosen = out.params["als+content"]
            maps = [({**chosen, "mapping_regularization": m},
                     ALSRecommender(**{**chosen, "mapping_regularization": m}).fit(train))
                    for m in grids["mapping_regularization"]]
            best("als+content", maps)
    return out
