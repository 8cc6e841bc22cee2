"""Render report sections to Markdown (figures as files under ``plots/``).

Model output can contain anything: table cells escape ``|``, ``<``, ``>``, ``&``
and newlines; code blocks (JSON) write ``<``, ``>`` and ``&`` as JSON escapes and use a
fence longer than any backtick run inside.
"""

from __future__ import annotations

import re

from augment.report.blocks import Code, Figure, NotRun, Section, Table, Text, fmt

__all__ = ["render_markdown"]


def _cell(value: object) -> str:
    text = fmt(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def _inline(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_safe(text: str) -> str:
    """JSON text with ``<``, ``>`` and ``&`` as JSON escapes (same value, no raw markup:
    a viewer that renders HTML inside Markdown finds no tag to run)."""
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(title: str, sections: list[Section], figure_paths: dict[str, str]) -> str:
    """The report as Markdown; ``figure_paths`` maps a figure name to its relative path."""
    out = [f"# {_inline(title)}", ""]
    out += ["Contents: " + " · ".join(f"[{s.title}](#{s.anchor})" for s in sections), ""]
    for section in sections:
        out += [f"## {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Text):
                prefix = "> **Warning:** " if block.kind == "warning" else ""
                out += [prefix + _inline(block.text), ""]
            elif isinstance(block, NotRun):
                out += [f"*Not run:* {_inline(block.what)}", ""]
            elif isinstance(block, Table):
                if block.caption:
                    out += [f"**{_inline(block.caption)}**", ""]
                out.append("| " + " | ".join(_cell(h) for h in block.header) + " |")
                out.append("|" + "|".join("---" for _ in block.header) + "|")
                out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in block.rows]
                out.append("")
            elif isinstance(block, Figure):
                out += [f"![{_inline(block.alt)}]({figure_paths[block.name]})", ""]
            elif isinstance(block, Code):
                if block.label:
                    out += [f"*{_cell(block.label)}*", ""]
                text = _json_safe(block.text)
                fence = _fence(text)
                out += [fence + "json", text, fence, ""]
    return "\n".join(out)
