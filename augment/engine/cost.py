"""Token counting, prices and cost: what a run will cost before it runs, and what it cost.

Prices are USD per 1M tokens (input, cached input, output) per provider and model,
from ``augment/engine/prices.json``; a user file of the same shape is merged over it.
Batch rates (``batch_input``, ``batch_cached_input``, ``batch_output``) default to
half the online rates (:data:`BATCH_DISCOUNT`), as both OpenAI and Anthropic charge.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from augment.errors import ConfigError
from augment.providers.base import Request, Usage, canonical_json

__all__ = ["Price", "PriceTable", "Estimate", "count_tokens", "request_tokens",
           "output_tokens_guess"]

log = logging.getLogger("augment.engine")

BATCH_DISCOUNT = 0.5
"""Batch price as a share of the online price when a price entry gives no batch rates."""

DEFAULT_MAX_OUTPUT_TOKENS = 1024
"""Worst-case output tokens reserved against the budget when a request sets no max_tokens."""


@lru_cache(maxsize=1)
def _encoder() -> Any:
    try:
        import tiktoken  # optional: exact-ish counts when installed
    except ImportError:
        return None
    try:
        return tiktoken.get_encoding("o200k_base")
    except Exception as exc:  # noqa: BLE001 - tiktoken may need a download; fall back
        log.debug("tiktoken unavailable (%s); counting ~4 characters per token", type(exc).__name__)
        return None


def count_tokens(text: str) -> int:
    """Approximate token count: tiktoken when installed, else ~4 characters per token."""
    enc = _encoder()
    if enc is not None:
        return len(enc.encode(text))
    return (len(text) + 3) // 4


def request_tokens(request: Request) -> int:
    """Approximate input tokens of a request: messages, per-message overhead and the schema."""
    total = sum(count_tokens(m.get("content", "")) + 4 for m in request.messages)
    return total + count_tokens(canonical_json(request.schema)) + 8


def output_tokens_guess(request: Request) -> int:
    """Expected output tokens: about the schema's size, capped by ``max_tokens``."""
    guess = max(32, count_tokens(canonical_json(request.schema)) // 2)
    cap = request.params.get("max_tokens")
    return min(guess, int(cap)) if cap else guess


def max_output_tokens(request: Request) -> int:
    """Worst-case output tokens: ``max_tokens`` or :data:`DEFAULT_MAX_OUTPUT_TOKENS`."""
    return int(request.params.get("max_tokens") or DEFAULT_MAX_OUTPUT_TOKENS)


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens."""

    input: float = 0.0
    cached_input: float = 0.0
    output: float = 0.0
    batch_input: float | None = None
    """Batch-mode rates (None = :data:`BATCH_DISCOUNT` times the online rate)."""
    batch_cached_input: float | None = None
    batch_output: float | None = None

    def for_batch(self) -> Price:
        """The price of the same tokens sent in a provider batch."""
        def rate(batch: float | None, online: float) -> float:
            return batch if batch is not None else online * BATCH_DISCOUNT

        return Price(rate(self.batch_input, self.input),
                     rate(self.batch_cached_input, self.cached_input),
                     rate(self.batch_output, self.output))

    def cost(self, usage: Usage) -> float:
        """Cost in USD of ``usage`` (cached tokens are a subset of input tokens)."""
        fresh = max(usage.input_tokens - usage.cached_tokens, 0)
        return (fresh * self.input + usage.cached_tokens * self.cached_input
                + usage.output_tokens * self.output) / 1e6


@dataclass(frozen=True)
class Estimate:
    """What a run would cost, computed before any call."""

    n_requests: int
    """Requests that need a provider call (items not already answered in the store)."""
    input_tokens: int
    output_tokens: int
    """Expected output tokens (about the schema's size per request)."""
    cost_usd: float
    """Expected cost in the engine's mode (no re-asks, no prompt-cache discount)."""
    max_cost_usd: float = 0.0
    """Worst case: every request uses its full ``max_tokens``."""
    n_cached: int = 0
    """Items already answered in the store (no call, no cost)."""
    online_cost_usd: float = 0.0
    """Expected cost of these requests sent online."""
    batch_cost_usd: float = 0.0
    """Expected cost of the same requests in provider batches (batch rates)."""


class PriceTable:
    """Prices per provider and model; ``lookup`` matches exactly, then by longest prefix,
    then ``*``."""

    def __init__(self, table: dict[str, dict[str, dict[str, float]]]) -> None:
        self.table = {p: {m: dict(v) for m, v in models.items()}
                      for p, models in table.items() if not p.startswith("_")}
        self._warned: set[tuple[str, str]] = set()

    @classmethod
    def load(cls, path: str | Path | None = None) -> PriceTable:
        """The shipped table, with ``path`` (same JSON shape) merged over it when given."""
        text = resources.files("augment.engine").joinpath("prices.json").read_text("utf-8")
        table = json.loads(text)
        if path is not None:
            try:
                extra = json.loads(Path(path).read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise ConfigError(f"cannot read the price file ({exc}); it must be JSON like "
                                  '{"openai": {"gpt-4o": {"input": 2.5, "cached_input": 1.25, '
                                  '"output": 10}}}', file=str(path)) from exc
            for provider, models in extra.items():
                if not provider.startswith("_"):
                    table.setdefault(provider, {}).update(models)
        return cls(table)

    def find(self, provider: str, model: str) -> Price | None:
        """The price of ``model`` at ``provider``, or None when unknown."""
        models = self.table.get(provider, {})
        entry = models.get(model)
        if entry is None:
            prefixes = [m for m in models if m != "*" and model.startswith(m)]
            entry = models[max(prefixes, key=len)] if prefixes else models.get("*")
        if entry is None:
            return None
        def opt(key: str) -> float | None:
            return float(entry[key]) if entry.get(key) is not None else None

        return Price(float(entry.get("input", 0)),
                     float(entry.get("cached_input", entry.get("input", 0))),
                     float(entry.get("output", 0)), opt("batch_input"),
                     opt("batch_cached_input"), opt("batch_output"))

    def merge(self, extra: dict[str, Any]) -> PriceTable:
        """This table with ``extra`` (same shape as ``prices.json``) merged over it."""
        table = {p: {m: dict(v) for m, v in models.items()} for p, models in self.table.items()}
        for provider, models in extra.items():
            if not provider.startswith("_"):
                table.setdefault(provider, {}).update(models)
        return PriceTable(table)

    def lookup(self, provider: str, model: str) -> Price:
        """Like :meth:`find`, but unknown models cost 0 with a warning logged once."""
        price = self.find(provider, model)
        if price is None:
            if (provider, model) not in self._warned:
                self._warned.add((provider, model))
                log.warning("no price for %s/%s: counting cost 0 (add it to a prices file: "
                            "Engine(prices='prices.json'))", provider, model)
            return Price()
        return price
