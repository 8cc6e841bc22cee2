"""A simulated "world-knowledge" model for benchmarks and tests ONLY.

It stands in for what an LLM knows from the web, not what this platform's users
did: its only knowledge is the interactions of a *world* group of users held out
before the split (:func:`augment.splits.hold_out_users`), none of whom is
trained, validated or scored. From them it learns item-item affinities
(cosine of co-occurrence among the world users' positives) and item popularity.

It answers pseudo-interaction requests by reading them as a model would: the
target and the cards in the ``<data>`` block (liked items are given by title,
mapped back to item ids through the items table), the candidates from the
schema's ``enum``:

- a cold item: each candidate user scores the mean affinity of the item with
  the items their card lists;
- a cold user: each candidate item scores its summed affinity with the items
  the user's card lists (liked and ``probably_likes``), plus a small share of
  world popularity.

It picks the ``picks`` best candidates; with ``noise`` each pick is, with that
probability, replaced by a random other candidate (seeded per target and
candidate set, so repeats agree). Construction refuses world interactions of
any platform user (``platform_users``): no pair of a platform user can reach it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from augment.errors import ConfigError, DataError
from augment.providers.base import Completion, Request
from augment.testing._picks import completion, pick_request, picks_answer, stable_rng

__all__ = ["WorldProvider", "NAME"]

NAME = "world"


class WorldProvider:
    """Answers pseudo-interaction requests from a world group's item-item affinities.

    Args:
        world: the world group's interactions (``user_id``, ``item_id``, ``weight``).
        items: the items table (``item_id``, ``title``), to read titles in prompts.
        platform_users: every user of the platform dataset; a world interaction of any
            of them raises :class:`~augment.errors.DataError`.
        picks: picks per request.
        noise: share of picks replaced by a random other candidate (0..1).
        popularity_weight: weight of world popularity in cold-user scores.
        seed: seeds the noise.
    """

    def __init__(self, world: pd.DataFrame, items: pd.DataFrame, *,
                 platform_users: Iterable[Any], picks: int = 10, noise: float = 0.0,
                 popularity_weight: float = 0.05, seed: int = 0,
                 model: str | None = None) -> None:
        if not 0.0 <= noise <= 1.0:
            raise ConfigError(f"noise must be within [0, 1], got {noise}", key="noise")
        if picks < 1:
            raise ConfigError(f"picks must be >= 1, got {picks}", key="picks")
        overlap = set(world["user_id"].astype(str)) & {str(u) for u in platform_users}
        if overlap:
            raise DataError(f"the world group shares {len(overlap)} user(s) with the platform "
                            f"(e.g. {sorted(overlap)[:3]}); hold them out with "
                            "augment.splits.hold_out_users")
        self.name = NAME
        self.picks = int(picks)
        self.noise = float(noise)
        self.popularity_weight = float(popularity_weight)
        self.seed = seed
        self.model = model or f"world-n{self.picks}-noise{self.noise:g}"
        self.world_users = frozenset(world["user_id"].astype(str))
        pos = world[world["weight"] > 0]
        self._items = {str(i): n for n, i in enumerate(pd.unique(items["item_id"].astype(str)))}
        self._by_title: dict[str, list[int]] = {}
        for iid, title in zip(items["item_id"].astype(str), items.get("title", items["item_id"]),
                              strict=True):
            self._by_title.setdefault(str(title), []).append(self._items[iid])
        users = {u: n for n, u in enumerate(pd.unique(pos["user_id"].astype(str)))}
        rows = np.asarray([users[u] for u in pos["user_id"].astype(str)], dtype=np.int64)
        cols = np.asarray([self._items.get(i, -1) for i in pos["item_id"].astype(str)])
        ok = cols >= 0
        m = sp.csr_matrix((np.ones(int(ok.sum()), dtype=np.float64), (rows[ok], cols[ok])),
                          shape=(len(users), len(self._items)))
        m.data[:] = 1.0
        count = np.asarray(m.sum(axis=0)).ravel()
        norm = np.where(count > 0, 1.0 / np.sqrt(np.maximum(count, 1.0)), 0.0)
        scaled = m @ sp.diags(norm)
        self._scaled_t = scaled.T.tocsr()  # items x world users
        self._pop = count / count.max() if count.max() > 0 else count
        self.calls = 0

    def affinity(self, a: Iterable[int], b: Iterable[int]) -> np.ndarray:
        """Cosine co-occurrence affinities (len(a) x len(b)) in the world group."""
        a, b = np.asarray(list(a), dtype=np.int64), np.asarray(list(b), dtype=np.int64)
        if len(a) == 0 or len(b) == 0:
            return np.zeros((len(a), len(b)))
        return (self._scaled_t[a] @ self._scaled_t[b].T).toarray()

    def _titles(self, titles: Iterable[Any]) -> list[int]:
        return [i for t in titles for i in self._by_title.get(str(t), [])]

    def _index(self, ids: Iterable[str]) -> np.ndarray:
        return np.asarray([self._items.get(str(i), -1) for i in ids], dtype=np.int64)

    def scores(self, direction: str, target: str, candidates: list[str], data: Any
               ) -> np.ndarray:
        """The world model's score of every candidate of one request."""
        if direction == "item":
            t = self._index([target])
            cards = {str(c["user_id"]): c for c in data.get("candidates", [])}
            out = np.zeros(len(candidates))
            if t[0] < 0:
                return out
            for n, u in enumerate(candidates):
                liked = self._titles(cards.get(u, {}).get("recently_liked", []))
                if liked:
                    out[n] = float(self.affinity(t, liked).mean())
            return out
        user = data.get("user", {})
        liked = self._titles(list(user.get("recently_liked", []))
                             + list(user.get("probably_likes", [])))
        idx = self._index(candidates)
        known = idx >= 0
        out = np.zeros(len(candidates))
        if liked and known.any():
            out[known] = self.affinity(idx[known], liked).sum(axis=1)
        out[known] += self.popularity_weight * self._pop[idx[known]]
        return out

    def choose(self, direction: str, target: str, candidates: list[str], data: Any
               ) -> list[str]:
        """The ``picks`` best candidates, each replaced by a random other with ``noise``."""
        ordered = sorted(candidates)
        rng = stable_rng(self.seed, "world", target, "|".join(ordered))
        s = self.scores(direction, target, ordered, data)
        tie = rng.random(len(ordered))
        best = np.lexsort((tie, -s))[:self.picks]
        picks = [ordered[j] for j in best]
        if self.noise > 0:
            replaced = rng.random(len(picks)) < self.noise
            pool = [c for c in rng.permutation(ordered).tolist() if c not in set(picks)]
            picks = [p for p, r in zip(picks, replaced, strict=True) if not r]
            picks += pool[:int(replaced.sum())]
        return picks

    async def complete(self, request: Request) -> Completion:
        """Answer one pseudo-interaction request from world knowledge."""
        self.calls += 1
        direction, target, cands, data = pick_request(request)
        return completion(request, picks_answer(direction, self.choose(direction, target,
                                                                       cands, data), cands),
                          self.model)
