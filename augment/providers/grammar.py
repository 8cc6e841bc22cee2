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
  out in the enum's order (callers put the enum in the order the prompt shows);
* so does an array of distinct *objects* whose items have a required property with
  a string ``enum`` (``[{"user_id": <enum>, "confidence": ...}]``): each enum value
  is written at most once, so no two objects can be equal either;
* keywords the converter cannot express (other ``uniqueItems``, ``minimum`` on
  floats, unanchored ``pattern``, ``not``, ``if``...) are dropped.

The no-repeat grammars stay linear in the number of enum values: ``maxItems`` is
counted exactly when it is small (at most ``_MAX_COUNTED_ITEMS``) or not below the
number of values (then the enum itself bounds the array); otherwise the grammar
bounds the array by the number of values and validation checks ``maxItems``.
``minItems`` above 1 is likewise left to validation.

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
_MAX_COUNTED_ITEMS = 8

# JSON forbids raw control characters inside strings; the stock rule allows them.
_HEX4 = '[0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F]'
_STOCK_CHAR_RULE = 'char ::= [^"\\\\] | "\\\\" (["\\\\/bfnrt] | "u" ' + _HEX4 + ')'
_JSON_CHAR_RULE = 'char ::= [^"\\\\\\x00-\\x1F\\x7F] | "\\\\" (["\\\\/bfnrt] | "u" ' + _HEX4 + ')'


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
        if node.get("uniqueItems") is True and (_scalar_enum(out["items"]) is not None
                                                or _enum_key(out["items"]) is not None):
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


def _enum_key(node: Any) -> tuple[str, list[Any]] | None:
    """``(property, values)`` when ``node`` is an object with a required string-enum property.

    The first such property (in schema order) is the key that makes items distinct.
    """
    if not isinstance(node, dict) or node.get("type") != "object":
        return None
    props = node.get("properties") or {}
    for name in node.get("required", []):
        values = _scalar_enum(props.get(name))
        if values is not None and all(isinstance(v, str) for v in values):
            return name, values
    return None


class _Unique:
    """A ``uniqueItems`` array cut out of the schema: its values and, for objects, the item."""

    def __init__(self, values: list[Any], lo: int, hi: int,
                 item: dict[str, Any] | None = None, key: str | None = None) -> None:
        self.values, self.lo, self.hi, self.item, self.key = values, lo, hi, item, key


def _placeholder(i: int) -> str:
    return f"__augment_unique_{i}__"


def _extract_unique_arrays(node: Any, found: list[_Unique]) -> Any:
    """Replace no-repeat arrays by placeholder constants; collect them in ``found``."""
    if isinstance(node, list):
        return [_extract_unique_arrays(n, found) for n in node]
    if not isinstance(node, dict):
        return node
    if node.get("type") == "array" and node.get("uniqueItems") is True:
        lo, hi = int(node.get("minItems", 0)), int(node["maxItems"])
        values = _scalar_enum(node.get("items"))
        keyed = _enum_key(node.get("items"))
        if values is not None:
            found.append(_Unique(values, lo, hi))
        elif keyed is not None:
            item = _extract_unique_arrays(node["items"], found)
            found.append(_Unique(keyed[1], lo, hi, item=item, key=keyed[0]))
        else:
            return {k: _extract_unique_arrays(v, found) for k, v in node.items()}
        return {"const": _placeholder(len(found) - 1)}
    return {k: _extract_unique_arrays(v, found) for k, v in node.items()}


def _gbnf_literal(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unique_array_rules(name: str, elems: list[str], lo: int, hi: int) -> list[str]:
    """GBNF for an array whose j-th possible element is ``elems[j]``, each at most once.

    Elements come out in the given order, so none can repeat. When ``maxItems`` is
    below the number of elements and small, ``pick-j-k`` writes element j then,
    optionally, up to k-1 later ones, and ``tail-j-k`` starts at element j or any
    later one (``2 * n * maxItems`` rules). Otherwise ``from-j`` (start at element j
    or later) and ``next-j`` (optionally continue after element j) need ``2 * n``
    rules and the enum bounds the array. ``minItems`` >= 1 makes the list non-empty.
    """
    n = len(elems)
    hi = max(1, min(hi, n))
    rules = []
    if hi < n and hi <= _MAX_COUNTED_ITEMS:
        for k in range(1, hi + 1):
            for j in range(n):
                more = (f' ("," space {name}-tail-{j + 1}-{k - 1})?'
                        if k > 1 and j + 1 < n else "")
                rules.append(f"{name}-pick-{j}-{k} ::= {elems[j]}{more}")
                nxt = f" | {name}-tail-{j + 1}-{k}" if j + 1 < n else ""
                rules.append(f"{name}-tail-{j}-{k} ::= {name}-pick-{j}-{k}{nxt}")
        start = f"{name}-tail-0-{hi}"
    else:
        for j in range(n):
            if j + 1 < n:
                rules.append(f"{name}-from-{j} ::= {elems[j]} {name}-next-{j} "
                             f"| {name}-from-{j + 1}")
                rules.append(f'{name}-next-{j} ::= ("," space {name}-from-{j + 1})?')
            else:
                rules.append(f"{name}-from-{j} ::= {elems[j]}")
        start = f"{name}-from-0"
    body = start if lo > 0 else f"({start})?"
    rules.append(f'{name} ::= "[" space {body} "]" space')
    return rules


def _convert(simple: dict[str, Any], unique: list[_Unique]) -> str:
    """Run llama-cpp-python's converter on ``simple``, then add the no-repeat arrays."""
    from llama_cpp.llama_grammar import SchemaConverter

    conv = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    conv.visit(conv.resolve_refs(simple, "stdin"), "")
    extra: list[str] = []
    for i, u in enumerate(unique):
        name = f"augment-unique{i}"
        if u.item is None:
            elems = [f"{_gbnf_literal(v)} space" for v in u.values]
        else:  # one object rule per key value: the converter writes the rest of the object
            elems = []
            for j, value in enumerate(u.values):
                item = {**u.item, "properties": {**u.item["properties"], u.key: {"const": value}}}
                elems.append(conv.visit(item, f"{name}-item{j}"))
        extra.extend(_unique_array_rules(name, elems, u.lo, u.hi))
    gbnf = conv.format_grammar()
    for i in range(len(unique)):
        gbnf = gbnf.replace(_gbnf_literal(_placeholder(i)), f"augment-unique{i}")
    return "\n".join([gbnf, *extra])


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
    ``unique_enums=False`` leaves ``uniqueItems`` enum arrays (of values or of objects
    keyed by an enum) to the stock converter (any order, repeats possible and caught
    by validation).
    """
    simple = grammar_schema(schema, max_string_length=max_string_length,
                            max_array_items=max_array_items)
    unique: list[_Unique] = []
    if unique_enums:
        simple = _extract_unique_arrays(simple, unique)
    try:
        gbnf = _convert(simple, unique)
    except (AssertionError, ValueError, KeyError) as exc:
        log.info("grammar: pattern unsupported by the GBNF converter (%s); dropping patterns",
                 exc)
        try:
            gbnf = _convert(_strip_patterns(simple),
                            [_Unique(u.values, u.lo, u.hi, _strip_patterns(u.item), u.key)
                             for u in unique])
        except (AssertionError, ValueError, KeyError) as exc2:
            raise SchemaError(f"cannot build a llama.cpp grammar from this schema: {exc2}; "
                              "simplify the schema for the local provider") from exc2
    return gbnf.replace(_STOCK_CHAR_RULE, _JSON_CHAR_RULE)
