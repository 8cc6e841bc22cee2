"""The spend ledger of a store: every paid call counted when paid, across reruns.

One row per paid (or possibly paid) request and per reservation:

* ``reserved`` — an online call in flight: its worst-case cost, written *before*
  the call. Settled to ``paid`` with the real cost when the answer arrives, or
  dropped when the provider refused it (an HTTP error is not billed).
* ``estimated`` — a reservation left by a process that died (or a call that timed
  out): the provider may have billed it, so it counts as spent at its reserved
  (worst-case) cost. This is how calls in flight at a kill are counted.
* ``paid`` — a call or batch row with its real cost.
* ``batch_reserved`` — the worst-case cost of a provider batch in flight; it is
  dropped when the batch's results are counted row by row.

The spend of a run folder is ``paid + estimated``: it survives reruns, so
``max_cost_usd`` is a budget for the store (the run folder), not for one
invocation.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from dataclasses import dataclass

from augment.engine._sqlite import transaction

__all__ = ["Ledger", "LEDGER_SCHEMA", "Spend", "pid_alive"]

LEDGER_SCHEMA = """
CREATE TABLE IF NOT EXISTS ledger (
    ref TEXT PRIMARY KEY,
    cost REAL NOT NULL,
    state TEXT NOT NULL,
    pid INTEGER NOT NULL,
    batch TEXT,
    created_at REAL NOT NULL DEFAULT (julianday('now'))
);
"""


def pid_alive(pid: int) -> bool:
    """True when a process with this pid runs on this machine."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class Spend:
    """What a store has spent, in USD."""

    paid: float = 0.0
    """Calls and batch rows with their real cost."""
    estimated: float = 0.0
    """Calls that may have been billed without an answer (in flight at a kill, timed out)."""
    reserved: float = 0.0
    """Worst-case cost of what is in flight now (online calls and provider batches)."""

    @property
    def spent(self) -> float:
        """``paid + estimated``: what counts against the budget besides reservations."""
        return self.paid + self.estimated


class Ledger:
    """Mixin of :class:`~augment.engine.store.Store`: the ``ledger`` table."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def reserve(self, ref: str, cost: float, *, batch: str | None = None) -> None:
        """Record a reservation before a call (or a batch) is sent."""
        state = "batch_reserved" if batch else "reserved"
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO ledger (ref, cost, state, pid, batch) "
                             "VALUES (?, ?, ?, ?, ?)", (ref, cost, state, os.getpid(), batch))

    def pay(self, ref: str, cost: float, *, estimated: bool = False,
            batch: str | None = None) -> None:
        """Count a paid call (replacing its reservation)."""
        state = "estimated" if estimated else "paid"
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO ledger (ref, cost, state, pid, batch) "
                             "VALUES (?, ?, ?, ?, ?)", (ref, cost, state, os.getpid(), batch))

    def pay_many(self, rows: list[tuple[str, float]], *, batch: str) -> None:
        """Count a batch's rows and drop its reservation, in one transaction."""
        with self._lock, transaction(self._db):
            self._db.executemany(
                "INSERT OR REPLACE INTO ledger (ref, cost, state, pid, batch) "
                "VALUES (?, ?, 'paid', ?, ?)",
                [(ref, cost, os.getpid(), batch) for ref, cost in rows])
            self._db.execute("DELETE FROM ledger WHERE state='batch_reserved' AND batch=?",
                             (batch,))

    def release(self, ref: str) -> None:
        """Drop a reservation (the call was refused and is not billed)."""
        with self._lock:
            self._db.execute("DELETE FROM ledger WHERE ref=? AND state IN ('reserved', "
                             "'batch_reserved')", (ref,))

    def settle_orphans(self) -> int:
        """Turn reservations of dead processes into ``estimated`` spend; their count."""
        with self._lock:
            pids = [int(r[0]) for r in self._db.execute(
                "SELECT DISTINCT pid FROM ledger WHERE state='reserved'")]
            dead = [p for p in pids if p != os.getpid() and not pid_alive(p)]
            n = 0
            for pid in dead:
                cur = self._db.execute("UPDATE ledger SET state='estimated' "
                                       "WHERE state='reserved' AND pid=?", (pid,))
                n += int(cur.rowcount or 0)
        return n

    def spend(self, batch: str | None = None) -> Spend:
        """The store's spend (or one batch's, by its local id)."""
        where, args = ("WHERE batch=?", (batch,)) if batch else ("", ())
        with self._lock:
            rows = self._db.execute(f"SELECT state, SUM(cost) FROM ledger {where} GROUP BY state",
                                    args).fetchall()
        sums = {str(state): float(total or 0.0) for state, total in rows}
        return Spend(paid=sums.get("paid", 0.0), estimated=sums.get("estimated", 0.0),
                     reserved=sums.get("reserved", 0.0) + sums.get("batch_reserved", 0.0))
