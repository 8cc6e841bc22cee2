"""What the engine takes and gives: work items in, records and failures out.

The engine knows requests and records, not what they mean. A task turns its
targets into :class:`WorkItem` objects; the engine returns one record per item
that produced a valid answer and one failure per item that did not: none lost,
none twice. An item asking about several targets at once (a batch) carries its
task's :attr:`WorkItem.per_target` reader, and the engine returns its rows per
target instead: a record per valid target, a failure per invalid or missing one.

A **record** is a plain dict::

    {"key": str,                  # WorkItem.key, unique within a run
     "output": <parsed JSON>,     # passed the schema and the item's check
     "provider": str, "model": str, "prompt_version": str,
     "schema_name": str, "request_hash": str, "created_at": ISO-8601 str,
     "attempts": int,             # 1 + number of re-asks
     "cached": bool,
     "usage": {"input_tokens": int, "output_tokens": int, "cached_tokens": int},
     **item.meta}                 # e.g. task, item_id, schema_id

A **failure** is a plain dict::

    {"key": str, "reason": "validation" | "truncated" | "provider" | "budget" | "timeout" | ...,
     "error": str,                # readable, never contains an API key
     "last_output": str | None, "attempts": int, "usage": {...},
     "provider": str, "model": str, "created_at": str, **item.meta}
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from augment.providers.base import Request, Usage

__all__ = ["WorkItem", "EngineConfig", "RunResult", "Check", "PerTarget"]

Check = Callable[[Any], list[str]]
"""A task's post-check: given the parsed, schema-valid output, return error messages
(empty = ok)."""

PerTarget = Callable[[dict[str, Any]], tuple[list[dict[str, Any]], list[dict[str, Any]]]]
"""A task's reader of one request's record: ``(records, failures)``, one per target of
the request (e.g. the items of a batch), so a bad target fails alone."""


@dataclass(frozen=True)
class WorkItem:
    """One row of work: a key, the request that produces it, and a post-check."""

    key: str
    """Stable, unique id of this row within a run (e.g. ``"item_attributes:1234"``)."""
    request: Request
    check: Check | None = None
    """Extra checks the schema cannot express; their messages are fed back on re-ask."""
    meta: dict[str, Any] = field(default_factory=dict)
    """JSON-serialisable fields copied into the record/failure (task, target id, schema id...)."""
    per_target: PerTarget | None = None
    """Splits the item's record into per-target records and failures (None: the record is
    the one row). The engine applies it to every record it returns, cached or new."""


@dataclass(frozen=True)
class EngineConfig:
    """Limits and policies of one engine run."""

    concurrency: int = 8
    """Requests in flight at once."""
    requests_per_minute: float | None = None
    """Cap on requests started per minute (None = no cap; seeded from x-ratelimit headers)."""
    tokens_per_minute: float | None = None
    """Cap on (estimated) tokens per minute (None = no cap)."""
    max_retries: int = 5
    """Retries of one call on transient errors (429, 5xx, 529, timeouts, drops)."""
    max_reasks: int = 2
    """Re-asks after an invalid answer, each feeding the validation error back."""
    timeout_s: float = 60.0
    """Per-call timeout."""
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_cost_usd: float | None = None
    """Hard budget of the store (the run folder), cumulative across reruns: a request is
    sent only if what the store has spent, plus the worst case of what is in flight, plus
    its own worst case fits. With concurrency, requests wait for in-flight ones to settle
    rather than stop early."""
    progress: bool = True
    """Show a progress bar (terminal or notebook)."""
    max_failure_rate: float = 0.2
    """Share of a task's targets that may fail (validation, provider, unusable) before the
    task, and the run, end ``degraded`` (exit code 3 from the CLI). A task that gives no
    record at all is always degraded. The engine itself does not stop at this rate; the
    pipeline judges each task when it finishes."""
    mode: Literal["online", "batch"] = "online"
    """``"online"``: one call per request. ``"batch"``: requests go into provider batches
    (OpenAI Batch, Anthropic Message Batches) at the batch price; the provider must have
    the batch capability (:class:`~augment.providers.base.BatchProvider`)."""
    wait: bool = False
    """Batch mode: poll until every batch has ended (with backoff). False: submit, poll
    once, and raise :class:`~augment.errors.BatchesInFlight` while batches are running
    (run again to re-attach)."""
    poll_initial_s: float = 5.0
    """Batch mode: first wait between polls; doubles up to ``poll_max_s``."""
    poll_max_s: float = 300.0
    """Batch mode: longest wait between polls."""
    batch_max_requests: int | None = None
    """Batch mode: at most this many requests per batch (None = the provider's limit)."""
    truncation_max_tokens: int = 8192
    """An answer cut by its token cap is retried once with twice the cap, at most this
    many tokens; past it the row fails with reason ``truncated``."""


@dataclass
class RunResult:
    """The outcome of one engine run."""

    records: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    n_calls: int = 0
    """Provider calls actually made in this run (0 on a fully cached rerun)."""
    n_cached: int = 0
    """Rows answered from cache or from the resume store without a call."""
    stopped_by_budget: bool = False
    """True if some items were not attempted because of ``max_cost_usd``."""
    spent_usd: float = 0.0
    """What the store has spent in total (every run, every paid call), after this run."""
    kept_cost_usd: float = 0.0
    """Cost of the calls behind the records (including their re-asks), at this mode's price,
    whether they were paid in this run or an earlier one."""
    n_batches: int = 0
    """Provider batches created in this run (batch mode)."""
