"""Loopback servers that speak the OpenAI chat-completions and Anthropic messages wire
formats closely enough for the official SDKs, with faults on demand.

```python
from augment.testing import OpenAIServer, Fault
with OpenAIServer([Fault.rate_limit(0.05), {"genres": ["Drama"]}]) as srv:
    provider = OpenAIProvider(model="gpt-4o-mini", base_url=srv.url + "/v1", api_key="test")
    ...
    srv.requests   # the JSON bodies received
```
"""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from augment.providers.base import Usage
from augment.testing._http import Fault, LoopbackServer, Reply

__all__ = ["OpenAIServer", "AnthropicServer", "Fault", "Reply"]

_ids = itertools.count(1)


def _text(answer: Any) -> str:
    return answer if isinstance(answer, str) else json.dumps(answer)


def _approx_tokens(body: dict[str, Any]) -> int:
    return len(json.dumps(body.get("messages", []))) // 4 + 1


class OpenAIServer(LoopbackServer):
    """``POST /v1/chat/completions``; give the SDK ``base_url=server.url + "/v1"``."""

    path = "/v1/chat/completions"

    @property
    def base_url(self) -> str:
        """The URL to pass as the OpenAI SDK's ``base_url``."""
        return self.url + "/v1"

    def schema_of(self, body: dict[str, Any]) -> dict[str, Any]:
        rf = body.get("response_format") or {}
        return (rf.get("json_schema") or {}).get("schema") or {"type": "object"}

    def render(self, body: dict[str, Any], answer: Any, *, usage: Usage | None = None,
               cut_off: bool = False) -> dict[str, Any]:
        text = _text(answer)
        usage = usage or Usage(_approx_tokens(body), len(text) // 4 + 1)
        n_in, n_out = usage.input_tokens, usage.output_tokens
        return {
            "id": f"chatcmpl-{next(_ids)}", "object": "chat.completion",
            "created": int(time.time()), "model": body.get("model", "unknown"),
            "choices": [{"index": 0, "finish_reason": "length" if cut_off else "stop",
                         "logprobs": None,
                         "message": {"role": "assistant", "content": text, "refusal": None}}],
            "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                      "total_tokens": n_in + n_out,
                      "prompt_tokens_details": {"cached_tokens": usage.cached_tokens}},
        }

    def extra_headers(self) -> dict[str, str]:
        names = {"limit_requests": "x-ratelimit-limit-requests",
                 "limit_tokens": "x-ratelimit-limit-tokens",
                 "remaining_requests": "x-ratelimit-remaining-requests",
                 "remaining_tokens": "x-ratelimit-remaining-tokens"}
        return {names[k]: str(int(v)) for k, v in self.rate_limits.items() if k in names}


class AnthropicServer(LoopbackServer):
    """``POST /v1/messages``; give the SDK ``base_url=server.url``.

    A JSON-object answer becomes the input of a ``tool_use`` block for the forced
    tool; any other answer (e.g. truncated JSON text) becomes a ``text`` block.
    """

    path = "/v1/messages"

    @property
    def base_url(self) -> str:
        """The URL to pass as the Anthropic SDK's ``base_url``."""
        return self.url

    def schema_of(self, body: dict[str, Any]) -> dict[str, Any]:
        tools = body.get("tools") or [{}]
        return tools[0].get("input_schema") or {"type": "object"}

    def render(self, body: dict[str, Any], answer: Any, *, usage: Usage | None = None,
               cut_off: bool = False) -> dict[str, Any]:
        value = answer
        if isinstance(answer, str):
            try:
                value = json.loads(answer)
            except json.JSONDecodeError:
                value = None
        choice = body.get("tool_choice") or {}
        if isinstance(value, dict) and choice.get("type") == "tool" and not cut_off:
            content = [{"type": "tool_use", "id": f"toolu_{next(_ids)}", "name": choice["name"],
                        "input": value}]
            stop = "tool_use"
        else:
            content = [{"type": "text", "text": _text(answer)}]
            stop = "max_tokens" if cut_off else "end_turn"
        usage = usage or Usage(_approx_tokens(body), len(_text(answer)) // 4 + 1)
        return {
            "id": f"msg_{next(_ids)}", "type": "message", "role": "assistant",
            "model": body.get("model", "unknown"), "content": content, "stop_reason": stop,
            "stop_sequence": None,
            # Anthropic's input_tokens exclude the tokens read from the prompt cache
            "usage": {"input_tokens": usage.input_tokens - usage.cached_tokens,
                      "output_tokens": usage.output_tokens,
                      "cache_read_input_tokens": usage.cached_tokens,
                      "cache_creation_input_tokens": 0},
        }

    def render_error(self, fault: Fault) -> dict[str, Any]:
        kinds = {429: "rate_limit_error", 529: "overloaded_error", 500: "api_error",
                 400: "invalid_request_error", 401: "authentication_error",
                 403: "permission_error", 404: "not_found_error"}
        return {"type": "error", "error": {"type": kinds.get(fault.status, "api_error"),
                                           "message": fault.message}}

    def extra_headers(self) -> dict[str, str]:
        names = {"limit_requests": "anthropic-ratelimit-requests-limit",
                 "limit_tokens": "anthropic-ratelimit-tokens-limit",
                 "remaining_requests": "anthropic-ratelimit-requests-remaining",
                 "remaining_tokens": "anthropic-ratelimit-tokens-remaining"}
        return {names[k]: str(int(v)) for k, v in self.rate_limits.items() if k in names}
