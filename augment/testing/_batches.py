"""The server side of provider batches, shared by both wire formats: batches, rows,
faults on demand and a log of everything submitted and paid (counted by the server,
not by the client)."""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["BatchFaults", "ServerBatch", "BatchBook"]

_ids = itertools.count(1)


@dataclass
class BatchFaults:
    """Faults of the batch endpoints.

    Attributes:
        complete_after_s: a batch stays in progress this long after its creation.
        row_fault: ``row_fault(custom_id, n_submissions) -> None | "expired" | "errored"``:
            the outcome of one row instead of an answer (``n_submissions`` counts this
            custom id's submissions, 1 for the first).
        end_as: ``"expired"`` or ``"cancelled"``: every batch ends so, its rows unanswered
            (only the first ``end_as_batches`` batches, None = all).
        poll_errors: this many polls answer HTTP 500 first.
        on_step: ``on_step(step, when) -> bool`` with step ``upload``, ``create``,
            ``poll``, ``download`` and when ``before`` (nothing done yet; return True to
            drop the request undone) or ``after`` (done, the response not yet sent): the
            hook of kill tests.
    """

    complete_after_s: float = 0.0
    row_fault: Callable[[str, int], str | None] | None = None
    end_as: str | None = None
    end_as_batches: int | None = None
    poll_errors: int = 0
    on_step: Callable[[str, str], bool] | None = None


@dataclass
class ServerBatch:
    """One batch as the server holds it."""

    id: str
    rows: list[tuple[str, dict[str, Any]]]
    """``(custom_id, request body)``."""
    created_at: float
    meta: dict[str, Any] = field(default_factory=dict)
    results: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """custom_id -> ("succeeded", response body) | ("errored", (status, error)) |
    ("expired" | "cancelled", None); filled when the batch ends."""
    final: str | None = None
    """``completed``/``expired``/``cancelled`` once ended."""
    input_file_id: str | None = None


class BatchBook:
    """Every batch of one server, its faults and its accounting."""

    def __init__(self, faults: BatchFaults | None = None) -> None:
        self.faults = faults or BatchFaults()
        self.batches: dict[str, ServerBatch] = {}
        self.files: dict[str, bytes] = {}
        self.submissions: Counter[str] = Counter()
        """custom_id -> batches it was submitted in."""
        self.duplicate_submissions = 0
        """Rows submitted while an earlier submission of the same id was answered or pending."""
        self.paid: Counter[str] = Counter()
        """custom_id -> times it was answered (billed)."""
        self.paid_usage: list[tuple[int, int]] = []
        """(input, output) tokens of every billed row."""
        self.steps: list[tuple[str, str]] = []
        """(step, batch or file id) in order."""
        self._polls = 0
        self._ended = 0
        self.lock = threading.RLock()

    def step(self, name: str, when: str) -> bool:
        """Run the kill hook, if any; True when the request must be dropped undone."""
        if self.faults.on_step is not None:
            return bool(self.faults.on_step(name, when))
        return False

    def add_file(self, data: bytes) -> str:
        with self.lock:
            file_id = f"file-{next(_ids)}"
            self.files[file_id] = data
            self.steps.append(("upload", file_id))
            return file_id

    def create(self, prefix: str, rows: list[tuple[str, dict[str, Any]]],
               meta: dict[str, Any] | None = None, input_file_id: str | None = None) -> ServerBatch:
        with self.lock:
            for cid, _ in rows:
                earlier = [b for b in self.batches.values() if any(c == cid for c, _ in b.rows)]
                if any(b.final is None or b.results.get(cid, ("",))[0] == "succeeded"
                       for b in earlier):
                    self.duplicate_submissions += 1
                self.submissions[cid] += 1
            batch = ServerBatch(f"{prefix}{next(_ids)}", rows, time.time(), dict(meta or {}),
                                input_file_id=input_file_id)
            self.batches[batch.id] = batch
            self.steps.append(("create", batch.id))
            return batch

    def poll_fault(self) -> bool:
        """True when this poll must answer HTTP 500."""
        with self.lock:
            self._polls += 1
            return self._polls <= self.faults.poll_errors

    def settle(self, batch: ServerBatch,
               answer: Callable[[dict[str, Any]], tuple[str, Any, tuple[int, int]]]) -> None:
        """End the batch when its time has come: every row answered (or faulted)."""
        with self.lock:
            due = batch.created_at + self.faults.complete_after_s
            if batch.final is not None or time.time() < due:
                return
            end_as = self.faults.end_as
            if end_as and (self.faults.end_as_batches is None
                           or self._ended < self.faults.end_as_batches):
                batch.results = {cid: (end_as, None) for cid, _ in batch.rows}
                batch.final = end_as
                self._ended += 1
                return
            self._ended += 1
            for cid, body in batch.rows:
                fault = self.faults.row_fault(cid, self.submissions[cid]) \
                    if self.faults.row_fault else None
                if fault in ("expired", "cancelled"):
                    batch.results[cid] = (fault, None)
                elif fault == "errored":
                    batch.results[cid] = ("errored", (500, "injected row error"))
                else:
                    kind, payload, tokens = answer(body)
                    batch.results[cid] = (kind, payload)
                    if kind == "succeeded":
                        self.paid[cid] += 1
                        self.paid_usage.append(tokens)
            batch.final = "completed"

    def cancel(self, batch: ServerBatch) -> None:
        with self.lock:
            if batch.final is None:
                batch.results = {cid: ("cancelled", None) for cid, _ in batch.rows}
                batch.final = "cancelled"

    def counts(self, batch: ServerBatch) -> Counter[str]:
        return Counter(kind for kind, _ in batch.results.values())

    def summary(self) -> dict[str, int]:
        """What the server saw: batches, submitted rows, duplicates and billed rows."""
        with self.lock:
            return {"batches": len(self.batches), "uploads": len(self.files),
                    "submitted_rows": sum(self.submissions.values()),
                    "distinct_rows": len(self.submissions),
                    "duplicate_submissions": self.duplicate_submissions,
                    "paid_requests": sum(self.paid.values()),
                    "paid_twice": sum(1 for n in self.paid.values() if n > 1),
                    "paid_input_tokens": sum(i for i, _ in self.paid_usage),
                    "paid_output_tokens": sum(o for _, o in self.paid_usage)}
