"""Model providers: one small interface (:mod:`augment.providers.base`), one module each.

``get_provider(name, model=None, **kw)`` builds one by name: ``openai``,
``openai-compatible`` (with ``base_url``), ``anthropic``, ``local`` (embedded
llama.cpp) and ``fake`` (scripted, for tests).
"""

from augment.providers.base import Completion, Message, Provider, Request, Usage, canonical_json
from augment.providers.fake import FakeProvider
from augment.providers.registry import get_provider

__all__ = [
    "Completion",
    "Message",
    "Provider",
    "Request",
    "Usage",
    "canonical_json",
    "FakeProvider",
    "get_provider",
]
