"""The batch log of a store: every provider batch and its rows, each id stored before
the next step, so a process killed at any point re-attaches instead of resubmitting.

A batch moves through ``new`` (rows recorded, nothing sent) -> ``uploaded`` (the
provider's file id stored) -> ``created`` (the provider's batch id stored) ->
``ended`` (the provider says no row will change) -> ``done`` (results stored in
the completion cache and counted in the ledger). ``batch_rows`` holds each row's
serialised request (to upload again after a kill before the upload id was
stored) and, once the batch is done, its outcome: ``succeeded``, or ``expired``,
``cancelled``, ``errored`` with the provider's error.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from augment.engine._sqlite import transaction

__all__ = ["BatchLog", "BATCH_SCHEMA", "BatchEntry", "OPEN_STATES"]

BATCH_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    local_id TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    state TEXT NOT NULL,
    upload_id TEXT,
    batch_id TEXT,
    provider_state TEXT,
    counts TEXT NOT NULL DEFAULT '{}',
    n_rows INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    error TEXT,
    info TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS batch_rows (
    custom_id TEXT NOT NULL,
    local_id TEXT NOT NULL,
    line BLOB NOT NULL,
    outcome TEXT,
    error TEXT,
    PRIMARY KEY (custom_id, local_id)
);
CREATE INDEX IF NOT EXISTS batch_rows_local ON batch_rows (local_id);
"""

OPEN_STATES = ("new", "uploaded", "created", "ended")
"""Batches whose results are not yet in the store."""


@dataclass
class BatchEntry:
    """One row of the ``batches`` table."""

    local_id: str
    provider: str
    model: str
    state: str
    upload_id: str | None
    batch_id: str | None
    provider_state: str | None
    counts: dict[str, int]
    n_rows: int
    attempt: int
    """1 for first submissions, 2 for the resubmission of expired/cancelled/errored rows."""
    created_at: float
    updated_at: float
    error: str | None
    info: dict[str, Any] = field(default_factory=dict)
    """Provider details kept for status (e.g. ``base_url``)."""


class BatchLog:
    """Mixin of :class:`~augment.engine.store.Store`: the ``batches`` and ``batch_rows`` tables."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def add_batch(self, local_id: str, provider: str, model: str, rows: list[tuple[str, bytes]],
                  attempt: int, info: dict[str, Any] | None = None) -> None:
        """Record a batch and its rows (state ``new``) in one transaction, before any upload."""
        now = time.time()
        with self._lock, transaction(self._db):
            self._db.execute(
                "INSERT INTO batches (local_id, provider, model, state, n_rows, attempt, "
                "created_at, updated_at, info) VALUES (?, ?, ?, 'new', ?, ?, ?, ?, ?)",
                (local_id, provider, model, len(rows), attempt, now, now,
                 json.dumps(info or {})))
            self._db.executemany("INSERT INTO batch_rows (custom_id, local_id, line) "
                                 "VALUES (?, ?, ?)",
                                 [(cid, local_id, line) for cid, line in rows])

    def update_batch(self, local_id: str, **fields: Any) -> None:
        """Set columns of one batch (``counts``/``info`` as dicts)."""
        for key in ("counts", "info"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        fields["updated_at"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self._lock:
            self._db.execute(f"UPDATE batches SET {cols} WHERE local_id=?",
                             (*fields.values(), local_id))

    def batches(self, states: tuple[str, ...] | None = None) -> list[BatchEntry]:
        """Batches (in creation order), optionally only those in ``states``."""
        sql = ("SELECT local_id, provider, model, state, upload_id, batch_id, provider_state, "
               "counts, n_rows, attempt, created_at, updated_at, error, info FROM batches")
        args: tuple[str, ...] = ()
        if states:
            sql += f" WHERE state IN ({','.join('?' * len(states))})"
            args = states
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at, local_id", args).fetchall()
        return [BatchEntry(r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7]), r[8],
                           r[9], r[10], r[11], r[12], json.loads(r[13])) for r in rows]

    def batch_lines(self, local_id: str) -> list[tuple[str, bytes]]:
        """The ``(custom_id, line)`` rows of one batch, in insertion order."""
        with self._lock:
            rows = self._db.execute("SELECT custom_id, line FROM batch_rows WHERE local_id=? "
                                    "ORDER BY rowid", (local_id,)).fetchall()
        return [(str(c), bytes(line)) for c, line in rows]

    def batch_custom_ids(self, local_id: str) -> list[str]:
        """The custom ids (request hashes) of one batch's rows."""
        with self._lock:
            rows = self._db.execute("SELECT custom_id FROM batch_rows WHERE local_id=? "
                                    "ORDER BY rowid", (local_id,)).fetchall()
        return [str(r[0]) for r in rows]

    def set_row_outcomes(self, local_id: str, outcomes: list[tuple[str, str, str | None]]) -> None:
        """Store ``(custom_id, outcome, error)`` of a batch's rows and mark it ``done``."""
        with self._lock, transaction(self._db):
            self._db.executemany(
                "UPDATE batch_rows SET outcome=?, error=? WHERE custom_id=? AND local_id=?",
                [(o, e, cid, local_id) for cid, o, e in outcomes])
            self._db.execute("UPDATE batches SET state='done', updated_at=? WHERE local_id=?",
                             (time.time(), local_id))

    def row_history(self) -> dict[str, list[tuple[str, str | None, str | None]]]:
        """Per custom id: ``(batch state, outcome, error)`` of every batch that held it."""
        with self._lock:
            rows = self._db.execute(
                "SELECT r.custom_id, b.state, r.outcome, r.error FROM batch_rows r "
                "JOIN batches b ON b.local_id = r.local_id ORDER BY b.created_at").fetchall()
        out: dict[str, list[tuple[str, str | None, str | None]]] = {}
        for cid, state, outcome, error in rows:
            out.setdefault(str(cid), []).append((str(state), outcome, error))
        return out
