"""augment.schemas: loading, validation messages, provider-strict translation."""

from __future__ import annotations

import json

import pytest

from augment.errors import SchemaError
from augment.schemas import (
    SCHEMA_DIR,
    load_schema,
    object_root,
    schema_id,
    strip_strict_nulls,
    to_openai_strict,
    validate,
)

SCHEMA = {"type": "object",
          "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 80},
                         "year": {"type": "integer", "minimum": 1800},
                         "tags": {"type": "array",
                                  "items": {"type": "string", "pattern": "^[a-z]+$"},
                                  "maxItems": 3},
                         "kind": {"oneOf": [{"const": "a"}, {"const": "b"}]}},
          "required": ["title"]}


def test_validate_gives_readable_paths():
    errors = validate({"title": "", "year": 1700, "tags": ["OK"]}, SCHEMA)
    assert any(e.startswith("$.title:") for e in errors)
    assert any(e.startswith("$.year:") and "1800" in e for e in errors)
    assert any(e.startswith("$.tags[0]:") for e in errors)
    assert validate({"title": "x"}, SCHEMA) == []


def test_to_openai_strict_makes_every_property_required_and_optional_nullable():
    strict = to_openai_strict(SCHEMA)
    assert strict["required"] == ["title", "year", "tags", "kind"]
    assert strict["additionalProperties"] is False
    assert strict["properties"]["title"] == {"type": "string"}
    assert strict["properties"]["year"]["type"] == ["integer", "null"]
    assert "pattern" not in json.dumps(strict) and "maxItems" not in json.dumps(strict)
    assert "anyOf" in json.dumps(strict["properties"]["kind"]) and "oneOf" not in json.dumps(strict)
    assert SCHEMA["properties"]["title"]["minLength"] == 1  # original untouched


def test_strip_strict_nulls_restores_a_valid_answer():
    answer = {"title": "x", "year": None, "tags": None, "kind": None}
    cleaned = strip_strict_nulls(answer, SCHEMA)
    assert cleaned == {"title": "x"} and validate(cleaned, SCHEMA) == []


def test_object_root_wraps_non_objects():
    schema, wrapped = object_root({"type": "array", "items": {"type": "integer"}})
    assert wrapped and schema["required"] == ["value"]
    assert object_root(SCHEMA) == (SCHEMA, False)


def test_schema_id_ignores_key_order():
    assert schema_id({"a": 1, "b": {"c": 2, "d": 3}}) == schema_id({"b": {"d": 3, "c": 2}, "a": 1})


def test_load_schema_by_path_and_errors(tmp_path):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(SCHEMA))
    assert load_schema(path) == SCHEMA
    with pytest.raises(SchemaError, match="not found"):
        load_schema("no_such_schema_name")
    bad = tmp_path / "bad.json"
    bad.write_text('{"type": 12}')
    with pytest.raises(SchemaError, match="not a valid JSON Schema"):
        load_schema(bad)


def test_shipped_schemas_load_by_name():
    names = [p.name.removesuffix(".schema.json") for p in SCHEMA_DIR.glob("*.schema.json")]
    if not names:
        pytest.skip("no shipped schemas yet")
    for name in names:
        assert isinstance(load_schema(name), dict)
