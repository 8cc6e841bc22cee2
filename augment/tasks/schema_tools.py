"""Task schemas: loaded by name, path or dict, identified by content, filled in, relaxed."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from augment.errors import SchemaError
from augment.schemas import check_schema, load_schema, validate
from augment.schemas import schema_id as _schema_id

__all__ = ["load_task_schema", "schema_id", "schema_errors", "with_enum", "relax_schema"]


def load_task_schema(schema: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """A schema from a shipped name (``"item_attributes"``), a file path, or a dict.

    Names and paths resolve through :func:`augment.schemas.load_schema`, like
    everywhere else. Task schemas must describe a JSON object.
    """
    if isinstance(schema, Mapping):
        out = copy.deepcopy(dict(schema))
        check_schema(out, source="schema")
    else:
        out = load_schema(schema)
    if out.get("type") != "object":
        raise SchemaError(f"schema {schema_id(out)} must describe a JSON object "
                          "(\"type\": \"object\") to be a task's record schema")
    return out

def schema_id(schema: Mapping[str, Any]) -> str:
    """The id records carry: :func:`augment.schemas.schema_id` (a content hash).

    Two schemas differing in anything (e.g. the genre enum) get different ids;
    the readable ``$id`` stays inside the schema.
    """
    return _schema_id(dict(schema))

def schema_errors(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Readable validation errors of ``instance`` against ``schema`` (empty when valid)."""
    return validate(instance, dict(schema))

def with_enum(schema: Mapping[str, Any], path: Sequence[str], values: Sequence[str],
              *, id_suffix: str | None = None) -> dict[str, Any]:
    """A copy of ``schema`` with ``"enum": values`` set on the subschema at ``path``.

    Only the objects along ``path`` are copied; every other subschema is shared with
    ``schema`` (a work item's schema is read, never changed: copying all of it per
    request was most of the cost of building pseudo-interaction prompts).

    ``path`` walks keys (``["properties", "users", "items", "properties", "user_id"]``).
    ``id_suffix`` (e.g. ``"genres=ab12"``) is appended to ``$id`` as a query so a
    filled-in template has its own id.
    """
    out = dict(schema)
    node: Any = out
    for key in path:
        if not isinstance(node, dict) or key not in node:
            raise SchemaError(f"schema {schema_id(schema)} has no {'/'.join(path)}; "
                              "a custom schema must keep the fields the task fills in")
        child = node[key]
        if isinstance(child, dict):  # copied along the path only: the rest is shared
            child = node[key] = dict(child)
        node = child
    node["enum"] = list(values)
    if id_suffix and "$id" in out:
        out["$id"] = f"{out['$id']}?{id_suffix}"
    return out

_BOUND_KEYWORDS = ("minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
                   "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                   "format", "minProperties", "maxProperties")

def relax_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``schema`` keeping its shape but not its bounds.

    Kept: types, properties, ``required``, ``additionalProperties``, ``enum`` —
    what constrained decoders (grammars, strict modes) enforce, so the model is
    guided to the right shape. Dropped: lengths, counts, uniqueness, ranges,
    patterns — what decoders often cannot enforce and where single entries go
    wrong. Used for a batch's request schema: the batch is accepted as a whole
    and each entry is then validated on its own against the full per-entry
    schema, so one over-long or duplicated entry does not sink the batch.
    """
    def walk(node: Any, names: bool = False) -> Any:
        if isinstance(node, Mapping):
            if names:  # keys of "properties" are field names, not keywords
                return {k: walk(v) for k, v in node.items()}
            return {k: walk(v, names=k in ("properties", "$defs"))
                    for k, v in node.items()
                    if k not in _BOUND_KEYWORDS and k not in ("$id", "$schema")}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node
    return walk(schema)
