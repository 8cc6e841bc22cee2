"""Evaluation: ranking metrics, baselines and the cold/warm/all protocol."""

from augment.evaluation.baselines import (
    BASELINES,
    ContentKNNScorer,
    PopularityScorer,
    RandomScorer,
    fit_baselines,
)
from augment.evaluation.protocol import METRICS, SEGMENTS, evaluate, per_user, protocol, segments
from augment.evaluation.table import format_table

__all__ = [
    "evaluate",
    "per_user",
    "protocol",
    "fit_baselines",
    "format_table",
    "segments",
    "BASELINES",
    "METRICS",
    "SEGMENTS",
    "RandomScorer",
    "PopularityScorer",
    "ContentKNNScorer",
]
