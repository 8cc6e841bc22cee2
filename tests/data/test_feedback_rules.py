"""Feedback rules on logs whose right answer is worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from augment.data.feedback import FeedbackRule
from augment.data.mapped import read_mapped
from augment.data.mapping import ColumnMapping
from augment.errors import ConfigError, DataError

EVENTS = pd.DataFrame(
    [("u1", "i1", "view", 100), ("u1", "i1", "view", 101), ("u1", "i1", "cart", 200),
     ("u1", "i2", "view", 300), ("u2", "i1", "purchase", 400), ("u2", "i2", "view", 50),
     ("u2", "i2", "view", 5000)],
    columns=["customer", "sku", "event", "ts"])
WEIGHTS = {"view": 1.0, "cart": 3.0, "purchase": 5.0}
MAPPING = ColumnMapping(user="customer", item="sku", feedback="event", timestamp="ts")


def _weights(tmp_path, frame, rule, mapping=MAPPING) -> dict[tuple[str, str], float]:
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    ds = read_mapped(path, columns=mapping, feedback=rule).dataset
    return {(u, i): w for u, i, w in ds.interactions[["user_id", "item_id", "weight"]]
            .itertuples(index=False)}


@pytest.mark.parametrize(("aggregate", "expected"), [
    ("sum", {("u1", "i1"): 5, ("u1", "i2"): 1, ("u2", "i1"): 5, ("u2", "i2"): 2}),
    ("max", {("u1", "i1"): 3, ("u1", "i2"): 1, ("u2", "i1"): 5, ("u2", "i2"): 1}),
    ("count", {("u1", "i1"): 3, ("u1", "i2"): 1, ("u2", "i1"): 1, ("u2", "i2"): 2}),
    ("last", {("u1", "i1"): 3, ("u1", "i2"): 1, ("u2", "i1"): 5, ("u2", "i2"): 1}),
])
def test_event_aggregations(tmp_path, aggregate, expected):
    rule = FeedbackRule(kind="events", event_weights=WEIGHTS, aggregate=aggregate)
    assert _weights(tmp_path, EVENTS, rule) == pytest.approx(expected)


def test_dedup_window_counts_a_double_click_once(tmp_path):
    rule = FeedbackRule(kind="events", event_weights=WEIGHTS, dedup_seconds=2)
    got = _weights(tmp_path, EVENTS, rule)
    # u1/i1: views at 100 and 101 count once -> 1 + 3; u2/i2: views 4950 s apart both count
    assert got == pytest.approx({("u1", "i1"): 4, ("u1", "i2"): 1, ("u2", "i1"): 5,
                                 ("u2", "i2"): 2})


def test_log1p_transform(tmp_path):
    rule = FeedbackRule(kind="events", event_weights=WEIGHTS, transform="log1p")
    got = _weights(tmp_path, EVENTS, rule)
    assert got[("u1", "i1")] == pytest.approx(math.log(6))
    assert got[("u2", "i2")] == pytest.approx(math.log(3))


def test_bm25_matches_the_formula(tmp_path):
    # items x users counts; bm25 as implicit documents it: idf over users, length per item
    log = pd.DataFrame({"user_id": [1, 1, 2, 3, 3, 3, 4], "item_id": [10, 11, 10, 10, 11, 12, 12],
                        "plays": [4, 1, 2, 1, 7, 3, 5]})
    rule = FeedbackRule(kind="implicit", transform="bm25", bm25_k1=1.2, bm25_b=0.75)
    got = _weights(tmp_path, log, rule, ColumnMapping(feedback="plays"))
    n_items = 3
    items_per_user = {1: 2, 2: 1, 3: 3, 4: 1}
    item_len = {10: 4 + 2 + 1, 11: 1 + 7, 12: 3 + 5}
    avg = sum(item_len.values()) / n_items
    for u, i, x in log.itertuples(index=False):
        idf = math.log(n_items) - math.log1p(items_per_user[u])
        norm = (1 - 0.75) + 0.75 * item_len[i] / avg
        want = x * (1.2 + 1) / (1.2 * norm + x) * idf
        if want > 0:
            assert got[(u, i)] == pytest.approx(want, rel=1e-5)
        else:  # a user who touched every item: idf <= 0, the pair is dropped
            assert (u, i) not in got


def test_implicit_counts_sum_and_no_feedback_counts_rows(tmp_path):
    log = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 5, 5], "plays": [2, 3, 4]})
    assert _weights(tmp_path, log, FeedbackRule(), ColumnMapping(feedback="plays")) == {
        (1, 5): 5, (2, 5): 4}
    assert _weights(tmp_path, log, FeedbackRule(), ColumnMapping()) == {(1, 5): 2, (2, 5): 1}


def test_explicit_thresholds_last_rating_wins(tmp_path):
    log = pd.DataFrame({"u": [1, 1, 2, 3, 4], "i": [7, 7, 7, 7, 7],
                        "stars": [5, 2, 4, 3, 1], "t": [10, 20, 10, 10, 10]})
    rule = FeedbackRule(kind="explicit", threshold=4, negative_threshold=2,
                        rating_range=(1, 5))
    got = _weights(tmp_path, log, rule, ColumnMapping(user="u", item="i", feedback="stars",
                                                      timestamp="t"))
    # user 1 re-rated 5 -> 2 later: last = 2 -> negative; user 3's 3 is dropped
    assert got == {(1, 7): -1.0, (2, 7): 1.0, (4, 7): -1.0}


def test_duplicates_error_only_when_the_rule_says_so(tmp_path):
    rule = FeedbackRule(kind="events", event_weights=WEIGHTS, duplicates="error")
    with pytest.raises(DataError) as err:
        _weights(tmp_path, EVENTS, rule)
    assert err.value.row == 2 and "repeats row 1" in str(err.value)
    assert "('u1', 'i1')" in str(err.value)


def test_rating_outside_range_names_row_and_column(tmp_path):
    log = pd.DataFrame({"user_id": [1, 2, 3], "item_id": [1, 1, 1], "r": [4, 9, 3]})
    rule = FeedbackRule(kind="explicit", rating_range=(0.5, 5))
    with pytest.raises(DataError) as err:
        _weights(tmp_path, log, rule, ColumnMapping(feedback="r"))
    assert (err.value.row, err.value.column) == (2, "r")
    assert "log.csv" in str(err.value) and "rating 9" in str(err.value)


def test_event_type_without_weight_is_an_error(tmp_path):
    log = EVENTS.copy()
    log.loc[4, "event"] = "wishlist"
    with pytest.raises(DataError) as err:
        _weights(tmp_path, log, FeedbackRule(kind="events", event_weights=WEIGHTS))
    assert (err.value.row, err.value.column) == (5, "event")
    assert "'wishlist' has no weight" in str(err.value)


def test_mapping_errors():
    with pytest.raises(ConfigError, match="mapped twice"):
        ColumnMapping(user="id", item="id").check()
    with pytest.raises(ConfigError, match="both text"):
        ColumnMapping(text=("email",), private=("email",)).check()
    with pytest.raises(ConfigError, match="needs event_weights"):
        FeedbackRule(kind="events").check(has_feedback=True)


def test_missing_column_names_source_and_column(tmp_path):
    with pytest.raises(DataError) as err:
        _weights(tmp_path, EVENTS, FeedbackRule(kind="events", event_weights=WEIGHTS),
                 ColumnMapping(user="customer_id", item="sku", feedback="event"))
    assert err.value.column == "customer_id" and "did you mean 'customer'" in str(err.value)


def test_chunks_give_the_same_answer_as_one_read(tmp_path, rng):
    n = 5000
    log = pd.DataFrame({"user_id": rng.integers(0, 50, n), "item_id": rng.integers(0, 80, n),
                        "event": rng.choice(["view", "cart", "purchase"], n),
                        "ts": rng.integers(0, 100_000, n)})
    path = tmp_path / "log.parquet"
    log.to_parquet(path)
    mapping = ColumnMapping(feedback="event", timestamp="ts")
    rule = FeedbackRule(kind="events", event_weights=WEIGHTS, aggregate="last")
    whole = read_mapped(path, columns=mapping, feedback=rule).dataset.interactions
    chunked = read_mapped(path, columns=mapping, feedback=rule, batch_rows=333).dataset
    pd.testing.assert_frame_equal(whole, chunked.interactions)
    # against pandas: the event weight of each pair's latest row (ties: later row)
    w = log.assign(w=log["event"].map(WEIGHTS), row=np.arange(n))
    last = w.sort_values(["ts", "row"]).groupby(["user_id", "item_id"])["w"].last()
    got = whole.set_index(["user_id", "item_id"])["weight"]
    pd.testing.assert_series_equal(got.sort_index(), last.sort_index().astype(float),
                                   check_names=False)


def test_weights_beyond_the_loaders_limit_are_an_error(tmp_path):
    log = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 5, 5], "plays": [9e5, 9e5, 4]})
    with pytest.raises(DataError, match="weight 1.8e\\+06") as err:
        _weights(tmp_path, log, FeedbackRule(), ColumnMapping(feedback="plays"))
    assert err.value.column == "plays" and "(1, 5)" in str(err.value)
    got = _weights(tmp_path, log, FeedbackRule(transform="log1p"), ColumnMapping(feedback="plays"))
    assert got[(1, 5)] == pytest.approx(math.log1p(1.8e6))
