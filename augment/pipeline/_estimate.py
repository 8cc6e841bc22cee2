"""``estimate_job``: requests, tokens and cost per task before any provider call."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from augment.engine import Engine, EngineConfig
from augment.engine.store import Store
from augment.jobs.config import JobConfig
from augment.jobs.rundir import RunDir
from augment.pipeline._generate import build_task
from augment.pipeline._job_data import load_job_data, split_job_data
from augment.providers.pool import ProviderFactory, ProviderPool, provider_for_estimate
from augment.splits import Split

__all__ = ["TaskEstimate", "estimate_job"]


@dataclass(frozen=True)
class TaskEstimate:
    """What one task of a job would send and cost."""

    task: str
    provider: str
    model: str
    n_requests: int
    """Requests that need a call (rows already in the run folder's store are free)."""
    n_cached: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    """Expected cost (no re-asks)."""
    max_cost_usd: float
    """Worst case: every answer uses its full ``max_tokens``."""
    online_cost_usd: float = 0.0
    """Expected cost sent online."""
    batch_cost_usd: float = 0.0
    """Expected cost in provider batches (batch rates: about half)."""
    mode: str = "online"
    """The job's ``engine.mode``: which of the two ``cost_usd`` is."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _later_rounds(row: TaskEstimate, provider: Any, again: list[Any], n: int,
                  engine_cfg: EngineConfig, prices: Any) -> TaskEstimate:
    """``row`` plus ``n`` more rounds of the requests each round repeats, none cached."""
    if not again:
        return row
    one = Engine(provider, engine_cfg, prices=prices).estimate(again)  # no store: all new
    return TaskEstimate(
        task=row.task, provider=row.provider, model=row.model,
        n_requests=row.n_requests + n * one.n_requests, n_cached=row.n_cached,
        input_tokens=row.input_tokens + n * one.input_tokens,
        output_tokens=row.output_tokens + n * one.output_tokens,
        cost_usd=row.cost_usd + n * one.cost_usd,
        max_cost_usd=row.max_cost_usd + n * one.max_cost_usd,
        online_cost_usd=row.online_cost_usd + n * one.online_cost_usd,
        batch_cost_usd=row.batch_cost_usd + n * one.batch_cost_usd, mode=row.mode)


def estimate_job(cfg: JobConfig, *, out: str | Path | None = None,
                 provider_factory: ProviderFactory | None = None,
                 split: Split | None = None) -> list[TaskEstimate]:
    """Estimate every enabled task of ``cfg`` without calling a provider.

    Providers that cannot be built here (no API key yet) are stood in for by
    their name and model, which is all pricing needs. Rows already finished in
    the run folder (``out`` or ``cfg.output.dir``) count as cached. Prompts of
    later tasks are estimated without the text earlier tasks will add to them
    (generated attributes and profiles), so their input tokens are a lower bound.
    Later rounds of a task run in rounds (``rounds > 1``) depend on the answers of
    earlier ones: each is counted as a copy of the first round's requests that it repeats
    (:meth:`~augment.tasks.Task.later_round_items`), none cached (a lower bound).
    ``split``: the job's split when the caller has it (its data is not read again).
    """
    sp = split if split is not None else split_job_data(load_job_data(cfg.data), cfg.split)
    pool = ProviderPool(provider_factory)
    store_path = RunDir(out or cfg.output.dir).engine_store
    store = Store(store_path) if store_path.exists() else None
    out_rows = []
    prices: Any = Path(cfg.prices) if isinstance(cfg.prices, str) else cfg.prices
    engine_cfg = EngineConfig(progress=False, mode=cfg.engine.mode)
    try:
        for name in cfg.tasks.enabled():
            tc = getattr(cfg.tasks, name)
            task = build_task(name, cfg, sp)
            items = task.work_items()
            provider = provider_for_estimate(pool, tc)
            est = Engine(provider, engine_cfg, store=store, prices=prices).estimate(items)
            row = TaskEstimate(
                task=name, provider=provider.name, model=provider.model,
                n_requests=est.n_requests, n_cached=est.n_cached,
                input_tokens=est.input_tokens, output_tokens=est.output_tokens,
                cost_usd=est.cost_usd, max_cost_usd=est.max_cost_usd,
                online_cost_usd=est.online_cost_usd, batch_cost_usd=est.batch_cost_usd,
                mode=cfg.engine.mode)
            if tc.rounds > 1:
                row = _later_rounds(row, provider, task.later_round_items(items), tc.rounds - 1,
                                    engine_cfg, prices)
            out_rows.append(row)
    finally:
        if store is not None:
            store.close()
    return out_rows
