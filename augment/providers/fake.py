"""A scripted provider for tests: queued answers or a function of the request.

Ships in the package so users can test their own tasks without a network or a key::

    fake = FakeProvider(fn=lambda req: {"genres": ["Drama"]})
    fake.enqueue('{"bad": 1}')            # queued answers are served first
    fake.enqueue(TransientProviderError("429", retry_after=0.01))
    fake.enqueue(Completion('{"genres": ["Dr', truncated=True))   # served as is
    ...
    fake.history                          # every Request it received, in order
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from augment.providers.base import Completion, Request, Usage

__all__ = ["FakeProvider", "Answer"]

Answer = str | dict | list | Exception | Completion
"""What a script gives: answer text, a JSON value (dumped to text), an exception to raise, or
a whole :class:`Completion` (e.g. ``truncated=True``) returned as is."""


class FakeProvider:
    """A provider that answers from a script.

    Args:
        responses: answers served first, in order (same kinds as :meth:`enqueue`).
        fn: ``fn(request) -> str | dict | list`` answers once the queue is empty
            (it may also raise a ProviderError). Without ``fn``, an empty queue is
            answered with a plausible, schema-valid answer built from the request
            (:func:`augment.testing.answers.plausible_answer`), so ``provider = "fake"``
            in a job dry-runs it offline.
        model: the model name put into cache keys and records.
        latency: seconds to ``await`` before each answer (simulates a network).
        usage: usage reported for each answer; by default ~4 characters per token.
        name: provider name used in cache keys and price lookups.
        seed: seed of the plausible default answers.
    """

    def __init__(self, responses: list[Answer] | None = None,
                 fn: Callable[[Request], Any] | None = None, model: str = "fake",
                 latency: float = 0.0, usage: Usage | None = None, name: str = "fake",
                 seed: int = 0) -> None:
        self.name = name
        self.seed = seed
        self.model = model
        self.latency = latency
        self.usage = usage
        self.fn = fn
        self.history: list[Request] = []
        self._queue: deque[Answer] = deque(responses or [])

    def enqueue(self, answer: Answer) -> FakeProvider:
        """Queue one answer (text, JSON value, exception to raise or Completion); returns self."""
        self._queue.append(answer)
        return self

    @property
    def calls(self) -> int:
        """Number of requests received."""
        return len(self.history)

    async def complete(self, request: Request) -> Completion:
        """Record the request, wait ``latency``, then answer from the queue or ``fn``."""
        self.history.append(request)
        if self.latency:
            await asyncio.sleep(self.latency)
        if self._queue:
            answer: Any = self._queue.popleft()
        elif self.fn is not None:
            answer = self.fn(request)
        else:
            from augment.testing.answers import plausible_answer, request_text

            answer = plausible_answer(request.schema, request_text(request.messages),
                                      seed=self.seed)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, Completion):
            return answer
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        usage = self.usage or Usage(
            input_tokens=sum(len(m.get("content", "")) for m in request.messages) // 4 + 1,
            output_tokens=len(text) // 4 + 1)
        return Completion(text=text, usage=Usage(usage.input_tokens, usage.output_tokens,
                                                 usage.cached_tokens), model=self.model)
