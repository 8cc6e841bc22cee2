"""Running the probe's requests: the job's tasks through the job's Engine and store.

Item attributes and user profiles (when the job enables them) run, by default
(``upstream="probe"``), on a probe-sized subset of the job's own targets
(:func:`augment.probe._targets.upstream_only`), through the job's task and its
``work_items(only=...)``: each such request is the full run's (a cache hit there),
except an attribute batch (``items_per_request > 1``) that is not a prefix of the
job's order, and a profile whose history shows items whose attributes the probe did
not generate. The pseudo-interaction prompts show these records and the candidate
retriever reads the generated attribute text, so with upstream tasks the probe's
pick requests differ from the full run's (no cache hit). ``upstream="full"`` runs
the upstream tasks over the job's whole targets, as the full run does, so the
probe's pick requests are the full run's too. Pseudo-interactions run for the probe
targets only (:mod:`augment.probe._targets`). The LLM-free generator answers the
same pseudo-interaction requests (same candidates, same rounds) in an in-memory
store, for free.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from augment.engine import Engine, EngineConfig, RunResult, WorkItem
from augment.engine.store import Store
from augment.errors import ProviderError
from augment.jobs.config import JobConfig
from augment.pipeline._generate import PROVIDER_REASONS, RecordInputs, _usage_of, build_task
from augment.providers.base import Provider, Usage
from augment.providers.pool import ProviderPool
from augment.splits import Split
from augment.tasks import PseudoInteractions, Task
from augment.tasks.screening import screen_records, usable_for_enrichment

__all__ = ["TaskRun", "run_job_tasks", "upstream_items", "run_pseudo", "free_engine", "FREE_PRICES"]

log = logging.getLogger("augment.probe")

FREE_PRICES = {"llm_free": {"*": {"input": 0, "cached_input": 0, "output": 0}}}


@dataclass
class TaskRun:
    """What one task of the probe sent and got."""

    name: str
    provider: str = ""
    model: str = ""
    records: list[dict[str, Any]] = field(default_factory=list)
    """Screened records usable for enrichment."""
    failures: list[dict[str, Any]] = field(default_factory=list)
    n_requests: int = 0
    n_calls: int = 0
    n_cached: int = 0
    first_attempt_valid: int = 0
    """Requests whose first answer was valid (no re-ask)."""
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    """Cost of the tokens of every request (cached or not), at the job's price."""
    spent_usd: float = 0.0
    """What this probe paid (calls made now)."""
    seconds: float = 0.0
    n_targets: int = 0
    price: Any = None

    def add(self, items: list[WorkItem], result: RunResult, seconds: float) -> None:
        self.n_requests += len(items)
        self.n_calls += result.n_calls
        self.n_cached += result.n_cached
        self.spent_usd += result.cost_usd
        self.seconds += seconds
        rows = result.records + result.failures
        good = {id(r) for r in result.records}
        first: dict[str, bool] = {}
        for row in rows:  # per request: batch rows share their batch's attempts
            key = str(row.get("batch_key") or row.get("key"))
            ok = id(row) in good and int(row.get("attempts") or 1) == 1
            first[key] = first.get(key, True) and ok
        self.first_attempt_valid += sum(first.values())
        self.usage = self.usage + _usage_of(rows)
        self.failures += result.failures

    def figures(self) -> dict[str, Any]:
        n_t = max(self.n_targets, 1)
        cost = self.price.cost(self.usage) if self.price is not None else 0.0
        return {
            "provider": self.provider, "model": self.model, "targets": self.n_targets,
            "requests": self.n_requests, "calls": self.n_calls, "cached": self.n_cached,
            "records": len(self.records), "failures": len(self.failures),
            "validity_first_attempt": (round(self.first_attempt_valid / self.n_requests, 4)
                                       if self.n_requests else None),
            "input_tokens": self.usage.input_tokens, "output_tokens": self.usage.output_tokens,
            "tokens_per_target": round((self.usage.input_tokens + self.usage.output_tokens)
                                       / n_t, 1),
            "cost_usd": round(cost, 6), "cost_per_target_usd": round(cost / n_t, 8),
            "spent_usd": round(self.spent_usd, 6), "seconds": round(self.seconds, 2),
            "seconds_per_target": round(self.seconds / n_t, 3),
            "seconds_per_call": (round(self.seconds / self.n_calls, 3) if self.n_calls
                                 else None)}


def _engine(cfg: JobConfig, provider: Provider, store: Store, progress: bool) -> Engine:
    """The job's engine; in batch mode it waits for its batches (a probe wants answers)."""
    prices: Any = Path(cfg.prices) if isinstance(cfg.prices, str) else cfg.prices
    return Engine(provider, replace(cfg.engine, progress=progress, wait=True), store=store,
                  prices=prices)


def _raise_if_failed(run: TaskRun) -> None:
    """ProviderError when the provider failed every request of the task (as ``augment run``)."""
    if run.records or not run.failures:
        return
    if all(f.get("reason") in PROVIDER_REASONS for f in run.failures):
        first = run.failures[0]
        raise ProviderError(
            f"every {run.name} request of the probe failed at the provider "
            f"({first.get('provider')}/{first.get('model')}): {first.get('error')}; fix the "
            "provider (key, model, server) and probe again", provider=str(first.get("provider")))


def run_pseudo(engine: Engine, specs: list[tuple[PseudoInteractions, set[Any]]], run: TaskRun,
               desc: str) -> list[dict[str, Any]]:
    """Every round of each ``(task, only)`` through ``engine``; raw records."""
    records: list[dict[str, Any]] = []
    for task, only in specs:
        current: Any = task
        while current is not None:
            items = current.work_items(only=only)
            t0 = time.perf_counter()
            result = engine.run(items, desc=desc)
            run.add(items, result, time.perf_counter() - t0)
            records += result.records
            current = current.next_round(result.records)
    return records


def upstream_items(task: Task, only_of: Any) -> list[WorkItem]:
    """``task``'s requests, for the targets ``only_of(order)`` picks from its target list
    (``only_of`` None: all of them)."""
    if only_of is None:
        return task.work_items()
    order = getattr(task, "item_ids", None) or getattr(task, "user_ids", None) or []
    return task.work_items(only=only_of(order))  # type: ignore[call-arg]


def run_job_tasks(cfg: JobConfig, sp: Split, specs_of: Any, store: Store, pool: ProviderPool,
                  *, progress: bool, only_of: Any = None) -> dict[str, TaskRun]:
    """The job's enabled tasks in order; ``specs_of(records) -> [(task, only)]`` gives the
    pseudo-interaction requests once the earlier tasks' records are known;
    ``only_of(name, order) -> targets`` the other tasks' targets (None: all)."""
    inputs = RecordInputs(sp)
    done: dict[str, list[dict[str, Any]]] = {}
    runs: dict[str, TaskRun] = {}
    for name in cfg.tasks.enabled():
        tc = getattr(cfg.tasks, name)
        provider = pool.get(tc)
        engine = _engine(cfg, provider, store, progress)
        run = runs[name] = TaskRun(name, provider.name, provider.model, price=engine.price)
        if name == "pseudo_interactions":
            specs = specs_of(done)
            raw = run_pseudo(engine, specs, run, f"probe: {name}")
            run.n_targets = sum(len(only) for _, only in specs)
        else:
            task = build_task(name, cfg, sp, done)
            current: Task | None = task
            raw = []
            pick = None if only_of is None else (lambda order, _n=name: only_of(_n, order))
            while current is not None:
                items = upstream_items(current, pick)
                t0 = time.perf_counter()
                result = engine.run(items, desc=f"probe: {name}")
                run.add(items, result, time.perf_counter() - t0)
                raw += result.records
                current = current.next_round(result.records)
            run.n_targets = len({r.get("item_id", r.get("user_id"))
                                 for r in raw + run.failures})
        screened = screen_records(raw, input_of=inputs)
        run.failures += screened.failures
        run.records = [dict(r) for r in usable_for_enrichment(
            screened.records, use_flagged=cfg.enrich.use_flagged)]
        done[name] = screened.records
        _raise_if_failed(run)
        log.info("probe %s: %d requests, %d calls, %d from the store", name, run.n_requests,
                 run.n_calls, run.n_cached)
    return runs


def free_engine(provider: Provider) -> Engine:
    """An Engine for the LLM-free generator: in-memory store, free prices, no progress."""
    return Engine(provider, EngineConfig(concurrency=4, progress=False), store=Store(":memory:"),
                  prices=FREE_PRICES)
