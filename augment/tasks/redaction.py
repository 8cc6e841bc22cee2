"""Redact personal data from text before it is sent to a model.

Catalog text (descriptions, tags, reviews) sometimes holds e-mail addresses,
phone numbers, credentials in URLs or IP addresses. None of it helps a model
describe an item, so it is replaced by a placeholder before any prompt is built.
The patterns are deliberately conservative: a year (``1995``) or a rating
(``4.5``) is never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["redact", "Redactor", "REDACTION_PATTERNS"]

# Order matters: credentials inside URLs before e-mails (user:pass@host looks like one).
REDACTION_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("url_userinfo",
     re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)[^\s/@:]+(?::[^\s/@]*)?@"),
     r"\g<scheme>[REDACTED]@"),
    ("email",
     re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"),
     "[EMAIL]"),
    ("ipv4",
     re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
     "[IP]"),
    ("ipv6",
     re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"),
     "[IP]"),
    # Phone numbers: an optional +country code, then 7+ digits grouped by spaces,
    # dots, dashes or parentheses; at least 9 digits in total so years and
    # ranges like "1990-1995" survive.
    ("phone",
     re.compile(r"(?<![\w.])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{1,4}\)[\s.\-]?)?\d{2,4}(?:[\s.\-]\d{2,4}){1,4}(?![\w.])"),
     "[PHONE]"),
)


def _is_phone(match: str) -> bool:
    digits = sum(ch.isdigit() for ch in match)
    return digits >= 9


@dataclass(frozen=True)
class Redactor:
    """Replace personal data with placeholders; counts what it replaced.

    ``kinds`` selects patterns by name (default: all of :data:`REDACTION_PATTERNS`).
    """

    kinds: tuple[str, ...] = tuple(name for name, _, _ in REDACTION_PATTERNS)

    def __call__(self, text: str) -> str:
        return self.redact(text)[0]

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """The redacted text and how many matches of each kind were replaced."""
        counts: dict[str, int] = {}
        for name, pattern, repl in REDACTION_PATTERNS:
            if name not in self.kinds:
                continue
            if name == "phone":
                def _sub(m: re.Match[str]) -> str:
                    if _is_phone(m.group(0)):
                        counts["phone"] = counts.get("phone", 0) + 1
                        return "[PHONE]"
                    return m.group(0)
                text = pattern.sub(_sub, text)
                continue
            text, n = pattern.subn(repl, text)
            if n:
                counts[name] = counts.get(name, 0) + n
        return text, counts


_DEFAULT = Redactor()


@lru_cache(maxsize=65536)
def redact(text: str) -> str:
    """``text`` with e-mails, phone numbers, URL credentials and IP addresses replaced.

    Cached: catalog strings (titles, genres) repeat across many prompts.
    """
    return _DEFAULT(text)
