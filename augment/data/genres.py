"""The genre-list rule: how a catalogue's list columns are read, written once.

MovieLens writes genres as ``"Action|Comedy"`` and marks an item without any as
``"(no genres listed)"``; tags joined with ``;`` are read the same way.
"""

from __future__ import annotations

from typing import Any

__all__ = ["NO_GENRES", "split_genres"]

NO_GENRES = "(no genres listed)"
"""MovieLens's marker of an item without genres: not a genre."""


def split_genres(value: Any, separators: str = "|") -> list[str]:
    """The entries of a ``|``-joined list (also split on any other of ``separators``),
    stripped, without empty ones and without :data:`NO_GENRES`. None/NaN give []."""
    if value is None or (isinstance(value, float) and value != value):
        return []
    text = str(value)
    for sep in separators[1:]:
        text = text.replace(sep, separators[0])
    parts = (p.strip() for p in text.split(separators[0]))
    return [p for p in parts if p and p != NO_GENRES]
