"""Harnesses for :class:`augment.testing.contracts.ProviderContract`: a provider plus a
script of what its backend does next (an answer, a fault, an answer cut at ``max_tokens``)
and a view of what reached the backend.

One harness per shipped provider: :class:`FakeHarness`, :class:`OpenAIHarness` and
:class:`AnthropicHarness` (the real SDKs against the loopback servers) and
:class:`LocalHarness` (llama.cpp; not scripted). For a provider of your own, subclass
:class:`ProviderHarness` and implement what your backend can do; the contract skips what
the harness says it cannot (``scripted``, ``faults``).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from typing import Any, ClassVar

from augment.errors import PermanentProviderError, TransientProviderError
from augment.providers.base import Completion, Message, Provider, Usage
from augment.providers.fake import FakeProvider
from augment.schemas import WRAP_KEY
from augment.testing._http import Fault, LoopbackServer, Reply, minimal_instance
from augment.testing.servers import AnthropicServer, OpenAIServer

__all__ = ["Sent", "ProviderHarness", "FakeHarness", "OpenAIHarness", "AnthropicHarness",
           "LocalHarness", "TRANSIENT_FAULTS", "PERMANENT_FAULTS", "FAULT_STATUS"]

TRANSIENT_FAULTS = ("rate_limit", "server_error", "overloaded", "timeout", "drop",
                    "truncated_body")
"""Faults worth retrying: a provider must raise TransientProviderError for each."""
PERMANENT_FAULTS = ("bad_request", "unauthorized", "forbidden", "not_found")
"""Faults retrying cannot fix: a provider must raise PermanentProviderError for each."""
FAULT_STATUS = {"rate_limit": 429, "server_error": 500, "overloaded": 529, "bad_request": 400,
                "unauthorized": 401, "forbidden": 403, "not_found": 404}
"""The HTTP status each fault stands for (the provider error's ``status``)."""
RETRY_AFTER = 0.25
"""Seconds the scripted ``rate_limit`` fault asks the client to wait."""


@dataclass(frozen=True)
class Sent:
    """What one request looked like when it reached the backend, in provider-neutral terms."""

    model: str
    messages: list[Message]
    """System message first when there was one, then the conversation in order."""
    schema_name: str | None
    max_tokens: int | None


class ProviderHarness:
    """A provider and the script of its backend. Subclasses set ``provider`` and implement
    the methods their backend supports."""

    provider: Provider
    secret: str | None = None
    """The API key the provider was built with: it must never appear in an error."""
    scripted: ClassVar[bool] = True
    """Whether answers can be scripted (False: a real model answers)."""
    faults: ClassVar[frozenset[str]] = frozenset(TRANSIENT_FAULTS + PERMANENT_FAULTS)
    """The faults :meth:`fault` can produce."""

    def answer(self, value: Any, *, usage: Usage | None = None) -> None:
        """The backend's next answer is ``value`` (a JSON value), reporting ``usage``."""
        raise NotImplementedError

    def cut_off(self, text: str, *, usage: Usage | None = None) -> None:
        """The backend's next answer is ``text``, cut at ``max_tokens``."""
        raise NotImplementedError

    def fault(self, kind: str) -> None:
        """The backend's next call fails with ``kind`` (one of ``faults``)."""
        raise NotImplementedError

    def sent(self) -> list[Sent]:
        """Every request the backend received, in order."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the harness holds (servers, threads)."""


class FakeHarness(ProviderHarness):
    """:class:`~augment.providers.fake.FakeProvider`: faults are the errors it is scripted
    to raise, as a provider that maps them correctly would."""

    def __init__(self) -> None:
        self.fake = FakeProvider(model="fake-model")
        self.provider = self.fake

    def answer(self, value: Any, *, usage: Usage | None = None) -> None:
        text = json.dumps(value)
        self.fake.enqueue(Completion(text, usage or Usage(10, len(text) // 4 + 1), "fake-model"))

    def cut_off(self, text: str, *, usage: Usage | None = None) -> None:
        self.fake.enqueue(Completion(text, usage or Usage(10, 5), "fake-model", truncated=True))

    def fault(self, kind: str) -> None:
        status = FAULT_STATUS.get(kind)
        if kind in PERMANENT_FAULTS:
            self.fake.enqueue(PermanentProviderError(f"fake: {kind}", provider="fake",
                                                     status=status))
        else:
            retry = RETRY_AFTER if kind == "rate_limit" else None
            self.fake.enqueue(TransientProviderError(f"fake: {kind}", provider="fake",
                                                     status=status, retry_after=retry))

    def sent(self) -> list[Sent]:
        return [Sent(self.fake.model, [dict(m) for m in r.messages], r.schema_name,
                     r.params.get("max_tokens")) for r in self.fake.history]


class _ServerHarness(ProviderHarness):
    """An SDK provider against a loopback server; faults are the server's. A scripted
    value is sent as the real API would send it: wrapped when the provider wrapped a
    non-object root, with every property present (``null`` when absent) under OpenAI's
    strict mode."""

    server: LoopbackServer
    secret = "sk-contract-SECRET-0123456789abcdef"
    timeout = 0.5
    """The provider's HTTP timeout (the ``timeout`` fault answers later than this)."""
    fills_nulls = False

    def __init__(self) -> None:
        self._pending: deque[Any] = deque()

    def _serve(self, body: dict[str, Any]) -> Any:
        schema = self.server.schema_of(body)
        if not self._pending:
            return minimal_instance(schema)
        action = self._pending.popleft()
        if not isinstance(action, Reply) or action.cut_off:
            return action
        value = action.answer
        props = schema.get("properties") or {}
        if set(props) == {WRAP_KEY} and not (isinstance(value, dict) and WRAP_KEY in value):
            value = {WRAP_KEY: value}
        if self.fills_nulls:
            value = _with_nulls(value, schema)
        return Reply(value, action.usage)

    def answer(self, value: Any, *, usage: Usage | None = None) -> None:
        self._pending.append(Reply(value, usage))

    def cut_off(self, text: str, *, usage: Usage | None = None) -> None:
        self._pending.append(Reply(text, usage, cut_off=True))

    def fault(self, kind: str) -> None:
        faults = {"rate_limit": Fault.rate_limit(RETRY_AFTER), "overloaded": Fault.overloaded(),
                  "timeout": Fault.slow(self.timeout * 3), "drop": Fault.drop(),
                  "truncated_body": Fault.truncated()}
        if kind not in faults:
            faults[kind] = Fault.error(FAULT_STATUS[kind], f"scripted {kind} (key {self.secret})")
        self._pending.append(faults[kind])

    def close(self) -> None:
        self.server.stop()


class OpenAIHarness(_ServerHarness):
    """:class:`~augment.providers.openai.OpenAIProvider` (strict structured outputs) against
    :class:`~augment.testing.OpenAIServer`."""

    def __init__(self, **provider_kw: Any) -> None:
        from augment.providers.openai import OpenAIProvider

        super().__init__()
        self.fills_nulls = provider_kw.get("strict", True)
        self.server = OpenAIServer(fn=self._serve).start()
        self.provider = OpenAIProvider("gpt-contract", base_url=self.server.url + "/v1",
                                       api_key=self.secret, timeout=self.timeout, **provider_kw)

    def sent(self) -> list[Sent]:
        out = []
        for body in self.server.requests:
            fmt = (body.get("response_format") or {}).get("json_schema") or {}
            cap = body.get("max_tokens", body.get("max_completion_tokens"))
            out.append(Sent(body["model"], list(body["messages"]), fmt.get("name"), cap))
        return out


class AnthropicHarness(_ServerHarness):
    """:class:`~augment.providers.anthropic.AnthropicProvider` (forced tool) against
    :class:`~augment.testing.AnthropicServer`."""

    def __init__(self, **provider_kw: Any) -> None:
        from augment.providers.anthropic import AnthropicProvider

        super().__init__()
        self.server = AnthropicServer(fn=self._serve).start()
        self.provider = AnthropicProvider("claude-contract", base_url=self.server.url,
                                          api_key=self.secret, timeout=self.timeout,
                                          **provider_kw)

    def sent(self) -> list[Sent]:
        out = []
        for body in self.server.requests:
            system = [{"role": "system", "content": body["system"]}] if body.get("system") else []
            tool = (body.get("tool_choice") or {}).get("name")
            out.append(Sent(body["model"], system + list(body["messages"]), tool,
                            body.get("max_tokens")))
        return out


def _with_nulls(value: Any, schema: Any) -> Any:
    """``value`` with every property of ``schema`` present (``null`` when absent), as a
    strict-mode server writes it."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        return {**{k: None for k in props},
                **{k: _with_nulls(v, props.get(k)) for k, v in value.items()}}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_with_nulls(v, schema["items"]) for v in value]
    for branch in schema.get("anyOf", []):
        if isinstance(value, dict) and isinstance(branch, dict) and "properties" in branch:
            return _with_nulls(value, branch)
    return value


class LocalHarness(ProviderHarness):
    """:class:`~augment.providers.local.LocalProvider`: the embedded model answers (nothing
    is scripted); the contract checks what it can of real answers."""

    scripted = False
    faults = frozenset()

    def __init__(self, **provider_kw: Any) -> None:
        from augment.providers.local import LocalProvider

        self.provider = LocalProvider(**{"n_threads": 1, **provider_kw})
