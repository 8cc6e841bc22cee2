"""choose_enrichment: known answers on a synthetic split (right picks help, junk does not)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from augment.errors import ConfigError
from augment.evaluation import evaluate, fit_baselines
from augment.tuning import auto_variants, choose_enrichment, select_records

from .conftest import attribute_records, pseudo_records

ALS = {"factors": 16, "iterations": 10}


def _test_cold(split, models) -> dict[str, float]:
    res = evaluate(split, models, k=(20,))["models"]
    return {n: m["cold"]["recall@20"] for n, m in res.items()}


def test_right_picks_get_a_positive_weight_and_help_on_test(clustered_split):
    records = pseudo_records(clustered_split, junk=False)
    choice = choose_enrichment(clustered_split, records, als=ALS)
    assert choice.weight > 0
    assert len(choice.table) == 1 + 3 * 2  # no attribute records: no attribute candidate
    assert sum(r["chosen"] for r in choice.table) == 1
    chosen = next(r for r in choice.table if r["chosen"])
    assert chosen["cold"] > choice.baseline["cold"]
    assert chosen["warm"] >= choice.baseline["warm"] * 0.98
    models, _ = auto_variants(clustered_split, records, als=ALS, choice=choice,
                              include=["als+pseudo"])
    base = fit_baselines(clustered_split, als=ALS, include=["als+content"])
    cold = _test_cold(clustered_split, {**base, **models})
    assert cold["als+pseudo"] > 1.2 * cold["als+content"]


def test_junk_picks_fall_back_to_weight_zero(clustered_split):
    records = pseudo_records(clustered_split, junk=True)
    choice = choose_enrichment(clustered_split, records, als=ALS)
    models, _ = auto_variants(clustered_split, records, als=ALS, choice=choice,
                              include=["als+pseudo"])
    base = fit_baselines(clustered_split, als=ALS, include=["als+content"])
    cold = _test_cold(clustered_split, {**base, **models})
    # weight 0 is the expected answer; any other choice must not cost on test
    assert choice.weight == 0 or cold["als+pseudo"] >= cold["als+content"]
    assert choice.weight == 0
    assert choice.enrich_options == {}
    assert not [r for r in choice.select(records) if r["task"] == "pseudo_interactions"]


def test_no_pseudo_records_is_one_candidate(clustered_split):
    choice = choose_enrichment(clustered_split, [], als=ALS)
    assert choice.weight == 0 and choice.denoise_quantile is None
    assert len(choice.table) == 1 and choice.table[0]["chosen"]


def test_the_test_set_is_never_read(clustered_split):
    records = pseudo_records(clustered_split, junk=False)
    a = choose_enrichment(clustered_split, records, als=ALS, weights=(0.0, 0.3),
                          denoise_quantiles=(None,))
    blank = dataclasses.replace(clustered_split, test=clustered_split.test.iloc[:0])
    b = choose_enrichment(blank, records, als=ALS, weights=(0.0, 0.3),
                          denoise_quantiles=(None,))
    assert a.table == b.table


def test_warm_constraint_blocks_every_candidate(clustered_split):
    records = pseudo_records(clustered_split, junk=False)
    # warm must double: no candidate can, so the unaugmented model stays
    choice = choose_enrichment(clustered_split, records, als=ALS, weights=(0.0, 0.3),
                               denoise_quantiles=(None,), max_warm_drop=-1.0)
    assert choice.weight == 0
    assert not any(r["eligible"] for r in choice.table[1:])


def test_min_gain_keeps_the_baseline(clustered_split):
    records = pseudo_records(clustered_split, junk=False)
    choice = choose_enrichment(clustered_split, records, als=ALS, weights=(0.0, 1.0),
                               denoise_quantiles=(None,), min_gain=10.0)
    assert choice.weight == 0
    assert "no generated data used" in choice.reason


def test_enrich_options_of_a_positive_choice(clustered_split):
    records = pseudo_records(clustered_split, junk=False)
    choice = choose_enrichment(clustered_split, records, als=ALS, weights=(0.3,),
                               denoise_quantiles=(None,), negative_ratio=0.5)
    assert choice.weight == 0.3
    assert choice.enrich_options == {"pseudo_weight": 0.3, "negative_weight": 0.15,
                                     "denoise_quantile": None}
    assert select_records(records, 0.3) == records
    assert choice.to_dict()["weight"] == 0.3


@pytest.mark.parametrize("kw", [{"weights": (-1.0,)}, {"denoise_quantiles": (1.5,)},
                                {"metric": "recall@x"}])
def test_bad_arguments(clustered_split, kw):
    with pytest.raises(ConfigError):
        choose_enrichment(clustered_split, [], **kw)


def test_auto_variants_reuses_the_chosen_model_identically(clustered_split):
    from augment.enrich import augmented_variants

    records = pseudo_records(clustered_split, junk=False)
    models, choice = auto_variants(clustered_split, records, als=ALS, weights=(0.0, 0.3),
                                   denoise_quantiles=(None,))
    assert choice.weight == 0.3 and set(models) == {"als+attributes", "als+pseudo",
                                                    "als+augmented"}
    again = augmented_variants(clustered_split, records, als=ALS,
                               enrich_options=choice.enrich_options, include=["als+augmented"])
    np.testing.assert_array_equal(models["als+augmented"].item_factors,
                                  again["als+augmented"].item_factors)


@pytest.mark.parametrize("junk", [False, True])
def test_attributes_are_used_only_when_they_help(clustered_split, junk):
    records = attribute_records(clustered_split, junk=junk)
    choice = choose_enrichment(clustered_split, records, als=ALS)
    assert [(r["attributes"], r["weight"]) for r in choice.table] == [(False, 0.0), (True, 0.0)]
    assert choice.attributes is (not junk)
    kept = choice.select(records)
    assert (len(kept) == len(records)) is (not junk)
    if not junk:
        assert choice.table[1]["cold"] > choice.baseline["cold"]


def test_grid_builds_on_the_better_content_setting(clustered_split):
    records = (attribute_records(clustered_split, junk=True)
               + pseudo_records(clustered_split, junk=False))
    choice = choose_enrichment(clustered_split, records, als=ALS, weights=(0.0, 1.0),
                               denoise_quantiles=(None,))
    assert [(r["attributes"], r["weight"]) for r in choice.table] == [
        (False, 0.0), (True, 0.0), (False, 1.0)]
    assert choice.weight == 1.0 and choice.attributes is False
    assert all(r["task"] == "pseudo_interactions" for r in choice.select(records))
