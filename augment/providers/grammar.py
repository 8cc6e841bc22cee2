"""JSON Schema -> llama.cpp GBNF grammar, for the embedded ``local`` provider.

llama-cpp-python ships a converter (``llama_cpp.llama_grammar.json_schema_to_gbnf``)
that understands the keywords that matter for us: ``enum``/``const`` (candidate id
lists), ``maxItems``/``minItems``, ``maxLength``/``minLength``, ``required``,
``additionalProperties: false``, local ``$ref`` and ``anyOf``/``oneOf``. It ignores
or mishandles a few others, so :func:`grammar_schema` first rewrites the schema
into the subset the converter handles well:

* ``type: [..., "null"]`` becomes ``anyOf`` (the converter would drop every other
  keyword of the schema, ``maxLength`` included);
* an integer with a small ``minimum``..``maximum`` range becomes an ``enum``;
* objects get ``additionalProperties: false`` unless they say otherwise, strings
  without ``maxLength`` get ``max_string_length`` and arrays without ``maxItems``
  get ``max_array_items`` -- a small model babbles without bounds, and a bounded
  grammar always terminates;
* an array of distinct enum values (``uniqueItems`` + ``items.enum``, e.g. a pick of
  candidate ids) gets a grammar of our own that cannot repeat a value: items come
  out in the enum's order (callers permute candidates against position bias);
* keywords the converter cannot express (other ``uniqueItems``, ``minimum`` on
  floats, unanchored ``pattern``, ``not``, ``if``...) are dropped.

The grammar therefore accepts a *subset* of what the schema accepts, minus the
dropped keywords; the engine validates every answer with ``jsonschema`` anyway and
re-asks on the rest (for instance a repeated item in a ``uniqueItems`` array).

Only :func:`schema_to_gbnf` imports ``llama_cpp``; :func:`grammar_schema` is pure.
"""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

from augment.errors import SchemaError

__all__ = ["grammar_schema", "schema_to_gbnf"]

log = logging.getLogger(__name__)

_DROP = frozenset({
    "$schema", "$id", "$comment", "$defs", "definitions", "title", "description",
    "examples", "default", "deprecated", "readOnly", "writeOnly",
    "contains", "minContains", "maxContains", "not", "if", "then", "else",
    "dependentRequired", "dependentSchemas", "patternProperties", "propertyNames",
    "unevaluatedProperties", "unevaluatedItems", "minProperties", "maxProperties",
    "multipleOf", "exclusiveMinimum", "exclusiveMaximum", "contentEncoding",
    "contentMediaType",
})
_GRAMMAR_FORMATS = frozenset({"date", "time", "date-time", "uuid"})
_MAX_ENUM_RANGE = 64
_MAX_REF_DEPTH = 8
_MAX_UNIQUE_ENUM = 256

# JSON forbids raw control characters inside strings; the stock rule allows them.
_STOCK_CHAR_RULE = 'char ::= [^"\\\\] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'
_JSON_CHAR_RULE = 'char ::= [^"\\\\\\x00-\\x1F\\x7F] | "\\\\" (["\\\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'


def grammar_schema(schema: dict[str, Any] | bool, *, max_string_length: int = 200,
                   max_array_items: int = 16) -> dict[str, Any]:
    """Rewrite ``schema`` into the bounded subset the GBNF converter handles.

    Returns a new dict (the input is not modified); local ``$ref``s are inlined.
    """
    if max_string_length < 1 or max_array_items < 1:
        raise ValueError("max_string_length and max_array_items must be >= 1")
    root = copy.deepcopy(schema)
    return _Simplifier(root, max_string_length, max_array_items).visit(root, 0)


class _Simplifier:
    def __init__(self, root: Any, max_len: int, max_items: int) -> None:
        self.root = root
        self.max_len = max_len
        self.max_items = max_items

    def _resolve(self, ref: str) -> Any:
        if not ref.startswith("#"):
            raise SchemaError(f"remote $ref {ref!r} is not supported by the local provider; "
                              "inline the referenced schema")
        target: Any = self.root
        for part in [p for p in ref[1:].split("/") if p]:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SchemaError(f"$ref {ref!r} points nowhere in the schema")
            target = target[part]
        return target

    def visit(self, node: Any, depth: int) -> dict[str, Any]:
        if node is True or node == {}:
            return self._any()
        if node is False or not isinstance(node, dict):
            raise SchemaError(f"cannot build a grammar from schema {node!r}")
        if "$ref" in node:
            if depth >= _MAX_REF_DEPTH:
                return self._any()  # recursive schema: stop unfolding here
            merged = {**self._resolve(node["$ref"]), **{k: v for k, v in node.items()
                                                        if k != "$ref"}}
            return self.visit(merged, depth + 1)
        out = {k: v for k, v in node.items() if k not in _DROP}

        if "allOf" in out:
            for sub in out.pop("allOf"):
                sub = self.visit(sub, depth)
                for key, value in sub.items():
                    if key == "properties":
                        out["properties"] = {**out.get("properties", {}), **value}
                    elif key == "required":
                        out["required"] = sorted(set(out.get("required", [])) | set(value))
                    else:
                        out.setdefault(key, value)
        if "const" in out or "enum" in out:
            return {k: out[k] for k in ("const", "enum") if k in out}
        for key in ("anyOf", "oneOf"):
            if key in out:
                alts = [self.visit({**{k: v for k, v in out.items() if k not in ("anyOf", "oneOf")},
                                    **alt}, depth) for alt in out[key]]
                return {"anyOf": alts}

        types = out.get("type")
        if isinstance(types, list):
            rest = {k: v for k, v in out.items() if k != "type"}
            alts = [self.visit({**rest, "type": t}, depth) for t in types]
            return alts[0] if len(alts) == 1 else {"anyOf": alts}
        if types is None:
            types = self._infer_type(out)
            if types is None:
                return self._any()
            out["type"] = types

        if types == "object":
            return self._object(out, depth)
        if types == "array":
            return self._array(out, depth)
        if types == "string":
            return self._string(out)
        if types == "integer":
            lo, hi = out.get("minimum"), out.get("maximum")
            if (isinstance(lo, int) and isinstance(hi, int) and 0 <= hi - lo < _MAX_ENUM_RANGE):
                return {"enum": list(range(lo, hi + 1))}
        if types in ("integer", "number", "boolean", "null"):
            return {"type": types}
        raise SchemaError(f"unknown JSON Schema type {types!r}")

    @staticmethod
    def _infer_type(node: dict[str, Any]) -> str | None:
        if "properties" in node or "additionalProperties" in node or "required" in node:
            return "object"
        if "items" in node or "prefixItems" in node:
            return "array"
        if "maxLength" in node or "minLength" in node or "pattern" in node:
            return "string"
        return None

    def _any(self) -> dict[str, Any]:
        # The converter turns {} into "any object"; a bounded scalar is kinder to small models.
        return {"anyOf": [{"type": "string", "maxLength": self.max_len}, {"type": "number"},
                          {"type": "boolean"}, {"type": "null"}]}

    def _object(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        props = {name: self.visit(sub, depth) for name, sub in node.get("properties", {}).items()}
        out: dict[str, Any] = {"type": "object", "properties": props}
        required = [r for r in node.get("required", []) if r in props]
        if required:
            out["required"] = required
        extra = node.get("additionalProperties", not props)
        if isinstance(extra, dict):
            out["additionalProperties"] = self.visit(extra, depth)
        elif extra is True and not props:
            out["additionalProperties"] = self._any()
        else:
            out["additionalProperties"] = False
        return out

    def _array(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "array"}
        if "prefixItems" in node:
            out["prefixItems"] = [self.visit(s, depth) for s in node["prefixItems"]]
            return out
        items = node.get("items", True)
        out["items"] = self.visit(items, depth)
        lo = int(node.get("minItems", 0))
        hi = node.get("maxItems")
        out["minItems"] = lo
        out["maxItems"] = int(hi) if hi is not None else max(lo, self.max_items)
        if node.get("uniqueItems") is True and _scalar_enum(out["items"]) is not None:
            out["uniqueItems"] = True  # schema_to_gbnf writes a no-repeat grammar for it
        return out

    def _string(self, node: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"type": "string"}
        pattern = node.get("pattern")
        if isinstance(pattern, str) and pattern.startswith("^") and pattern.endswith("$"):
            out["pattern"] = pattern
            return out
        fmt = node.get("format")
        if fmt in _GRAMMAR_FORMATS:
            out["format"] = fmt
            return out
        lo = int(node.get("minLength", 0))
        hi = node.get("maxLength")
        if lo:
            out["minLength"] = lo
        out["maxLength"] = int(hi) if hi is not None else max(lo, self.max_len)
        return out


def _scalar_enum(node: Any) -> list[Any] | None:
    values = node.get("enum") if isinstance(node, dict) else None
    if (isinstance(values, list) and 0 < len(values) <= _MAX_UNIQUE_ENUM
            and all(isinstance(v, str | int | float | bool) for v in values)):
        return values
    return None


def _placeholder(i: int) -> str:
    return f"__augment_unique_{i}__"


def _extract_unique_arrays(node: Any, found: list[tuple[list[Any], int, int]]) -> Any:
    """Replace unique enum arrays by placeholder constants; collect (values, min, max)."""
    if isinstance(node, list):
        return [_extract_unique_arrays(n, found) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "array" and node.get("uniqueItems") is True:
        values = _scalar_enum(node.get("items"))
        if values is not None:
            found.append((values, int(node.get("minItems", 0)), int(node["maxItems"])))
            return {"const": _placeholder(len(found) - 1)}
    return {k: _extract_unique_arrays(v, found) for k, v in node.items()}


def _gbnf_literal(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unique_array_rules(i: int, values: list[Any], lo: int, hi: int) -> tuple[str, list[str]]:
    """GBNF for an array of distinct enum values, written in the enum's order.

    ``pick-j-k`` writes value j then, optionally, up to k-1 later values; ``tail-j-k``
    starts at value j or any later one. Items come out in enum order (so no value can
    repeat); the engine permutes candidate lists across repeats against position bias.
    """
    n = len(values)
    hi = max(1, min(hi, n))
    name = f"augment-unique{i}"
    rules = []
    for k in range(1, hi + 1):
        for j in range(n):
            more = (f' ("," space {name}-tail-{j + 1}-{k - 1})?'
                    if k > 1 and j + 1 < n else "")
            rules.append(f"{name}-pick-{j}-{k} ::= {_gbnf_literal(values[j])} space{more}")
            nxt = f" | {name}-tail-{j + 1}-{k}" if j + 1 < n else ""
            rules.append(f"{name}-tail-{j}-{k} ::= {name}-pick-{j}-{k}{nxt}")
    body = f"{name}-tail-0-{hi}" if lo > 0 else f"({name}-tail-0-{hi})?"
    rules.append(f'{name} ::= "[" space {body} "]"')
    return name, rules


def _strip_patterns(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip_patterns(n) for n in node]
    if isinstance(node, dict):
        return {k: _strip_patterns(v) for k, v in node.items()
                if not (k == "pattern" and isinstance(v, str))}
    return node


def schema_to_gbnf(schema: dict[str, Any], *, max_string_length: int = 200,
                   max_array_items: int = 16, unique_enums: bool = True) -> str:
    """A llama.cpp GBNF grammar whose every sentence is JSON fitting ``schema``'s bounds.

    Needs ``llama-cpp-python`` (the ``[local]`` extra). A ``pattern`` the converter
    cannot parse is dropped (with a log line) rather than failing the request.
    ``unique_enums=False`` leaves ``uniqueItems`` enum arrays to the stock converter
    (any order, repeats possible and caught by validation).
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    unique: list[tuple[list[Any], int, int]] = []
    simple = grammar_schema(schema, max_string_length=max_string_length,
                            max_array_items=max_array_items)
    if unique_enums:
        simple = _extract_unique_arrays(simple, unique)
    try:
        gbnf = json_schema_to_gbnf(json.dumps(simple))
    except (AssertionError, ValueError, KeyError) as exc:
        log.info("grammar: pattern unsupported by the GBNF converter (%s); dropping patterns",
                 exc)
        try:
            gbnf = json_schema_to_gbnf(json.dumps(_strip_patterns(simple)))
        except (AssertionError, ValueError, KeyError) as exc2:
            raise SchemaError(f"cannot build a llama.cpp grammar from this schema: {exc2}; "
                              "simplify the schema for the local provider") from exc2
    gbnf = gbnf.replace(_STOCK_CHAR_RULE, _JSON_CHAR_RULE)
    extra: list[str] = []
    for i, (values, lo, hi) in enumerate(unique):
        name, rules = _unique_array_rules(i, values, lo, hi)
        gbnf = gbnf.replace(_gbnf_literal(_placeholder(i)), name)
        extra.extend(rules)
    if extra and " space" in "\n".join(extra) and "space ::=" not in gbnf:
        extra.append('space ::= " "?')
    return "\n".join([gbnf, *extra])
