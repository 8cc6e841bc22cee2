"""Anthropic via the official SDK: the messages API with the schema as a forced tool.

The answer is the ``tool_use`` block's input (as JSON text). The SDK's own
retries are off: the engine retries (529 overloaded counts as transient).
"""

from __future__ import annotations

import json
import re
from typing import Any

from augment.errors import TransientProviderError
from augment.providers import _sdk
from augment.providers.base import Completion, Request, Usage
from augment.schemas import WRAP_KEY, object_root

__all__ = ["AnthropicProvider"]

KEY_ENV = "ANTHROPIC_API_KEY"
DEFAULT_MAX_TOKENS = 1024
_RATE_HEADERS = {"limit_requests": "anthropic-ratelimit-requests-limit",
                 "limit_tokens": "anthropic-ratelimit-tokens-limit",
                 "remaining_requests": "anthropic-ratelimit-requests-remaining",
                 "remaining_tokens": "anthropic-ratelimit-tokens-remaining"}
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
    """

    def __init__(self, model: str = "claude-haiku-4-5", *, api_key: str | None = None,
                 base_url: str | None = None, timeout: float = 60.0,
                 name: str = "anthropic") -> None:
        self.name = name
        self.model = model
        self.base_url = base_url
        self.timeout = timeout
        self._key = _sdk.resolve_key(api_key, KEY_ENV, name)
        self._clients = _sdk.LoopBoundClient(self._new_client)

    def __repr__(self) -> str:  # never shows the key
        return f"AnthropicProvider(model={self.model!r}, base_url={self.base_url!r})"

    def _new_client(self) -> Any:
        import anthropic

        return anthropic.AsyncAnthropic(api_key=self._key, base_url=self.base_url,
                                        max_retries=0, timeout=self.timeout)

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
        import anthropic

        body, wrapped = self._body(request)
        secrets = (self._key,)
        try:
            raw = await self._clients.get().messages.with_raw_response.create(**body)
            message = await raw.parse()
        except anthropic.APIStatusError as exc:
            _sdk.scrub_exception(exc, secrets)
            message = getattr(exc, "api_message", None) or exc.message
            raise _sdk.status_error(self.name, exc.status_code, message, exc.response.headers,
                                    secrets, KEY_ENV) from exc
        except anthropic.APITimeoutError as exc:
            raise _sdk.network_error(self.name, exc, timeout=True) from exc
        except anthropic.APIConnectionError as exc:
            _sdk.scrub_exception(exc, secrets)
            raise _sdk.network_error(self.name, exc, timeout=False) from exc
        except ValueError as exc:  # unreadable body (truncated JSON)
            raise TransientProviderError(f"{self.name}: unreadable response "
                                         f"({type(exc).__name__}); will retry",
                                         provider=self.name) from exc
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
                          rate_limits=_sdk.rate_limits(raw.headers, _RATE_HEADERS),
                          truncated=message.stop_reason == "max_tokens")
