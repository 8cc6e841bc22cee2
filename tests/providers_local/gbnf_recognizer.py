"""A small GBNF recognizer for tests: does a grammar accept a string? (no model needed).

Handles what our grammars use: literals, character classes (ranges, negation,
``\\xNN`` escapes), rule references, sequences, ``|``, groups and the ``?``, ``*``,
``+`` and ``{m,n}`` repetitions. Matching returns every end position reachable
from a start position (memoised per rule), so ambiguity is fine; the grammar
must not be left-recursive (ours are not).
"""

from __future__ import annotations

import re
from functools import cache

_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "]": "]", "[": "[", "-": "-",
        "/": "/", "^": "^"}


def _unescape(text: str, i: int) -> tuple[str, int]:
    """The character at ``text[i]`` (after a backslash) and the index after it."""
    c = text[i]
    if c == "x":
        return chr(int(text[i + 1:i + 3], 16)), i + 3
    if c == "u":
        return chr(int(text[i + 1:i + 5], 16)), i + 5
    return _ESC.get(c, c), i + 1


def _tokens(body: str) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c.isspace():
            i += 1
        elif c == '"':
            i += 1
            chars = []
            while body[i] != '"':
                if body[i] == "\\":
                    ch, i = _unescape(body, i + 1)
                else:
                    ch, i = body[i], i + 1
                chars.append(ch)
            out.append(("lit", "".join(chars)))
            i += 1
        elif c == "[":
            i += 1
            negate = body[i] == "^"
            i += negate
            ranges = []
            while body[i] != "]":
                if body[i] == "\\":
                    lo, i = _unescape(body, i + 1)
                else:
                    lo, i = body[i], i + 1
                hi = lo
                if body[i] == "-" and body[i + 1] != "]":
                    if body[i + 1] == "\\":
                        hi, i = _unescape(body, i + 2)
                    else:
                        hi, i = body[i + 1], i + 2
                ranges.append((lo, hi))
            out.append(("class", (negate, tuple(ranges))))
            i += 1
        elif c == "{":
            j = body.index("}", i)
            lo, _, hi = body[i + 1:j].partition(",")
            upper = int(hi) if hi else (None if "," in body[i:j] else int(lo))
            out.append(("rep", (int(lo or 0), upper)))
            i = j + 1
        elif c in "()|?*+":
            out.append((c, None))
            i += 1
        else:
            m = re.match(r"[A-Za-z0-9_-]+", body[i:])
            assert m, f"cannot parse {body[i:]!r}"
            out.append(("ref", m.group(0)))
            i += m.end()
    return out


def _parse_alt(toks: list, i: int) -> tuple[tuple, int]:
    alts = []
    seq, i = _parse_seq(toks, i)
    alts.append(seq)
    while i < len(toks) and toks[i][0] == "|":
        seq, i = _parse_seq(toks, i + 1)
        alts.append(seq)
    return ("alt", tuple(alts)), i


def _parse_seq(toks: list, i: int) -> tuple[tuple, int]:
    items = []
    while i < len(toks) and toks[i][0] not in ("|", ")"):
        kind, val = toks[i]
        if kind == "(":
            node, i = _parse_alt(toks, i + 1)
            assert toks[i][0] == ")"
            i += 1
        else:
            node, i = (kind, val), i + 1
        while i < len(toks) and toks[i][0] in ("?", "*", "+", "rep"):
            k, v = toks[i]
            lo, hi = {"?": (0, 1), "*": (0, None), "+": (1, None)}.get(k, v)  # type: ignore[arg-type]
            node = ("repeat", (node, lo, hi))
            i += 1
        items.append(node)
    return ("seq", tuple(items)), i


class Grammar:
    """``Grammar(gbnf_text).accepts(text)``; the start rule is ``root``."""

    def __init__(self, gbnf: str) -> None:
        self.rules: dict[str, tuple] = {}
        for line in gbnf.splitlines():
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            name, body = line.split(" ::= ", 1)
            node, i = _parse_alt(_tokens(body), 0)
            self.rules[name.strip()] = node

    def accepts(self, text: str, rule: str = "root") -> bool:
        @cache
        def match_rule(name: str, pos: int) -> frozenset[int]:
            return frozenset(match(self.rules[name], pos))

        def match(node: tuple, pos: int) -> set[int]:
            kind, val = node
            if kind == "lit":
                return {pos + len(val)} if text.startswith(val, pos) else set()
            if kind == "class":
                negate, ranges = val
                if pos >= len(text):
                    return set()
                inside = any(lo <= text[pos] <= hi for lo, hi in ranges)
                return {pos + 1} if inside != negate else set()
            if kind == "ref":
                return set(match_rule(val, pos))
            if kind == "alt":
                return set().union(*(match(a, pos) for a in val))
            if kind == "seq":
                ends = {pos}
                for item in val:
                    ends = set().union(*(match(item, p) for p in ends)) if ends else set()
                return ends
            sub, lo, hi = val
            ends, frontier, seen, n = ({pos} if lo == 0 else set()), {pos}, {pos}, 0
            while frontier and (hi is None or n < hi):
                frontier = set().union(*(match(sub, p) for p in frontier))
                if hi is None:  # unbounded: stop once no new position is reached
                    frontier -= seen
                    seen |= frontier
                n += 1
                if n >= lo:
                    ends |= frontier
            return ends

        return len(text) in match_rule(rule, 0)
