"""Report sections about the recommender: metrics tables, cold/warm bars, gains.

Reads ``metrics.json`` (``augment.evaluation.evaluate`` shape:
``{"split", "seed", "k", "models": {name: {"cold": {...}, "warm": {...}, "all": {...}}}}``).
Any metric names are shown; the charts use ``recall@<largest k>``.
"""

from __future__ import annotations

import re
from typing import Any

from augment.report.blocks import Block, Figure, NotRun, Section, Table, Text
from augment.report.plots import grouped_bars

__all__ = ["metrics_sections", "MODEL_ORDER", "GAIN_PAIRS", "headline_metric"]

SEGMENTS = ("cold", "warm", "all")
MODEL_ORDER = ("random", "popularity", "content_knn", "als", "als+content", "als+attributes",
               "als+pseudo", "als+augmented")
GAIN_PAIRS = (("als+attributes", ("als+content", "als")),
              ("als+pseudo", ("als", "als+content")),
              ("als+augmented", ("als+content", "als")))
"""Each augmented variant and the baselines its gain is measured against (primary first)."""


def _ordered(models: dict[str, Any]) -> list[str]:
    known = [m for m in MODEL_ORDER if m in models]
    return known + sorted(m for m in models if m not in MODEL_ORDER)


METRIC_ORDER = ("recall", "ndcg", "hit_rate", "precision", "coverage", "popularity")


def _metric_sort_key(name: str) -> tuple:
    base, _, k = name.partition("@")
    rank = METRIC_ORDER.index(base) if base in METRIC_ORDER else len(METRIC_ORDER)
    return (rank, base, int(k) if k.isdigit() else 0)


def headline_metric(metrics: dict[str, Any], base: str = "recall") -> str | None:
    """``recall@<largest k>`` if any model reports it, else the first ``recall@*``."""
    names = {m for model in metrics.get("models", {}).values() if isinstance(model, dict)
             for seg in model.values() if isinstance(seg, dict) for m in seg}
    ks = sorted((int(k) for k in metrics.get("k", []) if str(k).isdigit()), reverse=True)
    for k in ks:
        if f"{base}@{k}" in names:
            return f"{base}@{k}"
    found = sorted((n for n in names if re.fullmatch(rf"{base}@\d+", n)), key=_metric_sort_key)
    return found[-1] if found else None


def _value(metrics: dict[str, Any], model: str, segment: str, metric: str) -> float | None:
    value = metrics.get("models", {}).get(model, {}).get(segment, {}).get(metric)
    return float(value) if isinstance(value, int | float) and value == value else None


def _tables(metrics: dict[str, Any]) -> list:
    models = metrics.get("models", {})
    blocks: list = []
    for segment in SEGMENTS:
        names = sorted({m for model in models.values() for m in model.get(segment, {})},
                       key=_metric_sort_key)
        if not names:
            blocks.append(NotRun(f"{segment} segment: no metrics"))
            continue
        rows = [[model] + [_value(metrics, model, segment, n) for n in names]
                for model in _ordered(models)]
        blocks.append(Table(["model"] + names, rows, caption=f"{segment} users/items"))
    return blocks


def _cold_warm_figure(metrics: dict[str, Any], metric: str) -> Figure:
    models = _ordered(metrics.get("models", {}))
    series = {seg: [_value(metrics, m, seg, metric) for m in models] for seg in ("cold", "warm")}
    png = grouped_bars(models, series, title=f"{metric}: cold vs warm", ylabel=metric)
    return Figure("cold_warm", png, f"Bar chart of {metric} for cold and warm, per model")


def _gain(value: float | None, base: float | None) -> str:
    if value is None or base is None:
        return "—"
    diff = value - base
    rel = f" ({diff / base:+.0%})" if base > 0 else ""
    return f"{diff:+.4f}{rel}"


def _gains(metrics: dict[str, Any]) -> list:
    models = metrics.get("models", {})
    headlines = [headline_metric(metrics, "recall"), headline_metric(metrics, "ndcg")]
    primary = [m for m in headlines if m]
    present = [(v, bases) for v, bases in GAIN_PAIRS if v in models]
    if not present or not primary:
        return [NotRun("augmented variants (als+attributes, als+pseudo, als+augmented): "
                       "no augmentation was evaluated in this run")]
    header = ["variant", "segment", "metric", "value"]
    baselines = sorted({b for _, bases in present for b in bases}, key=MODEL_ORDER.index)
    header += [f"vs {b}" for b in baselines]
    rows = []
    for variant, _bases in present:
        for segment in ("cold", "all"):
            for metric in primary:
                value = _value(metrics, variant, segment, metric)
                rows.append([variant, segment, metric, value] +
                            [_gain(value, _value(metrics, b, segment, metric)) if b in models
                             else "not run" for b in baselines])
    return [Text("Absolute difference to each baseline, relative change in brackets."),
            Table(header, rows, caption="gain of augmented variants")]


def metrics_sections(metrics: dict[str, Any] | None) -> list[Section]:
    """Metrics, cold-vs-warm and gains sections (each "not run" when absent)."""
    if not metrics or not metrics.get("models"):
        missing = "evaluation: no metrics.json in the run folder"
        return [Section("Metrics", [NotRun(missing)]), Section("Cold vs warm", [NotRun(missing)]),
                Section("Gain from augmentation", [NotRun(missing)])]
    info = [f"split: {metrics.get('split', '?')}", f"seed: {metrics.get('seed', '?')}",
            f"k: {', '.join(str(k) for k in metrics.get('k', []))}"]
    headline = headline_metric(metrics)
    cold_warm: list[Block] = ([_cold_warm_figure(metrics, headline)] if headline
                 else [NotRun("cold vs warm chart: no recall@k metric")])
    return [Section("Metrics", [Text("; ".join(info)), *_tables(metrics)]),
            Section("Cold vs warm", cold_warm),
            Section("Gain from augmentation", _gains(metrics))]
