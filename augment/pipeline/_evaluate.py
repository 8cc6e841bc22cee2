"""Enrichment weight, evaluation of baselines + augmented variants, enriched-data export."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import scipy.sparse as sp

from augment.enrich import augmented_variants, enrich
from augment.evaluation import evaluate, fit_baselines
from augment.jobs.config import JobConfig
from augment.jobs.rundir import atomic_write_bytes
from augment.splits import Split
from augment.tasks.registry import produced_by
from augment.tuning import EnrichmentChoice, choose_enrichment

__all__ = ["choose_enrichment_for_job", "evaluate_job", "export_enriched"]

log = logging.getLogger("augment.pipeline")

_CONTENT = produced_by("item_features", "user_features")
_INTERACTIONS = produced_by("interactions")


def choose_enrichment_for_job(cfg: JobConfig, split: Split, records: Sequence[Mapping[str, Any]]
                  ) -> EnrichmentChoice:
    """The job's ``[enrich]`` settings as a choice: given ones as they are, ``"auto"`` ones
    chosen by :func:`augment.tuning.choose_enrichment` on the validation interactions,
    with the job's confidence weights and its denoising when that is fixed."""
    e = cfg.enrich
    denoise = None if e.denoise_quantile == "auto" else (float(e.denoise_quantile) or None)
    if e.weight != "auto":
        return EnrichmentChoice.fixed(float(e.weight), denoise, confidence_weights=e.confidence)
    if not records:
        return EnrichmentChoice.fixed(0.0, denoise, confidence_weights=e.confidence,
                                      chosen_by="unused")
    log.info("choosing the enrichment on the validation interactions")
    grid = {} if e.denoise_quantile == "auto" else {"denoise_quantiles": (denoise,)}
    choice = choose_enrichment(split, list(records), seed=cfg.split.seed, als=cfg.als.params(),
                               confidence_weights=e.confidence, **grid)
    if choice.weight <= 0 and any(r.get("task") in _INTERACTIONS for r in records):
        log.warning("enrich.weight = 'auto' left the generated interactions out: %s",
                    choice.reason)
    return choice


def _variants(records: Sequence[Mapping[str, Any]]) -> list[str]:
    tasks = {r.get("task") for r in records}
    content, pseudo = bool(tasks & _CONTENT), bool(tasks & _INTERACTIONS)
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


def _parquet(df: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    df.to_parquet(buffer, index=False)
    return buffer.getvalue()


def _long(x: sp.csr_matrix | None, ids: Any, names: Sequence[str] | None, column: str
          ) -> pd.DataFrame:
    coo = sp.coo_matrix(x) if x is not None else sp.coo_matrix((0, 0))
    names = list(names or [f"f{j}" for j in range(coo.shape[1])])
    return pd.DataFrame({column: [ids[i] for i in coo.row],
                         "feature": [names[j] for j in coo.col], "value": coo.data})


def export_enriched(cfg: JobConfig, split: Split, records: Sequence[Mapping[str, Any]],
                    choice: EnrichmentChoice, folder: Path) -> dict[str, int]:
    """Write the enriched training data as Parquet for any trainer.

    ``interactions.parquet`` (``source`` = observed / generated), and the item and
    user features in long form (id, feature, value).
    """
    data = enrich(split.train, choice.select(records), seed=cfg.split.seed,
                  **choice.enrich_options)
    names = data.feature_names or {}
    item_x = _long(data.item_features, data.item_vocab.ids, names.get("item"), "item_id")
    user_x = _long(data.user_features, data.user_vocab.ids, names.get("user"), "user_id")
    atomic_write_bytes(folder / "interactions.parquet", _parquet(data.interactions))
    atomic_write_bytes(folder / "items.parquet", _parquet(data.items))
    atomic_write_bytes(folder / "item_features.parquet", _parquet(item_x))
    atomic_write_bytes(folder / "user_features.parquet", _parquet(user_x))
    generated = int((data.interactions["source"] == "generated").sum())
    return {"interactions": len(data.interactions), "generated_interactions": generated,
            "item_feature_values": len(item_x), "user_feature_values": len(user_x)}
