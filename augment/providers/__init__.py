"""Model providers: one small interface (:mod:`augment.providers.base`), one module each."""

from augment.providers.base import Completion, Message, Provider, Request, Usage, canonical_json

__all__ = ["Completion", "Message", "Provider", "Request", "Usage", "canonical_json"]
