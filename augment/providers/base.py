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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

__all__ = ["Message", "Request", "Usage", "Completion", "Provider", "canonical_json",
           "BatchProvider", "BatchInfo", "BatchRow", "BatchLimits"]

Message = dict[str, str]
"""A chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the same value always gives the same text.

    The text is that of ``json.dumps(value, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False, default=str)``. When ``orjson`` is installed it writes the text
    (about 10x faster: hashing requests is most of the resume check of a large store)
    unless the value holds something whose text the two could write differently — a
    float in exponent form or below 1e-4, NaN or infinity, ``null``, a non-string key,
    an integer beyond 64 bits, or a type JSON lacks (given to ``str``) —: then
    :mod:`json` writes it. (One known difference is left: a plain :class:`enum.Enum`
    member, which ``orjson`` writes as its value and :mod:`json` as ``str(member)``.)
    """
    if _orjson is not None:
        try:
            out = _orjson.dumps(value, option=_ORJSON_OPTIONS, default=_refuse)
        except TypeError:  # orjson.JSONEncodeError: a value only json can write
            pass
        else:
            if not _may_differ(out):
                return out.decode("utf-8")
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def _refuse(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is written by json's default=str")


try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson is a dependency; json alone is the same text
    _orjson = None  # type: ignore[assignment]
    _ORJSON_OPTIONS = 0
else:
    _ORJSON_OPTIONS = (_orjson.OPT_SORT_KEYS | _orjson.OPT_PASSTHROUGH_SUBCLASS
                       | _orjson.OPT_PASSTHROUGH_DATACLASS | _orjson.OPT_PASSTHROUGH_DATETIME)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


def _may_differ(text: bytes) -> bool:
    """Whether orjson's ``text`` may hold a token json writes differently: ``null`` (orjson's
    NaN and infinity), a float under 1e-4 (json ``1e-05``, orjson ``0.00001``) or in
    exponent form (orjson ``1e16``, json ``1e+16``). Found anywhere, even inside a string:
    a false alarm only sends the value to json."""
    return (b"null" in text or b".0000" in text
            or b"0e" in text.translate(_DIGITS_AS_ZERO))


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
    ``{"limit_requests": 500, "remaining_requests": 499, "limit_tokens": 30000,
    "reset_requests_s": 0.12}``."""
    truncated: bool = False
    """The answer was cut by the token cap (``finish_reason == "length"``,
    ``stop_reason == "max_tokens"``): the engine retries with a larger cap, never re-asks."""


@runtime_checkable
class Provider(Protocol):
    """One method: ``complete``. ``name`` and ``model`` identify it in cache keys and records."""

    name: str
    model: str

    async def complete(self, request: Request) -> Completion:
        """Send one request; return the answer or raise a ProviderError subclass."""
        ...


# -- the optional batch capability ----------------------------------------------------------

@dataclass(frozen=True)
class BatchLimits:
    """How much one provider batch may hold."""

    max_requests: int
    """Requests per batch."""
    max_bytes: int
    """Bytes of the serialised requests per batch (the JSONL file, or the request body)."""


@dataclass
class BatchInfo:
    """The state of one provider batch, as the provider reports it."""

    batch_id: str
    state: str
    """The provider's own status word (``in_progress``, ``completed``, ``ended``...)."""
    ended: bool
    """True when no row will change any more (completed, expired, cancelled, failed)."""
    counts: dict[str, int] = field(default_factory=dict)
    """Row counts by outcome, e.g. ``{"total": 10, "succeeded": 7, "errored": 1}``."""
    created_at: float = 0.0
    """Unix time the provider created the batch."""
    error: str | None = None
    """Why the whole batch failed (validation of the input file...), when it did."""
    raw: Any = None
    """The SDK's own batch object (the provider reads its file ids or results URL)."""


@dataclass
class BatchRow:
    """The outcome of one row of an ended batch: a completion, or why there is none."""

    custom_id: str
    completion: Completion | None = None
    reason: str | None = None
    """``expired``, ``cancelled``, ``errored`` (with ``error``) when there is no completion."""
    error: str | None = None


@runtime_checkable
class BatchProvider(Protocol):
    """The optional batch capability (OpenAI Batch, Anthropic Message Batches).

    Steps are separate so the engine can record each id before the next step:
    ``batch_upload`` (may return None when the provider takes requests inline),
    ``batch_create`` (with a ``tag`` the provider keeps so :meth:`batch_find` can
    re-attach to a batch whose id was lost), ``batch_poll``, ``batch_results`` and
    ``batch_cancel``. Custom ids are ``[A-Za-z0-9_-]{1,64}``.
    """

    name: str
    model: str
    batch_limits: BatchLimits

    def batch_line(self, custom_id: str, request: Request) -> bytes:
        """One request serialised as the provider's batch line (its size counts to the limit)."""
        ...

    async def batch_upload(self, lines: list[bytes], tag: str) -> str | None:
        """Upload the lines (JSONL) when the provider needs a file first; its id or None."""
        ...

    async def batch_create(self, lines: list[bytes], upload_id: str | None, tag: str) -> BatchInfo:
        """Create the batch; ``tag`` must be findable again by :meth:`batch_find`."""
        ...

    async def batch_find(self, tag: str, n_rows: int, since: float,
                         known: Collection[str]) -> BatchInfo | None:
        """The batch created with ``tag`` (after ``since``, with ``n_rows`` rows, and none of
        the ``known`` batch ids), if it can be told apart; else None."""
        ...

    async def batch_poll(self, batch_id: str) -> BatchInfo:
        """The batch's current state."""
        ...

    async def batch_results(self, batch: BatchInfo,
                            requests: Mapping[str, Request]) -> list[BatchRow]:
        """Every row of an ended batch (successes, errors, expired and cancelled rows).

        ``requests`` maps custom ids to their requests, for post-processing the answers
        (rows of other custom ids are returned unprocessed: still paid)."""
        ...

    async def batch_cancel(self, batch_id: str) -> BatchInfo:
        """Ask the provider to cancel the batch."""
        ...
