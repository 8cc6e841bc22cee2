"""JSON Schemas: load shipped and user schemas, validate locally, translate for providers.

Generated records are always validated here with :mod:`jsonschema` (Draft 2020-12),
even when a provider claims strict mode, because providers silently drop keywords.
The provider-specific translations (:func:`to_openai_strict`, :func:`object_root`)
only shape what is *sent*; local validation always uses the original schema.
"""

from __future__ import annotations

import copy
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator

from augment.errors import SchemaError
from augment.providers.base import canonical_json

__all__ = [
    "SCHEMA_DIR",
    "load_schema",
    "validate",
    "schema_id",
    "check_schema",
    "to_openai_strict",
    "strip_strict_nulls",
    "object_root",
    "WRAP_KEY",
]

SCHEMA_DIR = Path(__file__).resolve().parent / "_schemas"
"""Where the shipped schemas live (``schemas/<name>.schema.json`` in the repository)."""

WRAP_KEY = "value"
"""Property name used by :func:`object_root` when a non-object schema must be wrapped."""

# Keywords OpenAI strict mode rejects; dropped from what is sent, still checked locally.
_OPENAI_UNSUPPORTED = frozenset({
    "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minItems", "maxItems",
    "uniqueItems", "minProperties", "maxProperties", "patternProperties",
    "unevaluatedProperties", "propertyNames", "contains", "minContains", "maxContains",
    "dependentRequired", "dependentSchemas", "if", "then", "else", "not", "default",
    "examples", "$schema", "$id", "contentEncoding", "contentMediaType", "readOnly",
    "writeOnly", "deprecated", "$comment",
})


def load_schema(name_or_path: str | Path) -> dict[str, Any]:
    """Load a schema by shipped name (``"item_attributes"``) or from a file path.

    Raises :class:`SchemaError` when it cannot be found, parsed, or is not a valid
    Draft 2020-12 schema.
    """
    text = str(name_or_path)
    path = Path(text)
    if not (path.suffix == ".json" or path.exists()):
        path = SCHEMA_DIR / f"{text}.schema.json"
    if not path.is_file():
        shipped = sorted(p.name.removesuffix(".schema.json")
                         for p in SCHEMA_DIR.glob("*.schema.json"))
        raise SchemaError(
            f"schema '{text}' not found: pass a file path or one of the shipped names "
            f"{shipped or '(none shipped)'}"
        )
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SchemaError(f"{path}: cannot read the schema ({exc}); fix the JSON and "
                          "retry") from exc
    check_schema(schema, source=str(path))
    return schema


def check_schema(schema: Any, *, source: str = "schema") -> None:
    """Raise :class:`SchemaError` unless ``schema`` is a valid Draft 2020-12 schema."""
    if not isinstance(schema, dict):
        raise SchemaError(f"{source}: a JSON Schema must be an object, got {type(schema).__name__}")
    try:
        Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"{source}: not a valid JSON Schema 2020-12: {exc.message}") from exc


def schema_id(schema: dict[str, Any]) -> str:
    """A short stable id of a schema's content (first 16 hex digits of its canonical sha256)."""
    return hashlib.sha256(canonical_json(schema).encode("utf-8")).hexdigest()[:16]


@lru_cache(maxsize=256)
def _validator(text: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(text))


def _path(error: jsonschema.ValidationError) -> str:
    out = "$"
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def validate(instance: Any, schema: dict[str, Any]) -> list[str]:
    """Validate ``instance``; return readable error messages (empty when valid).

    Each message starts with the JSON path of the offending value, e.g.
    ``"$.genres[1]: 'Sci-fi' is not one of ['Action', ...]"``.
    """
    validator = _validator(canonical_json(schema))
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_path(e)}: {e.message}" for e in errors]


def object_root(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """Return ``(schema, wrapped)``: an object-rooted schema for tools/structured outputs.

    Providers need an object at the root; any other schema is wrapped as
    ``{"value": <schema>}`` and ``wrapped`` is True (unwrap the answer with
    ``answer["value"]``).
    """
    if schema.get("type") == "object":
        return schema, False
    wrapped: dict[str, Any] = {"type": "object", "properties": {WRAP_KEY: schema},
                               "required": [WRAP_KEY], "additionalProperties": False}
    if "$defs" in schema:
        inner = {k: v for k, v in schema.items() if k != "$defs"}
        wrapped = {**wrapped, "properties": {WRAP_KEY: inner}, "$defs": schema["$defs"]}
    return wrapped, True


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    t = node.get("type")
    if isinstance(t, str):
        return {**node, "type": [t, "null"]} if t != "null" else node
    if isinstance(t, list):
        return node if "null" in t else {**node, "type": [*t, "null"]}
    if "enum" in node:
        return {**node, "enum": [*node["enum"], None]} if None not in node["enum"] else node
    return {"anyOf": [node, {"type": "null"}]}


def _strict(node: Any) -> Any:
    if isinstance(node, list):
        return [_strict(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _OPENAI_UNSUPPORTED:
            continue
        if key in ("properties", "$defs", "definitions"):
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif key in ("items", "anyOf", "prefixItems", "additionalProperties") or key == "allOf":
            out[key] = _strict(value)
        elif key == "oneOf":  # strict mode supports anyOf, not oneOf
            out["anyOf"] = _strict(value)
        else:
            out[key] = copy.deepcopy(value)
    is_object = out.get("type") == "object" or (
        isinstance(out.get("type"), list) and "object" in out["type"]) or "properties" in out
    if is_object:
        props: dict[str, Any] = out.get("properties", {})
        required = set(node.get("required", []))
        out["properties"] = {name: (sub if name in required else _nullable(sub))
                             for name, sub in props.items()}
        out["required"] = list(props)
        out["additionalProperties"] = False
    return out


def to_openai_strict(schema: dict[str, Any]) -> dict[str, Any]:
    """Translate a schema to the subset OpenAI accepts with ``strict: true``.

    Every property becomes required (optional ones nullable), every object gets
    ``additionalProperties: false``, ``oneOf`` becomes ``anyOf`` and unsupported
    keywords (lengths, bounds, patterns, formats...) are dropped. The root must
    be an object (see :func:`object_root`). The original schema still validates
    the answer locally: :func:`strip_strict_nulls` removes the ``null`` values the
    model had to give for optional fields first.
    """
    return _strict(copy.deepcopy(schema))


def _allows_null(node: Any) -> bool:
    if not isinstance(node, dict):
        return True
    t = node.get("type")
    if t is not None:
        return t == "null" or (isinstance(t, list) and "null" in t)
    if "const" in node:
        return node["const"] is None
    if "enum" in node:
        return None in node["enum"]
    branches = node.get("anyOf") or node.get("oneOf")
    if branches:
        return any(_allows_null(b) for b in branches)
    return True


def strip_strict_nulls(instance: Any, schema: dict[str, Any]) -> Any:
    """Drop ``null`` values of optional properties the original schema does not allow null for.

    Undoes the nullable-optional translation of :func:`to_openai_strict` on an answer.
    """
    if isinstance(instance, dict) and isinstance(schema, dict):
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        out = {}
        for key, value in instance.items():
            sub = props.get(key)
            if value is None and key not in required and sub is not None and not _allows_null(sub):
                continue
            out[key] = strip_strict_nulls(value, sub) if isinstance(sub, dict) else value
        return out
    if (isinstance(instance, list) and isinstance(schema, dict)
            and isinstance(schema.get("items"), dict)):
        return [strip_strict_nulls(v, schema["items"]) for v in instance]
    return instance
