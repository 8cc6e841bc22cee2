"""Generation for the cold-start benchmark: tasks -> Engine -> records (their quality:
:mod:`augment.probe.quality`).

Everything goes through the real path (task prompts, the Engine with its schema
validation, checks, re-asks and SQLite store); only the provider changes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from augment.data import Dataset
from augment.engine import Engine, EngineConfig, WorkItem
from augment.providers.base import Provider
from augment.schemas import load_schema
from augment.splits import Split
from augment.tasks import (
    ItemAttributes,
    PseudoInteractions,
    dataset_genres,
)

log = logging.getLogger("bench.cold_start")

FREE = {name: {"*": {"input": 0, "cached_input": 0, "output": 0}}
        for name in ("simulated", "llm_free", "world")}


def pseudo_task(sp: Split, *, cold_items: Iterable[Any] | None = None,
                cold_users: Iterable[Any] | None = None, n_candidates: int = 30,
                n_repeats: int = 3, history_items: int = 5, max_picks: int | None = None,
                seed: int = 0, rounds: int = 1) -> PseudoInteractions:
    """Pseudo-interaction requests for the split's cold targets (or the given subset).

    ``max_picks`` lowers the schemas' ``maxItems`` (a small local model otherwise
    lists ids until its token limit cuts the answer).
    """
    items = sorted(sp.cold_items) if cold_items is None else list(cold_items)
    users = sorted(sp.cold_users) if cold_users is None else list(cold_users)
    schemas: dict[str, Any] = {}
    if max_picks is not None:
        item_schema = load_schema("pseudo_interactions_cold_item")
        item_schema["properties"]["users"]["maxItems"] = max_picks
        user_schema = load_schema("pseudo_interactions_cold_user")
        for key in ("positives", "negatives"):
            user_schema["properties"][key]["maxItems"] = max_picks
        schemas = {"item_schema": item_schema, "user_schema": user_schema}
    return PseudoInteractions(sp.train, cold_items=items, cold_users=users,
                             n_candidates=n_candidates, n_repeats=n_repeats,
                             history_items=history_items, seed=seed, rounds=rounds, **schemas)


def run_engine(provider: Provider, items: Sequence[WorkItem], store: Path, *, desc: str,
               concurrency: int = 8) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict]:
    """Run work items through the Engine; returns records, failures and call stats."""
    engine = Engine(provider, EngineConfig(concurrency=concurrency, progress=False),
                    store=store, prices=FREE)
    res = engine.run(list(items), desc=desc)
    stats = {"n_items": len(items), "n_records": len(res.records),
             "n_failures": len(res.failures), "n_calls": res.n_calls,
             "input_tokens": res.usage.input_tokens, "output_tokens": res.usage.output_tokens}
    if res.failures:
        reasons = pd.Series([f.get("reason") for f in res.failures]).value_counts().to_dict()
        stats["failure_reasons"] = reasons
        log.info("%s: %d failures %s", desc, len(res.failures), reasons)
    return res.records, res.failures, stats


def run_rounds(provider: Provider, task: PseudoInteractions, store: Path, *, desc: str,
               items: Sequence[WorkItem] | None = None
               ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict]:
    """:func:`run_engine` over every round of ``task`` (``items``: its first round, if
    already built); stats are summed over rounds and count them in ``rounds``."""
    records: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    total: dict[str, Any] = {}
    n = 0
    current: PseudoInteractions | None = task
    while current is not None:
        got, bad, stats = run_engine(provider, items if n == 0 and items is not None
                                     else current.work_items(), store, desc=f"{desc} r{n}")
        records += got
        failures += bad
        for k, v in stats.items():
            if k == "failure_reasons":
                for reason, c in v.items():
                    total.setdefault(k, {})[reason] = total.get(k, {}).get(reason, 0) + c
            else:
                total[k] = total.get(k, 0) + v
        current = current.next_round(got)
        n += 1
    total["rounds"] = n
    return records, failures, total


def attribute_items(dataset: Dataset, *, item_ids: Iterable[Any] | None = None,
                    hide_genres: bool = False, items_per_request: int = 10) -> list[WorkItem]:
    """Item-attribute requests; ``hide_genres`` sends only title, year and tags (the genre
    vocabulary stays in the schema) so generated genres can be compared with the truth."""
    columns = [c for c in ("title", "year", "tags") if c in dataset.items.columns]
    kw: dict[str, Any] = {"columns": columns} if hide_genres else {}
    return ItemAttributes(dataset, item_ids=item_ids, genres=dataset_genres(dataset),
                          items_per_request=items_per_request, **kw).work_items()
