"""The real openai and anthropic SDKs against the loopback servers, with each fault."""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys

import pytest

from augment.engine import Engine, EngineConfig, WorkItem
from augment.errors import ConfigError, MissingKeyError, PermanentProviderError
from augment.providers.anthropic import AnthropicProvider
from augment.providers.base import Request
from augment.providers.openai import OpenAIProvider
from augment.providers.registry import get_provider
from augment.testing import AnthropicServer, Fault, OpenAIServer

SCHEMA = {"type": "object",
          "properties": {"genre": {"type": "string", "enum": ["drama", "comedy"]},
                         "note": {"type": "string"}},
          "required": ["genre"], "additionalProperties": False}
KEY = "sk-test-SECRET-0123456789abcdef"


def items(n: int = 1) -> list[WorkItem]:
    return [WorkItem(f"i{i}", Request(({"role": "system", "content": "You label films."},
                                       {"role": "user", "content": f"film {i}"}), SCHEMA, "label",
                                      {"max_tokens": 64, "temperature": 0}))
            for i in range(n)]


def openai(srv: OpenAIServer, **kw) -> OpenAIProvider:
    return OpenAIProvider("gpt-4o-mini", base_url=srv.base_url, api_key=KEY, **kw)


def anthropic(srv: AnthropicServer, **kw) -> AnthropicProvider:
    return AnthropicProvider("claude-haiku-4-5", base_url=srv.base_url, api_key=KEY, **kw)


FAULTS = {
    "429": Fault.rate_limit(0.01),
    "500": Fault.server_error(500),
    "drop": Fault.drop(),
    "truncated_body": Fault.truncated(),
    # its own answer (to a client that gave up): the queued answer is left for the retry
    # even when the retry arrives after the slow reply
    "slow": Fault.slow(3.0, answer={"genre": "late"}),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_openai_transient_faults_are_retried(fault, openai_server, quick):
    openai_server.enqueue(FAULTS[fault], {"genre": "drama"})
    provider = openai(openai_server, timeout=1.0)
    result = Engine(provider, quick).run(items())
    assert result.records[0]["output"] == {"genre": "drama"}
    assert result.n_calls == 2 and len(openai_server.requests) == 2


@pytest.mark.parametrize("fault", [*FAULTS, "529"])
def test_anthropic_transient_faults_are_retried(fault, anthropic_server, quick):
    anthropic_server.enqueue(Fault.overloaded() if fault == "529" else FAULTS[fault],
                             {"genre": "comedy"})
    provider = anthropic(anthropic_server, timeout=1.0)
    result = Engine(provider, quick).run(items())
    assert result.records[0]["output"] == {"genre": "comedy"}
    assert result.n_calls == 2


def test_openai_request_shape_usage_and_rate_limit_headers(quick):
    with OpenAIServer(rate_limits={"limit_requests": 120, "limit_tokens": 50000,
                                   "remaining_requests": 119}) as srv:
        srv.enqueue({"genre": "drama", "note": None})
        comp = asyncio.run(openai(srv).complete(items()[0].request))
    sent = srv.requests[0]
    fmt = sent["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "label"
    assert fmt["json_schema"]["schema"]["required"] == ["genre", "note"]
    assert sent["messages"][0] == {"role": "system", "content": "You label films."}
    assert comp.text == '{"genre": "drama"}'  # the strict-mode null was dropped
    assert comp.usage.input_tokens > 0 and comp.usage.output_tokens > 0
    assert comp.rate_limits == {"limit_requests": 120, "limit_tokens": 50000,
                                "remaining_requests": 119}
    assert srv.headers[0]["authorization"] == f"Bearer {KEY}"


def test_anthropic_request_uses_a_forced_tool(anthropic_server):
    anthropic_server.enqueue({"genre": "drama"})
    comp = asyncio.run(anthropic(anthropic_server).complete(items()[0].request))
    sent = anthropic_server.requests[0]
    assert sent["tool_choice"] == {"type": "tool", "name": "label"}
    assert sent["tools"][0]["input_schema"] == SCHEMA
    assert sent["system"] == "You label films."
    assert [m["role"] for m in sent["messages"]] == ["user"]
    assert comp.text == '{"genre": "drama"}'


@pytest.mark.parametrize("server_cls,make", [(OpenAIServer, openai), (AnthropicServer, anthropic)])
def test_invalid_and_truncated_answers_are_reasked(server_cls, make, quick):
    cfg = EngineConfig(max_reasks=2, progress=False, backoff_initial_s=0.001)
    with server_cls([{"genre": "horror"}, '{"genre": "dra', {"genre": "drama"}]) as srv:
        result = Engine(make(srv), cfg).run(items())
    assert result.records[0]["output"] == {"genre": "drama"} and result.records[0]["attempts"] == 3
    second = srv.requests[1]["messages"]
    assert second[-2]["role"] == "assistant" and "horror" in second[-2]["content"]
    assert "is not one of" in second[-1]["content"]
    assert "not valid JSON" in srv.requests[2]["messages"][-1]["content"]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_permanent_errors_fail_fast(status, openai_server, quick):
    openai_server.enqueue(Fault.error(status, "nope"))
    result = Engine(openai(openai_server), quick).run(items())
    assert result.failures[0]["reason"] == "provider" and str(status) in result.failures[0]["error"]
    assert len(openai_server.requests) == 1


def test_retry_after_header_reaches_the_error(openai_server):
    openai_server.enqueue(Fault.rate_limit(0.25))
    from augment.errors import TransientProviderError
    with pytest.raises(TransientProviderError) as info:
        asyncio.run(openai(openai_server).complete(items()[0].request))
    assert info.value.status == 429 and info.value.retry_after == pytest.approx(0.25)


def test_missing_keys_name_the_variable(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        OpenAIProvider("gpt-4o-mini")
    with pytest.raises(MissingKeyError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider()
    OpenAIProvider("llama3", base_url="http://127.0.0.1:1/v1")  # local servers need no key


def test_key_from_environment(monkeypatch, openai_server):
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    openai_server.enqueue({"genre": "drama"})
    provider = OpenAIProvider("gpt-4o-mini", base_url=openai_server.base_url)
    asyncio.run(provider.complete(items()[0].request))
    assert openai_server.headers[0]["authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize("server_cls,make", [(OpenAIServer, openai), (AnthropicServer, anthropic)])
def test_key_never_in_logs_errors_or_records(server_cls, make, caplog, quick):
    caplog.set_level(logging.DEBUG)
    with server_cls([Fault.error(401, f"Incorrect API key provided: {KEY}"),
                     Fault.error(401, f"bad {KEY}")]) as srv:
        provider = make(srv)
        result = Engine(provider, quick).run(items())
        with pytest.raises(PermanentProviderError) as info:
            asyncio.run(provider.complete(items()[0].request))
    assert KEY not in str(info.value) and KEY not in repr(info.value)
    assert KEY not in str(info.value.__cause__)
    assert KEY not in caplog.text
    assert KEY not in str(result.failures) and "401" in result.failures[0]["error"]
    assert KEY not in repr(provider)


def test_registry(monkeypatch, openai_server):
    assert get_provider("fake").name == "fake"
    with pytest.raises(ConfigError, match="unknown provider"):
        get_provider("nope")
    with pytest.raises(ConfigError, match="base_url"):
        get_provider("openai-compatible", model="llama3")
    p = get_provider("openai-compatible", model="llama3", base_url=openai_server.base_url)
    assert (p.name, p.model) == ("openai-compatible", "llama3")
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    assert get_provider("anthropic", model="claude-haiku-4-5").model == "claude-haiku-4-5"


def test_registry_imports_local_only_when_asked():
    code = ("import sys; from augment.providers.registry import get_provider; "
            "get_provider('fake'); get_provider('openai', base_url='http://127.0.0.1:1/v1'); "
            "print('augment.providers.local' in sys.modules, 'llama_cpp' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_client_survives_a_new_event_loop(openai_server, quick):
    provider = openai(openai_server)
    engine = Engine(provider, quick)
    engine.run(items(2))
    result = Engine(provider, quick).run(items(3)[2:])  # second asyncio.run: a new loop
    assert result.records[0]["output"]["genre"] in ("drama", "comedy")
