"""Column mapping: which column of the user's tables is the user, the item, the feedback,
the timestamp, which item columns are text, and which are private.

Private columns are never read into a :class:`~augment.data.Dataset`: they are left out
of the columns asked from the source, so they cannot reach a prompt, a record, a
feature or an export.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from augment.errors import ConfigError

__all__ = ["ColumnMapping"]


@dataclass(frozen=True)
class ColumnMapping:
    """Names of the columns in the user's interactions and items tables.

    Defaults are augment's own names, so a table already in the shape of
    :func:`augment.data.load_dataset` needs no mapping.
    """

    user: str = "user_id"
    """Interactions: the user id column."""
    item: str = "item_id"
    """Interactions: the item id column."""
    feedback: str | None = None
    """Interactions: the rating, count or event type column (None = every row counts 1)."""
    timestamp: str | None = None
    """Interactions: the time column (numbers or datetimes; kept as unix seconds)."""
    item_key: str | None = None
    """Items: the item id column (None = the same name as ``item``)."""
    text: tuple[str, ...] | None = None
    """Items: columns used as text in prompts and features (None = every other column
    but the private ones)."""
    private: tuple[str, ...] = ()
    """Columns never read: never in a prompt, a record, a feature or an export."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ColumnMapping:
        """From a job's ``[data.columns]`` table (lists become tuples)."""
        raw = dict(raw)
        for key in ("text", "private"):
            if raw.get(key) is not None:
                raw[key] = tuple(str(c) for c in raw[key])
        return cls(**raw)

    @property
    def items_key(self) -> str:
        """The items table's id column."""
        return self.item_key or self.item

    def interaction_columns(self) -> list[str]:
        """The columns read from the interactions source, in a fixed order."""
        cols = [self.user, self.item]
        cols += [c for c in (self.feedback, self.timestamp) if c is not None]
        return cols

    def roles(self) -> dict[str, str]:
        """Role -> column of the interactions table (only the mapped roles)."""
        pairs = {"user": self.user, "item": self.item, "feedback": self.feedback,
                 "timestamp": self.timestamp}
        return {role: col for role, col in pairs.items() if col is not None}

    def check(self, *, source: str = "data.columns") -> None:
        """Raise ConfigError when one column has two roles or a private column is text."""
        seen: dict[str, str] = {}
        for role, col in self.roles().items():
            if col in seen:
                raise ConfigError(f"column '{col}' is mapped twice (as {seen[col]} and as "
                                  f"{role}); map each role to its own column",
                                  key=f"{source}.{role}")
            seen[col] = role
        private = set(self.private)
        for col in self.roles().values():
            if col in private:
                raise ConfigError(f"column '{col}' is both mapped and private; remove it from "
                                  "private or from the mapping", key=f"{source}.private")
        for col in self.text or ():
            if col in private:
                raise ConfigError(f"column '{col}' is both text (sent to the model) and "
                                  "private; remove it from one of the lists",
                                  key=f"{source}.text")
            if col == self.items_key:
                raise ConfigError(f"column '{col}' is the item id, not text; remove it from "
                                  "text", key=f"{source}.text")

    def item_columns(self, available: Sequence[str]) -> list[str]:
        """The items table's columns to read: the id, then the text columns (all non-private
        ones when ``text`` is None), in the table's order for the default."""
        private = set(self.private)
        if self.text is not None:
            return [self.items_key, *self.text]
        return [self.items_key] + [c for c in available
                                   if c != self.items_key and c not in private]

    def as_dict(self) -> dict[str, Any]:
        """For the manifest."""
        return {"user": self.user, "item": self.item, "feedback": self.feedback,
                "timestamp": self.timestamp, "item_key": self.items_key,
                "text": list(self.text) if self.text is not None else None,
                "private": list(self.private)}
