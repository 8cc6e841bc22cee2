"""Pick precision / recall and the random-pick expectation on hand-made records."""

from __future__ import annotations

import pandas as pd

from augment.probe.picks import diff_ci, pick_counts, pick_figures
from augment.probe.quality import genre_quality, majority_genre_quality


def _record(item, picks, candidates, repeat=0):
    return {"task": "pseudo_interactions", "direction": "item", "item_id": item,
            "repeat": repeat, "candidates": candidates,
            "output": {"users": [{"user_id": str(u), "confidence": "high"} for u in picks]}}


def test_counts_and_the_exact_random_expectation(world):
    _, sp = world
    cold = sp.valid[(sp.valid["segment"] == "cold") & (sp.valid["weight"] > 0)]
    item = cold["item_id"].iloc[0]
    truth = sorted(cold.loc[cold["item_id"] == item, "user_id"])[:2]
    others = [u for u in sp.dataset.user_vocab.ids if u not in set(
        cold.loc[cold["item_id"] == item, "user_id"])][:6]
    cands = truth + others  # 2 positives among 8 candidates
    records = [_record(item, [truth[0], others[0]], cands, r) for r in (0, 1)]
    df = pick_counts(sp, records, [item])
    row = df.iloc[0]
    assert (row["picks"], row["hits"], row["candidates"]) == (2, 1, 8)
    assert row["random_hits"] == 2 * 2 / 8
    figs = pick_figures(df, None)
    assert figs["precision"]["value"] == 0.5
    assert figs["random"]["precision"]["value"] == 0.25
    assert figs["lift_precision_over_random"]["diff"] == 0.25


def test_diff_ci_brackets_a_known_difference():
    out = diff_ci([3, 3, 3], [4, 4, 4], [1, 1, 1], [4, 4, 4])
    assert out == {"diff": 0.5, "low": 0.5, "high": 0.5}


def test_genre_f1_and_the_majority_guess():
    items = pd.DataFrame({"item_id": [1, 2, 3], "genres": ["A|B", "A", "C"]})
    recs = [{"task": "item_attributes", "item_id": 1, "output": {"genres": ["A", "C"]}},
            {"task": "item_attributes", "item_id": 2, "output": {"genres": ["A"]}}]
    q = genre_quality(recs, items)  # tp 2, predicted 3, true 3
    assert q["precision"] == round(2 / 3, 4) and q["recall"] == round(2 / 3, 4)
    assert majority_genre_quality(items, [1, 2, 3], top=1)["guess"] == ["A"]
