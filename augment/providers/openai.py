"""OpenAI (and OpenAI-compatible servers) via the official SDK: chat completions with
structured outputs (``response_format`` json_schema, ``strict: true``), online or
through the Batch API (a JSONL file uploaded to Files, ``/v1/batches``, output and
error files; see :class:`~augment.providers.base.BatchProvider`).

With ``base_url`` it talks to any OpenAI-compatible server (vLLM, Ollama, llama.cpp
server, LM Studio); a dummy key is used when none is set, since local servers
need none. The SDK's own retries are off: the engine retries.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from typing import Any

from augment.errors import TransientProviderError
from augment.providers import _sdk
from augment.providers.base import BatchInfo, BatchLimits, BatchRow, Completion, Request, Usage
from augment.schemas import object_root, strip_strict_nulls, to_openai_strict

__all__ = ["OpenAIProvider"]

KEY_ENV = "OPENAI_API_KEY"
_RATE_HEADERS = {"limit_requests": "x-ratelimit-limit-requests",
                 "limit_tokens": "x-ratelimit-limit-tokens",
                 "remaining_requests": "x-ratelimit-remaining-requests",
                 "remaining_tokens": "x-ratelimit-remaining-tokens",
                 "reset_requests_s": "x-ratelimit-reset-requests",
                 "reset_tokens_s": "x-ratelimit-reset-tokens"}
BATCH_LIMITS = BatchLimits(max_requests=50_000, max_bytes=190 * 1024 * 1024)
"""OpenAI: 50,000 requests and 200 MB per batch input file (kept under, for safety)."""
_BATCH_ENDED = ("completed", "failed", "expired", "cancelled")
_TAG = "augment_batch"
_KNOWN = ("temperature", "top_p", "seed", "stop", "frequency_penalty", "presence_penalty")


class OpenAIProvider:
    """Chat completions with a strict JSON Schema response format.

    Args:
        model: model name (e.g. ``"gpt-4o-mini"``; for local servers the served model).
        api_key: the key; default ``$OPENAI_API_KEY`` (optional when ``base_url`` is set).
        base_url: an OpenAI-compatible endpoint, e.g. ``"http://localhost:8000/v1"``.
        timeout: seconds per HTTP request.
        strict: send ``strict: true`` with the translated schema (see
            :func:`augment.schemas.to_openai_strict`); False sends the schema as is.
        json_mode: ``"json_schema"`` (structured outputs) or ``"json_object"`` for
            servers that only support JSON mode (the schema is then only in the prompt).
        name: provider name used in cache keys and price lookups.
        http: the SDK's HTTP transport: ``"auto"`` (aiohttp when installed), ``"aiohttp"``
            or ``"httpx"`` (see :func:`augment.providers._sdk.http_client`).
    """

    def __init__(self, model: str = "gpt-4o-mini", *, api_key: str | None = None,
                 base_url: str | None = None, timeout: float = 60.0, strict: bool = True,
                 json_mode: str = "json_schema", name: str = "openai",
                 http: str = "auto") -> None:
        self.name = name
        self.http = http
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self.strict = strict
        self.json_mode = json_mode
        self._key = (_sdk.resolve_key(api_key, KEY_ENV, name, required=base_url is None)
                     or "not-needed")
        self._clients = _sdk.LoopBoundClient(self._new_client)
        self.batch_limits = BATCH_LIMITS

    def __repr__(self) -> str:  # never shows the key
        return (f"OpenAIProvider(model={self.model!r}, base_url={self.base_url!r}, "
                f"name={self.name!r})")

    def _new_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key=self._key, base_url=self.base_url,
                                  http_client=_sdk.http_client(openai, self.http, self.timeout),
                                  max_retries=0, timeout=self.timeout)

    def _body(self, request: Request) -> tuple[dict[str, Any], bool]:
        schema, wrapped = object_root(request.schema)
        kw, extra = _sdk.jsonable_params(request.params, _KNOWN)
        if request.params.get("max_tokens") is not None:
            key = "max_tokens" if self.base_url else "max_completion_tokens"
            kw[key] = int(request.params["max_tokens"])
        extra.pop("max_tokens", None)
        if self.json_mode == "json_object":
            fmt: dict[str, Any] = {"type": "json_object"}
        else:
            fmt = {"type": "json_schema", "json_schema": {
                "name": request.schema_name,
                "schema": to_openai_strict(schema) if self.strict else schema,
                "strict": self.strict}}
        # messages and response_format travel in extra_body (which takes precedence over the
        # typed arguments): the same JSON on the wire, but it skips the SDK's typed transform,
        # which walks every message and the whole schema on each call (~1-2 ms of CPU).
        body = {"model": self.model, "messages": [], **kw,
                "extra_body": {"messages": list(request.messages), "response_format": fmt, **extra}}
        return body, wrapped

    async def complete(self, request: Request) -> Completion:
        """Send one chat completion; map SDK errors to augment's provider errors."""
        body, wrapped = self._body(request)
        async with self._errors():
            raw = await self._clients.get().chat.completions.with_raw_response.create(**body)
            completion = raw.parse()
        result = self._completion(completion, request)
        result.rate_limits = _sdk.rate_limits_with_reset(raw.headers, _RATE_HEADERS)
        return result

    async def aclose(self) -> None:
        """Close this event loop's HTTP connections (the engine calls it when its
        ``run`` ends the loop it started)."""
        await self._clients.aclose()

    def _errors(self) -> Any:
        import openai

        return _sdk.mapped_errors(self.name, openai, (self._key,), KEY_ENV)

    def _completion(self, completion: Any, request: Request | None) -> Completion:
        """A :class:`Completion` from the SDK's ``ChatCompletion`` (post-processed for
        ``request``'s schema when given)."""
        if not completion.choices:
            raise TransientProviderError(f"{self.name}: response without choices; will retry",
                                         provider=self.name)
        choice = completion.choices[0]
        message = choice.message
        text = message.content if message.content is not None else (message.refusal or "")
        if request is not None:
            text = self._postprocess(text, request, object_root(request.schema)[1])
        u = completion.usage
        cached = 0
        if u is not None and u.prompt_tokens_details is not None:
            cached = u.prompt_tokens_details.cached_tokens or 0
        usage = Usage(u.prompt_tokens, u.completion_tokens, cached) if u is not None else Usage()
        return Completion(text=text, usage=usage, model=completion.model or self.model,
                          truncated=completion.choices[0].finish_reason == "length")

    # the batch capability ----------------------------------------------------------------
    def batch_line(self, custom_id: str, request: Request) -> bytes:
        """One ``/v1/chat/completions`` request line of the batch input file."""
        body, _ = self._body(request)
        extra = body.pop("extra_body")
        body.update(extra)
        line = {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions",
                "body": body}
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    async def batch_upload(self, lines: list[bytes], tag: str) -> str | None:
        """Upload the JSONL input file (purpose ``batch``); its file id."""
        async with self._errors():
            f = await self._clients.get().files.create(
                file=(f"{tag}.jsonl", b"\n".join(lines) + b"\n", "application/jsonl"),
                purpose="batch")
        return str(f.id)

    async def batch_create(self, lines: list[bytes], upload_id: str | None, tag: str) -> BatchInfo:
        """Create the batch over the uploaded file, tagged in its metadata."""
        async with self._errors():
            b = await self._clients.get().batches.create(
                input_file_id=str(upload_id), endpoint="/v1/chat/completions",
                completion_window="24h", metadata={_TAG: tag})
        return _info(b)

    async def batch_find(self, tag: str, n_rows: int, since: float,
                         known: Collection[str]) -> BatchInfo | None:
        """The batch whose metadata carries ``tag`` (created after ``since``)."""
        async with self._errors():
            async for b in self._clients.get().batches.list(limit=100):
                if (b.metadata or {}).get(_TAG) == tag:
                    return _info(b)
                if b.created_at < since:
                    break
        return None

    async def batch_poll(self, batch_id: str) -> BatchInfo:
        """The batch's state and counts."""
        async with self._errors():
            return _info(await self._clients.get().batches.retrieve(batch_id))

    async def batch_cancel(self, batch_id: str) -> BatchInfo:
        """Ask OpenAI to cancel the batch (it ends ``cancelled``; finished rows are kept)."""
        async with self._errors():
            return _info(await self._clients.get().batches.cancel(batch_id))

    async def batch_results(self, batch: BatchInfo,
                            requests: Mapping[str, Request]) -> list[BatchRow]:
        """Rows of the output file (answers) and of the error file (failed/expired rows)."""
        from openai.types.chat import ChatCompletion

        client = self._clients.get()
        b = batch.raw
        rows: list[BatchRow] = []
        for file_id in (getattr(b, "output_file_id", None), getattr(b, "error_file_id", None)):
            if not file_id:
                continue
            async with self._errors():
                content = await client.files.content(file_id)
            for text in content.text.splitlines():
                if text.strip():
                    rows.append(self._batch_row(json.loads(text), ChatCompletion, requests))
        return rows

    def _batch_row(self, line: dict[str, Any], completion_type: Any,
                   requests: Mapping[str, Request]) -> BatchRow:
        cid = str(line.get("custom_id"))
        response = line.get("response") or {}
        error = line.get("error")
        if not error and response.get("status_code") == 200:
            completion = completion_type.model_validate(response["body"])
            return BatchRow(cid, self._completion(completion, requests.get(cid)))
        code = str((error or {}).get("code") or "")
        message = str((error or {}).get("message") or (response.get("body") or {}).get(
            "error", {}).get("message") or f"HTTP {response.get('status_code')}")
        reason = ("expired" if "expired" in code else "cancelled" if "cancel" in code
                  else "errored")
        return BatchRow(cid, reason=reason, error=_sdk.scrub(message, (self._key,)))

    def _postprocess(self, text: str, request: Request, wrapped: bool) -> str:
        """Unwrap a wrapped root and drop strict-mode nulls; leave unparsable text to the engine."""
        if self.json_mode != "json_schema" or not (wrapped or self.strict):
            return text
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            return text
        if wrapped:
            if not isinstance(value, dict) or "value" not in value:
                return text
            value = value["value"]
            schema = request.schema
        else:
            schema = request.schema
        if self.strict:
            value = strip_strict_nulls(value, schema)
        return json.dumps(value, ensure_ascii=False)


def _info(b: Any) -> BatchInfo:
    counts = b.request_counts
    c = {"total": counts.total, "succeeded": counts.completed, "errored": counts.failed} \
        if counts is not None else {}
    if c:
        c["done"] = c["succeeded"] + c["errored"]
    errors = getattr(b, "errors", None)
    data = getattr(errors, "data", None) or []
    message = "; ".join(str(getattr(e, "message", e)) for e in data) or None
    return BatchInfo(batch_id=str(b.id), state=str(b.status), ended=b.status in _BATCH_ENDED,
                     counts=c, created_at=float(b.created_at or 0), error=message, raw=b)
