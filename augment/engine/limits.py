"""Requests-per-minute and tokens-per-minute pacing (a GCRA-style token bucket).

Limits start from :class:`~augment.engine.EngineConfig` and are tightened when a
provider reports lower ``x-ratelimit-limit-*`` values; when it reports nothing
remaining (``x-ratelimit-remaining-*`` / ``anthropic-ratelimit-*-remaining`` at 0),
scheduling pauses until the window resets (:meth:`RateLimiter.pause`).
"""

from __future__ import annotations

import asyncio
import time

__all__ = ["RateLimiter"]


class RateLimiter:
    """Paces ``acquire(amount)`` calls to at most ``per_minute`` units per minute.

    A burst of ``burst`` units may go at once; after that, units are spaced evenly.
    ``per_minute=None`` means no limit.
    """

    def __init__(self, per_minute: float | None, burst: float = 1.0) -> None:
        self.per_minute = per_minute
        self.burst = burst
        self._tat = 0.0  # theoretical arrival time of the next unit
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Let nothing through for ``seconds`` (the provider's window resets then)."""
        self._paused_until = max(self._paused_until, time.monotonic() + max(seconds, 0.0))

    def tighten(self, per_minute: float | None) -> bool:
        """Lower the limit to ``per_minute`` if that is lower (or no limit is set); True if
        changed."""
        if per_minute is None or per_minute <= 0:
            return False
        if self.per_minute is None or per_minute < self.per_minute:
            self.per_minute = float(per_minute)
            return True
        return False

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until ``amount`` units may be spent."""
        while (wait := self._paused_until - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        if not self.per_minute:
            return
        async with self._lock:
            interval = 60.0 / self.per_minute
            now = time.monotonic()
            tat = max(self._tat, now)
            start = tat - self.burst * interval
            if start > now:
                await asyncio.sleep(start - now)
            self._tat = tat + amount * interval
