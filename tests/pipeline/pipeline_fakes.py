"""A synthetic catalogue with a known right answer, and a fake provider answering every
task of a job from it (pseudo-interactions from the *held-out* truth), for pipeline tests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.providers.base import Request
from augment.providers.fake import FakeProvider
from augment.testing.synthetic import clustered_interactions

CLUSTERS = ("Action", "Comedy", "Drama", "Horror", "SciFi")
WORDS = {"Action": "chase explosion", "Comedy": "laugh wedding", "Drama": "family loss",
         "Horror": "ghost night", "SciFi": "space robot"}


def make_frames(n_users: int = 120, n_items: int = 150, per_user: int = 15,
                seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Users prefer one cluster (85% of their items); item genres name the cluster."""
    rng = np.random.default_rng(seed)
    inter, item_cluster, _ = clustered_interactions(
        rng, n_users=n_users, n_items=n_items, n_clusters=len(CLUSTERS), per_user=per_user)
    genres = [CLUSTERS[c] for c in item_cluster]
    items = pd.DataFrame({"item_id": np.arange(n_items) + 1000,
                          "title": [f"Film number {i}" for i in range(n_items)],
                          "genres": genres,
                          "description": [f"A story of {WORDS[g]}." for g in genres]})
    return inter, items


def write_dataset(folder: Path, **kw: Any) -> Path:
    """Write interactions.csv + items.csv into ``folder``; returns it."""
    inter, items = make_frames(**kw)
    folder.mkdir(parents=True, exist_ok=True)
    inter.to_csv(folder / "interactions.csv", index=False)
    items.to_csv(folder / "items.csv", index=False)
    return folder


def request_data(request: Request) -> Any:
    """The JSON value inside the first user message's <data> block."""
    text = [m["content"] for m in request.messages if m["role"] == "user"][0]
    m = re.search(r"<data>\n(.*)\n</data>", text, re.DOTALL)
    assert m, "no <data> block in the prompt"
    return json.loads(m.group(1))


def _enum(schema: dict, *path: str) -> list[str] | None:
    node: Any = schema
    for key in path:
        node = node.get(key, {})
    return node.get("enum")


def _attributes(item: dict[str, Any], allowed: Any) -> dict[str, Any]:
    genres = [g for g in item.get("genres", []) if g in allowed] or [allowed[0]]
    return {"genres": genres[:5], "tags": [item.get("description", "film")[:30]],
            "summary": f"A {genres[0].lower()} film."}


def truth_answer(pairs: set[tuple[str, str]]):
    """``fn(request)`` answering item attributes, user profiles and pseudo-interactions;
    pseudo-interaction picks are the true held-out pairs ``(user_id, item_id)``."""

    def fn(request: Request) -> dict[str, Any]:
        data = request_data(request)
        name = request.schema_name
        if name == "item_attributes":
            allowed = _enum(request.schema, "properties", "genres", "items") or CLUSTERS
            return _attributes(data, allowed)
        if name == "item_attributes_batch":
            return {"items": [{"item_id": e["item_id"], **_attributes(e, CLUSTERS)}
                              for e in data["items"]]}
        if name == "user_profiles":
            counts: dict[str, int] = {}
            for entry in data["history"]:
                for g in entry.get("genres", []):
                    counts[g] = counts.get(g, 0) + 1
            top = sorted(counts, key=lambda g: -counts[g])[:1]
            return {"liked_genres": top, "disliked_genres": [], "themes": ["stories"],
                    "summary": "Likes " + (top[0] if top else "films")}
        if name == "pseudo_interactions_cold_item":
            item = data["item"]["item_id"]
            return {"users": [{"user_id": c["user_id"], "confidence": "high"}
                              for c in data["candidates"] if (c["user_id"], item) in pairs]}
        if name == "pseudo_interactions_cold_user":
            user = data["user"]["user_id"]
            return {"positives": [{"item_id": c["item_id"], "confidence": "high"}
                                  for c in data["candidates"] if (user, c["item_id"]) in pairs],
                    "negatives": []}
        raise AssertionError(f"unexpected request {name}")

    return fn


def pairs_of(folder: Path) -> set[tuple[str, str]]:
    """Every observed (user_id, item_id) pair of a dataset folder, as strings."""
    inter = pd.read_csv(folder / "interactions.csv")
    return set(zip(inter["user_id"].astype(str), inter["item_id"].astype(str), strict=True))


class TruthFake(FakeProvider):
    """A FakeProvider answering from the dataset folder in ``TruthFake.folder``
    (used where a provider is built by name, e.g. through the CLI), or from
    ``TruthFake.pairs``. With
    ``interrupt_at = n``, the n-th request over all instances raises KeyboardInterrupt."""

    folder: Path | None = None
    pairs: set[tuple[str, str]] | None = None
    """Truth pairs to answer from instead of ``folder`` (e.g. MovieLens's)."""
    instances: list[TruthFake] = []
    interrupt_at: int | None = None
    received = 0

    async def complete(self, request: Request) -> Any:
        TruthFake.received += 1
        if TruthFake.interrupt_at is not None and TruthFake.received == TruthFake.interrupt_at:
            raise KeyboardInterrupt
        return await super().complete(request)

    def __init__(self, model: str = "fake", **kw: Any) -> None:
        pairs = TruthFake.pairs
        if pairs is None:
            assert TruthFake.folder is not None, "set TruthFake.folder or TruthFake.pairs first"
            pairs = pairs_of(TruthFake.folder)
        super().__init__(fn=truth_answer(pairs), model=model, **kw)
        TruthFake.instances.append(self)


def job_text(folder: Path, *, provider: str = "fake", weight: str = "0.5",
             extra: str = "", items: int = 20, users: int = 12, pseudo: int = 12,
             concurrency: int = 2, split: str = "item-cold", pseudo_extra: str = "") -> str:
    """A small job over ``folder`` with all three tasks (fast ALS)."""
    return f"""
name = "synthetic"
[data]
source = "{folder}"
[split]
kind = "{split}"
[tasks.item_attributes]
provider = "{provider}"
sample = {items}
[tasks.user_profiles]
provider = "{provider}"
sample = {users}
[tasks.pseudo_interactions]
provider = "{provider}"
sample = {pseudo}
n_repeats = 2
n_candidates = 15
{pseudo_extra}
[engine]
concurrency = {concurrency}
{extra}
[enrich]
weight = {weight}
[als]
factors = 64
iterations = 15
"""


class FakeFactory:
    """A provider_factory handing out truth-answering FakeProviders; keeps them all."""

    def __init__(self, folder: Path, *, fail_after: int | None = None,
                 exc: BaseException | None = None, name: str = "fake",
                 model: str = "fake") -> None:
        self.pairs = pairs_of(folder)
        self.fakes: list[FakeProvider] = []
        self.fail_after = fail_after
        self.exc = exc
        self.name, self.model = name, model
        self.answered = 0
        self.answered_keys: list[str] = []

    def __call__(self, task_cfg) -> FakeProvider:
        answer = truth_answer(self.pairs)

        def fn(request):
            if self.fail_after is not None and self.answered >= self.fail_after:
                raise self.exc or KeyboardInterrupt()
            self.answered += 1
            self.answered_keys.append(request.key(self.name, self.model))
            return answer(request)

        fake = FakeProvider(fn=fn, name=self.name, model=self.model)
        self.fakes.append(fake)
        return fake

    @property
    def requests(self):
        return [r for f in self.fakes for r in f.history]

    def request_keys(self) -> list[str]:
        return [r.key(f.name, f.model) for f in self.fakes for r in f.history]
