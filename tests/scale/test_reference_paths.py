"""The scale fixes against straightforward reference implementations kept here.

Each fast path (work items with shared subschemas and cards redacted once, the item-cold
split taking each part once, the duplicate check by sort, canonical JSON through orjson)
must give exactly what the plain code gives on small synthetic data.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from augment.data import dataset_from_frames
from augment.data.tables import _all_distinct
from augment.providers.base import canonical_json
from augment.splits import split
from augment.tasks import PseudoInteractions
from augment.tasks.redaction import redact
from augment.tasks.schema_tools import with_enum
from augment.testing.catalog import synthetic_catalog

# -- references ------------------------------------------------------------------------------


def ref_with_enum(schema: dict[str, Any], path: list[str], values: list[str]) -> dict[str, Any]:
    out = copy.deepcopy(schema)
    node = out
    for key in path:
        node = node[key]
    node["enum"] = list(values)
    return out


def ref_redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {str(k): ref_redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [ref_redact(v) for v in value]
    return value


def ref_data_block(value: Any) -> str:
    text = json.dumps(ref_redact(value), ensure_ascii=False, separators=(", ", ": "))
    return "<data>\n" + text.replace("</", "<\\/") + "\n</data>"


def ref_item_cold(inter: pd.DataFrame, seed: int, frac: float = 0.2):
    """The item-cold split as written before (mask, then mask of the masked frame)."""
    rng = np.random.default_rng(seed)
    items = pd.Index(pd.unique(inter["item_id"])).sort_values().to_numpy()
    n_cold = int(math.floor(len(items) * frac + 0.5))
    cold = rng.choice(items, size=n_cold, replace=False)
    ids = rng.permutation(np.sort(cold))
    valid_items, test_items = ids[:len(ids) // 2], ids[len(ids) // 2:]
    is_cold = inter["item_id"].isin(cold).to_numpy()
    warm = inter[~is_cold]
    n = len(warm)
    part = np.zeros(n, dtype=np.int8)
    part[:int(round(n * 0.1))] = 1
    part[int(round(n * 0.1)):int(round(n * 0.1)) + int(round(n * 0.1))] = 2
    part = rng.permutation(part)
    cold_df = inter[is_cold]
    valid = pd.concat([warm[part == 1].assign(segment="warm"),
                       cold_df[cold_df["item_id"].isin(valid_items)].assign(segment="cold")])
    test = pd.concat([warm[part == 2].assign(segment="warm"),
                      cold_df[cold_df["item_id"].isin(test_items)].assign(segment="cold")])
    return warm[part == 0], valid, test, frozenset(cold.tolist())


# -- work items ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog_split():
    ds = synthetic_catalog(20_000, seed=3).dataset
    items = ds.items.copy()
    # personal data in some titles: the prompts must carry it redacted, as before
    items.loc[items.index[:40:4], "title"] = "Call 555-123-4567 or mail ann@example.com"
    ds = dataset_from_frames(ds.interactions, items)
    return split(ds, "item-cold", seed=1)


def test_work_items_equal_the_reference(catalog_split):
    sp = catalog_split
    cold_items = sorted(sp.cold_items)[:25]
    counts = sp.train.interactions.groupby("user_id").size()
    cold_users = counts.sort_values(kind="stable").index[:25].tolist()
    task = PseudoInteractions(sp.train, cold_items=cold_items, cold_users=cold_users,
                              n_candidates=12, n_repeats=2, seed=4)
    items = task.work_items()
    assert len(items) == 2 * (len(cold_items) + len(cold_users))
    redacted = 0
    for it in items:
        order = it.meta["candidates"]
        if it.meta["direction"] == "item":
            schema = ref_with_enum(task.item_schema, ["properties", "users", "items",
                                                      "properties", "user_id"],
                                   [str(c) for c in order])
            text = ("Which of these users would interact with the item?\n"
                    + ref_data_block({"item": task._item_card(it.meta["item_id"]),
                                      "candidates": [task._user_card(u) for u in order]}))
        else:
            schema = task.user_schema
            for name in ("positives", "negatives"):
                schema = ref_with_enum(schema, ["properties", name, "items", "properties",
                                                "item_id"], [str(c) for c in order])
            text = ("Which candidate items would this user like, and which not?\n"
                    + ref_data_block({"user": task._cold_user_card(it.meta["user_id"]),
                                      "candidates": [task._item_card(i) for i in order]}))
        assert it.request.schema == schema
        assert it.request.messages[1]["content"] == text
        redacted += "[PHONE]" in text
    assert redacted > 0  # the redaction path was exercised
    assert "555-123" not in "".join(it.request.messages[1]["content"] for it in items)


def test_with_enum_leaves_the_template_and_other_copies_alone():
    base = {"type": "object", "properties": {"a": {"type": "array", "items": {
        "type": "object", "properties": {"id": {"type": "string"}}}}, "b": {"type": "string"}}}
    before = copy.deepcopy(base)
    path = ["properties", "a", "items", "properties", "id"]
    one, two = with_enum(base, path, ["x"]), with_enum(base, path, ["y", "z"])
    assert base == before
    assert one == ref_with_enum(before, path, ["x"])
    assert two["properties"]["a"]["items"]["properties"]["id"]["enum"] == ["y", "z"]
    assert one["properties"]["b"] is base["properties"]["b"]  # off the path: shared


# -- split -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 5])
def test_item_cold_split_equals_the_reference(seed):
    ds = synthetic_catalog(30_000, seed=seed).dataset
    train, valid, test, cold = ref_item_cold(ds.interactions, seed)
    sp = split(ds, "item-cold", seed=seed)
    pd.testing.assert_frame_equal(sp.train.interactions, train.reset_index(drop=True))
    pd.testing.assert_frame_equal(sp.valid, valid.reset_index(drop=True))
    pd.testing.assert_frame_equal(sp.test, test.reset_index(drop=True))
    assert sp.cold_items == cold


# -- duplicates ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["int", "str"])
def test_all_distinct_equals_pandas(kind):
    rng = np.random.default_rng(2)
    for n, n_ids in ((50, 5), (2000, 400), (2000, 100_000)):
        u, i = rng.integers(0, n_ids, n), rng.integers(0, n_ids, n)
        df = pd.DataFrame({"user_id": u, "item_id": i})
        if kind == "str":
            df = df.astype(str)
        df = df.drop_duplicates().reset_index(drop=True) if n_ids == 100_000 else df
        for cols in (["user_id", "item_id"], ["item_id"]):
            assert _all_distinct(df, cols) == (not df.duplicated(subset=cols).any())


# -- canonical JSON --------------------------------------------------------------------------


def ref_canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=6), kids,
                                                              max_size=4),
    max_leaves=20)


@settings(max_examples=400, deadline=None)
@given(_json)
def test_canonical_json_equals_json(value):
    assert canonical_json(value) == ref_canonical(value)


@dataclasses.dataclass
class _Point:
    x: int


@pytest.mark.parametrize("value", [
    1e-5, -1e-5, 9.9e-5, 1e-4, 1e16, -1.5e300, 5e-324, 0.1, 100.0, -0.0, float("nan"),
    {"temperature": 0.7, "top_p": 1.0}, {"b": 1, "a": [1, 2.5, None]}, {1: "x", 2: "y"},
    (1, "a"), dt.datetime(2020, 1, 2, 3, 4), dt.date(2020, 1, 2), _Point(3),
    np.int64(3), np.float64(2.5), 2**64, "1e5 and null in a string", "é 😀 \u2028\x00\x7f",
    {"enum": ["0e3f", "9E1"], "minimum": 0, "maximum": 1},
])
def test_canonical_json_special_values(value):
    assert canonical_json(value) == ref_canonical(value)
