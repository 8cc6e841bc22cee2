"""Test helpers shipped for users' own tests: a scripted provider and loopback servers
speaking the OpenAI and Anthropic wire formats, with faults on demand; event logs in a
shop's shape (from MovieLens, or synthetic and large). The contract suites
(:mod:`augment.testing.contracts`, needs pytest) and their provider harnesses
(:mod:`augment.testing.harness`) are imported from their modules."""

from augment.providers.fake import FakeProvider
from augment.testing._http import Fault, LoopbackServer, Reply, minimal_instance
from augment.testing.batch_servers import AnthropicBatchServer, BatchFaults, OpenAIBatchServer
from augment.testing.event_logs import (
    EVENT_WEIGHTS,
    movielens_event_log,
    write_synthetic_event_log,
)
from augment.testing.servers import AnthropicServer, OpenAIServer

__all__ = ["FakeProvider", "Fault", "LoopbackServer", "OpenAIServer", "AnthropicServer",
           "Reply", "minimal_instance", "OpenAIBatchServer", "AnthropicBatchServer", "BatchFaults",
           "movielens_event_log", "write_synthetic_event_log", "EVENT_WEIGHTS"]
