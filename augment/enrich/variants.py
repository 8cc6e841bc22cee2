"""ALS models fit on enriched training data, to evaluate next to the baselines.

``augmented_variants(split, records, seed)`` returns three fitted
:class:`~augment.recommend.ALSRecommender` models:

- ``als+attributes``: ALS + feature -> factor mapping over text features *and*
  generated attribute (and profile) features; no generated interactions.
- ``als+pseudo``: ALS fit with the generated interactions (cold items with
  picks get fitted factors; the others are mapped from text features, as in
  ``als+content``).
- ``als+augmented``: both.

Pass them with the baselines to :func:`augment.evaluation.evaluate`; every model
is scored on the same test interactions, in the same metrics.json.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from augment.enrich._core import enrich
from augment.errors import ConfigError
from augment.recommend import ALSRecommender
from augment.splits import Split
from augment.tasks.registry import produced_by

__all__ = ["augmented_variants", "VARIANTS"]

VARIANTS = ("als+attributes", "als+pseudo", "als+augmented")

_CONTENT_TASKS = produced_by("item_features", "user_features")
_INTERACTION_TASKS = produced_by("interactions")


def augmented_variants(split: Split, records: Iterable[Mapping[str, Any]], seed: int = 0, *,
                       als: Mapping[str, Any] | None = None,
                       enrich_options: Mapping[str, Any] | None = None,
                       include: Iterable[str] = VARIANTS) -> dict[str, ALSRecommender]:
    """Fit the augmented ALS variants on ``split.train`` enriched with ``records``.

    ``als`` overrides :class:`ALSRecommender` parameters (use the same as the
    baselines'); ``enrich_options`` are passed to :func:`enrich`. Only
    ``split.train`` is read, so held-out interactions cannot leak in.
    """
    records = list(records)
    opts = {"seed": seed, **(enrich_options or {})}
    params = {"seed": seed, **(als or {}), "cold_items": "mapping"}
    subsets = {
        "als+attributes": [r for r in records if r.get("task") in _CONTENT_TASKS],
        "als+pseudo": [r for r in records if r.get("task") in _INTERACTION_TASKS],
        "als+augmented": records,
    }
    models: dict[str, ALSRecommender] = {}
    for name in include:
        if name not in subsets:
            raise ConfigError(f"unknown variant {name!r}; use {list(VARIANTS)}", key="models")
        train = enrich(split.train, subsets[name], **opts)
        models[name] = ALSRecommender(**params).fit(train)
    return models
