"""Report plots as PNG bytes.

Uses matplotlib's Agg canvas directly (``Figure`` + ``FigureCanvasAgg``), never
``pyplot``: no global backend switch, no window, safe in notebooks and threads.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

__all__ = ["grouped_bars", "stacked_bars"]

_COLORS = ("#3b6ea8", "#e08a2c", "#5a9e5a", "#b5485d", "#7d64a8", "#8c8c8c")


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return buffer.getvalue()


def _new(width: float, height: float) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height))
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)
    return fig, ax


def grouped_bars(categories: Sequence[str], series: Mapping[str, Sequence[float | None]], *,
                 title: str, ylabel: str, value_labels: bool = True,
                 size: tuple[float, float] | None = None) -> bytes:
    """One group of bars per category, one bar per series (None/NaN drawn as missing)."""
    width, height = size or (max(5.0, 0.9 * len(categories) * max(1, len(series)) ** 0.5 + 2),
                             3.4)
    fig, ax = _new(width, height)
    x = np.arange(len(categories))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        heights = np.array([np.nan if v is None else float(v) for v in values], dtype=float)
        bars = ax.bar(x + (i - (len(series) - 1) / 2) * width, np.nan_to_num(heights), width,
                      label=name, color=_COLORS[i % len(_COLORS)])
        if value_labels:
            for bar, h in zip(bars, heights, strict=True):
                ax.annotate("n/a" if np.isnan(h) else f"{h:.3g}",
                            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                            ha="center", va="bottom", fontsize=7, xytext=(0, 2),
                            textcoords="offset points")
    ax.set_xticks(x, list(categories), rotation=20 if len(categories) > 4 else 0, ha="right"
                  if len(categories) > 4 else "center", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.margins(y=0.15)
    if len(series) > 1:
        ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def stacked_bars(categories: Sequence[str], series: dict[str, Sequence[float]], *,
                 title: str, ylabel: str) -> bytes:
    """One stacked bar per category (e.g. input + output tokens per task)."""
    fig, ax = _new(max(4.5, 1.2 * len(categories) + 2), 3.0)
    bottom = np.zeros(len(categories))
    for i, (name, values) in enumerate(series.items()):
        heights = np.array([float(v or 0) for v in values])
        ax.bar(list(categories), heights, 0.6, bottom=bottom, label=name,
               color=_COLORS[i % len(_COLORS)])
        bottom += heights
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)
