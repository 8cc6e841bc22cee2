"""Which targets each task generates for, and the task objects that build the requests.

Targets are sampled from the split's *training* data, seeded by the split's seed,
so the same job always asks the same questions (which is what lets a rerun resume
from the engine store):

- ``item_attributes``: half the sample (rounded up) are cold items, the rest warm
  items from the more popular half of the catalogue. The feature -> factor
  mapping behind ``als+attributes`` is *learned* on warm items and *applied* to
  cold ones, so generated attributes are needed on both sides. With a user-cold
  split there are no cold items and the whole sample is warm. ``sample = "all"``
  takes every item of the catalogue, cold ones first.
- ``user_profiles``: for user-cold, the cold users first; for item-cold, the
  users most often retrieved as candidates for the sampled cold items (their
  profiles describe them in the pseudo-interaction prompts), then random users.
- ``pseudo_interactions``: cold items (item-cold) or cold users (user-cold), in
  the same seeded order as above, so the cold items that get attributes are the
  ones that get pseudo-interactions. The pick lists of the shipped schemas are
  bounded by ``n_candidates`` (nobody can pick more candidates than shown), which
  also bounds what a grammar-constrained local model may write.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from augment.jobs.config import JobConfig, TaskConfig
from augment.splits import Split
from augment.tasks import ItemAttributes, PseudoInteractions, UserProfiles
from augment.tasks.base import load_task_schema, py_id
from augment.tasks.retrieval import UserCandidates, item_text_matrix

__all__ = ["item_targets", "user_targets", "pseudo_targets", "build_task", "seeded_order",
           "pseudo_schemas"]


def seeded_order(ids: Iterable[Any], seed: int, stream: int) -> list[Any]:
    """``ids`` sorted, then permuted by ``(seed, stream)``: stable whatever the input order."""
    ordered = sorted(py_id(i) for i in ids)
    perm = np.random.default_rng([seed, stream]).permutation(len(ordered))
    return [ordered[j] for j in perm]


def _train_counts(split: Split, column: str) -> pd.Series:
    inter = split.train.interactions
    return inter.loc[inter["weight"] > 0, column].value_counts()


def item_targets(split: Split, sample: int | None, seed: int) -> list[Any]:
    """Cold items first (up to half the sample), then popular-half warm items."""
    cold = seeded_order(split.cold_items, seed, 1)
    counts = _train_counts(split, "item_id")
    warm_ids = [i for i in counts.index if i not in split.cold_items]
    if sample is None:
        rest = [i for i in split.dataset.items["item_id"] if i not in split.cold_items]
        return cold + seeded_order(rest, seed, 2)
    top = warm_ids[: max(1, len(warm_ids) // 2)]
    warm = seeded_order(top, seed, 2)
    n_cold = min(len(cold), (sample + 1) // 2)
    n_cold = max(n_cold, min(len(cold), sample - len(warm)))
    return cold[:n_cold] + warm[: sample - n_cold]


def pseudo_targets(split: Split, sample: int | None, seed: int) -> tuple[list[Any], list[Any]]:
    """``(cold_items, cold_users)`` to generate pseudo-interactions for."""
    items = seeded_order(split.cold_items, seed, 1)
    users = seeded_order(split.cold_users, seed, 3)
    if sample is not None:
        items, users = items[:sample], users[:sample]
    return items, users


def user_targets(split: Split, sample: int | None, seed: int, *,
                 pseudo_items: Sequence[Any] = (), n_candidates: int = 20) -> list[Any]:
    """Cold users, then candidate users of ``pseudo_items``, then random users."""
    active = [py_id(u) for u in pd.unique(split.train.interactions["user_id"])]
    first = [u for u in seeded_order(split.cold_users, seed, 3)]
    if pseudo_items:
        retriever = UserCandidates(split.train, item_text=item_text_matrix(split.train))
        seen: Counter = Counter()
        for item in pseudo_items:
            seen.update(py_id(u) for u in retriever.candidates(item, n_candidates))
        first += [u for u, _ in sorted(seen.items(), key=lambda kv: (-kv[1], str(kv[0])))]
    order = list(dict.fromkeys(first + seeded_order(active, seed, 4)))
    active_set = set(active)
    order = [u for u in order if u in active_set]
    return order if sample is None else order[:sample]


def pseudo_schemas(n_candidates: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The shipped cold-item and cold-user schemas with pick lists of at most
    ``n_candidates`` entries."""
    item = load_task_schema("pseudo_interactions_cold_item")
    user = load_task_schema("pseudo_interactions_cold_user")
    for schema, lists in ((item, ("users",)), (user, ("positives", "negatives"))):
        for name in lists:
            prop = schema["properties"][name]
            prop["maxItems"] = min(int(prop.get("maxItems", n_candidates)), n_candidates)
    return item, user


def build_task(name: str, cfg: JobConfig, split: Split, *,
               attributes: pd.DataFrame | None = None,
               profiles: pd.DataFrame | None = None) -> Any:
    """The task object of ``name`` for this job and split (``attributes`` / ``profiles``:
    frames of earlier tasks, used to describe items and users in later prompts)."""
    tc: TaskConfig = getattr(cfg.tasks, name)
    seed = cfg.split.seed
    params = tc.params.as_request_params()
    if name == "item_attributes":
        return ItemAttributes(split.train, item_ids=item_targets(split, tc.sample, seed),
                              items_per_request=tc.items_per_request, params=params)
    pseudo_cfg = cfg.tasks.pseudo_interactions
    if name == "user_profiles":
        pseudo_items = (pseudo_targets(split, pseudo_cfg.sample, seed)[0]
                        if pseudo_cfg.enabled else [])
        users = user_targets(split, tc.sample, seed, pseudo_items=pseudo_items,
                             n_candidates=pseudo_cfg.n_candidates)
        return UserProfiles(split.train, user_ids=users, attributes=attributes, params=params)
    if name == "pseudo_interactions":
        items, users = pseudo_targets(split, tc.sample, seed)
        item_schema, user_schema = pseudo_schemas(tc.n_candidates)
        return PseudoInteractions(split.train, cold_items=items, cold_users=users,
                                  item_schema=item_schema, user_schema=user_schema,
                                  n_candidates=tc.n_candidates, n_repeats=tc.n_repeats,
                                  seed=seed, attributes=attributes, profiles=profiles,
                                  params=params, rounds=tc.rounds)
    raise ValueError(f"unknown task {name!r}")
