"""Redact personal data from text before it is sent to a model.

Catalog text (descriptions, tags, reviews) sometimes holds e-mail addresses,
phone numbers, credentials in URLs, API keys, IP addresses, national id numbers or
street addresses. None of it helps a model describe an item, so it is replaced by a
placeholder before any prompt is built, after the text is normalised (NFKC, no
zero-width, bidi-control or other control characters). A year (``1995``), a range
(``1990-1995``) or a rating (``4.5``) is never touched. Which kinds were redacted is
kept in each record's provenance (``redacted``, see :func:`redacted_kinds`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["redact", "Redactor", "REDACTION_PATTERNS", "normalize_text", "redacted_kinds",
           "PLACEHOLDERS"]

_SEP = r"[\s.\-]"
# Order matters: secrets first (they contain digits and dots), credentials inside URLs
# before e-mails (user:pass@host looks like one), ids before phones (an SSN looks like one).
REDACTION_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("secret",
     re.compile(r"\b(?:sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}|AKIA[0-9A-Z]{16}|"
                r"gh[pousr]_[A-Za-z0-9]{30,}|xox[abprs]-[A-Za-z0-9\-]{10,}|"
                r"AIza[0-9A-Za-z_\-]{30,})|\bBearer\s+[A-Za-z0-9\-._~+/]{12,}=*",
                re.IGNORECASE),
     "[SECRET]"),
    ("url_userinfo",
     re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*://)[^\s/@:]+(?::[^\s/@]*)?@"),
     r"\g<scheme>[REDACTED]@"),
    ("email",
     re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"),
     "[EMAIL]"),
    ("ipv6",
     re.compile(r"(?<!\w)(?<![0-9a-fA-F]:)(?:(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}|"
                r"(?:[0-9a-fA-F]{1,4}:){1,7}:(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?|"
                r"::(?:[0-9a-fA-F]{1,4}:){0,6}[0-9a-fA-F]{1,4})(?!\w|:[0-9a-fA-F])"),
     "[IP]"),
    ("ipv4",
     re.compile(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b"),
     "[IP]"),
    # National id numbers: US SSN-shaped (123-45-6789) and UK NI-shaped (QQ 12 34 56 C).
    ("national_id",
     re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])|"
                r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b"),
     "[ID]"),
    ("address",
     re.compile(r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][A-Za-z'\-]+\s+){1,3}(?:Street|St|Avenue|Ave|"
                r"Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
                r"Square|Sq|Close|Crescent|Highway|Hwy|Parkway|Pkwy)\b\.?"),
     "[ADDRESS]"),
    # Phone numbers: an optional +country code, then digits grouped by spaces, dots,
    # dashes or parentheses, at least 9 digits in all so years and ranges like
    # "1990-1995" survive; a sentence's full stop may follow.
    ("phone",
     re.compile(r"(?<!\w)(?<!\d[.\-])(?:\+\d{1,3}" + _SEP + r"?)?(?:\(\d{1,4}\)" + _SEP
                + r"?)?\d{2,4}(?:" + _SEP + r"{1,2}\d{2,4}){1,4}(?!\w)(?![.\-]\d)"),
     "[PHONE]"),
    # Phones written without separators: 10 to 15 digits (an optional +).
    ("phone_compact",
     re.compile(r"(?<![\w+.])\+?\d{10,15}(?![\w]|[.\-]\d)"),
     "[PHONE]"),
)

_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c\ufeff\u00ad"
                        "\u180e\u034f]")
"""Zero-width and bidirectional-control characters (they can hide or reorder text)."""


def normalize_text(text: str) -> str:
    """``text`` in NFKC form without zero-width, bidi-control or other control characters
    (newlines and tabs become spaces): what is sent is what a reader sees, and
    look-alike digits (full-width, say) are plain digits that redaction can find."""
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    return "".join(" " if ch in "\t\n\r" else ch for ch in text
                   if ch in "\t\n\r" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))


def _is_phone(match: str) -> bool:
    return sum(ch.isdigit() for ch in match) >= 9


@dataclass(frozen=True)
class Redactor:
    """Replace personal data with placeholders; counts what it replaced.

    ``kinds`` selects patterns by name (default: all of :data:`REDACTION_PATTERNS`).
    """

    kinds: tuple[str, ...] = tuple(name for name, _, _ in REDACTION_PATTERNS)

    def __call__(self, text: str) -> str:
        return self.redact(text)[0]

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """The normalised, redacted text and how many matches of each kind were replaced."""
        counts: dict[str, int] = {}
        text = normalize_text(text)
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
                key = "phone" if name == "phone_compact" else name
                counts[key] = counts.get(key, 0) + n
        return text, counts


PLACEHOLDERS: dict[str, str] = {
    "[SECRET]": "secret", "[REDACTED]@": "url_userinfo", "[EMAIL]": "email", "[IP]": "ip",
    "[ID]": "national_id", "[ADDRESS]": "address", "[PHONE]": "phone"}
"""Placeholder -> kind of personal data it replaced."""


def redacted_kinds(text: str) -> list[str]:
    """The kinds of personal data redacted in ``text`` (read from its placeholders)."""
    return sorted({kind for mark, kind in PLACEHOLDERS.items() if mark in text})


_DEFAULT = Redactor()


@lru_cache(maxsize=65536)
def redact(text: str) -> str:
    """``text`` normalised, with secrets, e-mails, phone numbers, URL credentials, IP
    addresses, national ids and street addresses replaced.

    Cached: catalog strings (titles, genres) repeat across many prompts.
    """
    return _DEFAULT(text)
