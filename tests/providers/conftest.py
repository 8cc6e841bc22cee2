"""Fixtures for provider tests: loopback servers and a fast engine config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from augment.engine import EngineConfig
from augment.testing import AnthropicServer, OpenAIServer


@pytest.fixture(autouse=True)
def _warm(warm_sdks: None) -> None:
    """Every test here runs after the SDKs' first call (see ``warm_sdks``)."""


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as srv:
        yield srv


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicServer]:
    with AnthropicServer() as srv:
        yield srv


@pytest.fixture
def quick() -> EngineConfig:
    return EngineConfig(concurrency=2, max_retries=3, max_reasks=1, timeout_s=5.0,
                        backoff_initial_s=0.001, backoff_max_s=0.01, progress=False)
