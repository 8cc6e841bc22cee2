"""Readable text tables: the one formatter, and the table of evaluation metrics."""

from __future__ import annotations

from typing import Any

__all__ = ["format_table", "text_table"]

_SHORT = {"recall": "recall", "recall_capped": "rcap", "ndcg": "ndcg", "hit_rate": "hit",
          "precision": "prec",
          "coverage": "cov", "popularity": "pop"}


def format_table(metrics: dict[str, Any]) -> str:
    """A Markdown table: one row per (segment, model), one column per metric@k."""
    ks = metrics["k"]
    cols = [(m, k) for m in _SHORT for k in ks]
    header = ["segment", "model"] + [f"{_SHORT[m]}@{k}" for m, k in cols]
    rows = []
    models = metrics["models"]
    segments = list(next(iter(models.values())).keys()) if models else []
    for seg in segments:
        for name, per_seg in models.items():
            vals = per_seg.get(seg, {})
            cells = [("-" if vals.get(f"{m}@{k}") is None else f"{vals[f'{m}@{k}']:.4f}")
                     for m, k in cols]
            rows.append([seg, name] + cells)
    title = f"split={metrics['split']} seed={metrics['seed']}"
    return "\n".join([title, "", text_table([header, *rows], n_left=2, markdown=True)])


def text_table(rows: list[list[str]], *, n_left: int = 1, markdown: bool = False) -> str:
    """``rows`` (the first is the header) as aligned text: the first ``n_left`` columns
    left-aligned, the others right-aligned; as a Markdown table, or columns two spaces
    apart."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]

    def cells(row: list[str]) -> list[str]:
        return [c.ljust(w) if i < n_left else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))]

    if not markdown:
        return "\n".join("  ".join(cells(r)) for r in rows)
    sep = "|" + "|".join(("-" * (w + 2)) if i < n_left else ("-" * (w + 1) + ":")
                         for i, w in enumerate(widths)) + "|"
    lines = ["| " + " | ".join(cells(r)) + " |" for r in rows]
    return "\n".join([lines[0], sep, *lines[1:]])
