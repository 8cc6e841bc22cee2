"""The one-method provider interface.

A provider turns a :class:`Request` into a :class:`Completion`: the raw text of
one JSON answer plus token usage. It knows nothing of tasks, caching, retries or
validation; the engine does those for every provider alike and never branches on
which provider it holds.

Providers raise :class:`~augment.errors.TransientProviderError` for failures
worth retrying (429, 5xx, 529, timeouts, dropped connections; with
``retry_after`` when the server said) and
:class:`~augment.errors.PermanentProviderError` for the rest.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Message", "Request", "Usage", "Completion", "Provider", "canonical_json"]

Message = dict[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same value always gives the same text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


@dataclass(frozen=True)
class Request:
    """One structured-output request.

    The answer must be one JSON value that validates against ``schema``.
    """

    messages: tuple[Message, ...]
    """The conversation, system message first when there is one."""
    schema: dict[str, Any]
    """The JSON Schema (2020-12) the answer must satisfy."""
    schema_name: str = "record"
    """A short identifier for the schema (``[a-zA-Z0-9_-]``), used as tool/format name."""
    params: dict[str, Any] = field(default_factory=dict)
    """Generation parameters: ``temperature``, ``max_tokens``, ``seed``, ``top_p``."""
    prompt_version: str = "1"
    """Version of the prompt template that built ``messages``; part of the cache key."""

    def with_messages(self, messages: tuple[Message, ...] | list[Message]) -> Request:
        """A copy with other messages (used by the re-ask loop)."""
        return Request(tuple(messages), self.schema, self.schema_name, dict(self.params),
                       self.prompt_version)

    def key(self, provider: str, model: str) -> str:
        """Hash of everything that determines the answer: the cache key.

        Insensitive to dict key order; post-processing is not part of it.
        """
        payload = {
            "provider": provider,
            "model": model,
            "messages": list(self.messages),
            "schema": self.schema,
            "schema_name": self.schema_name,
            "params": self.params,
            "prompt_version": self.prompt_version,
        }
        return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()


@dataclass
class Usage:
    """Token counts of one response (or a sum of many)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    """Input tokens served from the provider's prompt cache (a subset of input_tokens)."""

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.input_tokens + other.input_tokens,
                     self.output_tokens + other.output_tokens,
                     self.cached_tokens + other.cached_tokens)

    def to_dict(self) -> dict[str, int]:
        return {"input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cached_tokens": self.cached_tokens}


@dataclass
class Completion:
    """What a provider returned for one request."""

    text: str
    """The raw answer text (expected to be one JSON value; the engine parses it)."""
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    """The model that answered, as the provider reports it."""
    rate_limits: dict[str, float] = field(default_factory=dict)
    """Limits the server announced (``x-ratelimit-*`` headers), e.g.
    ``{"limit_requests": 500, "remaining_requests": 499, "limit_tokens": 30000}``."""
    truncated: bool = False
    """The answer was cut at ``max_tokens`` (OpenAI ``finish_reason "length"``, Anthropic
    ``stop_reason "max_tokens"``): ``text`` is what came before the cut."""


@runtime_checkable
class Provider(Protocol):
    """One method: ``complete``. ``name`` and ``model`` identify it in cache keys and records."""

    name: str
    model: str

    async def complete(self, request: Request) -> Completion:
        """Send one request; return the answer or raise a ProviderError subclass."""
        ...
