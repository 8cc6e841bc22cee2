"""What the engine's SQLite tables (store, batch log, ledger) share."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["transaction"]


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One explicit transaction on ``db`` (opened with ``isolation_level=None``): committed
    when the block ends, rolled back on any exception (KeyboardInterrupt too)."""
    db.execute("BEGIN")
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
