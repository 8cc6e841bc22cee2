"""The generation stage: every enabled task through the engine, in order, into the run folder.

Later tasks read earlier ones: user profiles see generated item attributes, and
pseudo-interaction prompts describe items and users with both. Every task runs
through the engine's SQLite store in the run folder, so a rerun answers finished
rows from the store (no provider call) and only asks for the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from augment.engine import Engine, RunResult
from augment.engine.store import Store
from augment.errors import BudgetExceeded, ProviderError
from augment.jobs.config import JobConfig
from augment.jobs.rundir import RunDir
from augment.providers.base import Usage
from augment.providers.pool import ProviderPool
from augment.splits import Split
from augment.tasks import TASKS, JobContext, Task
from augment.tasks.screening import screen_records

__all__ = ["Generated", "generate", "build_task", "PROVIDER_REASONS", "RecordInputs",
           "degraded_reason"]

log = logging.getLogger("augment.pipeline")

PROVIDER_REASONS = {"provider", "timeout"}
"""Failure reasons that mean the provider, not the answer, failed."""


@dataclass
class Generated:
    """Records of every task run so far (batch records split per item)."""

    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    calls: int = 0
    spent_usd: float = 0.0
    degraded: dict[str, str] = field(default_factory=dict)
    """Tasks whose failure rate passed ``engine.max_failure_rate`` (or that gave no
    record), with the reason."""

    def all_records(self) -> list[dict[str, Any]]:
        return [r for rows in self.records.values() for r in rows]


def _usage_of(rows: list[dict[str, Any]]) -> Usage:
    """Tokens of ``rows`` (per-target rows of a batch carry shares of its tokens)."""
    sums = {"input_tokens": 0.0, "output_tokens": 0.0, "cached_tokens": 0.0}
    for row in rows:
        u = row.get("usage") or {}
        for k in sums:
            sums[k] += float(u.get(k, 0))
    return Usage(*(int(round(sums[k])) for k in ("input_tokens", "output_tokens",
                                                 "cached_tokens")))


def build_task(name: str, cfg: JobConfig, split: Split,
               records: dict[str, list[dict[str, Any]]] | None = None) -> Task:
    """Task ``name`` of this job, for this split (``records``: of the tasks run before,
    by name, which later prompts use to describe items and users)."""
    settings = {n: getattr(cfg.tasks, n) for n in TASKS}
    return TASKS[name].for_job(JobContext(split=split, seed=cfg.split.seed, settings=settings,
                                          records=records or {}))


def _merge(results: list[RunResult]) -> RunResult:
    """One result for a task run in several rounds (records and failures of every round)."""
    if len(results) == 1:
        return results[0]
    usage = Usage()
    for r in results:
        usage = usage + r.usage
    return RunResult(records=[x for r in results for x in r.records],
                     failures=[x for r in results for x in r.failures], usage=usage,
                     cost_usd=sum(r.cost_usd for r in results),
                     n_calls=sum(r.n_calls for r in results),
                     n_cached=sum(r.n_cached for r in results),
                     stopped_by_budget=any(r.stopped_by_budget for r in results))


def generate(cfg: JobConfig, split: Split, run: RunDir, pool: ProviderPool, *,
             progress: bool = True) -> Generated:
    """Run the enabled tasks; save each task's records and failures as it finishes.

    Raises :class:`BudgetExceeded` (after saving) when ``engine.max_cost_usd`` stopped
    a task, :class:`ProviderError` when every request of a task failed at the
    provider, and :class:`BatchesInFlight` in batch mode while provider batches run
    (without ``engine.wait``). All leave finished rows in the store for the rerun.

    ``engine.max_cost_usd`` is the budget of the run folder: the store's ledger counts
    what every earlier run spent. The manifest's ``money`` says what was spent, what
    the kept records cost and the difference (wasted: invalid answers, failed rows,
    calls in flight at a kill).
    """
    done = Generated()
    inputs = RecordInputs(split)
    store = Store(run.engine_store)
    budget = cfg.engine.max_cost_usd
    kept = 0.0
    try:
        for name in cfg.tasks.enabled():
            tc = getattr(cfg.tasks, name)
            task: Task | None = build_task(name, cfg, split, done.records)
            assert task is not None
            described = task.description
            provider = pool.get(tc)
            rounds: list[RunResult] = []
            while task is not None:  # one pass, or one per round of a multi-round task
                items = task.work_items()
                engine = _engine(cfg, provider, store, progress)
                desc = described + (f" (round {len(rounds) + 1} of {tc.rounds})"
                                    if tc.rounds > 1 else "")
                log.info("%s: %d requests to %s/%s", desc, len(items), provider.name,
                         provider.model)
                rounds.append(engine.run(items, desc=desc))
                stop = rounds[-1].stopped_by_budget
                task = None if stop else task.next_round(rounds[-1].records)
            result = _merge(rounds)
            usage = _usage_of(result.records + result.failures)
            screened = screen_records(result.records, input_of=inputs)
            records, failures = screened.records, result.failures + screened.failures
            entry = run.save_task(name, result, records=records, failures=failures, usage=usage,
                                  cost_usd=engine.price.cost(usage))
            kept += sum(r.kept_cost_usd for r in rounds)  # each answer once, per item
            done.records[name] = records
            done.calls += result.n_calls
            done.spent_usd += result.cost_usd
            why = degraded_reason(len(records), len(failures), cfg.engine.max_failure_rate)
            if why:
                done.degraded[name] = why
                log.warning("%s: degraded: %s", described, why)
            log.info("%s: %d records, %d failures (%d calls, %d from the store)",
                     described, entry["records"], entry["failures"], result.n_calls,
                     result.n_cached)
            _raise_if_stopped(described, result, budget, done)
    finally:
        spend = store.spend()
        run.update(money=money_summary(spend.spent, kept, spend.estimated))
        store.close()
    return done


def money_summary(spent: float, kept: float, estimated: float) -> dict[str, float]:
    """The manifest's ``money``: spent (all runs), cost of kept records, wasted."""
    return {"spent_usd": round(spent, 6), "kept_cost_usd": round(min(kept, spent), 6),
            "wasted_usd": round(max(spent - kept, 0.0), 6),
            "in_flight_at_kill_usd": round(estimated, 6)}


class RecordInputs:
    """``inputs(record) -> str``: the catalog text a record's request was built from (its
    item's text, or the text of its user's training items), for screening."""

    def __init__(self, split: Split) -> None:
        items = split.dataset.items
        cols = [c for c in items.columns if c != "item_id"
                and (items[c].dtype == object or str(items[c].dtype) == "str")]
        self._items = {iid: " ".join(str(v) for v in vals if isinstance(v, str))
                       for iid, *vals in items[["item_id", *cols]].itertuples(index=False)}
        self._inter = split.train.interactions

    def __call__(self, record: Mapping[str, Any]) -> str:
        if "item_id" in record:
            return self._items.get(record["item_id"], "")
        if "user_id" in record:
            mine = self._inter.loc[self._inter["user_id"] == record["user_id"], "item_id"]
            return " ".join(self._items.get(i, "") for i in mine.head(200))
        return ""


def degraded_reason(n_records: int, n_failures: int, max_failure_rate: float) -> str | None:
    """Why a task with these counts is degraded (None when it is not): no record at all,
    or a failure rate above ``max_failure_rate``."""
    total = n_records + n_failures
    if n_records == 0:
        return (f"0 records from {n_failures} targets" if total
                else "0 records: the task had nothing to generate")
    rate = n_failures / total
    if rate > max_failure_rate:
        return (f"{n_failures} of {total} targets failed ({rate:.0%}), above "
                f"engine.max_failure_rate = {max_failure_rate:g}")
    return None


def _engine(cfg: JobConfig, provider: Any, store: Store, progress: bool) -> Engine:
    engine_cfg = replace(cfg.engine, progress=progress)
    prices: Any = cfg.prices
    if isinstance(prices, str):
        prices = Path(prices)
    return Engine(provider, engine_cfg, store=store, prices=prices)


def _raise_if_stopped(described: str, result: Any, budget: float | None,
                     done: Generated) -> None:
    if result.stopped_by_budget:
        remaining = sum(1 for f in result.failures if f.get("reason") == "budget")
        raise BudgetExceeded(
            f"{described}: stopped by engine.max_cost_usd={budget} with {remaining} "
            f"requests not sent (spent ${done.spent_usd:.4f} in this run; the budget counts "
            "every run of this folder); raise the budget "
            "and run the job again: finished rows are kept", spent_usd=done.spent_usd,
            budget_usd=float(budget or 0.0), done=len(result.records), remaining=remaining)
    provider_failures = [f for f in result.failures if f.get("reason") in PROVIDER_REASONS]
    if provider_failures and not result.records and len(provider_failures) == len(result.failures):
        first = provider_failures[0]
        raise ProviderError(
            f"every {described} request failed at the provider "
            f"({first.get('provider')}/{first.get('model')}): {first.get('error')}; fix the "
            "provider (key, model, server) and run the job again",
            provider=str(first.get("provider")))
