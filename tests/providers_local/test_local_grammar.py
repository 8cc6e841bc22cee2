"""Schema -> grammar-schema rewriting (pure) and the GBNF text (needs llama-cpp-python)."""

from __future__ import annotations

import copy
import json

import pytest

from augment.errors import SchemaError
from augment.providers.grammar import grammar_schema, schema_to_gbnf
from augment.schemas import load_schema, validate
from augment.tasks.schema_tools import with_enum
from tests.providers_local.conftest import needs_llama
from tests.providers_local.gbnf_recognizer import Grammar

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
    assert rules["augment-unique0"] == '"[" space augment-unique0-tail-0-2 "]" space'
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


def _picks(ids: list[str], confidence: str = "high") -> str:
    return ", ".join(f'{{"user_id": "{i}", "confidence": "{confidence}"}}' for i in ids)


def cold_item_schema(candidates: list[str], max_items: int | None = None) -> dict:
    schema = with_enum(load_schema("pseudo_interactions_cold_item"),
                       ["properties", "users", "items", "properties", "user_id"], candidates)
    if max_items is not None:
        schema["properties"]["users"]["maxItems"] = max_items
    return schema


def test_pick_arrays_of_the_shipped_schemas_are_unique():
    for name, lists in (("pseudo_interactions_cold_item", ["users"]),
                        ("pseudo_interactions_cold_user", ["positives", "negatives"])):
        schema = load_schema(name)
        for lst in lists:
            assert schema["properties"][lst]["uniqueItems"] is True
    out = grammar_schema(cold_item_schema(["1", "2"]))
    assert out["properties"]["users"]["uniqueItems"] is True
    # an object array without a required enum key has no no-repeat grammar
    free = grammar_schema({"type": "array", "uniqueItems": True, "items": {
        "type": "object", "properties": {"a": {"type": "string"}}, "required": ["a"]}})
    assert "uniqueItems" not in free


@needs_llama
def test_object_pick_grammar_writes_each_id_at_most_once():
    cands = ["7", "3", "12", "5", "40"]
    schema = cold_item_schema(cands)
    g = Grammar(schema_to_gbnf(schema))
    good = ['{"users": []}', '{"users": [' + _picks(["7"]) + "]}",
            '{"users": [' + _picks(["7", "12", "40"], "low") + "]}",
            '{"users": [' + _picks(cands) + "]}",
            '{"users": [{"user_id": "3", "confidence": "medium"}, '
            '{"user_id": "5", "confidence": "high"}]}']
    for text in good:
        assert g.accepts(text), text
        assert validate(json.loads(text), schema) == []
    bad = ['{"users": [' + _picks(["7", "7"]) + "]}",  # repeat
           '{"users": [' + _picks(["3", "7"]) + "]}",  # against the enum's order
           '{"users": [' + _picks(["8"]) + "]}",  # not a candidate
           '{"users": [{"user_id": "7"}]}',  # missing confidence
           '{"users": [' + _picks(["7", "3"]) + ",]}"]
    for text in bad:
        assert not g.accepts(text), text


@needs_llama
def test_object_pick_grammar_is_linear_in_the_candidates():
    def n_rules(n: int) -> int:
        return len(schema_to_gbnf(cold_item_schema([str(i) for i in range(n)])).splitlines())

    assert n_rules(40) - n_rules(20) == 2 * (n_rules(20) - n_rules(10))  # a + b * n
    assert n_rules(30) < 300


@needs_llama
def test_small_max_items_is_counted_and_large_one_left_to_validation():
    cands = [str(i) for i in range(6)]
    g = Grammar(schema_to_gbnf(cold_item_schema(cands, max_items=2)))
    assert g.accepts('{"users": [' + _picks(["0", "5"]) + "]}")
    assert not g.accepts('{"users": [' + _picks(["0", "1", "5"]) + "]}")
    many = [str(i) for i in range(20)]
    text = '{"users": [' + _picks(many[:12]) + "]}"
    schema = cold_item_schema(many, max_items=10)
    assert Grammar(schema_to_gbnf(schema)).accepts(text)  # 10 < 20 values: not counted
    assert validate(json.loads(text), schema)  # ... so validation rejects 12 picks


@needs_llama
def test_cold_user_positives_and_negatives_each_unique():
    cands = ["a1", "b2", "c3"]
    schema = load_schema("pseudo_interactions_cold_user")
    for lst in ("positives", "negatives"):
        schema = with_enum(schema, ["properties", lst, "items", "properties", "item_id"], cands)
    g = Grammar(schema_to_gbnf(schema))
    ok = ('{"positives": [{"item_id": "a1", "confidence": "high"}, {"item_id": "c3", '
          '"confidence": "low"}], "negatives": [{"item_id": "b2", "confidence": "medium"}]}')
    assert g.accepts(ok) and validate(json.loads(ok), schema) == []
    assert not g.accepts(ok.replace('"c3"', '"a1"'))


@needs_llama
def test_free_text_tags_may_repeat_enum_genres_may_not():
    schema = with_enum(load_schema("item_attributes"), ["properties", "genres", "items"],
                       ["Action", "Comedy", "Drama"])
    g = Grammar(schema_to_gbnf(schema))
    text = '{"genres": ["Action", "Drama"], "tags": ["heist", "Heist"], "summary": "A heist."}'
    assert g.accepts(text) and validate(json.loads(text), schema) == []
    assert not g.accepts(text.replace('"Drama"', '"Action"'))
