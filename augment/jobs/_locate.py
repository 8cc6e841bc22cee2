"""Find where a key lives in TOML text, and suggest close names for typos.

``tomllib`` returns plain dicts without positions, so errors about a key find
its line by scanning the text: table headers (``[a.b]``, ``[[a]]``), ``key =``
lines (bare, quoted and dotted keys) and keys inside inline tables on the same
line. Multi-line strings are skipped. When a key path is absent (a required
key is missing) the line of its closest present parent is returned.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

__all__ = ["find_line", "suggest"]

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<name>[^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_ASSIGN = re.compile(r"^\s*(?P<key>(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*')"
                     r"(?:\s*\.\s*(?:[A-Za-z0-9_-]+|\"[^\"]*\"|'[^']*'))*)\s*=")


def _inline_key(name: str) -> str:
    n = re.escape(name)
    return r"[{,]\s*(?:" + n + r"|\"" + n + r"\"|'" + n + r"')\s*="


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)", text)
    return [a or b or c for a, b, c in parts]


def _key_lines(text: str) -> list[tuple[tuple[str, ...], int, str]]:
    """Every (full key path, 1-based line, raw line) defined in ``text``."""
    out: list[tuple[tuple[str, ...], int, str]] = []
    table: tuple[str, ...] = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline is not None:
            if line.count(in_multiline) % 2 == 1:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header:
            table = tuple(_split_key(header.group("name")))
            out.append((table, number, line))
            continue
        assign = _ASSIGN.match(line)
        if assign:
            path = table + tuple(_split_key(assign.group("key")))
            out.append((path, number, line))
            rest = line[assign.end():]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_multiline = quote
    return out


def find_line(text: str, path: Sequence[str | int]) -> int | None:
    """The 1-based line defining ``path`` (or its closest present parent), or None."""
    keys = tuple(str(p) for p in path if not isinstance(p, int))
    if not keys:
        return None
    lines = _key_lines(text)
    for depth in range(len(keys), 0, -1):
        prefix = keys[:depth]
        for found, number, _ in lines:
            if found == prefix:
                return number
        # the key may sit inside an inline table: ``params = {temperature = 2}``
        for found, number, raw in lines:
            if len(found) < depth and found == prefix[:len(found)]:
                tail = prefix[len(found):]
                if all(re.search(_inline_key(t), raw) for t in tail):
                    return number
    return None


def suggest(name: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a mistyped ``name``, if one is close enough."""
    matches = difflib.get_close_matches(name, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None
