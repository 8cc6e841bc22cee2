"""The engine: runs work items against a provider, async, within limits and budget.

For each item: a stored record is returned as is (resume); otherwise each request
of the conversation is answered from the completion cache or by the provider
(with retries), parsed, validated against the schema and checked; an invalid
answer is re-asked with the errors quoted, up to ``max_reasks`` times (see
:mod:`augment.engine.walk`). Every item ends as exactly one record or one failure,
in input order (a record read per target by the item's ``per_target`` reader, when
it has one). ``EngineConfig(mode="batch")`` sends the same requests in provider
batches instead (:mod:`augment.engine.batch`).

Every call is counted in the store's ledger when it is paid
(:mod:`augment.engine.ledger`), so ``max_cost_usd`` holds across reruns and with
any concurrency: a call reserves its worst case before it is sent and releases
what it did not cost.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from augment.engine.cost import (
    Estimate,
    PriceTable,
    max_output_tokens,
    output_tokens_guess,
    request_tokens,
)
from augment.engine.limits import RateLimiter
from augment.engine.progress import Progress
from augment.engine.retry import RetryPolicy
from augment.engine.store import Store
from augment.engine.types import EngineConfig, RunResult, WorkItem
from augment.engine.validate import parse_and_check
from augment.engine.walk import CheckCrashed, Outcome, Walk, walk
from augment.errors import ConfigError, ProviderError, TransientProviderError
from augment.providers.base import Completion, Provider, Request, Usage
from augment.schemas import validate

__all__ = ["Engine"]

log = logging.getLogger("augment.engine")

RESERVE_INPUT_FACTOR = 1.5
"""Worst-case input tokens reserved against the budget, as a multiple of the estimate."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


class _BudgetStop(Exception):
    """Internal: the next call could exceed the budget."""


BudgetStop = _BudgetStop


class Engine:
    """Runs :class:`WorkItem` lists against one provider.

    Args:
        provider: any :class:`~augment.providers.base.Provider`.
        config: limits and policies (:class:`EngineConfig`).
        store: SQLite path (cache + resume), a :class:`Store`, or None for an
            in-memory store (cache lives as long as this engine).
        prices: a price file path, a :class:`PriceTable`, a dict of the same shape
            as ``prices.json``, or None for the shipped prices.
    """

    def __init__(self, provider: Provider, config: EngineConfig | None = None,
                 store: str | Path | Store | None = None,
                 prices: str | Path | PriceTable | dict[str, Any] | None = None) -> None:
        self.provider = provider
        self.config = config or EngineConfig()
        self.store = store if isinstance(store, Store) else Store(store or ":memory:")
        if isinstance(prices, PriceTable):
            self.prices = prices
        elif isinstance(prices, dict):
            self.prices = PriceTable.load().merge(prices)
        else:
            self.prices = PriceTable.load(prices)
        self.online_price = self.prices.lookup(provider.name, provider.model)
        """The online rates; ``price`` is the rates of this engine's mode."""
        self.price = (self.online_price.for_batch() if self.config.mode == "batch"
                      else self.online_price)

    # public API ----------------------------------------------------------------------------
    def estimate(self, items: Iterable[WorkItem]) -> Estimate:
        """Tokens and cost of running ``items``, before any call (items done in the store are
        free)."""
        items = list(items)
        stored = self._stored(items)
        n = n_in = n_out = worst_out = 0
        for it in items:
            if (it.key, self._hash(it.request)) in stored:
                continue
            n += 1
            n_in += request_tokens(it.request)
            n_out += output_tokens_guess(it.request)
            worst_out += max_output_tokens(it.request)
        return Estimate(n_requests=n, input_tokens=n_in, output_tokens=n_out,
                        cost_usd=self.price.cost(Usage(n_in, n_out)),
                        max_cost_usd=self.price.cost(Usage(n_in, worst_out)),
                        n_cached=len(items) - n,
                        online_cost_usd=self.online_price.cost(Usage(n_in, n_out)),
                        batch_cost_usd=self.online_price.for_batch().cost(Usage(n_in, n_out)))

    def run(self, items: Iterable[WorkItem], desc: str | None = None) -> RunResult:
        """Run synchronously. Inside a running event loop (Jupyter) the run happens in a
        worker thread with its own loop, and this call blocks until it is done."""
        items = list(items)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self._arun_closing(items, desc))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="augment-engine") as pool:
            return pool.submit(asyncio.run, self._arun_closing(items, desc)).result()

    async def _arun_closing(self, items: list[WorkItem], desc: str | None) -> RunResult:
        """``arun`` in a loop of its own, closing the provider's connections before the loop
        ends (a provider may offer ``aclose``)."""
        try:
            return await self.arun(items, desc=desc)
        finally:
            aclose = getattr(self.provider, "aclose", None)
            if aclose is not None:
                await aclose()

    async def arun(self, items: Iterable[WorkItem], desc: str | None = None) -> RunResult:
        """Run in the current event loop; one record or failure per item, in input order."""
        items = list(items)
        seen: set[str] = set()
        for it in items:
            if it.key in seen:
                raise ConfigError(f"duplicate WorkItem key '{it.key}': keys must be unique "
                                  "within a run")
            seen.add(it.key)
        if (self.config.max_cost_usd is not None
                and self.prices.find(self.provider.name, self.provider.model) is None):
            raise ConfigError(f"max_cost_usd is set but there is no price for "
                              f"{self.provider.name}/{self.provider.model}: add it to a prices "
                              "file and pass Engine(prices=...), or a [prices] table in the job")
        if self.config.mode == "batch":
            from augment.engine.batch import BatchRun

            return await BatchRun(self, items, desc).execute()
        return await _Run(self, items, desc).execute()

    # helpers -------------------------------------------------------------------------------
    def _hash(self, request: Request) -> str:
        return request.key(self.provider.name, self.provider.model)

    def _stored(self, items: list[WorkItem]) -> dict[tuple[str, str], dict[str, Any]]:
        pairs = [(it.key, self._hash(it.request)) for it in items]
        return {k: payload for k, (status, payload) in self.store.get_results(pairs).items()
                if status == "record"}


class _Run:
    """State of one run: limits, budget, counters, progress. Batch mode reuses its
    records, failures and checks (:class:`augment.engine.batch.BatchRun`)."""

    def __init__(self, engine: Engine, items: list[WorkItem], desc: str | None) -> None:
        self.e = engine
        self.cfg = engine.config
        self.items = items
        self.desc = desc
        self.pname, self.pmodel = engine.provider.name, engine.provider.model
        self.rpm = RateLimiter(self.cfg.requests_per_minute)
        self.tpm = RateLimiter(self.cfg.tokens_per_minute)
        self.policy = RetryPolicy(self.cfg.max_retries, self.cfg.backoff_initial_s,
                                  self.cfg.backoff_max_s)
        self.result = RunResult()
        self.reserved = 0.0
        self.stopped = False
        orphans = engine.store.settle_orphans()
        if orphans:
            log.warning("%d calls were in flight when an earlier run stopped: counted as spent "
                        "at their reserved (worst-case) cost", orphans)
        self.spent = engine.store.spend().spent
        """What the store has spent (all runs), updated as calls are paid."""
        self._budget = asyncio.Condition()

    async def execute(self) -> RunResult:
        stored = self.e._stored(self.items)
        log.info("engine run: %d items (%d stored), provider %s/%s, concurrency %d",
                 len(self.items), len(stored), self.pname, self.pmodel, self.cfg.concurrency)
        out: list[dict[str, Any] | None] = [None] * len(self.items)
        ok: list[bool] = [False] * len(self.items)
        progress = Progress(len(self.items), self.desc, self.cfg.progress)
        order = iter(range(len(self.items)))

        async def worker() -> None:
            for i in order:
                item = self.items[i]
                ok[i], out[i], cached = await self._process(item, stored)
                progress.update(failed=not ok[i], cached=cached, cost=self.result.cost_usd)

        try:
            n_workers = max(1, min(self.cfg.concurrency, len(self.items)))
            await asyncio.gather(*(worker() for _ in range(n_workers)))
        finally:
            progress.close()
        return self.finish(ok, out)

    def finish(self, ok: list[bool], out: list[dict[str, Any] | None]) -> RunResult:
        """Sort rows into records and failures (input order, per target) and total the
        money (the kept cost counts each answer once, before it is split per target)."""
        kept = 0.0
        for item, good, row in zip(self.items, ok, out, strict=True):
            assert row is not None
            records, failures = _per_target(item, row) if good else ([], [row])
            self.result.records += records
            self.result.failures += failures
            if records:
                kept += self.e.price.cost(_usage(row))
        r = self.result
        r.stopped_by_budget = self.stopped
        r.spent_usd = self.e.store.spend().spent
        r.kept_cost_usd = kept
        log.info("engine done: %d records, %d failures, %d calls, %d cached, $%.4f%s",
                 len(r.records), len(r.failures), r.n_calls, r.n_cached, r.cost_usd,
                 " (stopped by budget)" if r.stopped_by_budget else "")
        return r

    def stored_record(self, item: WorkItem, h0: str,
                      stored: dict[tuple[str, str], dict[str, Any]]) -> dict[str, Any] | None:
        """The item's record from an earlier run, if it still passes its checks."""
        rec = stored.get((item.key, h0))
        if rec is None:
            return None
        try:
            _, errors = self._check(rec.get("output"), item.request, item)
        except CheckCrashed:
            return None
        if errors:
            return None
        self.result.n_cached += 1
        return {**rec, "cached": True}

    def walk(self, item: WorkItem, h0: str) -> Walk:
        """The item's conversation walk (answers from the store's completion cache)."""
        return walk(item, hash_of=self.e._hash, cached=self.e.store.get_completion,
                    check_text=self._check_text, max_reasks=self.cfg.max_reasks,
                    truncation_max_tokens=self.cfg.truncation_max_tokens, first_hash=h0)

    async def _process(self, item: WorkItem,
                       stored: dict[tuple[str, str], dict[str, Any]]
                       ) -> tuple[bool, dict[str, Any], bool]:
        """Return ``(ok, record_or_failure, cached)`` for one item; never raises for a row."""
        h0 = self.e._hash(item.request)
        rec = self.stored_record(item, h0, stored)
        if rec is not None:
            return True, rec, True
        steps = self.walk(item, h0)
        usage = Usage()
        try:
            need = next(steps)
            while True:
                comp = await self._call(need.request, item.key)
                self.e.store.put_completion(need.request_hash, comp, _now())
                usage = usage + comp.usage
                need = steps.send(comp)
        except StopIteration as stop:
            outcome: Outcome = stop.value
            return self.conclude(item, h0, outcome), self.row(item, h0, outcome), not outcome.called
        except _BudgetStop:
            return False, self._failure(item, "budget", "not attempted: the next request could "
                                        f"exceed max_cost_usd={self.cfg.max_cost_usd}; raise the "
                                        "budget and run again to resume", None, 0, usage), False
        except ProviderError as exc:
            reason = getattr(exc, "reason", None) or "provider"
            log.warning("item %s failed: %s", item.key, exc)
            return False, self._failure(item, reason, str(exc), None, 0, usage), False
        except Exception as exc:  # a provider bug must fail its row, not the whole job
            log.exception("item %s: unexpected error from provider %s", item.key, self.pname)
            return False, self._failure(item, "provider", f"{type(exc).__name__}: {exc}",
                                        None, 0, usage), False

    def conclude(self, item: WorkItem, h0: str, outcome: Outcome) -> bool:
        """Count a finished walk; True when it produced a record."""
        if outcome.ok:
            self.result.n_cached += int(not outcome.called)
        return outcome.ok

    def row(self, item: WorkItem, h0: str, outcome: Outcome) -> dict[str, Any]:
        """The record (stored for resume) or the failure of a finished walk."""
        if not outcome.ok:
            return self._failure(item, outcome.reason, outcome.error, outcome.last_text,
                                 outcome.attempts, outcome.usage)
        req = item.request
        record: dict[str, Any] = {
            "key": item.key, "output": outcome.output, "provider": self.pname,
            "model": self.pmodel, "prompt_version": req.prompt_version,
            "schema_name": req.schema_name, "request_hash": h0, "created_at": _now(),
            "attempts": outcome.attempts, "cached": not outcome.called,
            "usage": outcome.usage.to_dict()}
        record.update({k: v for k, v in item.meta.items() if k not in record})
        self.e.store.put_result(item.key, h0, "record", record)
        return record

    def _check(self, output: Any, req: Request, item: WorkItem) -> tuple[Any, list[str]]:
        errors = validate(output, req.schema)
        if errors or item.check is None:
            return output, errors
        return output, self._run_check(item, output)

    def _check_text(self, text: str, req: Request, item: WorkItem) -> tuple[Any, list[str]]:
        output, errors = parse_and_check(text, req.schema, None)
        if errors or item.check is None:
            return output, errors
        return output, self._run_check(item, output)

    @staticmethod
    def _run_check(item: WorkItem, output: Any) -> list[str]:
        if item.check is None:
            return []
        try:
            return [str(e) for e in item.check(output)]
        except Exception as exc:  # a bug in the task's check must not kill the job
            log.exception("check of item %s raised", item.key)
            raise CheckCrashed(f"the item's check raised {type(exc).__name__}: {exc}") from exc

    def _failure(self, item: WorkItem, reason: str, error: str, last_output: str | None,
                 attempts: int, usage: Usage) -> dict[str, Any]:
        failure: dict[str, Any] = {
            "key": item.key, "reason": reason, "error": error, "last_output": last_output,
            "attempts": attempts, "usage": usage.to_dict(), "provider": self.pname,
            "model": self.pmodel, "created_at": _now()}
        failure.update({k: v for k, v in item.meta.items() if k not in failure})
        return failure

    # money ---------------------------------------------------------------------------------
    async def reserve(self, worst: float, key: str) -> None:
        """Reserve ``worst`` against the budget; wait while in-flight calls may free some.

        Stops (``_BudgetStop``) only when even with nothing else in flight the request
        could exceed the budget.
        """
        budget = self.cfg.max_cost_usd
        async with self._budget:
            while True:
                if self.stopped:
                    raise _BudgetStop
                if budget is None or self.spent + self.reserved + worst <= budget:
                    self.reserved += worst
                    return
                if self.reserved <= 1e-12:
                    log.warning("budget: stopping before %s (spent $%.4f of $%.4f; the next "
                                "request could cost up to $%.4f)", key, self.spent, budget, worst)
                    self.stopped = True
                    self._budget.notify_all()
                    raise _BudgetStop
                await self._budget.wait()

    async def settle(self, worst: float, cost: float) -> None:
        """Release a reservation; count ``cost`` as spent."""
        async with self._budget:
            self.reserved -= worst
            self.spent += cost
            self.result.cost_usd += cost
            self._budget.notify_all()

    async def _call(self, r: Request, key: str) -> Completion:
        """One provider call with retries, rate limits, the budget and the ledger."""
        n_in = request_tokens(r)
        worst = self.e.price.cost(Usage(int(n_in * RESERVE_INPUT_FACTOR), max_output_tokens(r)))
        await self.reserve(worst, key)
        tokens = n_in + output_tokens_guess(r)
        store = self.e.store
        paid = 0.0

        async def once() -> Completion:
            nonlocal paid
            await self.rpm.acquire(1)
            await self.tpm.acquire(tokens)
            self.result.n_calls += 1
            ref = uuid.uuid4().hex
            store.reserve(ref, worst)
            try:
                comp = await asyncio.wait_for(self.e.provider.complete(r), self.cfg.timeout_s)
            except TimeoutError as exc:  # the provider may bill a call we gave up on
                store.pay(ref, worst, estimated=True)
                paid += worst
                err = TransientProviderError(
                    f"request timed out after {self.cfg.timeout_s}s; raise EngineConfig.timeout_s "
                    "if the model is slow", provider=self.pname)
                err.reason = "timeout"
                raise err from exc
            except BaseException:
                store.release(ref)
                raise
            cost = self.e.price.cost(comp.usage)
            store.pay(ref, cost)
            paid += cost
            return comp

        try:
            comp, _ = await self.policy.call(once)
        finally:
            await self.settle(worst, paid)
        self.result.usage = self.result.usage + comp.usage
        self._learn_limits(comp)
        return comp

    def _learn_limits(self, comp: Completion) -> None:
        rl = comp.rate_limits
        if self.rpm.tighten(rl.get("limit_requests")):
            log.info("requests-per-minute limit set to %s from the provider's headers",
                     rl["limit_requests"])
        if self.tpm.tighten(rl.get("limit_tokens")):
            log.info("tokens-per-minute limit set to %s from the provider's headers",
                     rl["limit_tokens"])
        if rl.get("remaining_requests") == 0 and rl.get("reset_requests_s"):
            self.rpm.pause(rl["reset_requests_s"])
            log.info("no requests left in this window: pausing %.2fs", rl["reset_requests_s"])
        if rl.get("remaining_tokens") == 0 and rl.get("reset_tokens_s"):
            self.tpm.pause(rl["reset_tokens_s"])
            log.info("no tokens left in this window: pausing %.2fs", rl["reset_tokens_s"])


def _usage(row: dict[str, Any]) -> Usage:
    u = row.get("usage") or {}
    return Usage(int(u.get("input_tokens", 0)), int(u.get("output_tokens", 0)),
                 int(u.get("cached_tokens", 0)))


def _per_target(item: WorkItem, record: dict[str, Any]
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The item's record as per-target records and failures (its task's reader)."""
    if item.per_target is None:
        return [record], []
    try:
        return item.per_target(record)
    except Exception as exc:  # a bug in the task's reader fails the row, not the job
        log.exception("per-target reader of item %s raised", item.key)
        return [], [{**{k: v for k, v in record.items() if k != "output"}, "reason": "check",
                     "error": f"the item's per-target reader raised {type(exc).__name__}: "
                              f"{exc}", "last_output": str(record.get("output"))}]
