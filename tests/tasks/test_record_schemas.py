"""The shipped record schemas: valid 2020-12, closed, bounded, and never about sensitive traits."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from augment.schemas import SCHEMA_DIR, validate
from augment.tasks import item_attributes_schema, user_profile_schema
from augment.tasks.schema_tools import load_task_schema

OURS = ("item_attributes", "user_profile", "pseudo_interactions_cold_item",
        "pseudo_interactions_cold_user")
SENSITIVE = re.compile(
    r"\b(age|ages|aged|gender|sex|race|racial|ethnic\w*|religio\w*|faith|health|medical|"
    r"disabilit\w*|sexual\w*|orientation|politic\w*|party|nationality|income|pregnan\w*|"
    r"birth\w*|marital)\b", re.IGNORECASE)


def _walk(node, path="$"):
    """Yield (path, property name, subschema) for every object property, at any depth."""
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            yield path, name, sub
            yield from _walk(sub, f"{path}.{name}")
        for key in ("items", "additionalProperties", "$defs"):
            if isinstance(node.get(key), dict):
                inner = node[key].values() if key == "$defs" else [node[key]]
                for sub in inner:
                    yield from _walk(sub, f"{path}.{key}")


def _shipped():
    return sorted(Path(SCHEMA_DIR).glob("*.schema.json"))


def test_every_shipped_record_schema_is_present_and_ours_are_closed_and_bounded():
    names = {p.name.removesuffix(".schema.json") for p in _shipped()}
    assert set(OURS) <= names
    for name in OURS:
        schema = load_task_schema(name)
        assert schema["$schema"].endswith("2020-12/schema") and schema["$id"]
        assert schema["additionalProperties"] is False
        for path, prop, sub in _walk(schema):
            kind = sub.get("type")
            if kind == "object":
                assert sub.get("additionalProperties") is False, (name, path, prop)
            if kind == "string":
                assert "maxLength" in sub or "enum" in sub, (name, path, prop)
            if kind == "array":
                assert "maxItems" in sub, (name, path, prop)
                item = sub["items"]
                if item.get("type") == "string":
                    assert "maxLength" in item or "enum" in item, (name, path, prop)


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.name)
def test_no_shipped_schema_asks_for_sensitive_traits(path):
    schema = json.loads(path.read_text())
    for where, prop, sub in _walk(schema):
        assert not SENSITIVE.search(prop.replace("_", " ")), f"{path.name}: {where}.{prop}"
        text = f"{sub.get('title', '')} {sub.get('description', '')}"
        assert not SENSITIVE.search(text), f"{path.name}: {where}.{prop}: {text!r}"


def test_sensitive_check_catches_an_llmrec_style_profile():
    bad = {"type": "object", "properties": {"age": {"type": "integer"},
                                            "liked": {"type": "string",
                                                      "description": "the user's gender"}}}
    hits = [p for _, p, s in _walk(bad)
            if SENSITIVE.search(p) or SENSITIVE.search(s.get("description", ""))]
    assert hits == ["age", "liked"]


def test_genre_enum_is_filled_from_the_dataset_not_hand_edited():
    plain = item_attributes_schema(None)
    assert "enum" not in plain["properties"]["genres"]["items"]
    filled = item_attributes_schema(["Drama", "Action", "Drama"])
    assert filled["properties"]["genres"]["items"]["enum"] == ["Action", "Drama"]
    assert filled["$id"] != plain["$id"]
    ok = {"genres": ["Drama"], "tags": ["slow burn"], "summary": "A quiet film."}
    assert validate(ok, filled) == []
    assert validate({**ok, "genres": ["Western"]}, filled)
    assert validate({**ok, "summary": "x" * 301}, filled)
    assert validate({**ok, "mood": "sad"}, filled)  # closed
    profile = user_profile_schema(["Drama", "Action"])
    assert profile["properties"]["disliked_genres"]["items"]["enum"] == ["Action", "Drama"]
