"""Helpers for engine tests: a small schema and work items with a known right answer."""

from __future__ import annotations

from typing import Any

from augment.engine import WorkItem
from augment.providers.base import Request

SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"n": {"type": "integer", "minimum": 0}, "label": {"type": "string"}},
    "required": ["n"],
    "additionalProperties": False,
}


def make_items(n: int, schema: dict[str, Any] | None = None, check=None, **params: Any
               ) -> list[WorkItem]:
    """Items ``k0..k{n-1}`` whose right answer is ``{"n": i}``."""
    return [WorkItem(f"k{i}", Request(({"role": "system", "content": "Answer in JSON."},
                                        {"role": "user", "content": f"number {i}"}),
                                       schema or SCHEMA, "rec", dict(params)),
                     check=check, meta={"task": "t", "i": i}) for i in range(n)]


def right_answer(request: Request) -> dict[str, int]:
    """The answer a perfect model gives: the number in the first user message."""
    return {"n": int(request.messages[1]["content"].split()[-1])}
