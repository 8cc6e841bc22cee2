"""Engine behaviour with the scripted FakeProvider: retries, re-ask, failures, cache, budget."""

from __future__ import annotations

import asyncio
import json

import pytest
from engine_helpers import SCHEMA, make_items, right_answer
from tenacity import RetryCallState

from augment.engine import Engine, EngineConfig, PriceTable, WorkItem
from augment.engine.limits import RateLimiter
from augment.engine.retry import RetryPolicy
from augment.errors import ConfigError, PermanentProviderError, TransientProviderError
from augment.providers.base import Request, Usage
from augment.providers.fake import FakeProvider


def test_records_in_input_order_with_contract_fields(fast):
    fake = FakeProvider(fn=right_answer, latency=0.001)
    result = Engine(fake, fast).run(make_items(12))
    assert [r["key"] for r in result.records] == [f"k{i}" for i in range(12)]
    assert [r["output"]["n"] for r in result.records] == list(range(12))
    rec = result.records[0]
    for field in ("provider", "model", "prompt_version", "schema_name", "request_hash",
                  "created_at", "attempts", "cached", "usage", "task", "i"):
        assert field in rec
    assert rec["attempts"] == 1 and rec["cached"] is False
    assert result.failures == [] and result.n_calls == 12 == fake.calls


def test_transient_errors_are_retried(fast):
    fake = FakeProvider(fn=right_answer)
    fake.enqueue(TransientProviderError("429", status=429, retry_after=0.001))
    fake.enqueue(TransientProviderError("500", status=500))
    result = Engine(fake, fast).run(make_items(1))
    assert result.records[0]["output"] == {"n": 0}
    assert result.n_calls == 3


def test_retries_are_bounded(fast):
    fake = FakeProvider(fn=lambda r: (_ for _ in ()).throw(
        TransientProviderError("503", status=503)))
    result = Engine(fake, fast).run(make_items(1))
    assert result.records == []
    assert result.failures[0]["reason"] == "provider"
    assert fake.calls == fast.max_retries + 1


def test_permanent_errors_fail_fast(fast):
    fake = FakeProvider(fn=right_answer)
    fake.enqueue(PermanentProviderError("HTTP 400: bad request", status=400))
    result = Engine(fake, EngineConfig(concurrency=1, progress=False)).run(make_items(2))
    assert fake.calls == 2  # one call for the failing item, one for the next
    assert result.failures[0]["key"] == "k0" and result.failures[0]["reason"] == "provider"
    assert "400" in result.failures[0]["error"]
    assert [r["key"] for r in result.records] == ["k1"]


def _state_with(exc: BaseException, attempt: int = 1) -> RetryCallState:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.set_exception((type(exc), exc, None))
    return state


def test_retry_after_is_honoured_and_backoff_bounded():
    policy = RetryPolicy(max_retries=3, initial_s=0.001, max_s=0.01)
    waits = [policy.wait(_state_with(TransientProviderError("429", retry_after=0.25), a))
             for a in range(1, 4)]
    assert all(w >= 0.25 for w in waits)
    plain = [policy.wait(_state_with(TransientProviderError("500"), a)) for a in range(1, 10)]
    assert all(0 <= w <= 0.01 for w in plain)


def test_retry_after_wait_is_applied(fast):
    """The engine sleeps at least Retry-After (checked through the wait the policy computed)."""
    seen: list[float] = []
    policy = RetryPolicy(3, 0.001, 0.01)
    original = policy.wait

    def spy(state: RetryCallState) -> float:
        seen.append(original(state))
        return seen[-1]

    policy.wait = spy  # type: ignore[method-assign]
    fake = FakeProvider(fn=right_answer).enqueue(TransientProviderError("429", retry_after=0.05))

    async def call() -> object:
        return await policy.call(lambda: fake.complete(make_items(1)[0].request))

    comp, calls = asyncio.run(call())
    assert calls == 2 and seen and seen[0] >= 0.05


def test_reask_feeds_validation_errors_back(fast):
    fake = FakeProvider(fn=right_answer)
    fake.enqueue({"n": -1, "extra": True})
    result = Engine(fake, fast).run(make_items(1))
    assert result.records[0]["output"] == {"n": 0}
    assert result.records[0]["attempts"] == 2
    second = fake.history[1].messages
    assert second[:2] == fake.history[0].messages
    assert second[2] == {"role": "assistant", "content": json.dumps({"n": -1, "extra": True})}
    assert second[3]["role"] == "user"
    assert "$.n: -1 is less than the minimum of 0" in second[3]["content"]
    assert "extra" in second[3]["content"]


def test_invalid_json_and_check_errors_are_reasked(fast):
    def check(out):
        return [] if out["n"] % 2 == 0 else [f"n must be even, got {out['n']}"]

    fake = FakeProvider(fn=lambda r: {"n": 2})
    fake.enqueue('{"n": 1').enqueue({"n": 1})
    result = Engine(fake, fast).run(make_items(1, check=check))
    assert result.records[0]["output"] == {"n": 2} and result.records[0]["attempts"] == 3
    assert "not valid JSON" in fake.history[1].messages[-1]["content"]
    assert "n must be even, got 1" in fake.history[2].messages[-1]["content"]


def test_exhausted_reasks_give_a_failure_record(fast):
    fake = FakeProvider(fn=lambda r: {"n": "three"})
    result = Engine(fake, fast).run(make_items(2))
    assert result.records == [] and len(result.failures) == 2
    f = result.failures[0]
    assert f["reason"] == "validation" and f["attempts"] == fast.max_reasks + 1
    assert f["last_output"] == '{"n": "three"}' and "is not of type 'integer'" in f["error"]
    assert f["usage"]["output_tokens"] > 0 and f["task"] == "t"
    assert fake.calls == 2 * (fast.max_reasks + 1)


def test_unexpected_provider_exception_fails_only_its_row(fast):
    fake = FakeProvider(fn=right_answer).enqueue(RuntimeError("bug"))
    result = Engine(fake, EngineConfig(concurrency=1, progress=False)).run(make_items(3))
    assert [f["key"] for f in result.failures] == ["k0"]
    assert "RuntimeError" in result.failures[0]["error"]
    assert len(result.records) == 2


def test_check_that_raises_becomes_a_failure(fast):
    def check(out):
        raise KeyError("oops")

    result = Engine(FakeProvider(fn=right_answer), fast).run(make_items(1, check=check))
    assert result.failures[0]["reason"] == "check"


def test_timeout_is_retried_then_fails(fast):
    cfg = EngineConfig(timeout_s=0.02, max_retries=1, backoff_initial_s=0.001, progress=False)
    fake = FakeProvider(fn=right_answer, latency=1.0)
    result = Engine(fake, cfg).run(make_items(1))
    assert result.failures[0]["reason"] == "timeout" and fake.calls == 2


def test_duplicate_keys_are_rejected(fast):
    items = make_items(2)
    with pytest.raises(ConfigError, match="duplicate"):
        Engine(FakeProvider(fn=right_answer), fast).run([items[0], items[0]])


def test_second_run_makes_no_calls_and_cache_ignores_key_order(tmp_path, fast):
    store = tmp_path / "engine.sqlite"
    fake = FakeProvider(fn=right_answer)
    first = Engine(fake, fast, store=store).run(make_items(5))
    reordered = dict(reversed(list(SCHEMA.items())))
    reordered["properties"] = dict(reversed(list(SCHEMA["properties"].items())))
    items = make_items(5, schema=reordered)
    fake2 = FakeProvider(fn=right_answer)
    second = Engine(fake2, fast, store=store).run(items)
    assert fake2.calls == 0 and second.n_calls == 0 and second.n_cached == 5
    assert [r["output"] for r in second.records] == [r["output"] for r in first.records]
    assert all(r["cached"] for r in second.records)


def test_changed_check_reparses_from_the_completion_cache(tmp_path, fast):
    store = tmp_path / "engine.sqlite"
    Engine(FakeProvider(fn=right_answer), fast, store=store).run(make_items(3))
    fake = FakeProvider(fn=lambda r: {"n": 100})
    result = Engine(fake, fast, store=store).run(
        make_items(3, check=lambda out: [] if out["n"] >= 1 else ["n must be >= 1"]))
    # only k0 fails the new check; its first answer comes from the cache, the re-ask is new
    assert fake.calls == 1
    assert [r["output"]["n"] for r in result.records] == [100, 1, 2]


def test_budget_stops_scheduling(fast):
    prices = {"fake": {"*": {"input": 1000.0, "cached_input": 1000.0, "output": 1000.0}}}
    fake = FakeProvider(fn=right_answer, usage=Usage(10, 10))
    cfg = EngineConfig(concurrency=1, max_cost_usd=0.2, progress=False)
    items = make_items(20, max_tokens=20)
    engine = Engine(fake, cfg, prices=prices)
    result = engine.run(items)
    assert result.stopped_by_budget
    assert 0 < len(result.records) < 20
    assert len(result.records) + len(result.failures) == 20
    assert {f["reason"] for f in result.failures} == {"budget"}
    assert result.cost_usd <= 0.2
    assert fake.calls == len(result.records)


def test_budget_needs_a_known_price(fast):
    fake = FakeProvider(fn=right_answer, name="mystery")
    with pytest.raises(ConfigError, match="no price"):
        Engine(fake, EngineConfig(max_cost_usd=1.0, progress=False)).run(make_items(1))


def test_estimate_before_any_call(tmp_path):
    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"fake": {"*": {"input": 1.0, "output": 2.0}}}))
    fake = FakeProvider(fn=right_answer)
    engine = Engine(fake, EngineConfig(progress=False), prices=prices)
    est = engine.estimate(make_items(10, max_tokens=100))
    assert fake.calls == 0 and est.n_requests == 10
    assert est.input_tokens > 10 * 5 and est.output_tokens > 0
    assert est.cost_usd == pytest.approx((est.input_tokens * 1.0 + est.output_tokens * 2.0) / 1e6)
    assert est.max_cost_usd >= est.cost_usd


def test_price_table_lookup():
    table = PriceTable.load()
    assert (table.find("openai", "gpt-4o-mini-2024-07-18").input
            == table.find("openai", "gpt-4o-mini").input)
    assert table.find("local", "anything").output == 0
    assert table.find("openai", "no-such-model") is None


def test_run_inside_a_running_event_loop(fast):
    """Jupyter-style: engine.run from code that runs inside an event loop."""
    engine = Engine(FakeProvider(fn=right_answer), fast)

    async def cell() -> int:
        result = engine.run(make_items(3))  # sync call while a loop is running
        return len(result.records)

    assert asyncio.run(cell()) == 3


def test_rate_limiter_tightens_only_downwards():
    lim = RateLimiter(600)
    assert not lim.tighten(1200) and lim.per_minute == 600
    assert lim.tighten(300) and lim.per_minute == 300
    assert RateLimiter(None).tighten(100)


def test_work_item_request_is_not_mutated(fast):
    fake = FakeProvider(fn=right_answer).enqueue({"n": -5})
    items = make_items(1)
    Engine(fake, fast).run(items)
    assert len(items[0].request.messages) == 2
    assert isinstance(items[0], WorkItem) and isinstance(items[0].request, Request)
