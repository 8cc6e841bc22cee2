"""The field's protocol against a ranking computed by hand (not against evaluate itself).

Item-cold, ColdRec style: cold items 11, 12 are validation items and 13, 14 test
items; a cold test interaction is ranked among ALL four cold items, and recall
divides by |relevant|. The fixed scores below make each rule change the figures:
ranking among the test cold items only would give user A recall@1 = 1, not 0;
dividing by min(k, |relevant|) would give user B recall@1 = 1, not 1/2.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
from augment.evaluation import evaluate, per_user, protocol
from augment.splits import Split

SCORES = {
    "A": {1: 1.0, 2: 0.99, 3: 0.5, 4: 0.6, 11: 0.9, 12: 0.1, 13: 0.8, 14: 0.2},
    "B": {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.4, 11: 0.9, 12: 0.1, 13: 0.5, 14: 0.95},
    "C": {i: 0.0 for i in (1, 2, 3, 4, 11, 12, 13, 14)},
}


class Fixed:
    def score(self, users, items):
        return np.array([[SCORES[u][i] for i in items] for u in users], dtype=float)


def _split() -> Split:
    def frame(pairs):
        return pd.DataFrame(pairs, columns=["user_id", "item_id"]).assign(weight=1.0)

    train = frame([("A", 1), ("A", 2), ("B", 1), ("C", 1), ("C", 2), ("C", 3), ("C", 4)])
    valid = frame([("A", 11), ("C", 12)]).assign(segment="cold")
    test = pd.concat([frame([("A", 13), ("B", 13), ("B", 14)]).assign(segment="cold"),
                      frame([("A", 3)]).assign(segment="warm")], ignore_index=True)
    full = pd.concat([train, valid.drop(columns="segment"), test.drop(columns="segment")],
                     ignore_index=True)
    items = pd.DataFrame({"item_id": [1, 2, 3, 4, 11, 12, 13, 14]})
    ds = Dataset(full, items, name="hand")
    users = pd.DataFrame({"user_id": ["A", "B", "C"]})
    return Split(kind="item-cold", seed=0, dataset=ds,
                 train=ds.replace(interactions=train, users=users), valid=valid, test=test,
                 cold_items=frozenset({11, 12, 13, 14}), cold_users=frozenset())


def test_cold_items_rank_among_all_cold_items_and_recall_divides_by_relevant():
    sp = _split()
    got = evaluate(sp, {"m": Fixed()}, k=(1, 2, 3))["models"]["m"]
    # A: ranking 11 (0.9), 13 (0.8), 14, 12; relevant {13} -> hits@1 0, @2 1
    # B: ranking 14 (0.95), 11 (0.9), 13 (0.5), 12; relevant {13, 14} -> hits@1 1, @2 1, @3 2
    assert got["cold"]["recall@1"] == pytest.approx((0 + 1 / 2) / 2)
    assert got["cold"]["recall_capped@1"] == pytest.approx((0 + 1 / 1) / 2)
    assert got["cold"]["recall@2"] == pytest.approx((1 + 1 / 2) / 2)
    assert got["cold"]["recall@3"] == pytest.approx((1 + 2 / 2) / 2)
    ndcg_a2 = (1 / math.log2(3)) / 1.0
    ndcg_b2 = 1.0 / (1 + 1 / math.log2(3))
    assert got["cold"]["ndcg@2"] == pytest.approx((ndcg_a2 + ndcg_b2) / 2)
    assert got["cold"]["coverage@1"] == pytest.approx(2 / 4)  # 11 and 14 of 4 cold items
    # warm: A's training items 1, 2 are masked -> ranking 4 (0.6), 3 (0.5)
    assert got["warm"]["recall@1"] == 0.0 and got["warm"]["recall@2"] == 1.0


def test_per_user_rows_average_to_the_table():
    sp = _split()
    rows = per_user(sp, Fixed(), k=(1,), include=("cold",))
    assert rows.set_index("user_id")["recall@1"].to_dict() == {"A": 0.0, "B": 0.5}
    assert rows.set_index("user_id")["recall_capped@1"].to_dict() == {"A": 0.0, "B": 1.0}


def test_validation_uses_the_same_all_cold_candidates():
    sp = _split()
    got = per_user(sp, Fixed(), k=(1,), on="valid", include=("cold",)).set_index("user_id")
    # A's validation item 11 scores 0.9, first among 11, 12, 13, 14; C ties everywhere
    assert got.loc["A", "recall@1"] == 1.0
    assert set(got.index) == {"A", "C"}


def test_protocol_object_names_the_rules():
    p = protocol(_split())
    assert "all cold items" in p["candidates"]["cold"]
    assert p["recall"] == "hits@k / |relevant|"
    assert "min(k" in p["recall_capped"]
