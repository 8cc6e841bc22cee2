"""Retry policy for transient provider errors: tenacity, exponential backoff with
jitter, ``Retry-After`` honoured, bounded attempts. Permanent errors fail fast."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from augment.errors import TransientProviderError

__all__ = ["RetryPolicy"]

log = logging.getLogger("augment.engine")
T = TypeVar("T")


class RetryPolicy:
    """Retry ``TransientProviderError`` up to ``max_retries`` times.

    The wait is full-jitter exponential backoff (``initial_s`` doubling, capped at
    ``max_s``), or the server's ``retry_after`` when that is longer.
    """

    def __init__(self, max_retries: int = 5, initial_s: float = 0.5, max_s: float = 30.0) -> None:
        self.max_retries = max_retries
        self._backoff = wait_random_exponential(multiplier=initial_s, max=max_s)

    def wait(self, state: RetryCallState) -> float:
        """Seconds to wait before the next attempt."""
        backoff = self._backoff(state)
        exc = state.outcome.exception() if state.outcome else None
        retry_after = getattr(exc, "retry_after", None)
        wait = max(backoff, float(retry_after)) if retry_after else backoff
        log.debug("transient error (%s); retry %d/%d in %.3fs", getattr(exc, "status", None),
                  state.attempt_number, self.max_retries, wait)
        return wait

    async def call(self, fn: Callable[[], Awaitable[T]]) -> tuple[T, int]:
        """Run ``fn`` with retries; return ``(result, n_calls)``. Re-raises the last error."""
        calls = 0
        retrying = AsyncRetrying(stop=stop_after_attempt(self.max_retries + 1),
                                 retry=retry_if_exception_type(TransientProviderError),
                                 wait=self.wait, reraise=True)
        async for attempt in retrying:
            with attempt:
                calls += 1
                result = await fn()
        return result, calls
