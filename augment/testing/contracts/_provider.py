"""``ProviderContract``: what every provider owes the engine, as a pytest mixin.

Give the subclass a ``harness`` fixture (a :class:`~augment.testing.harness.ProviderHarness`).
It checks the request that reaches the backend (model, messages in order with the system
message first, schema name, ``max_tokens``), usage accounting (per call and summed by the
engine), the mapping of transient and permanent failures to
:class:`~augment.errors.TransientProviderError` / :class:`~augment.errors.PermanentProviderError`
(with status, ``Retry-After`` and no key in any message), truncation at ``max_tokens``
reported on the :class:`~augment.providers.base.Completion` and in the engine's failures,
and answers to schema edge cases (enums, nested arrays, empty arrays, nullable fields,
absent optional fields, a non-object root). A harness that cannot script answers (a real
model) gets the checks that hold for any answer; faults it cannot produce are skipped.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from augment.engine import Engine, EngineConfig, RunResult, WorkItem
from augment.errors import PermanentProviderError, ProviderError, TransientProviderError
from augment.providers.base import Completion, Message, Provider, Request, Usage
from augment.schemas import validate
from augment.testing.harness import (
    FAULT_STATUS,
    PERMANENT_FAULTS,
    RETRY_AFTER,
    TRANSIENT_FAULTS,
    ProviderHarness,
)

__all__ = ["ProviderContract", "EDGE_CASES", "contract_request"]

LABEL = {"type": "object",
         "properties": {"genre": {"type": "string", "enum": ["drama", "comedy"]},
                        "note": {"type": "string", "maxLength": 40}},
         "required": ["genre"], "additionalProperties": False}
"""The schema of the plain requests: an enum field and an optional string."""

SYSTEM: Message = {"role": "system", "content": "You label films. Answer with JSON only."}
REASK: tuple[Message, ...] = (
    SYSTEM, {"role": "user", "content": "Label the film 'Heat' (1995)."},
    {"role": "assistant", "content": '{"genre": "thriller"}'},
    {"role": "user", "content": "Your answer failed the schema: 'thriller' is not one of "
                                "['drama', 'comedy']. Answer again."})


def _obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties,
            "required": list(properties) if required is None else required,
            "additionalProperties": False}


_IDS = {"type": "string", "enum": ["u1", "u2", "u3"]}
EDGE_CASES: dict[str, tuple[dict[str, Any], Any]] = {
    "enums": (_obj({"genre": {"type": "string", "enum": ["drama", "sci-fi", "film noir"]},
                    "stars": {"type": "integer", "enum": [1, 2, 3]}}),
              {"genre": "film noir", "stars": 3}),
    "nested_arrays": (_obj({"groups": {"type": "array", "maxItems": 3, "items": _obj(
        {"name": {"type": "string", "maxLength": 12},
         "ids": {"type": "array", "items": _IDS, "maxItems": 3, "uniqueItems": True}})}}),
        {"groups": [{"name": "fans", "ids": ["u1", "u3"]}, {"name": "others", "ids": ["u2"]}]}),
    "empty_arrays": (_obj({"positives": {"type": "array", "items": _obj({"user_id": _IDS}),
                                         "maxItems": 3},
                           "negatives": {"type": "array", "items": _IDS, "maxItems": 3}}),
                     {"positives": [], "negatives": []}),
    "nullable": (_obj({"summary": {"type": ["string", "null"], "maxLength": 30},
                       "year": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}),
                 {"summary": None, "year": None}),
    "optional_absent": (_obj({"genre": {"type": "string", "enum": ["drama", "comedy"]},
                              "note": {"type": "string", "maxLength": 20}}, ["genre"]),
                        {"genre": "drama"}),
    "array_root": ({"type": "array", "items": _IDS, "maxItems": 3, "uniqueItems": True},
                   ["u2", "u1"]),
}
"""Schema edge cases: ``name -> (schema, an answer valid for it)``."""


def contract_request(schema: dict[str, Any] | None = None, *, max_tokens: int = 128,
                     messages: tuple[Message, ...] | None = None, name: str = "label"
                     ) -> Request:
    """The request the contract sends: a system message, a user message and ``schema``."""
    return Request(messages or (SYSTEM, {"role": "user", "content": "Label the film 'Heat' "
                                         "(1995) with JSON matching the schema."}),
                   schema or LABEL, name, {"max_tokens": max_tokens, "temperature": 0.0})


def _chain(exc: BaseException | None) -> Iterator[BaseException]:
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


class ProviderContract:
    """Test mixin for providers. Subclass it in a ``Test*`` class and define the fixture
    ``harness`` yielding a :class:`~augment.testing.harness.ProviderHarness`."""

    @pytest.fixture
    def harness(self) -> Iterator[ProviderHarness]:
        raise NotImplementedError("define a `harness` fixture yielding a ProviderHarness")

    # helpers --------------------------------------------------------------------------------
    @staticmethod
    def complete(harness: ProviderHarness, request: Request) -> Completion:
        """One call of the provider, from synchronous test code."""
        return asyncio.run(harness.provider.complete(request))

    @staticmethod
    def engine_run(harness: ProviderHarness, requests: list[Request], **config: Any
                   ) -> RunResult:
        """The requests through a real :class:`~augment.engine.Engine` (no cache folder)."""
        cfg = EngineConfig(**{"concurrency": 1, "max_retries": 0, "max_reasks": 0,
                              "timeout_s": 120.0, "backoff_initial_s": 0.001,
                              "backoff_max_s": 0.01, "progress": False, **config})
        items = [WorkItem(f"k{n}", r) for n, r in enumerate(requests)]
        return Engine(harness.provider, cfg).run(items)

    @staticmethod
    def need_script(harness: ProviderHarness) -> None:
        if not harness.scripted:
            pytest.skip("this harness cannot script answers")

    # identity and request shape ----------------------------------------------------------------
    def test_is_a_provider(self, harness: ProviderHarness) -> None:
        p = harness.provider
        assert isinstance(p, Provider), f"{type(p).__name__} lacks name, model or complete()"
        assert isinstance(p.name, str) and p.name, "name must be a non-empty string"
        assert isinstance(p.model, str) and p.model, "model must be a non-empty string"
        assert asyncio.iscoroutinefunction(p.complete), "complete() must be `async def`"

    @pytest.mark.parametrize("turns", ["first", "reask"])
    def test_request_reaches_backend_whole(self, harness: ProviderHarness, turns: str) -> None:
        self.need_script(harness)
        request = contract_request(messages=REASK if turns == "reask" else None, max_tokens=77)
        harness.answer({"genre": "drama"})
        self.complete(harness, request)
        sent = harness.sent()
        assert len(sent) == 1, f"one call must make one request, got {len(sent)}"
        got = sent[0]
        assert got.model == harness.provider.model
        assert [(m["role"], m["content"]) for m in got.messages] == [
            (m["role"], m["content"]) for m in request.messages], "messages changed on the way"
        assert got.schema_name == request.schema_name
        assert got.max_tokens == 77, f"max_tokens sent as {got.max_tokens}, asked 77"

    def test_answer_round_trips(self, harness: ProviderHarness) -> None:
        request = contract_request()
        if harness.scripted:
            harness.answer({"genre": "comedy", "note": "a heist"})
        comp = self.complete(harness, request)
        assert isinstance(comp, Completion) and isinstance(comp.text, str)
        assert not comp.truncated, "an answer that ended normally was reported truncated"
        value = json.loads(comp.text)
        if harness.scripted:
            assert value == {"genre": "comedy", "note": "a heist"}
        assert validate(value, request.schema) == []

    # usage ------------------------------------------------------------------------------------
    def test_usage_reported(self, harness: ProviderHarness) -> None:
        if harness.scripted:
            harness.answer({"genre": "drama"}, usage=Usage(120, 9, 100))
        comp = self.complete(harness, contract_request())
        u = comp.usage
        if harness.scripted:
            assert (u.input_tokens, u.output_tokens, u.cached_tokens) == (120, 9, 100), (
                f"usage {u} != the backend's (120 in of which 100 cached, 9 out)")
        assert u.input_tokens > 0 and u.output_tokens > 0
        assert 0 <= u.cached_tokens <= u.input_tokens

    def test_engine_sums_usage(self, harness: ProviderHarness) -> None:
        if harness.scripted:
            harness.answer({"genre": "drama"}, usage=Usage(50, 5, 0))
            harness.answer({"genre": "comedy"}, usage=Usage(70, 6, 20))
        result = self.engine_run(harness, [contract_request(), contract_request(name="label2")])
        assert not result.failures, result.failures
        per_record = [Usage(**r["usage"]) for r in result.records]
        total = per_record[0] + per_record[1]
        assert result.usage == total, "the run's usage must be the sum of its records'"
        if harness.scripted:
            assert result.usage == Usage(120, 11, 20)

    # failures ---------------------------------------------------------------------------------
    def _raised(self, harness: ProviderHarness, kind: str) -> ProviderError:
        if kind not in harness.faults:
            pytest.skip(f"this harness cannot produce the fault {kind!r}")
        harness.fault(kind)
        try:
            self.complete(harness, contract_request())
        except ProviderError as exc:
            for e in _chain(exc):
                for text in (str(e), repr(e)):
                    assert not harness.secret or harness.secret not in text, (
                        f"the API key leaked into {type(e).__name__}: {text}")
            assert exc.provider == harness.provider.name, "errors must name their provider"
            return exc
        except Exception as exc:
            pytest.fail(f"fault {kind!r} raised {type(exc).__name__}, not a ProviderError: {exc}")
        pytest.fail(f"fault {kind!r} raised nothing")

    @pytest.mark.parametrize("kind", TRANSIENT_FAULTS)
    def test_transient_failure(self, harness: ProviderHarness, kind: str) -> None:
        exc = self._raised(harness, kind)
        assert isinstance(exc, TransientProviderError), (
            f"{kind!r} is worth retrying but raised {type(exc).__name__}")
        if kind in FAULT_STATUS:
            assert exc.status == FAULT_STATUS[kind]
        if kind == "rate_limit":
            assert exc.retry_after == pytest.approx(RETRY_AFTER, abs=0.01), (
                f"Retry-After {RETRY_AFTER} s reported as {exc.retry_after}")

    @pytest.mark.parametrize("kind", PERMANENT_FAULTS)
    def test_permanent_failure(self, harness: ProviderHarness, kind: str) -> None:
        exc = self._raised(harness, kind)
        assert isinstance(exc, PermanentProviderError), (
            f"{kind!r} will not succeed on retry but raised {type(exc).__name__}")
        assert exc.status == FAULT_STATUS[kind]

    def test_engine_retries_transient_only(self, harness: ProviderHarness) -> None:
        if not {"server_error", "bad_request"} <= harness.faults:
            pytest.skip("this harness cannot produce server_error and bad_request")
        harness.fault("server_error")
        harness.answer({"genre": "drama"})
        result = self.engine_run(harness, [contract_request()], max_retries=2)
        assert [r["output"] for r in result.records] == [{"genre": "drama"}]
        assert result.n_calls == 2
        harness.fault("bad_request")
        result = self.engine_run(harness, [contract_request(name="other")], max_retries=2)
        assert result.n_calls == 1, "a permanent failure must not be retried"
        assert [f["reason"] for f in result.failures] == ["provider"]

    # truncation -------------------------------------------------------------------------------
    def _cut(self, harness: ProviderHarness) -> Request:
        if harness.scripted:
            harness.cut_off('{"genre": "dra')
            return contract_request()
        long_text = _obj({"summary": {"type": "string", "minLength": 60, "maxLength": 80}})
        return contract_request(long_text, max_tokens=3)

    def test_truncation_reported(self, harness: ProviderHarness) -> None:
        comp = self.complete(harness, self._cut(harness))
        assert comp.truncated, "an answer cut at max_tokens must set Completion.truncated"
        if harness.scripted:
            assert comp.text == '{"genre": "dra', "the partial text must be passed on"

    def test_truncation_reaches_failures(self, harness: ProviderHarness) -> None:
        request = self._cut(harness)
        if harness.scripted:  # the engine's one retry, at a larger cap, is cut too
            harness.cut_off('{"genre": "drama", "no')
        result = self.engine_run(harness, [request])
        assert not result.records
        assert [f["reason"] for f in result.failures] == ["truncated"]
        assert "max_tokens" in result.failures[0]["error"]
        if harness.scripted:  # retried once, never with the same cap
            caps = [sent.max_tokens or 0 for sent in harness.sent()]
            assert len(caps) == 2 and caps[1] > caps[0], f"caps sent: {caps}"

    # schema edge cases ------------------------------------------------------------------------
    @pytest.mark.parametrize("case", list(EDGE_CASES))
    def test_schema_edge_case(self, harness: ProviderHarness, case: str) -> None:
        schema, answer = EDGE_CASES[case]
        if harness.scripted:
            harness.answer(answer)
        comp = self.complete(harness, contract_request(schema, max_tokens=256, name=case))
        assert not comp.truncated, f"answer cut at max_tokens: {comp.text!r}"
        value = json.loads(comp.text)
        assert validate(value, schema) == [], f"{case}: {comp.text!r} fails its schema"
        if harness.scripted:
            assert value == answer, f"{case}: sent {answer!r}, got {value!r}"
