"""Test helpers shipped for users' own tests: a scripted provider and loopback servers
speaking the OpenAI and Anthropic wire formats, with faults on demand."""

from augment.providers.fake import FakeProvider
from augment.testing._http import Fault, LoopbackServer, minimal_instance
from augment.testing.batch_servers import AnthropicBatchServer, BatchFaults, OpenAIBatchServer
from augment.testing.servers import AnthropicServer, OpenAIServer

__all__ = ["FakeProvider", "Fault", "LoopbackServer", "OpenAIServer", "AnthropicServer",
           "minimal_instance", "OpenAIBatchServer", "AnthropicBatchServer", "BatchFaults"]
