"""Enrichment weight, evaluation of baselines + augmented variants, enriched-data export."""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import scipy.sparse as sp

from augment.enrich import augmented_variants, enrich
from augment.evaluation import evaluate, fit_baselines
from augment.jobs.config import JobConfig
from augment.jobs.rundir import atomic_write_bytes
from augment.splits import Split

__all__ = ["EnrichmentChoice", "choose_weight", "evaluate_job", "export_enriched",
           "FALLBACK_WEIGHT"]

log = logging.getLogger("augment.pipeline")

FALLBACK_WEIGHT = 0.3
"""Pseudo-interaction weight used for ``weight = "auto"`` when no tuner is available."""

_CONTENT = {"item_attributes", "user_profiles"}


@dataclass
class EnrichmentChoice:
    """The enrichment settings a run used, and how they were chosen."""

    weight: float
    """Weight of a generated positive (0 = generated interactions left out)."""
    denoise_quantile: float | None
    """Share of the least plausible generated interactions dropped (None = keep all)."""
    chosen_by: str
    """``"job"`` (numeric weight in the job), ``"auto"`` (tuned on validation),
    ``"fallback"`` (auto requested, tuner unavailable) or ``"unused"`` (no generated records)."""
    table: list[dict[str, Any]] = field(default_factory=list)
    """The tuner's candidates and their validation scores (auto only)."""
    reason: str = ""
    """Why (auto only)."""
    negative_weight: float | None = None
    """Weight of a generated negative (None = the same as ``weight``)."""
    attributes: bool = True
    """Use generated attributes / profiles in ``als+augmented`` and the export (auto may
    find they do not help on validation)."""

    def as_dict(self) -> dict[str, Any]:
        return {"weight": self.weight, "denoise_quantile": self.denoise_quantile,
                "attributes": self.attributes, "chosen_by": self.chosen_by,
                "reason": self.reason, "table": self.table}

    def weighted(self, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``records`` without pseudo-interactions when the weight is 0."""
        if self.weight > 0:
            return list(records)
        return [r for r in records if r.get("task") != "pseudo_interactions"]

    def select(self, records: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """What the chosen enrichment uses: :meth:`weighted`, minus attributes/profiles
        when they were not chosen."""
        return [r for r in self.weighted(records)
                if self.attributes or r.get("task") not in _CONTENT]

    def enrich_options(self, cfg: JobConfig) -> dict[str, Any]:
        """Keyword arguments of ``augment.enrich.enrich`` (job confidence weights kept)."""
        opts = cfg.enrich.enrich_options(self.weight if self.weight > 0 else FALLBACK_WEIGHT)
        opts["denoise_quantile"] = self.denoise_quantile or None
        opts["negative_weight"] = (self.negative_weight if self.negative_weight is not None
                                   else opts["pseudo_weight"])
        return opts


def choose_weight(cfg: JobConfig, split: Split, records: Sequence[Mapping[str, Any]]
                  ) -> EnrichmentChoice:
    """The job's weight, or for ``"auto"`` what ``augment.tuning.choose_enrichment`` picks
    on the validation interactions: the weight and denoising of pseudo-interactions and
    whether generated attributes/profiles are used (nothing to choose without records)."""
    denoise = cfg.enrich.denoise_quantile or None
    if cfg.enrich.weight != "auto":
        return EnrichmentChoice(float(cfg.enrich.weight), denoise, "job")
    if not records:
        return EnrichmentChoice(FALLBACK_WEIGHT, denoise, "unused")
    try:
        from augment.tuning import choose_enrichment
    except ImportError:
        log.warning("enrich.weight = 'auto' but augment.tuning is not available: using %.2f",
                    FALLBACK_WEIGHT)
        return EnrichmentChoice(FALLBACK_WEIGHT, denoise, "fallback")
    log.info("choosing the enrichment on the validation interactions")
    choice = choose_enrichment(split, list(records), seed=cfg.split.seed, als=cfg.als.params())
    if choice.weight <= 0 and any(r.get("task") == "pseudo_interactions" for r in records):
        log.warning("enrich.weight = 'auto' left the generated interactions out: %s",
                    choice.reason)
    return EnrichmentChoice(float(choice.weight), choice.denoise_quantile, "auto",
                            [dict(row) for row in choice.table], choice.reason,
                            negative_weight=choice.negative_ratio * choice.weight,
                            attributes=bool(getattr(choice, "attributes", True)))


def _variants(records: Sequence[Mapping[str, Any]]) -> list[str]:
    tasks = {r.get("task") for r in records}
    content, pseudo = bool(tasks & _CONTENT), "pseudo_interactions" in tasks
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
        opts = choice.enrich_options(cfg)
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
                  **choice.enrich_options(cfg))
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
