"""Helpers of the probe tests: a catalogue whose text says nothing (only who interacts tells
what a cold item is), a job over it, and a provider that never picks anyone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.providers.fake import FakeProvider
from augment.testing.synthetic import clustered_interactions


def write_world(folder: Path, *, n_users: int = 300, n_items: int = 200, per_user: int = 40,
                seed: int = 0) -> Path:
    """interactions.csv + items.csv: 6 taste clusters, titles without any hint of them."""
    rng = np.random.default_rng(seed)
    inter, _, _ = clustered_interactions(rng, n_users=n_users, n_items=n_items, n_clusters=6,
                                         per_user=per_user)
    items = pd.DataFrame({"item_id": np.arange(n_items) + 1000,
                          "title": [f"Item {i}" for i in range(n_items)]})
    folder.mkdir(parents=True, exist_ok=True)
    inter.to_csv(folder / "interactions.csv", index=False)
    items.to_csv(folder / "items.csv", index=False)
    return folder


def world_job(folder: Path, out: Path, *, kind: str = "item-cold", extra_tasks: str = "",
              sample: str = '"all"', n_candidates: int = 60) -> str:
    return f"""
name = "probe-world"
[data]
source = "{folder}"
[split]
kind = "{kind}"
seed = 0
{extra_tasks}
[tasks.pseudo_interactions]
provider = "fake"
sample = {sample}
n_repeats = 2
n_candidates = {n_candidates}
[engine]
concurrency = 4
[als]
factors = 32
iterations = 10
[output]
dir = "{out}"
"""


def _empty(request: Any) -> dict[str, Any]:
    if request.schema_name == "pseudo_interactions_cold_item":
        return {"users": []}
    return {"positives": [], "negatives": []}


class NoPicks(FakeProvider):
    def __init__(self, model: str = "fake", **kw: Any) -> None:
        super().__init__(fn=_empty, model=model, **kw)
