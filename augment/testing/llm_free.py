"""An LLM-free generator: pseudo-interaction picks from a scorer, through the same path.

What a user gets for free (no LLM, no tokens): the same pick requests (same
candidate lists, number of picks, rounds) answered by the best LLM-free model
(e.g. the candidate retriever used as a ranker, or ALS with content-mapped
cold items): for a cold item, the ``picks`` candidate users who score the item
highest; for a cold user, the ``picks`` candidate items the user scores
highest. The records then go through the same enrichment and auto weight as a
model's, so "LLM data vs this" is the gain a model's data adds to what is free.
Used by the benchmark; it speaks the provider interface but is not registered.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from augment.errors import ConfigError
from augment.providers.base import Completion, Request
from augment.testing._picks import completion, pick_request, picks_answer

__all__ = ["LLMFreeProvider", "NAME"]

NAME = "llm_free"


class LLMFreeProvider:
    """Answers pick requests with the top candidates of ``scorer``.

    ``scorer`` has ``score(user_ids, item_ids) -> ndarray`` (NaN for unknown ids), fitted
    on training data only; ids in requests are strings and are mapped back to the
    scorer's ids through ``user_ids`` / ``item_ids`` (the dataset's id lists).
    """

    def __init__(self, scorer: Any, *, user_ids: Any, item_ids: Any, picks: int = 10,
                 model: str = "llm-free") -> None:
        if picks < 1:
            raise ConfigError(f"picks must be >= 1, got {picks}", key="picks")
        self.name = NAME
        self.scorer = scorer
        self.picks = int(picks)
        self.model = model
        self._users = {str(u): u for u in user_ids}
        self._items = {str(i): i for i in item_ids}
        self.calls = 0

    def choose(self, direction: str, target: str, candidates: list[str]) -> list[str]:
        """The ``picks`` best-scoring candidates (ties by id)."""
        ordered = sorted(candidates)
        if direction == "item":
            users = [self._users.get(c, c) for c in ordered]
            s = np.asarray(self.scorer.score(users, [self._items.get(target, target)]))[:, 0]
        else:
            items = [self._items.get(c, c) for c in ordered]
            s = np.asarray(self.scorer.score([self._users.get(target, target)], items))[0]
        s = np.where(np.isnan(s), -np.inf, s)
        best = np.argsort(-s, kind="stable")[:self.picks]
        return [ordered[j] for j in best]

    async def complete(self, request: Request) -> Completion:
        """Answer one pseudo-interaction request with the scorer's top candidates."""
        self.calls += 1
        direction, target, cands, _ = pick_request(request)
        return completion(request, picks_answer(direction, self.choose(direction, target,
                                                                       cands), cands),
                          self.model)
