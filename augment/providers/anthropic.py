"""Anthropic via the official SDK: the messages API with the schema as a forced tool.

The answer is the ``tool_use`` block's input (as JSON text). The SDK's own
retries are off: the engine retries (529 overloaded counts as transient). The
same requests can go through Message Batches (``/v1/messages/batches``, results
as JSONL; see :class:`~augment.providers.base.BatchProvider`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from augment.providers import _sdk
from augment.providers.base import BatchInfo, BatchLimits, BatchRow, Completion, Request, Usage
from augment.schemas import WRAP_KEY, object_root

__all__ = ["AnthropicProvider"]

KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 1024
_RATE_HEADERS = {"limit_requests": "anthropic-ratelimit-requests-limit",
                 "limit_tokens": "anthropic-ratelimit-tokens-limit",
                 "remaining_requests": "anthropic-ratelimit-requests-remaining",
                 "remaining_tokens": "anthropic-ratelimit-tokens-remaining",
                 "reset_requests_s": "anthropic-ratelimit-requests-reset",
                 "reset_tokens_s": "anthropic-ratelimit-tokens-reset"}
BATCH_LIMITS = BatchLimits(max_requests=100_000, max_bytes=250 * 1024 * 1024)
"""Anthropic: 100,000 requests or 256 MB per message batch (kept under, for safety)."""
_RESULT_REASONS = {"errored": "errored", "canceled": "cancelled", "expired": "expired"}
# temperature, top_p, top_k: not keywords of this SDK; sent in the body
_KNOWN = ("stop_sequences",)


class AnthropicProvider:
    """Messages API with the schema as a forced tool (``tool_choice={"type": "tool"}``).

    Args:
        model: model name, e.g. ``"claude-haiku-4-5"``.
        api_key: the key; default ``$ANTHROPIC_API_KEY``.
        base_url: another endpoint (a proxy, or a test server).
        timeout: seconds per HTTP request.
        name: provider name used in cache keys and price lookups.
        http: the SDK's HTTP transport: ``"auto"`` (aiohttp when installed), ``"aiohttp"``
            or ``"httpx"`` (see :func:`augment.providers._sdk.http_client`).
    """

    def __init__(self, model: str = "claude-haiku-4-5", *, api_key: str | None = None,
                 base_url: str | None = None, timeout: float = 60.0,
                 name: str = "anthropic", http: str = "auto") -> None:
        self.name = name
        self.http = http
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self._key = _sdk.resolve_key(api_key, KEY_ENV, name)
        self._clients = _sdk.LoopBoundClient(self._new_client)
        self.batch_limits = BATCH_LIMITS

    def __repr__(self) -> str:  # never shows the key
        return f"AnthropicProvider(model={self.model!r}, base_url={self.base_url!r})"

    def _new_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(
            api_key=self._key, base_url=self.base_url, max_retries=0, timeout=self.timeout,
            http_client=_sdk.http_client(anthropic, self.http, self.timeout))

    def _body(self, request: Request) -> tuple[dict[str, Any], bool]:
        schema, wrapped = object_root(request.schema)
        tool = re.sub(r"[^a-zA-Z0-9_-]", "_", request.schema_name)[:64] or "record"
        system = "\n\n".join(m["content"] for m in request.messages if m["role"] == "system")
        messages = [{"role": m["role"], "content": m["content"]}
                    for m in request.messages if m["role"] != "system"]
        kw, extra = _sdk.jsonable_params(request.params, _KNOWN)
        extra.pop("seed", None)  # not supported by the messages API
        raw: dict[str, Any] = {
            "messages": messages,
            "tools": [{"name": tool, "description": "Record the answer. The input must satisfy "
                       "the JSON Schema exactly.", "input_schema": schema}],
            "tool_choice": {"type": "tool", "name": tool}, **extra}
        if system:
            raw["system"] = system
        # messages, tools and system travel in extra_body (which takes precedence over the typed
        # arguments): the same JSON on the wire without the SDK's per-call typed transform.
        body: dict[str, Any] = {
            "model": self.model, "messages": [],
            "max_tokens": int(raw.pop("max_tokens", None) or DEFAULT_MAX_TOKENS), **kw,
            "extra_body": raw}
        return body, wrapped

    async def complete(self, request: Request) -> Completion:
        """Send one message request; map SDK errors to augment's provider errors."""
        body, _ = self._body(request)
        async with self._errors():
            raw = await self._clients.get().messages.with_raw_response.create(**body)
            message = await raw.parse()
        result = self._completion(message, request)
        result.rate_limits = _sdk.rate_limits_with_reset(raw.headers, _RATE_HEADERS)
        return result

    async def aclose(self) -> None:
        """Close this event loop's HTTP connections (the engine calls it when its
        ``run`` ends the loop it started)."""
        await self._clients.aclose()

    def _errors(self) -> Any:
        import anthropic

        return _sdk.mapped_errors(self.name, anthropic, (self._key,), KEY_ENV)

    def _completion(self, message: Any, request: Request | None) -> Completion:
        """A :class:`Completion` from the SDK's ``Message`` (the forced tool's input)."""
        wrapped = object_root(request.schema)[1] if request is not None else False
        text = None
        for block in message.content:
            if getattr(block, "type", None) == "tool_use":
                value = block.input
                if wrapped and isinstance(value, dict) and WRAP_KEY in value:
                    value = value[WRAP_KEY]
                text = json.dumps(value, ensure_ascii=False)
                break
        if text is None:  # no tool call: give the text to the engine, which will re-ask
            text = "".join(getattr(b, "text", "") for b in message.content)
        u = message.usage
        cache_read = u.cache_read_input_tokens or 0
        n_in = u.input_tokens + cache_read + (u.cache_creation_input_tokens or 0)
        return Completion(text=text, usage=Usage(n_in, u.output_tokens, cache_read),
                          model=message.model or self.model,
                          truncated=message.stop_reason == "max_tokens")

    # the batch capability ----------------------------------------------------------------
    def batch_line(self, custom_id: str, request: Request) -> bytes:
        """One ``{"custom_id", "params"}`` request of a message batch."""
        body, _ = self._body(request)
        extra = body.pop("extra_body")
        body.update(extra)
        line = {"custom_id": custom_id, "params": body}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    async def batch_upload(self, lines: list[bytes], tag: str) -> str | None:
        """Message batches take their requests inline: nothing to upload."""
        return None

    async def batch_create(self, lines: list[bytes], upload_id: str | None, tag: str) -> BatchInfo:
        """Create the message batch (Anthropic keeps no tag: found again by time and size)."""
        requests = [json.loads(line) for line in lines]
        async with self._errors():
            b = await self._clients.get().messages.batches.create(requests=requests)
        return _info(b)

    async def batch_find(self, tag: str, n_rows: int, since: float,
                         known: Collection[str]) -> BatchInfo | None:
        """The only batch created after ``since`` with ``n_rows`` requests that is not one of
        ``known``, if exactly one (message batches keep no metadata to tag them)."""
        found: list[BatchInfo] = []
        async with self._errors():
            async for b in self._clients.get().messages.batches.list(limit=100):
                info = _info(b)
                if info.created_at < since:
                    break
                if info.counts.get("total") == n_rows and info.batch_id not in known:
                    found.append(info)
        return found[0] if len(found) == 1 else None

    async def batch_poll(self, batch_id: str) -> BatchInfo:
        """The batch's processing status and counts."""
        async with self._errors():
            return _info(await self._clients.get().messages.batches.retrieve(batch_id))

    async def batch_cancel(self, batch_id: str) -> BatchInfo:
        """Ask Anthropic to cancel the batch (rows not yet run end ``canceled``)."""
        async with self._errors():
            return _info(await self._clients.get().messages.batches.cancel(batch_id))

    async def batch_results(self, batch: BatchInfo,
                            requests: Mapping[str, Request]) -> list[BatchRow]:
        """Every row of the results stream: answers, errors, cancelled and expired rows."""
        rows: list[BatchRow] = []
        async with self._errors():
            stream = await self._clients.get().messages.batches.results(batch.batch_id)
            async for entry in stream:
                cid = str(entry.custom_id)
                result = entry.result
                if result.type == "succeeded":
                    rows.append(BatchRow(cid, self._completion(result.message, requests.get(cid))))
                    continue
                error = getattr(getattr(result, "error", None), "error", None)
                message = getattr(error, "message", None)
                rows.append(BatchRow(cid, reason=_RESULT_REASONS.get(result.type, "errored"),
                                     error=_sdk.scrub(str(message), (self._key,))
                                     if message else None))
        return rows


def _info(b: Any) -> BatchInfo:
    c = b.request_counts
    counts = {"succeeded": c.succeeded, "errored": c.errored, "cancelled": c.canceled,
              "expired": c.expired, "processing": c.processing}
    counts["total"] = sum(counts.values())
    counts["done"] = counts["total"] - c.processing
    created = b.created_at.timestamp() if hasattr(b.created_at, "timestamp") else 0.0
    return BatchInfo(batch_id=str(b.id), state=str(b.processing_status),
                     ended=b.processing_status == "ended", counts=counts,
                     created_at=float(created), raw=b)
