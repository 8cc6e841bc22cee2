"""The provider pool: each distinct (provider, model, base_url) built once, or injected."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, Protocol

from augment.errors import ConfigError, MissingKeyError
from augment.providers.base import Completion, Provider, Request
from augment.providers.registry import PROVIDERS, get_provider

__all__ = ["ProviderFactory", "ProviderPool", "NamedProvider", "default_model",
           "ProviderSettings", "provider_for_estimate"]


class ProviderSettings(Protocol):
    """Which provider a task asks for (``augment.jobs.TaskConfig`` has these fields)."""

    provider: str
    model: str | None
    base_url: str | None


ProviderFactory = Callable[[Any], Provider]
"""``provider_factory(task_cfg) -> Provider``: how a job gets its providers (tests inject fakes)."""


def _build(tc: ProviderSettings) -> Provider:
    kwargs: dict[str, Any] = {}
    if tc.base_url:
        kwargs["base_url"] = tc.base_url
    return get_provider(tc.provider, model=tc.model, **kwargs)


class ProviderPool:
    """Builds each distinct provider once, so tasks sharing a model share one instance."""

    def __init__(self, factory: ProviderFactory | None = None) -> None:
        self.factory = factory or _build
        self._built: dict[tuple[str, str | None, str | None], Provider] = {}

    def get(self, tc: ProviderSettings) -> Provider:
        """The provider of task config ``tc``."""
        key = (tc.provider, tc.model, tc.base_url)
        if key not in self._built:
            self._built[key] = self.factory(tc)
        return self._built[key]


def default_model(provider: str) -> str:
    """The default model name of a registered provider class (no instance, no key)."""
    module_name, class_name = PROVIDERS.get(provider, ("", ""))
    if not module_name:
        return provider
    import importlib

    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except ImportError:
        return provider
    param = inspect.signature(cls.__init__).parameters.get("model")
    default = getattr(param, "default", None)
    return default if isinstance(default, str) else provider


class NamedProvider:
    """Stands in for a provider that cannot be built (no key yet) when only its name and
    model are needed, e.g. to estimate cost. It refuses to answer."""

    def __init__(self, name: str, model: str) -> None:
        self.name = name
        self.model = model

    async def complete(self, request: Request) -> Completion:
        raise ConfigError(f"provider {self.name}/{self.model} is only a stand-in for estimates")


def provider_for_estimate(pool: ProviderPool, tc: ProviderSettings) -> Provider:
    """The task's provider, or a :class:`NamedProvider` when it cannot be built here."""
    try:
        return pool.get(tc)
    except (MissingKeyError, ConfigError):
        return NamedProvider(tc.provider, tc.model or default_model(tc.provider))
