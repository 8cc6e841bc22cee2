"""Helpers of the batch-mode tests: the real SDK providers against the loopback batch
servers, and a provider wrapper that dies at a chosen step (an in-process SIGKILL)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from augment.engine import EngineConfig
from augment.providers.anthropic import AnthropicProvider
from augment.providers.openai import OpenAIProvider
from augment.testing import AnthropicBatchServer, OpenAIBatchServer

PROVIDERS = ("openai", "anthropic")

BATCH = EngineConfig(mode="batch", wait=True, poll_initial_s=0.02, poll_max_s=0.1,
                     batch_max_requests=5, progress=False, max_retries=2,
                     backoff_initial_s=0.001, backoff_max_s=0.01)


def answer(body: dict[str, Any]) -> dict[str, int]:
    """Right (``{"n": i}``), except one request in 7 is invalid at its first ask."""
    messages = body.get("messages") or []
    first = next(m for m in messages if m["role"] == "user")["content"]
    i = int(str(first).split()[-1])
    if i % 7 == 3 and len(messages) <= 2:
        return {"n": -1}
    return {"n": i}


def server(name: str, **kwargs: Any) -> Any:
    cls = OpenAIBatchServer if name == "openai" else AnthropicBatchServer
    kwargs.setdefault("fn", answer)
    return cls(**kwargs)


def provider(name: str, srv: Any) -> Any:
    if name == "openai":
        return OpenAIProvider("gpt-4o-mini", base_url=srv.base_url, api_key="test")
    return AnthropicProvider("claude-haiku-4-5", base_url=srv.base_url, api_key="test")


def config(**changes: Any) -> EngineConfig:
    return replace(BATCH, **changes)


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the engine catches it."""


class DyingProvider:
    """Delegates to a real batch provider and dies at the ``nth`` call of ``method``,
    ``before`` the call is sent or ``after`` it returned (before the engine saw it).
    Once dead it stays dead: every later call raises too, as nothing runs after a SIGKILL."""

    def __init__(self, inner: Any, method: str, when: str, nth: int = 1) -> None:
        self.inner, self.method, self.when, self.nth = inner, method, when, nth
        self.name, self.model = inner.name, inner.model
        self.batch_limits = inner.batch_limits
        self.base_url = inner.base_url
        self.calls = 0
        self.dead = False

    def batch_line(self, custom_id: str, request: Any) -> bytes:
        return self.inner.batch_line(custom_id, request)

    async def complete(self, request: Any) -> Any:
        return await self.inner.complete(request)

    async def _step(self, method: str, *args: Any) -> Any:
        if self.dead:
            raise Killed(method)
        hit = False
        if method == self.method:
            self.calls += 1
            hit = self.calls == self.nth
        if hit and self.when == "before":
            self.dead = True
            raise Killed(method)
        result = await getattr(self.inner, method)(*args)
        if hit or self.dead:
            self.dead = True
            raise Killed(method)
        return result

    async def batch_upload(self, *args: Any) -> Any:
        return await self._step("batch_upload", *args)

    async def batch_create(self, *args: Any) -> Any:
        return await self._step("batch_create", *args)

    async def batch_find(self, *args: Any) -> Any:
        return await self._step("batch_find", *args)

    async def batch_poll(self, *args: Any) -> Any:
        return await self._step("batch_poll", *args)

    async def batch_results(self, *args: Any) -> Any:
        return await self._step("batch_results", *args)

    async def batch_cancel(self, *args: Any) -> Any:
        return await self._step("batch_cancel", *args)
