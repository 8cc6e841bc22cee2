"""A job's evaluation: the baselines and the augmented variants its records allow."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from augment.enrich import augmented_variants
from augment.evaluation import evaluate, fit_baselines
from augment.jobs.config import JobConfig
from augment.splits import Split
from augment.tasks.registry import produced_by
from augment.tuning import EnrichmentChoice

__all__ = ["evaluate_job"]

log = logging.getLogger("augment.pipeline")

_CONTENT = produced_by("item_features", "user_features")


def _variants(records: Sequence[Mapping[str, Any]]) -> list[str]:
    tasks = {r.get("task") for r in records}
    content, pseudo = bool(tasks & _CONTENT), bool(tasks & produced_by("interactions"))
    out = (["als+attributes"] if content else []) + (["als+pseudo"] if pseudo else [])
    return out + (["als+augmented"] if content and pseudo else [])


def evaluate_job(cfg: JobConfig, split: Split, records: Sequence[Mapping[str, Any]],
                 choice: EnrichmentChoice) -> dict[str, Any]:
    """Baselines and the augmented variants that the records allow, in one metrics dict.

    ``als+attributes`` and ``als+pseudo`` use their kind of records (pseudo-interactions
    at the chosen weight, none at weight 0); ``als+augmented`` is exactly the chosen
    enrichment (:meth:`EnrichmentChoice.select`), i.e. what the run exports.
    """
    seed = cfg.split.seed
    als = cfg.als.params()
    log.info("fitting baselines")
    models: dict[str, Any] = fit_baselines(split, seed=seed, als=als)
    weighted = choice.weighted(records)
    names = _variants(weighted)
    if names:
        log.info("fitting augmented models: %s", ", ".join(names))
        opts = choice.enrich_options
        single = [n for n in names if n != "als+augmented"]
        models.update(augmented_variants(split, weighted, seed, als=als, include=single,
                                         enrich_options=opts))
        if "als+augmented" in names:
            models.update(augmented_variants(split, choice.select(records), seed, als=als,
                                             include=["als+augmented"], enrich_options=opts))
    log.info("evaluating %d models on the test interactions", len(models))
    return evaluate(split, models, k=cfg.evaluation.k, seed=seed)
