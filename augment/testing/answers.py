"""Plausible default answers: schema-valid and check-passing, built from the request alone.

Used by the loopback servers and by ``FakeProvider`` when nothing is scripted, so a job
can be dry-run end to end without a model (``provider = "fake"``, or ``base_url`` set to
``python -m augment.testing.serve openai``). The answer is built from the request's
JSON Schema: enum values (genres, candidate ids) are chosen from the enum, never twice
in one answer (so liked and disliked genres, positives and negatives, are disjoint and
every batch entry names another item); an array of objects keyed by an id enum named
``items`` gets one entry per id (a batch answer); other pick lists get a few ids; free
text is made of words of the request's data. Deterministic: the same request and seed
give the same answer.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["plausible_answer", "request_text"]

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_SKIP = {"item_id", "user_id", "title", "genres", "tags", "summary", "description", "data",
         "history", "reaction", "liked", "disliked", "candidates", "items", "users", "item",
         "user", "generated_genres", "generated_tags", "generated_summary", "null", "true",
         "false", "listed"}


def request_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the user messages of a chat request (where the data block is)."""
    out = []
    for m in messages:
        if m.get("role") != "user":
            continue
        content = m.get("content")
        if isinstance(content, list):  # Anthropic / OpenAI content parts
            content = " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
        out.append(str(content or ""))
    return "\n".join(out)


def _words(text: str) -> list[str]:
    from augment.tasks.screening import INSTRUCTION_LIKE, sensitive_term

    data = text.split("<data>", 1)[-1].split("</data>", 1)[0]
    data = INSTRUCTION_LIKE.sub(" ", data)
    words, seen = [], set()
    for w in _WORD.findall(data):
        low = w.lower()
        if low in _SKIP or low in seen or sensitive_term(low):
            continue
        seen.add(low)
        words.append(low)
    return words or ["story", "style", "mood"]


class _Builder:
    def __init__(self, text: str, seed: int) -> None:
        digest = hashlib.sha256(f"{seed}\x00{text}".encode()).digest()
        self.rng = random.Random(int.from_bytes(digest[:8], "big"))
        self.words = _words(text)
        self.scopes: list[dict[str, set[Any]]] = [{}]
        """Enum values used per object being built (innermost last): siblings differ."""

    def _fresh(self, enum: list[Any], n: int) -> list[Any]:
        """Up to ``n`` enum values not used yet in this answer."""
        key = json.dumps(sorted(map(str, enum)))
        used = self.scopes[-1].setdefault(key, set())
        free = [v for v in enum if v not in used]
        picked = self.rng.sample(free, min(n, len(free)))
        used.update(picked)
        return picked

    def text(self, lo: int, hi: int, n_words: int) -> str:
        k = min(n_words, len(self.words))
        words = self.rng.sample(self.words, k) if k else ["item"]
        out = " ".join(words)
        if n_words > 3:
            out = out[0].upper() + out[1:] + "."
        out = out[:hi].rstrip()
        return out if len(out) >= lo else (out + " " + "x" * lo)[:max(lo, 1)]

    def value(self, schema: dict[str, Any], name: str = "") -> Any:
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            picked = self._fresh(list(schema["enum"]), 1)
            return picked[0] if picked else schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if key in schema:
                return self.value(schema[key][0], name)
        kind = schema.get("type", "object")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "object":
            props = schema.get("properties", {})
            self.scopes.append({})
            try:
                return {k: self.value(props.get(k, {}), k) for k in schema.get("required", props)}
            finally:
                self.scopes.pop()
        if kind == "array":
            return self.array(schema, name)
        if kind == "string":
            long = name in ("summary", "reason", "explanation", "description")
            lo = int(schema.get("minLength", 1))
            hi = int(schema.get("maxLength", 200 if long else 40))
            return self.text(lo, hi, 8 if long else 2)
        if kind == "integer":
            return int(schema.get("minimum", 0))
        if kind == "number":
            return float(schema.get("minimum", 0.0))
        if kind == "boolean":
            return self.rng.random() < 0.5
        return None

    def array(self, schema: dict[str, Any], name: str) -> list[Any]:
        item = schema.get("items", {}) or {}
        lo = int(schema.get("minItems", 0))
        hi = int(schema.get("maxItems", max(lo, 3)))
        id_enum = _id_enum(item)
        if id_enum is not None:
            field, enum = id_enum
            if name == "items":  # a batch: one entry per id
                ids = self._fresh(enum, hi)
            else:
                ids = self._fresh(enum, max(lo, min(hi, max(1, len(enum) // 4))))
            entries = []
            for i in ids:
                entry = self.value(item, "")
                entry[field] = i
                entries.append(entry)
            return entries
        if "enum" in item:
            want = max(lo, min(hi, 1 + self.rng.randrange(2)))
            return self._fresh(list(item["enum"]), want)
        n = max(lo, min(hi, 2))
        out: list[Any] = []
        for _ in range(n * 3):
            if len(out) == n:
                break
            v = self.value(item, name)
            if v not in out:
                out.append(v)
        return out


def _id_enum(item: dict[str, Any]) -> tuple[str, list[Any]] | None:
    """``(field, enum)`` when ``item`` is an object whose required id field has an enum."""
    if item.get("type") != "object":
        return None
    for field in item.get("required", []):
        sub = (item.get("properties") or {}).get(field, {})
        if field.endswith("_id") and "enum" in sub:
            return field, list(sub["enum"])
    return None


def plausible_answer(schema: dict[str, Any], text: str = "", *, seed: int = 0) -> Any:
    """A value valid against ``schema`` that also passes the built-in tasks' checks,
    built from the request ``text`` (see the module docstring)."""
    return _Builder(text, seed).value(schema or {"type": "object"})
