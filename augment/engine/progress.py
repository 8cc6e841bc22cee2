"""Progress bar (tqdm.auto: a widget in notebooks, a text bar in terminals).

Shows rows done, rate, ETA, spend, cached rows and failures.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Progress"]


class Progress:
    """A thin wrapper over ``tqdm.auto.tqdm``; does nothing when disabled."""

    def __init__(self, total: int, desc: str | None, enabled: bool) -> None:
        self._bar: Any = None
        self.failures = 0
        self.cached = 0
        self.cost = 0.0
        self.extra: dict[str, Any] = {}
        if enabled and total:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=total, desc=desc or "augment", unit="row", leave=True,
                             dynamic_ncols=True)

    def update(self, *, failed: bool = False, cached: bool = False, cost: float = 0.0) -> None:
        """One row finished."""
        self.failures += int(failed)
        self.cached += int(cached)
        self.cost = cost
        if self._bar is not None:
            self._bar.set_postfix(spent=f"${self.cost:.4f}", cached=self.cached,
                                  failed=self.failures, refresh=False, **self.extra)
            self._bar.update(1)

    def note(self, **fields: Any) -> None:
        """Show extra counts (e.g. batch rows done / total) next to the bar."""
        self.extra = fields
        if self._bar is not None:
            self._bar.set_postfix(spent=f"${self.cost:.4f}", cached=self.cached,
                                  failed=self.failures, **fields)

    def close(self) -> None:
        """Close the bar."""
        if self._bar is not None:
            self._bar.close()
