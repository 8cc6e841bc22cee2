"""The neutral pieces of a report, rendered alike to Markdown and HTML.

A report is a list of :class:`Section`; each holds blocks: text, tables,
figures (PNG bytes), code (model output, always shown verbatim and escaped)
and "not run" notes for pieces the run folder does not have yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Text", "Table", "Figure", "Code", "NotRun", "Section", "Block"]


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text (escaped on output)."""

    text: str
    kind: str = "p"
    """"p" or "warning" (rendered as a highlighted box)."""


@dataclass(frozen=True)
class Table:
    """A table of plain values; floats are formatted by the renderer."""

    header: list[str]
    rows: list[list[Any]]
    caption: str | None = None
    highlight_first_column: bool = True


@dataclass(frozen=True)
class Figure:
    """A PNG image: embedded as a data URI in HTML, a file next to report.md."""

    name: str
    """File stem, e.g. "cold_warm" -> plots/cold_warm.png."""
    png: bytes
    alt: str


@dataclass(frozen=True)
class Code:
    """Verbatim text (a sample record): never interpreted, always escaped."""

    text: str
    label: str | None = None


@dataclass(frozen=True)
class NotRun:
    """A piece of the run that is missing: shown as "not run" with the reason."""

    what: str


Block = Text | Table | Figure | Code | NotRun


@dataclass
class Section:
    """A titled part of the report."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    anchor: str = ""

    def __post_init__(self) -> None:
        if not self.anchor:
            self.anchor = "".join(c if c.isalnum() else "-" for c in self.title.lower()).strip("-")


def fmt(value: Any) -> str:
    """A table cell as text: floats to 4 significant digits, None as an em dash."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:
            return "—"
        if value == 0:
            return "0"
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) < 1e-4:
            return f"{value:.1e}"
        if abs(value) <= 1:
            return f"{value:.4f}"
        return f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
