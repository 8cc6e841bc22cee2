"""OpenAI (and OpenAI-compatible servers) via the official SDK: chat completions with
structured outputs (``response_format`` json_schema, ``strict: true``).

With ``base_url`` it talks to any OpenAI-compatible server (vLLM, Ollama, llama.cpp
server, LM Studio); a dummy key is used when none is set, since local servers
need none. The SDK's own retries are off: the engine retries.
"""

from __future__ import annotations

import json
from typing import Any

from augment.errors import TransientProviderError
from augment.providers import _sdk
from augment.providers.base import Completion, Request, Usage
from augment.schemas import object_root, strip_strict_nulls, to_openai_strict

__all__ = ["OpenAIProvider"]

KEY_ENV = "OPENAI_API_KEY"
_RATE_HEADERS = {"limit_requests": "x-ratelimit-limit-requests",
                 "limit_tokens": "x-ratelimit-limit-tokens",
                 "remaining_requests": "x-ratelimit-remaining-requests",
                 "remaining_tokens": "x-ratelimit-remaining-tokens"}
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
    """

    def __init__(self, model: str = "gpt-4o-mini", *, api_key: str | None = None,
                 base_url: str | None = None, timeout: float = 60.0, strict: bool = True,
                 json_mode: str = "json_schema", name: str = "openai") -> None:
        self.name = name
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self.strict = strict
        self.json_mode = json_mode
        self._key = (_sdk.resolve_key(api_key, KEY_ENV, name, required=base_url is None)
                     or "not-needed")
        self._clients = _sdk.LoopBoundClient(self._new_client)

    def __repr__(self) -> str:  # never shows the key
        return (f"OpenAIProvider(model={self.model!r}, base_url={self.base_url!r}, "
                f"name={self.name!r})")

    def _new_client(self) -> Any:
        import openai

        return openai.AsyncOpenAI(api_key=self._key, base_url=self.base_url,
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
        import openai

        body, wrapped = self._body(request)
        secrets = (self._key,)
        try:
            raw = await self._clients.get().chat.completions.with_raw_response.create(**body)
            completion = raw.parse()
        except openai.APIStatusError as exc:
            _sdk.scrub_exception(exc, secrets)
            raise _sdk.status_error(self.name, exc.status_code, exc.message, exc.response.headers,
                                    secrets, KEY_ENV) from exc
        except openai.APITimeoutError as exc:
            raise _sdk.network_error(self.name, exc, timeout=True) from exc
        except openai.APIConnectionError as exc:
            _sdk.scrub_exception(exc, secrets)
            raise _sdk.network_error(self.name, exc, timeout=False) from exc
        except ValueError as exc:  # unreadable body (truncated JSON)
            raise TransientProviderError(f"{self.name}: unreadable response "
                                         f"({type(exc).__name__}); will retry",
                                         provider=self.name) from exc
        if not completion.choices:
            raise TransientProviderError(f"{self.name}: response without choices; will retry",
                                         provider=self.name)
        choice = completion.choices[0]
        message = choice.message
        text = message.content if message.content is not None else (message.refusal or "")
        text = self._postprocess(text, request, wrapped)
        u = completion.usage
        cached = 0
        if u is not None and u.prompt_tokens_details is not None:
            cached = u.prompt_tokens_details.cached_tokens or 0
        usage = Usage(u.prompt_tokens, u.completion_tokens, cached) if u is not None else Usage()
        return Completion(text=text, usage=usage, model=completion.model or self.model,
                          rate_limits=_sdk.rate_limits(raw.headers, _RATE_HEADERS),
                          truncated=choice.finish_reason == "length")

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
