"""Shared parts of the simulated pick-answering providers (tests and benchmarks only).

They read a pseudo-interaction request the way a model reads it: the candidates
are the ``enum`` of the schema's id field (the order of the prompt), the target
and the cards are the JSON inside the first user message's ``<data>`` block.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from augment.errors import PermanentProviderError
from augment.providers.base import Completion, Request, Usage

__all__ = ["request_data", "schema_enum", "ITEM_PATH", "USER_PATH", "pick_request",
           "picks_answer", "completion", "stable_rng"]

_DATA = re.compile(r"<data>\n(.*)\n</data>", re.DOTALL)
ITEM_PATH = ["properties", "users", "items", "properties", "user_id"]
USER_PATH = ["properties", "positives", "items", "properties", "item_id"]


def request_data(request: Request) -> Any:
    """The JSON of the first user message's ``<data>`` block."""
    for m in request.messages:
        if m.get("role") == "user":
            found = _DATA.search(m.get("content", ""))
            if found:
                return json.loads(found.group(1))
    raise PermanentProviderError("simulated provider: no <data> block in the request")


def schema_enum(schema: Mapping[str, Any], path: Sequence[str]) -> list[str]:
    """The ``enum`` at ``path`` in ``schema`` (as strings; empty when missing)."""
    node: Any = schema
    for k in path:
        node = node.get(k, {}) if isinstance(node, Mapping) else {}
    return [str(v) for v in node.get("enum", [])] if isinstance(node, Mapping) else []


def pick_request(request: Request) -> tuple[str, str, list[str], Any]:
    """``(direction, target id, candidates, data)`` of a pseudo-interaction request:
    direction ``"item"`` (pick users for a cold item) or ``"user"`` (items for a cold user)."""
    data = request_data(request)
    if request.schema_name == "pseudo_interactions_cold_item":
        return "item", str(data["item"]["item_id"]), schema_enum(request.schema, ITEM_PATH), data
    if request.schema_name == "pseudo_interactions_cold_user":
        return "user", str(data["user"]["user_id"]), schema_enum(request.schema, USER_PATH), data
    raise PermanentProviderError(
        f"this simulated provider answers pseudo_interactions requests only, not "
        f"{request.schema_name!r}; use a real provider for this task")


def picks_answer(direction: str, picks: Sequence[str], candidates: Sequence[str]
                 ) -> dict[str, Any]:
    """The schema's answer for ``picks`` (listed in the candidates' order)."""
    chosen = set(picks)
    ordered = [c for c in candidates if c in chosen]
    if direction == "item":
        return {"users": [{"user_id": u, "confidence": "high"} for u in ordered]}
    return {"positives": [{"item_id": i, "confidence": "high"} for i in ordered],
            "negatives": []}


def completion(request: Request, out: Any, model: str) -> Completion:
    """A completion holding ``out`` as JSON, with a rough token count."""
    text = json.dumps(out, ensure_ascii=False)
    usage = Usage(input_tokens=sum(len(m.get("content", "")) for m in request.messages) // 4,
                  output_tokens=len(text) // 4 + 1)
    return Completion(text=text, usage=usage, model=model)


def stable_rng(seed: int, *parts: Any) -> np.random.Generator:
    """A generator seeded by ``seed`` and the string forms of ``parts`` (process-stable)."""
    return np.random.default_rng([seed, *(zlib.crc32(str(p).encode()) for p in parts)])
