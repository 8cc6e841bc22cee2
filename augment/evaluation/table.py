"""A readable table of evaluation metrics."""

from __future__ import annotations

from typing import Any

__all__ = ["format_table"]

_SHORT = {"recall": "recall", "recall_capped": "rcap", "ndcg": "ndcg", "hit_rate": "hit", "precision": "prec",
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
    widths = [max(len(r[i]) for r in [header] + rows) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(c.ljust(w) if i < 2 else c.rjust(w)
                                 for i, (c, w) in enumerate(zip(cells, widths, strict=True))) + " |"

    sep = "|" + "|".join(("-" * (w + 2)) if i < 2 else ("-" * (w + 1) + ":")
                         for i, w in enumerate(widths)) + "|"
    title = f"split={metrics['split']} seed={metrics['seed']}"
    return "\n".join([title, "", line(header), sep] + [line(r) for r in rows])
