"""Batch mode through the real openai and anthropic SDKs against the loopback batch servers."""

from __future__ import annotations

import asyncio
import math

import pytest
from batch_helpers import PROVIDERS, DyingProvider, Killed, config, provider, server
from engine_helpers import make_items

from augment.engine import Engine
from augment.engine.batch import cancel_batches
from augment.errors import BatchesInFlight, ConfigError
from augment.providers.base import Usage
from augment.providers.fake import FakeProvider
from augment.testing import BatchFaults

N = 23


def _right(result) -> None:
    assert sorted(r["key"] for r in result.records) == sorted(f"k{i}" for i in range(N))
    assert all(r["output"] == {"n": r["i"]} for r in result.records)


@pytest.mark.parametrize("name", PROVIDERS)
def test_batch_mode_answers_validates_and_reasks_in_a_follow_up_round(name, tmp_path):
    with server(name, faults=BatchFaults(complete_after_s=0.05)) as srv:
        engine = Engine(provider(name, srv), config(), store=tmp_path / "s.sqlite")
        result = engine.run(make_items(N))
        book = srv.book.summary()
    _right(result)
    reasked = [r for r in result.records if r["i"] % 7 == 3]
    assert reasked and all(r["attempts"] == 2 for r in reasked)
    # first round: ceil(23 / 5) batches; the re-asks go in a batch of their own
    assert book["batches"] == math.ceil(N / 5) + math.ceil(len(reasked) / 5)
    assert book["distinct_rows"] == book["submitted_rows"] == N + len(reasked)
    assert book["duplicate_submissions"] == 0 and result.n_batches == book["batches"]
    usage = sum((Usage(**r["usage"]) for r in result.records), Usage())
    assert result.cost_usd == pytest.approx(engine.online_price.cost(usage) / 2)
    assert engine.store.spend().reserved == 0  # every batch reservation released


@pytest.mark.parametrize("name", PROVIDERS)
def test_cache_hits_never_enter_a_batch(name, tmp_path):
    store = tmp_path / "s.sqlite"
    with server(name) as srv:
        online = Engine(provider(name, srv), config(mode="online"), store=store)
        online.run(make_items(10))
        result = Engine(provider(name, srv), config(), store=store).run(make_items(N))
        book = srv.book.summary()
    _right(result)
    new = [i for i in range(10, N)]
    assert book["distinct_rows"] == len(new) + sum(1 for i in new if i % 7 == 3)


@pytest.mark.parametrize("name", PROVIDERS)
def test_expired_rows_are_resubmitted_once_in_their_own_batch(name, tmp_path):
    expire = lambda cid, k: "expired" if k == 1 and int(cid[:2], 16) % 4 == 0 else None  # noqa: E731
    with server(name, faults=BatchFaults(row_fault=expire)) as srv:
        result = Engine(provider(name, srv), config(), store=tmp_path / "s.sqlite").run(
            make_items(N))
        book, batches = srv.book.summary(), list(srv.book.batches.values())
    _right(result)
    resubmitted = {cid for cid, n in srv.book.submissions.items() if n > 1}
    assert resubmitted and all(n <= 2 for n in srv.book.submissions.values())
    retry_batches = [b for b in batches if {c for c, _ in b.rows} <= resubmitted]
    assert {c for b in retry_batches for c, _ in b.rows} == resubmitted  # only retried rows
    assert book["duplicate_submissions"] == 0
    assert book["paid_requests"] == book["distinct_rows"]


@pytest.mark.parametrize("name", PROVIDERS)
def test_rows_failing_twice_fail_with_their_reason(name, tmp_path):
    bad = lambda cid, k: "errored" if int(cid[:2], 16) % 5 == 0 else None  # noqa: E731
    with server(name, faults=BatchFaults(row_fault=bad)) as srv:
        result = Engine(provider(name, srv), config(), store=tmp_path / "s.sqlite").run(
            make_items(N))
    assert result.failures and len(result.records) + len(result.failures) == N
    assert {f["reason"] for f in result.failures} == {"batch_errored"}
    assert all("attempt 2" in f["error"] for f in result.failures)
    assert max(srv.book.submissions.values()) == 2


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize("end_as", ["expired", "cancelled"])
def test_a_batch_that_ends_expired_or_cancelled_is_resubmitted(name, end_as, tmp_path):
    faults = BatchFaults(end_as=end_as, end_as_batches=1, poll_errors=2)
    with server(name, faults=faults) as srv:
        result = Engine(provider(name, srv), config(), store=tmp_path / "s.sqlite").run(
            make_items(N))
        book = srv.book.summary()
        ended = [b for b in srv.book.batches.values() if b.final == end_as]
    _right(result)
    assert book["duplicate_submissions"] == 0
    assert len(ended) == 1  # its rows, submitted once more
    assert book["submitted_rows"] == book["distinct_rows"] + len(ended[0].rows)


@pytest.mark.parametrize("name", PROVIDERS)
def test_in_flight_batches_raise_then_a_rerun_reattaches(name, tmp_path):
    store = tmp_path / "s.sqlite"
    with server(name, faults=BatchFaults(complete_after_s=0.6)) as srv:
        with pytest.raises(BatchesInFlight) as info:
            Engine(provider(name, srv), config(wait=False), store=store).run(make_items(N))
        assert info.value.exit_code == 75 and "run the same command again" in str(info.value)
        first = srv.book.summary()["batches"]
        assert len(info.value.batch_ids) == first == math.ceil(N / 5)
        result = Engine(provider(name, srv), config(), store=store).run(make_items(N))
        book = srv.book.summary()
    _right(result)
    assert book["duplicate_submissions"] == 0
    assert book["distinct_rows"] == book["submitted_rows"]


STEPS = [pytest.param(m, w, marks=[pytest.mark.slow] if w == "before" else [])
         for m in ("batch_upload", "batch_create", "batch_poll", "batch_results")
         for w in ("before", "after")]
"""Dying after a step (the provider did it, we never heard) is the dangerous case: always
run. Dying before a step runs with the slow tests."""


@pytest.mark.parametrize("name", PROVIDERS)
@pytest.mark.parametrize(("method", "when"), STEPS)
def test_killed_at_any_step_resumes_without_a_second_submission(name, method, when, tmp_path):
    store = tmp_path / "s.sqlite"
    with server(name) as srv:
        dying = DyingProvider(provider(name, srv), method, when, nth=2)
        with pytest.raises(Killed):
            Engine(dying, config(), store=store).run(make_items(N))
        assert dying.calls >= 2  # batches advance concurrently: others may have gone on
        result = Engine(provider(name, srv), config(), store=store).run(make_items(N))
        book = srv.book.summary()
    _right(result)
    assert book["duplicate_submissions"] == 0
    assert book["submitted_rows"] == book["distinct_rows"]  # no row submitted twice
    assert book["paid_requests"] == book["distinct_rows"]
    reasked = sum(1 for i in range(N) if i % 7 == 3)
    assert book["batches"] == math.ceil(N / 5) + math.ceil(reasked / 5)


@pytest.mark.parametrize("name", PROVIDERS)
def test_cancel_batches_cancels_what_is_in_flight(name, tmp_path):
    store = tmp_path / "s.sqlite"
    with server(name, faults=BatchFaults(complete_after_s=30)) as srv:
        with pytest.raises(BatchesInFlight):
            Engine(provider(name, srv), config(wait=False), store=store).run(make_items(N))
        engine = Engine(provider(name, srv), config(), store=store)
        infos = asyncio.run(cancel_batches(engine))
        assert len(infos) == math.ceil(N / 5)
        assert all(b.final == "cancelled" for b in srv.book.batches.values())


def test_batch_mode_needs_a_batch_provider():
    with pytest.raises(ConfigError, match="no batch API"):
        Engine(FakeProvider(), config()).run(make_items(2))
