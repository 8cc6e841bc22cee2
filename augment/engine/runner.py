"""The engine: runs work items against a provider, async, within limits and budget.

For each item: a stored record is returned as is (resume); otherwise each request
of the conversation is answered from the completion cache or by the provider
(with retries), parsed, validated against the schema and checked; an invalid
answer is re-asked with the errors quoted, up to ``max_reasks`` times. Every
item ends as exactly one record or one failure, in input order (a record read per
target by the item's ``per_target`` reader, when it has one).
"""

from __future__ import annotations

import asyncio
import logging
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
from augment.engine.validate import parse_and_check, reask_message
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
            base = PriceTable.load()
            for p, models in prices.items():
                base.table.setdefault(p, {}).update(models)
            self.prices = base
        else:
            self.prices = PriceTable.load(prices)
        self.price = self.prices.lookup(provider.name, provider.model)

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
                        n_cached=len(items) - n)

    def run(self, items: Iterable[WorkItem], desc: str | None = None) -> RunResult:
        """Run synchronously. Inside a running event loop (Jupyter) the run happens in a
        worker thread with its own loop, and this call blocks until it is done."""
        items = list(items)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.arun(items, desc=desc))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="augment-engine") as pool:
            return pool.submit(asyncio.run, self.arun(items, desc=desc)).result()

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
                              "file and pass Engine(prices=...)")
        return await _Run(self, items, desc).execute()

    # helpers -------------------------------------------------------------------------------
    def _hash(self, request: Request) -> str:
        return request.key(self.provider.name, self.provider.model)

    def _stored(self, items: list[WorkItem]) -> dict[tuple[str, str], dict[str, Any]]:
        pairs = [(it.key, self._hash(it.request)) for it in items]
        return {k: payload for k, (status, payload) in self.store.get_results(pairs).items()
                if status == "record"}


class _Run:
    """State of one run: limits, budget, counters, progress."""

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
        for item, good, row in zip(self.items, ok, out, strict=True):
            assert row is not None
            records, failures = _per_target(item, row) if good else ([], [row])
            self.result.records += records
            self.result.failures += failures
        self.result.stopped_by_budget = self.stopped
        r = self.result
        log.info("engine done: %d records, %d failures, %d calls, %d cached, $%.4f%s",
                 len(r.records), len(r.failures), r.n_calls, r.n_cached, r.cost_usd,
                 " (stopped by budget)" if r.stopped_by_budget else "")
        return r

    async def _process(self, item: WorkItem,
                       stored: dict[tuple[str, str], dict[str, Any]]
                       ) -> tuple[bool, dict[str, Any], bool]:
        """Return ``(ok, record_or_failure, cached)`` for one item; never raises for a row."""
        req = item.request
        h0 = self.e._hash(req)
        rec = stored.get((item.key, h0))
        if rec is not None:
            _, errors = self._check(rec.get("output"), req, item)
            if not errors:
                self.result.n_cached += 1
                return True, {**rec, "cached": True}, True
        messages = list(req.messages)
        usage = Usage()
        attempts = 0
        called = False
        last_text: str | None = None
        truncated = False
        errors = []
        try:
            for attempt in range(self.cfg.max_reasks + 1):
                r = req if attempt == 0 else req.with_messages(messages)
                h = h0 if attempt == 0 else self.e._hash(r)
                comp = self.e.store.get_completion(h)
                if comp is None:
                    comp = await self._call(r, item.key)
                    self.e.store.put_completion(h, comp, _now())
                    called = True
                attempts += 1
                usage = usage + comp.usage
                last_text, truncated = comp.text, comp.truncated
                output, errors = self._check_text(comp.text, req, item)
                if not errors:
                    record: dict[str, Any] = {
                        "key": item.key, "output": output, "provider": self.pname,
                        "model": self.pmodel, "prompt_version": req.prompt_version,
                        "schema_name": req.schema_name, "request_hash": h0,
                        "created_at": _now(), "attempts": attempts, "cached": not called,
                        "usage": usage.to_dict()}
                    record.update({k: v for k, v in item.meta.items() if k not in record})
                    self.e.store.put_result(item.key, h0, "record", record)
                    self.result.n_cached += int(not called)
                    return True, record, not called
                messages += [{"role": "assistant", "content": comp.text},
                             {"role": "user", "content": reask_message(errors)}]
                log.debug("item %s: invalid answer (attempt %d): %d errors", item.key, attempts,
                          len(errors))
            if truncated:  # the last answer was cut at max_tokens: say so
                cap = req.params.get("max_tokens")
                return False, self._failure(item, "truncated", f"the answer was cut at "
                                            f"max_tokens={cap}; raise max_tokens or tighten "
                                            "the schema's maxLength/maxItems", last_text,
                                            attempts, usage), False
            return False, self._failure(item, "validation", "; ".join(errors[:5]), last_text,
                                        attempts, usage), False
        except _BudgetStop:
            return False, self._failure(item, "budget", "not attempted: the next request could "
                                        f"exceed max_cost_usd={self.cfg.max_cost_usd}; raise the "
                                        "budget and run again to resume", last_text, attempts,
                                        usage), False
        except _CheckCrashed as exc:
            return False, self._failure(item, "check", str(exc), last_text, attempts, usage), False
        except ProviderError as exc:
            reason = getattr(exc, "reason", None) or "provider"
            log.warning("item %s failed: %s", item.key, exc)
            return False, self._failure(item, reason, str(exc), last_text, attempts, usage), False
        except Exception as exc:  # a provider bug must fail its row, not the whole job
            log.exception("item %s: unexpected error from provider %s", item.key, self.pname)
            return False, self._failure(item, "provider", f"{type(exc).__name__}: {exc}",
                                        last_text, attempts, usage), False

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
            raise _CheckCrashed(f"the item's check raised {type(exc).__name__}: {exc}") from exc

    def _failure(self, item: WorkItem, reason: str, error: str, last_output: str | None,
                 attempts: int, usage: Usage) -> dict[str, Any]:
        failure: dict[str, Any] = {
            "key": item.key, "reason": reason, "error": error, "last_output": last_output,
            "attempts": attempts, "usage": usage.to_dict(), "provider": self.pname,
            "model": self.pmodel, "created_at": _now()}
        failure.update({k: v for k, v in item.meta.items() if k not in failure})
        return failure

    async def _call(self, r: Request, key: str) -> Completion:
        """One provider call with retries, rate limits and the budget reservation."""
        if self.stopped:
            raise _BudgetStop
        n_in = request_tokens(r)
        worst = self.e.price.cost(Usage(int(n_in * RESERVE_INPUT_FACTOR), max_output_tokens(r)))
        budget = self.cfg.max_cost_usd
        if budget is not None and self.result.cost_usd + self.reserved + worst > budget:
            if not self.stopped:
                log.warning("budget: stopping before %s (spent $%.4f, in flight $%.4f, "
                            "budget $%.4f)", key, self.result.cost_usd, self.reserved, budget)
            self.stopped = True
            raise _BudgetStop
        self.reserved += worst
        tokens = n_in + output_tokens_guess(r)

        async def once() -> Completion:
            await self.rpm.acquire(1)
            await self.tpm.acquire(tokens)
            self.result.n_calls += 1
            try:
                return await asyncio.wait_for(self.e.provider.complete(r), self.cfg.timeout_s)
            except TimeoutError as exc:
                err = TransientProviderError(
                    f"request timed out after {self.cfg.timeout_s}s; raise EngineConfig.timeout_s "
                    "if the model is slow", provider=self.pname)
                err.reason = "timeout"
                raise err from exc

        try:
            comp, _ = await self.policy.call(once)
        finally:
            self.reserved -= worst
        self.result.usage = self.result.usage + comp.usage
        self.result.cost_usd += self.e.price.cost(comp.usage)
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


class _CheckCrashed(Exception):
    """Internal: the item's check raised."""
