"""Test helpers shipped for users' own tests: a scripted provider and loopback servers
speaking the OpenAI and Anthropic wire formats, with faults on demand; event logs in a
shop's shape (from MovieLens, or synthetic and large)."""

from augment.providers.fake import FakeProvider
from augment.testing._http import Fault, LoopbackServer, minimal_instance
from augment.testing.event_logs import (
    EVENT_WEIGHTS,
    movielens_event_log,
    write_synthetic_event_log,
)
from augment.testing.servers import AnthropicServer, OpenAIServer

__all__ = ["FakeProvider", "Fault", "LoopbackServer", "OpenAIServer", "AnthropicServer",
           "minimal_instance", "movielens_event_log", "write_synthetic_event_log",
           "EVENT_WEIGHTS"]
