"""A job's [enrich] settings reach the tuned choice, the chosen model and the export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from augment.enrich import enrich
from augment.export import export_enriched
from augment.jobs import parse_job
from augment.recommend import ALSRecommender
from augment.tuning import EnrichmentChoice

from .conftest import pseudo_records

CONFIDENCE = {"high": 0.5, "medium": 0.3, "low": 0.1}
JOB = """
[enrich]
weight = "auto"
denoise_quantile = 0.1
confidence = {high = 0.5, medium = 0.3, low = 0.1}
[als]
factors = 16
iterations = 5
"""


def _choose(cfg, split, records) -> EnrichmentChoice:
    """What ``run_job`` does with the job's [enrich] section."""
    return cfg.enrich.choose(split, records, seed=cfg.split.seed, als=cfg.als.params())


@pytest.fixture(scope="module")
def tuned(clustered_split):
    cfg = parse_job(JOB)
    records = pseudo_records(clustered_split, junk=False)
    return cfg, records, _choose(cfg, clustered_split, records)


def test_fixed_denoise_and_confidence_weights_reach_the_tuner(tuned):
    _, _, choice = tuned
    assert choice.chosen_by == "auto" and choice.weight > 0  # the true picks help
    assert choice.denoise_quantile == 0.1
    assert {row["quantile"] for row in choice.table if row["weight"] > 0} == {0.1}
    assert choice.confidence_weights == CONFIDENCE
    assert choice.enrich_options["confidence_weights"] == CONFIDENCE
    assert choice.to_dict()["confidence_weights"] == CONFIDENCE


def test_the_chosen_model_is_the_exported_model(tuned, clustered_split, tmp_path):
    cfg, records, choice = tuned
    export_enriched(clustered_split.train, records, choice, tmp_path, seed=cfg.split.seed)
    exported = pd.read_parquet(tmp_path / "interactions.parquet")
    data = enrich(clustered_split.train, choice.select(records), seed=cfg.split.seed,
                  **choice.enrich_options)
    generated = exported[exported["source"] == "generated"]
    pd.testing.assert_frame_equal(generated.reset_index(drop=True),
                                  data.interactions[data.interactions["source"] == "generated"]
                                  .reset_index(drop=True), check_dtype=False)
    # every pick says "high": its weight is the chosen weight x the job's 0.5 (one vote each)
    assert np.allclose(generated["weight"], choice.weight * CONFIDENCE["high"])
    # denoising at the job's 0.1 dropped some picks
    undenoised = enrich(clustered_split.train, records, seed=cfg.split.seed,
                        **{**choice.enrich_options, "denoise_quantile": None})
    assert len(generated) < (undenoised.interactions["source"] == "generated").sum()
    # the model the tuner chose was fit on exactly this data
    model = ALSRecommender(seed=cfg.split.seed, **cfg.als.params()).fit(data)
    assert choice.model is not None
    np.testing.assert_array_equal(choice.model.item_factors, model.item_factors)
    np.testing.assert_array_equal(choice.model.user_factors, model.user_factors)


def test_a_fixed_weight_is_not_tuned(clustered_split):
    cfg = parse_job('[enrich]\nweight = 0.4\ndenoise_quantile = 0.2\n')
    choice = _choose(cfg, clustered_split, pseudo_records(clustered_split, junk=False))
    assert choice == EnrichmentChoice.fixed(0.4, 0.2, confidence_weights=cfg.enrich.confidence)
    assert choice.chosen_by == "job" and not choice.table
    assert choice.enrich_options == {"pseudo_weight": 0.4, "negative_weight": 0.4,
                                     "denoise_quantile": 0.2,
                                     "confidence_weights": cfg.enrich.confidence}
    auto = parse_job('[enrich]\nweight = 0.4\n')
    assert _choose(auto, clustered_split, []).denoise_quantile is None
