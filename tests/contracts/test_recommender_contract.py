"""The recommender contract over every baseline and augmented variant."""

from __future__ import annotations

from typing import Any

import pytest

from augment.enrich import augmented_variants
from augment.enrich.variants import VARIANTS
from augment.errors import ConfigError
from augment.evaluation import fit_baselines
from augment.evaluation.baselines import BASELINES
from augment.testing.contracts import RecommenderContract
from augment.testing.contracts._recommender import SyntheticCase

ALS = {"factors": 8, "iterations": 10, "regularization": 1.0}


class _Baseline(RecommenderContract):
    name = ""

    def fit(self, case: SyntheticCase, seed: int) -> Any:
        return fit_baselines(case.split, seed, als=ALS, include=[self.name])[self.name]


class _Variant(RecommenderContract):
    name = ""

    def fit(self, case: SyntheticCase, seed: int) -> Any:
        return augmented_variants(case.split, case.records, seed, als=ALS,
                                  include=[self.name])[self.name]


class TestRandom(_Baseline):
    name = "random"
    learns_preferences = False
    places_cold_items = False


class TestPopularity(_Baseline):
    name = "popularity"
    learns_preferences = False
    places_cold_items = False


class TestContentKNN(_Baseline):
    name = "content_knn"


class TestALS(_Baseline):
    name = "als"
    places_cold_items = False  # cold items get zero factors: they rank by chance


class TestALSContent(_Baseline):
    name = "als+content"


class TestALSAttributes(_Variant):
    name = "als+attributes"


class TestALSPseudo(_Variant):
    name = "als+pseudo"


class TestALSAugmented(_Variant):
    name = "als+augmented"


def test_every_baseline_and_variant_runs_the_contract():
    names = {cls.name for cls in globals().values()
             if isinstance(cls, type) and cls.__name__.startswith("Test")}
    assert names == set(BASELINES) | set(VARIANTS)


def test_unfitted_models_say_so():
    from augment.evaluation.baselines import ContentKNNScorer, PopularityScorer, RandomScorer
    from augment.recommend import ALSRecommender
    for model in (ALSRecommender(), RandomScorer(), PopularityScorer(), ContentKNNScorer()):
        assert not model.is_trained()
        with pytest.raises(ConfigError, match="fit"):
            model.score([1], [1000])
