"""A provider that never picks anyone: pseudo-interaction answers with empty lists."""

from __future__ import annotations

from typing import Any

from augment.providers.fake import FakeProvider


def _empty(request: Any) -> dict[str, Any]:
    if request.schema_name == "pseudo_interactions_cold_item":
        return {"users": []}
    return {"positives": [], "negatives": []}


class NoPicks(FakeProvider):
    def __init__(self, model: str = "fake", **kw: Any) -> None:
        super().__init__(fn=_empty, model=model, **kw)
