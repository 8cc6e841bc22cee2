"""One registration point: provider name -> provider instance, imported lazily.

``get_provider("local")`` is the only call that imports llama.cpp; the SDK
providers import their SDK only when asked for.
"""

from __future__ import annotations

import importlib
from typing import Any

from augment.errors import ConfigError
from augment.providers.base import Provider

__all__ = ["get_provider", "PROVIDERS"]

PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("augment.providers.openai", "OpenAIProvider"),
    "openai-compatible": ("augment.providers.openai", "OpenAIProvider"),
    "anthropic": ("augment.providers.anthropic", "AnthropicProvider"),
    "local": ("augment.providers.local", "LocalProvider"),
    "fake": ("augment.providers.fake", "FakeProvider"),
}
"""Known provider names and where their class lives (module, class)."""


def get_provider(name: str, model: str | None = None, **kw: Any) -> Provider:
    """Build a provider by name: ``"openai"``, ``"openai-compatible"``, ``"anthropic"``,
    ``"local"`` or ``"fake"``.

    ``model`` is passed on when given (each provider has a default); other keyword
    arguments go to the provider's constructor (``api_key``, ``base_url``,
    ``timeout``...). ``"openai-compatible"`` needs ``base_url`` (vLLM, Ollama,
    llama.cpp server, LM Studio).
    """
    if name not in PROVIDERS:
        raise ConfigError(f"unknown provider '{name}': use one of {sorted(PROVIDERS)}",
                          key="provider")
    if name == "openai-compatible":
        if not kw.get("base_url"):
            raise ConfigError("provider 'openai-compatible' needs base_url, e.g. "
                              "base_url='http://localhost:8000/v1'", key="base_url")
        kw.setdefault("name", "openai-compatible")
    module_name, class_name = PROVIDERS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        hint = " (install the extra: pip install 'augment[local]')" if name == "local" else ""
        raise ConfigError(f"provider '{name}' is not available: {exc}{hint}",
                          key="provider") from exc
    cls = getattr(module, class_name)
    if model is not None:
        kw["model"] = model
    return cls(**kw)
