"""The one exception hierarchy of augment, and its warnings.

Every error says what went wrong *and* what to do next. Errors about input
name the file, the row and the column where they can. Nothing here ever
carries an API key: provider errors are built from status codes and redacted
messages only.
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = [
    "AugmentError",
    "ConfigError",
    "DataError",
    "SchemaError",
    "ProviderError",
    "MissingKeyError",
    "PermanentProviderError",
    "TransientProviderError",
    "ValidationFailed",
    "BudgetExceeded",
    "BatchesInFlight",
    "RunLocked",
    "AugmentWarning",
    "DataWarning",
    "ConfigWarning",
    "clip",
    "show_value",
    "MESSAGE_VALUE_CHARS",
]

MESSAGE_VALUE_CHARS = 120
"""Longest value quoted in an error message; longer ones are clipped (see :func:`clip`)."""


def clip(text: str, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    text = str(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}... ({len(text) - limit} more characters)"


def show_value(value: Any, limit: int = MESSAGE_VALUE_CHARS) -> str:
    """A value as a message quotes it: numpy scalars as Python ones, tuples of them
    too, clipped to ``limit`` characters (``np.int64(1)`` -> ``1``)."""
    if isinstance(value, tuple):
        inner = ", ".join(show_value(v, limit) for v in value)
        return clip(f"({inner})", limit)
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        with contextlib.suppress(TypeError, ValueError):
            value = value.item()
    return clip(repr(value), limit)


class AugmentError(Exception):
    """Base of every error augment raises on purpose.

    The CLI turns any ``AugmentError`` into one readable line and its ``exit_code``:
    2 for usage, configuration and data errors, 3 for provider failures and budget stops.
    """

    exit_code: int = 2


class ConfigError(AugmentError):
    """A configuration (job file, argument, option) is invalid."""

    def __init__(self, message: str, *, key: str | None = None, file: str | None = None,
                 line: int | None = None) -> None:
        self.key = key
        self.file = file
        self.line = line
        where = []
        if file:
            where.append(str(file))
        if line is not None:
            where.append(f"line {line}")
        if key:
            where.append(f"key '{key}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class DataError(AugmentError):
    """Input data is missing or malformed.

    ``file``, ``row`` (1-based data row, header excluded) and ``column`` say
    where, when known.
    """

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column
        where = []
        if file is not None:
            where.append(str(file))
        if row is not None:
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column '{column}'")
        prefix = (", ".join(where) + ": ") if where else ""
        super().__init__(prefix + message)


class SchemaError(AugmentError):
    """A JSON Schema file cannot be found or is not a valid schema."""


class ProviderError(AugmentError):
    """A model provider failed. ``status`` is the HTTP status when there is one.

    The CLI exits with code 3 (rerunning the job resumes where it stopped).
    """

    exit_code = 3
    reason: str | None = None
    """The failure reason the engine records for the row (``"timeout"``); None: ``"provider"``."""

    def __init__(self, message: str, *, provider: str | None = None,
                 status: int | None = None, retry_after: float | None = None) -> None:
        self.provider = provider
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)


class MissingKeyError(ProviderError):
    """No API key was found. The message names the environment variable to set."""


class PermanentProviderError(ProviderError):
    """A failure that retrying will not fix (400, 401, 403, 404, ...)."""


class TransientProviderError(ProviderError):
    """A failure worth retrying (429, 5xx, 529, timeouts, dropped connections)."""


class ValidationFailed(AugmentError):
    """A model's answer failed its schema or its task's checks after every re-ask."""

    def __init__(self, message: str, *, errors: list[str] | None = None,
                 last_output: str | None = None, n_attempts: int = 0,
                 usage: dict[str, Any] | None = None) -> None:
        self.errors = list(errors or [])
        self.last_output = last_output
        self.n_attempts = n_attempts
        self.usage = dict(usage or {})
        super().__init__(message)


class BudgetExceeded(AugmentError):
    """Scheduling stopped because the next request could exceed ``max_cost_usd``.

    The CLI exits with code 3 (rerunning with a larger budget resumes).
    """

    exit_code = 3

    def __init__(self, message: str, *, spent_usd: float = 0.0, budget_usd: float = 0.0,
                 done: int = 0, remaining: int = 0) -> None:
        self.spent_usd = spent_usd
        self.budget_usd = budget_usd
        self.done = done
        self.remaining = remaining
        super().__init__(message)


class BatchesInFlight(AugmentError):
    """Provider batches of this run are still running; nothing is lost.

    The CLI exits with code 75 (EX_TEMPFAIL) and prints how to resume: run the same
    command again (it re-attaches to the batches, never resubmits) or add ``--wait``.
    """

    exit_code = 75
    run_status = "waiting"
    """The run folder's manifest status while batches run."""

    def __init__(self, message: str, *, batch_ids: list[str] | None = None,
                 pending: int = 0) -> None:
        self.batch_ids = list(batch_ids or [])
        self.pending = pending
        super().__init__(message)


class RunLocked(AugmentError):
    """Another live process holds the run folder's lock (exit code 2)."""

    def __init__(self, message: str, *, pid: int = 0, started_at: str = "") -> None:
        self.pid = pid
        self.started_at = started_at
        super().__init__(message)


class AugmentWarning(UserWarning):
    """Base of augment's warnings."""


class DataWarning(AugmentWarning):
    """Data is usable but suspicious (e.g. rows dropped by a documented rule)."""


class ConfigWarning(AugmentWarning):
    """A configuration is usable but probably not what was meant."""
