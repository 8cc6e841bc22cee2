"""Parse, validate and check one answer; build the re-ask message from the errors."""

from __future__ import annotations

import json
import re
from typing import Any

from augment.engine.types import Check
from augment.schemas import validate as schema_validate

__all__ = ["parse_and_check", "reask_message", "MAX_ERRORS_QUOTED"]

MAX_ERRORS_QUOTED = 10
"""At most this many error messages are fed back in one re-ask."""

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)


def parse_and_check(text: str, schema: dict[str, Any], check: Check | None
                    ) -> tuple[Any, list[str]]:
    """Return ``(output, errors)``: the parsed JSON and every problem found (empty = valid).

    Steps: JSON parse (a Markdown code fence around it is tolerated), JSON Schema
    (Draft 2020-12) against the original schema, then the item's check.
    """
    m = _FENCE.match(text)
    body = m.group(1) if m else text
    try:
        output = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, [f"the answer is not valid JSON: {exc.msg} at line {exc.lineno} "
                      f"column {exc.colno}"]
    errors = schema_validate(output, schema)
    if errors:
        return output, errors
    if check is not None:
        return output, [str(e) for e in check(output)]
    return output, []


def reask_message(errors: list[str]) -> str:
    """The user message that quotes the errors and asks for a corrected answer."""
    quoted = "\n".join(f"- {e}" for e in errors[:MAX_ERRORS_QUOTED])
    more = len(errors) - MAX_ERRORS_QUOTED
    if more > 0:
        quoted += f"\n- ... and {more} more"
    return ("Your previous answer was not valid:\n" + quoted +
            "\nReply again with only the corrected JSON value that satisfies the schema.")
