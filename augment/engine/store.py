"""SQLite store: the completion cache and per-row results, for caching and resume.

Two tables, each row written in its own transaction (WAL journal), so a process
killed at any moment leaves every row either fully written or absent:

* ``completions`` — the raw completion of every request sent, keyed by
  ``Request.key(provider, model)``. Re-parsing or re-checking never needs a new
  call; a re-ask conversation is just another request with its own key.
* ``results`` — the final record (or validation failure) of each work item,
  keyed by ``(item key, hash of its first request)``: a changed prompt is new work.
* ``ledger`` — every paid (or possibly paid) call and every reservation, so the
  spend of a store is cumulative across reruns (:mod:`augment.engine.ledger`).
* ``batches`` / ``batch_rows`` — every provider batch and its rows, each id
  recorded before the next step (:mod:`augment.engine.batch_log`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from augment.engine._sqlite import transaction
from augment.engine.batch_log import BATCH_SCHEMA, BatchLog
from augment.engine.ledger import LEDGER_SCHEMA, Ledger
from augment.errors import ConfigError
from augment.providers.base import Completion, Usage

__all__ = ["Store"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS completions (
    request_hash TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    model TEXT NOT NULL,
    usage TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS results (
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (key, request_hash)
);
"""


class Store(Ledger, BatchLog):
    """A SQLite file (or ``":memory:"``) holding completions, results, spend and batches."""

    def __init__(self, path: str | Path = ":memory:") -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None,
                                       timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA + LEDGER_SCHEMA + BATCH_SCHEMA)
            columns = {r[1] for r in self._db.execute("PRAGMA table_info(completions)")}
            if "truncated" not in columns:  # stores written before truncation was recorded
                self._db.execute("ALTER TABLE completions ADD COLUMN truncated INTEGER "
                                 "NOT NULL DEFAULT 0")
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"cannot open the engine store ({exc}); delete it or choose "
                              "another path", file=self.path) from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    # completions -------------------------------------------------------------------------
    def get_completion(self, request_hash: str) -> Completion | None:
        """The cached completion of a request, or None."""
        with self._lock:
            row = self._db.execute("SELECT text, model, usage, truncated FROM completions "
                                   "WHERE request_hash=?", (request_hash,)).fetchone()
        if row is None:
            return None
        u = json.loads(row[2])
        return Completion(text=row[0], model=row[1], truncated=bool(row[3]),
                          usage=Usage(u["input_tokens"], u["output_tokens"], u["cached_tokens"]))

    def has_completions(self, request_hashes: list[str]) -> set[str]:
        """Those of ``request_hashes`` that have a cached completion."""
        found: set[str] = set()
        with self._lock:
            for i in range(0, len(request_hashes), 500):
                chunk = request_hashes[i:i + 500]
                marks = ",".join("?" * len(chunk))
                found.update(r[0] for r in self._db.execute(
                    f"SELECT request_hash FROM completions WHERE request_hash IN ({marks})", chunk))
        return found

    def put_completion(self, request_hash: str, completion: Completion, created_at: str) -> None:
        """Cache a completion (one transaction)."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO completions (request_hash, text, model, usage, "
                "created_at, truncated) VALUES (?, ?, ?, ?, ?, ?)",
                (request_hash, completion.text, completion.model,
                 json.dumps(completion.usage.to_dict()), created_at, int(completion.truncated)))

    def put_completions(self, rows: list[tuple[str, Completion]], created_at: str) -> None:
        """Cache many completions in one transaction (a batch's results)."""
        with self._lock, transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO completions (request_hash, text, model, usage, "
                "created_at, truncated) VALUES (?, ?, ?, ?, ?, ?)",
                [(h, c.text, c.model, json.dumps(c.usage.to_dict()), created_at,
                  int(c.truncated)) for h, c in rows])

    # results -----------------------------------------------------------------------------
    def get_results(self, pairs: list[tuple[str, str]]
                    ) -> dict[tuple[str, str], tuple[str, dict[str, Any]]]:
        """Stored ``(status, payload)`` for the given ``(key, request_hash)`` pairs that have
        one."""
        out: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        wanted = set(pairs)
        with self._lock:
            rows = self._db.execute(
                "SELECT key, request_hash, status, payload FROM results").fetchall()
        for key, rh, status, payload in rows:
            if (key, rh) in wanted:
                out[(key, rh)] = (status, json.loads(payload))
        return out

    def has_results(self) -> bool:
        """Whether any result is stored (a fresh store needs no lookups)."""
        with self._lock:
            return self._db.execute("SELECT 1 FROM results LIMIT 1").fetchone() is not None

    def finished(self, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
        """The given ``(key, request_hash)`` pairs whose stored result is a record (payloads
        are not read)."""
        wanted = set(pairs)
        with self._lock:
            rows = self._db.execute(
                "SELECT key, request_hash FROM results WHERE status = 'record'").fetchall()
        return {p for p in rows if p in wanted}

    def put_result(self, key: str, request_hash: str, status: str, payload: dict[str, Any]) -> None:
        """Store one row's final result (one transaction; replaces an older one)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)",
                             (key, request_hash, status, json.dumps(payload, default=str)))

    def count(self) -> tuple[int, int]:
        """``(n_completions, n_results)`` stored."""
        with self._lock:
            c = self._db.execute("SELECT COUNT(*) FROM completions").fetchone()[0]
            r = self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
        return int(c), int(r)
