"""Which targets each task generates for in a job.

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
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from augment.tasks.records import py_id
from augment.tasks.retrieval import UserCandidates, item_text_matrix

if TYPE_CHECKING:  # pragma: no cover
    from augment.splits import Split

__all__ = ["item_targets", "user_targets", "pseudo_targets", "seeded_order"]


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
