"""Render report sections to one self-contained HTML page.

Inline CSS, figures as ``data:image/png;base64`` URIs, no script and no
external asset; a Content-Security-Policy forbids both anyway. Every piece of
text goes through ``html.escape``: sample records are model output.
"""

from __future__ import annotations

import base64
import re
from html import escape

from augment.report.blocks import Code, Figure, NotRun, Section, Table, Text, fmt

__all__ = ["render_html"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;
 margin:0;background:#f6f8fa}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:0 0 4px}h2{font-size:20px;margin:32px 0 12px;padding-bottom:4px;
 border-bottom:1px solid #d0d7de}
nav{font-size:13px;margin:8px 0 16px}nav a{margin-right:12px;color:#0969da;text-decoration:none}
.sub{color:#59636e;font-size:13px;margin:0 0 8px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px;
 font-variant-numeric:tabular-nums}
caption{caption-side:top;white-space:nowrap;text-align:left;font-weight:600;padding:4px 0;
 color:#3d444d}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:right;vertical-align:top}
th{background:#f0f3f6;max-width:72px}
.scroll{overflow-x:auto;max-width:100%}td.first,th.first{text-align:left;font-weight:600}
td.text,th.text{text-align:left;max-width:520px;overflow-wrap:anywhere;font-weight:400}
tr:nth-child(even) td{background:#fafbfc}
.warning{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px;border-radius:6px}
.notrun{color:#59636e;font-style:italic;background:#f6f8fa;border:1px dashed #d0d7de;
 padding:6px 10px;border-radius:6px;display:inline-block}
figure{margin:8px 0 20px}img{max-width:100%;height:auto}
.sample{margin:8px 0 16px}.sample .label{font-size:12px;color:#59636e;margin-bottom:2px}
pre{background:#f6f8fa;border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;
 font-size:12px;white-space:pre-wrap;overflow-wrap:anywhere;margin:0;max-height:320px;
 overflow:auto}
"""


_NUMERIC_TEXT = re.compile(r"[+-]?[\d,.]+%?(?: \([+-]?[\d,.]+%\))?")


def _is_number(value: object) -> bool:
    """Numbers and numeric text ("83.3%", "+0.01 (+5%)") are right-aligned."""
    if isinstance(value, str):
        return bool(_NUMERIC_TEXT.fullmatch(value))
    return isinstance(value, int | float) and not isinstance(value, bool)


def _table(block: Table) -> str:
    parts = ['<div class="scroll"><table>']
    if block.caption:
        parts.append(f"<caption>{escape(block.caption)}</caption>")
    numeric = [any(_is_number(row[i]) for row in block.rows if i < len(row))
               for i in range(len(block.header))]
    head = []
    for i, h in enumerate(block.header):
        cls = ("first" if i == 0 and block.highlight_first_column
               else "" if numeric[i] else "text")
        label = escape(str(h)).replace("@", "<wbr>@")
        head.append(f'<th{f" class={cls}" if cls else ""}>{label}</th>')
    parts.append(f"<thead><tr>{''.join(head)}</tr></thead><tbody>")
    for row in block.rows:
        cells = []
        for i, value in enumerate(row):
            cls = ("first" if i == 0 and block.highlight_first_column
                   else "" if _is_number(value) or (value is None and numeric[i]) else "text")
            attr = f' class="{cls}"' if cls else ""
            cells.append(f"<td{attr}>{escape(fmt(value))}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return "".join(parts)


def _block(block: object) -> str:
    if isinstance(block, Text):
        cls = ' class="warning"' if block.kind == "warning" else ""
        return f"<p{cls}>{escape(block.text)}</p>"
    if isinstance(block, NotRun):
        return f'<p class="notrun">Not run: {escape(block.what)}</p>'
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        data = base64.b64encode(block.png).decode("ascii")
        return (f'<figure><img alt="{escape(block.alt)}" '
                f'src="data:image/png;base64,{data}"></figure>')
    if isinstance(block, Code):
        label = f'<div class="label">{escape(block.label)}</div>' if block.label else ""
        return f'<div class="sample">{label}<pre>{escape(block.text)}</pre></div>'
    raise TypeError(f"unknown report block {type(block).__name__}")


def render_html(title: str, subtitle: str, sections: list[Section]) -> str:
    """The whole report as one HTML document."""
    nav = "".join(f'<a href="#{escape(s.anchor)}">{escape(s.title)}</a>' for s in sections)
    body = []
    for section in sections:
        body.append(f'<section id="{escape(section.anchor)}"><h2>{escape(section.title)}</h2>')
        body += [_block(b) for b in section.blocks]
        body.append("</section>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>"
            f"<h1>{escape(title)}</h1><p class=\"sub\">{escape(subtitle)}</p><nav>{nav}</nav>"
            + "\n".join(body) + "</main></body></html>\n")
