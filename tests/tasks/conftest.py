"""Fixtures of the tasks tests: a synthetic catalog with a known right answer, fakes that
answer from it, and a helper to run work items through the real engine."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest

from augment.data import Dataset
from augment.engine import Engine, EngineConfig, RunResult
from augment.providers.base import Request
from augment.providers.fake import FakeProvider
from augment.testing.synthetic import clustered_interactions

CLUSTERS = ("Action", "Comedy", "Drama", "Horror", "SciFi")
WORDS = {"Action": "chase explosion", "Comedy": "laugh wedding", "Drama": "family loss",
         "Horror": "ghost night", "SciFi": "space robot"}


def make_synthetic(n_users: int = 200, n_items: int = 300, per_user: int = 20,
                   genre_noise: float = 0.4, seed: int = 0
                   ) -> tuple[Dataset, np.ndarray, np.ndarray]:
    """Users prefer one cluster; 85% of their items come from it. Item genres name the
    cluster only with probability ``1 - genre_noise`` (else a random genre), so text is
    a weak signal and the interactions are the strong one."""
    rng = np.random.default_rng(seed)
    inter, item_cluster, user_cluster = clustered_interactions(
        rng, n_users=n_users, n_items=n_items, n_clusters=len(CLUSTERS), per_user=per_user)
    genres = [CLUSTERS[c] if rng.random() > genre_noise else CLUSTERS[rng.integers(0, 5)]
              for c in item_cluster]
    items = pd.DataFrame({"item_id": np.arange(n_items) + 1000,
                          "title": [f"Film number {i}" for i in range(n_items)],
                          "genres": genres,
                          "description": [f"A story of {WORDS[g]}." for g in genres]})
    return Dataset(inter, items, name="synthetic"), item_cluster, user_cluster


@pytest.fixture(scope="session")
def synthetic() -> tuple[Dataset, np.ndarray, np.ndarray]:
    return make_synthetic()


@pytest.fixture(scope="session")
def item_split(synthetic):
    from augment.splits import split
    return split(synthetic[0], "item-cold", seed=0)


def request_data(request: Request) -> Any:
    """The JSON value inside the last user message's <data> block."""
    text = [m["content"] for m in request.messages if m["role"] == "user"][-1]
    m = re.search(r"<data>\n(.*)\n</data>", text, re.DOTALL)
    assert m, "no <data> block in the prompt"
    return json.loads(m.group(1))


def _truth_answerer(dataset: Dataset, noise: float = 0.0, seed: int = 0
                   ) -> Callable[[Request], dict[str, Any]]:
    """A fake's fn answering pseudo-interaction requests from the full (held-out) data.

    With probability ``noise`` per candidate, the true answer is replaced by a coin flip.
    """
    rng = np.random.default_rng(seed)
    pairs = set(zip(dataset.interactions["user_id"].astype(str),
                    dataset.interactions["item_id"].astype(str), strict=True))

    def fn(request: Request) -> dict[str, Any]:
        data = request_data(request)
        if request.schema_name == "pseudo_interactions_cold_item":
            item = data["item"]["item_id"]
            picks = []
            for c in data["candidates"]:
                truth = (c["user_id"], item) in pairs
                if rng.random() < noise:
                    truth = rng.random() < 0.3
                if truth:
                    picks.append({"user_id": c["user_id"], "confidence": "high"})
            return {"users": picks}
        if request.schema_name == "pseudo_interactions_cold_user":
            user = data["user"]["user_id"]
            pos, neg = [], []
            for c in data["candidates"]:
                truth = (user, c["item_id"]) in pairs
                if rng.random() < noise:
                    truth = rng.random() < 0.3
                (pos if truth else neg).append({"item_id": c["item_id"], "confidence": "medium"})
            keep = sorted(rng.permutation(len(neg))[:5]) if neg else []  # order-blind sample
            return {"positives": pos, "negatives": [neg[j] for j in keep]}
        raise AssertionError(f"unexpected request {request.schema_name}")

    return fn


def _run_items(items, fn=None, *, provider: FakeProvider | None = None, **cfg) -> RunResult:
    """Run work items through the real engine with a fake provider (no progress bar)."""
    provider = provider or FakeProvider(fn=fn)
    config = EngineConfig(progress=False, **cfg)
    return Engine(provider, config).run(items)


@pytest.fixture
def truth_answerer():
    """Factory: ``truth_answerer(dataset, noise=0.0, seed=0)`` -> fake fn (see _truth_answerer)."""
    return _truth_answerer


@pytest.fixture
def run_items():
    """``run_items(items, fn=None, provider=None, **EngineConfig fields)`` -> RunResult."""
    return _run_items


@pytest.fixture
def data_of():
    """``data_of(request)`` -> the JSON value inside the prompt's <data> block."""
    return request_data
