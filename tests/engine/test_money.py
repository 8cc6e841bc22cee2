"""Money that adds up: the budget across reruns and under concurrency, calls in flight at a
kill, one run per folder, truncation retried with a larger cap (never the same cap)."""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import make_items, right_answer

from augment.engine import Engine, EngineConfig
from augment.engine.cost import max_output_tokens, request_tokens
from augment.engine.lock import FolderLock
from augment.engine.runner import RESERVE_INPUT_FACTOR
from augment.errors import RunLocked
from augment.providers.base import Completion, Usage
from augment.providers.fake import FakeProvider

PRICES = {"fake": {"*": {"input": 1000.0, "output": 1000.0}}}
"""USD per 1M tokens: every token costs $0.001."""
USAGE = Usage(10, 5)
"""Every answer's usage: $0.015."""
HERE = Path(__file__).parent


def _worst(engine: Engine, item) -> float:
    r = item.request
    return engine.price.cost(Usage(int(request_tokens(r) * RESERVE_INPUT_FACTOR),
                                   max_output_tokens(r)))


def _engine(store, budget=None, concurrency=1, latency=0.0) -> tuple[Engine, FakeProvider]:
    fake = FakeProvider(fn=right_answer, usage=USAGE, latency=latency)
    cfg = EngineConfig(concurrency=concurrency, max_cost_usd=budget, progress=False)
    return Engine(fake, cfg, store=store, prices=PRICES), fake


def test_budget_holds_across_reruns_of_one_store(tmp_path):
    store = tmp_path / "s.sqlite"
    items = make_items(40, max_tokens=20)
    engine, _ = _engine(store)
    worst = _worst(engine, items[-1])
    budget = 6 * worst
    engine, fake = _engine(store, budget)
    first = engine.run(items)
    spent = engine.store.spend().spent
    assert first.stopped_by_budget and 0 < spent <= budget
    # the same budget again: what the first run spent counts, so no further call fits
    engine, fake = _engine(store, budget)
    again = engine.run(items)
    assert fake.calls == 0 and again.stopped_by_budget
    assert engine.store.spend().spent == pytest.approx(spent)
    assert len(again.records) == len(first.records)  # answered from the store, not paid again
    # a larger budget resumes, and the total stays within it
    engine, fake = _engine(store, budget + 4 * worst)
    engine.run(items)
    assert fake.calls > 0 and engine.store.spend().spent <= budget + 4 * worst


def test_concurrency_16_under_a_tight_budget_does_as_much_as_one_at_a_time(tmp_path):
    items = make_items(200, max_tokens=20)
    probe, _ = _engine(tmp_path / "probe.sqlite")
    budget = 4 * _worst(probe, items[-1])  # several times one answer's real cost
    results = {}
    for c in (1, 16):
        engine, fake = _engine(tmp_path / f"c{c}.sqlite", budget, concurrency=c, latency=0.01)
        result = engine.run(items)
        spent = engine.store.spend().spent
        assert spent <= budget + 1e-12
        assert result.stopped_by_budget
        # stopped only when one more call could exceed the budget
        assert spent + _worst(engine, items[-1]) > budget
        results[c] = len(result.records)
    assert results[16] == results[1] > 16


def _reserved_rows(store: Path) -> int:
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM ledger WHERE state='reserved'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_calls_in_flight_at_a_kill_count_as_spent(tmp_path):
    store = tmp_path / "s.sqlite"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), str(HERE)])}
    proc = subprocess.Popen([sys.executable, str(HERE / "_ledger_script.py"), str(store)],
                            env=env)
    deadline = time.monotonic() + 60
    while _reserved_rows(store) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _reserved_rows(store) == 3, "the calls never went out"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    items = make_items(3, max_tokens=50)
    engine, fake = _engine(store)
    worst = _worst(engine, items[0])
    # the rerun counts the three calls the provider may have billed, then pays for three more
    engine.run(items)
    spend = engine.store.spend()
    assert fake.calls == 3
    assert spend.estimated == pytest.approx(3 * worst)
    assert spend.paid == pytest.approx(3 * engine.price.cost(USAGE))
    assert spend.reserved == 0
    # and a budget sees them: a folder that spent 3 worst cases has no room left for a 4th
    engine, fake = _engine(store, budget=spend.spent + 0.5 * worst)
    engine.run(make_items(5, max_tokens=50))
    assert fake.calls == 0


def test_a_second_holder_of_a_run_folder_is_refused_and_a_stale_lock_taken_over(tmp_path,
                                                                                caplog):
    code = ("import sys, time; from augment.engine.lock import FolderLock\n"
            "with FolderLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(HERE.parents[1])}
    holder = subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(RunLocked) as info:
            FolderLock(tmp_path).acquire()
        assert info.value.pid == holder.pid and info.value.started_at
        assert str(holder.pid) in str(info.value) and info.value.exit_code == 2
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with caplog.at_level(logging.WARNING, logger="augment.engine"), FolderLock(tmp_path) as lock:
        assert lock.holder()["pid"] == os.getpid()
    assert any("no longer running" in r.getMessage() for r in caplog.records)
    assert not (tmp_path / "run.lock").exists()


def _truncated(cap_seen: list[int], ok_from: int):
    def fn(request):
        cap = int(request.params.get("max_tokens", 0))
        cap_seen.append(cap)
        if cap < ok_from:
            return Completion('{"n": ', Usage(10, cap), truncated=True)
        return right_answer(request)
    return fn


def test_a_truncated_answer_is_retried_once_with_a_larger_cap():
    caps: list[int] = []
    fake = FakeProvider(fn=_truncated(caps, ok_from=200))
    result = Engine(fake, EngineConfig(progress=False)).run(make_items(1, max_tokens=100))
    assert caps == [100, 200] and result.records[0]["output"] == {"n": 0}


def test_a_twice_truncated_answer_fails_as_truncated_never_reasked_at_the_same_cap():
    caps: list[int] = []
    fake = FakeProvider(fn=_truncated(caps, ok_from=10_000))
    result = Engine(fake, EngineConfig(progress=False, max_reasks=3)).run(
        make_items(1, max_tokens=100))
    assert caps == [100, 200]  # one retry at twice the cap, then it gives up
    assert result.failures[0]["reason"] == "truncated"
    assert "max_tokens" in result.failures[0]["error"]


def test_truncation_at_the_largest_cap_fails_without_a_retry():
    caps: list[int] = []
    fake = FakeProvider(fn=_truncated(caps, ok_from=10_000))
    cfg = EngineConfig(progress=False, truncation_max_tokens=100)
    result = Engine(fake, cfg).run(make_items(1, max_tokens=100))
    assert caps == [100] and result.failures[0]["reason"] == "truncated"


def test_no_requests_left_pauses_scheduling_until_the_reset():
    starts: list[float] = []

    def fn(request):
        starts.append(time.monotonic())
        return Completion(json.dumps(right_answer(request)), Usage(1, 1),
                          rate_limits={"remaining_requests": 0, "reset_requests_s": 0.3}
                          if len(starts) == 1 else {})

    Engine(FakeProvider(fn=fn), EngineConfig(concurrency=1, progress=False)).run(make_items(2))
    assert starts[1] - starts[0] >= 0.3


def test_reset_headers_parse_durations_and_timestamps():
    from datetime import UTC, datetime, timedelta

    from augment.providers._sdk import reset_seconds

    assert reset_seconds("1m30s") == 90.0 and reset_seconds("250ms") == 0.25
    assert reset_seconds("2") == 2.0 and reset_seconds(None) is None
    soon = (datetime.now(UTC) + timedelta(seconds=30)).isoformat().replace("+00:00", "Z")
    assert 28 < reset_seconds(soon) <= 30
