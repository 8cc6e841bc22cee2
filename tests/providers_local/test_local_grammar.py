"""Schema -> grammar-schema rewriting (pure) and the GBNF text (needs llama-cpp-python)."""

from __future__ import annotations

import copy

import pytest

from augment.errors import SchemaError
from augment.providers.grammar import grammar_schema, schema_to_gbnf
from tests.providers_local.conftest import needs_llama

ITEM = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 60},
        "genres": {"type": "array", "items": {"enum": ["Action", "Comedy", "Drama"]},
                   "maxItems": 3, "uniqueItems": True},
        "tags": {"type": "array", "items": {"type": "string"}},
        "summary": {"type": ["string", "null"], "maxLength": 80},
        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
        "score": {"type": "number", "minimum": 0, "maximum": 1},
    },
    "required": ["title", "genres"],
    "additionalProperties": False,
}


def test_rewrite_keeps_bounds_and_caps_unbounded():
    out = grammar_schema(ITEM, max_string_length=40, max_array_items=5)
    props = out["properties"]
    assert out["additionalProperties"] is False
    assert out["required"] == ["title", "genres"]
    assert props["title"] == {"type": "string", "maxLength": 60}
    assert props["genres"] == {"type": "array", "items": {"enum": ["Action", "Comedy", "Drama"]},
                               "minItems": 0, "maxItems": 3, "uniqueItems": True}
    assert props["tags"]["maxItems"] == 5 and props["tags"]["items"]["maxLength"] == 40
    # type list -> anyOf, maxLength kept on the string branch
    assert props["summary"] == {"anyOf": [{"type": "string", "maxLength": 80}, {"type": "null"}]}
    assert props["rating"] == {"enum": [1, 2, 3, 4, 5]}
    assert props["score"] == {"type": "number"}
    assert "$schema" not in out


def test_rewrite_does_not_modify_input():
    before = copy.deepcopy(ITEM)
    grammar_schema(ITEM)
    assert before == ITEM


def test_objects_without_additional_properties_get_closed():
    out = grammar_schema({"type": "object", "properties": {"a": {"type": "boolean"}}})
    assert out["additionalProperties"] is False
    open_map = grammar_schema({"type": "object", "additionalProperties": {"type": "integer"}})
    assert open_map["additionalProperties"] == {"type": "integer"}


def test_refs_are_inlined_and_patterns_kept_only_when_anchored():
    schema = {
        "$defs": {"id": {"type": "string", "pattern": "^m[0-9]+$"}},
        "type": "object",
        "properties": {"a": {"$ref": "#/$defs/id"},
                       "b": {"type": "string", "pattern": "[0-9]", "maxLength": 9}},
    }
    props = grammar_schema(schema)["properties"]
    assert props["a"] == {"type": "string", "pattern": "^m[0-9]+$"}
    assert props["b"] == {"type": "string", "maxLength": 9}


def test_remote_ref_and_bad_ref_are_schema_errors():
    with pytest.raises(SchemaError, match="remote"):
        grammar_schema({"$ref": "https://example.org/s.json"})
    with pytest.raises(SchemaError, match="points nowhere"):
        grammar_schema({"$ref": "#/$defs/missing"})


def test_all_of_merges_properties():
    schema = {"allOf": [
        {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        {"properties": {"b": {"type": "boolean"}}, "required": ["b"]},
    ]}
    out = grammar_schema(schema)
    assert set(out["properties"]) == {"a", "b"}
    assert out["required"] == ["a", "b"]


@needs_llama
def test_gbnf_has_enum_literals_and_json_safe_chars():
    gbnf = schema_to_gbnf(ITEM, max_string_length=40)
    assert '"\\"Comedy\\""' in gbnf
    assert "root ::=" in gbnf
    char_rule = next(line for line in gbnf.splitlines() if line.startswith("char ::="))
    assert "\\x00-\\x1F" in char_rule  # no raw control characters inside strings


def test_unique_items_kept_only_for_enum_items():
    out = grammar_schema({"type": "array", "items": {"type": "string"}, "uniqueItems": True})
    assert "uniqueItems" not in out


@needs_llama
def test_unique_enum_array_gets_a_no_repeat_grammar():
    schema = {"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 1,
              "maxItems": 2, "uniqueItems": True}
    rules = dict(line.split(" ::= ", 1) for line in schema_to_gbnf(schema).splitlines())
    assert rules["root"] == "augment-unique0"
    assert rules["augment-unique0"] == '"[" space augment-unique0-tail-0-2 "]"'
    # after "a" only a later value may follow, and only one more (maxItems 2)
    assert rules["augment-unique0-pick-0-2"] == (
        '"\\"a\\"" space ("," space augment-unique0-tail-1-1)?')
    assert rules["augment-unique0-pick-1-1"] == '"\\"b\\"" space'
    assert "__augment_unique" not in "\n".join(rules.values())
    stock = schema_to_gbnf(schema, unique_enums=False)
    assert "augment-unique" not in stock and '"\\"c\\""' in stock


@needs_llama
def test_gbnf_survives_an_unsupported_pattern():
    gbnf = schema_to_gbnf({"type": "string", "pattern": "^(?=a)b$", "maxLength": 4})
    assert "root ::=" in gbnf
