"""Reading records back: ids, provenance columns, repeated free-text entries."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from augment.providers.base import canonical_json

__all__ = ["short_hash", "py_id", "dedupe_strings", "provenance", "PROVENANCE_COLUMNS"]


def short_hash(value: Any, n: int = 12) -> str:
    """A short, stable hash of a JSON-serialisable value."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()[:n]

def py_id(value: Any) -> Any:
    """A numpy scalar id as the plain Python value (JSON-serialisable meta)."""
    return value.item() if hasattr(value, "item") else value

def dedupe_strings(values: Any) -> Any:
    """``values`` without repeats, compared case-insensitively (first spelling kept).

    For free-text lists (tags, themes) whose schemas allow repeats because no
    grammar can stop a small model from writing one twice. Anything that is not
    a list or tuple is returned unchanged.
    """
    if not isinstance(values, (list, tuple)):
        return values
    seen: set[Any] = set()
    out = []
    for v in values:
        key = v.strip().casefold() if isinstance(v, str) else v
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out

PROVENANCE_COLUMNS = ("task", "provider", "model", "prompt_version", "schema_id",
                      "request_hash", "created_at", "key")
"""Columns every task DataFrame carries from its records."""

def provenance(record: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance fields of a record (missing ones as None)."""
    return {c: record.get(c) for c in PROVENANCE_COLUMNS}
