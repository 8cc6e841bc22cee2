"""The scale benchmark's measurement: stage rows, per-stage peak RSS, slopes."""

from __future__ import annotations

import json

import pytest

from bench._stages import run_size
from bench.scale import END_TO_END, slope, summarize


def test_slope_of_power_laws():
    xs = [1e4, 1e5, 1e6]
    assert slope(xs, [x * 2e-4 for x in xs]) == pytest.approx(1.0)
    assert slope(xs, [(x / 1e4) ** 2 for x in xs]) == pytest.approx(2.0)
    assert slope(xs, [3.0, 3.0, 3.0]) == pytest.approx(0.0)
    assert slope([5, 5], [1, 2]) is None


def test_summarize_end_to_end_and_peak():
    rows = [{"stage": s, "n_interactions": n, "n_targets": 10, "wall_s": w * n / 1000,
             "cpu_s": w * n / 2000, "peak_rss_mb": 100 + n / 100}
            for n in (1000, 10_000) for s, w in zip(END_TO_END, range(1, 10), strict=True)]
    out = summarize(rows)
    assert out["slopes"]["als"] == pytest.approx(1.0)
    assert out["cpu_slopes"]["load"] == pytest.approx(1.0)
    last = out["per_size"][-1]
    assert last["complete"] and last["end_to_end_s"] == pytest.approx(sum(range(1, 10)) * 10)
    assert last["peak_rss_mb"] == pytest.approx(200)


@pytest.mark.slow
def test_run_size_writes_every_stage(tmp_path):
    out = tmp_path / "rows.jsonl"
    run_size(3_000, out, tmp_path / "work", n_targets=20, eval_users=60, folds=3)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    stages = [r["stage"] for r in rows]
    assert stages == ["synthesize", "load", "split", "retrieval", "work_items", "estimate",
                      "generate", "resume", "enrich", "als", "evaluate", "report"]
    by = {r["stage"]: r for r in rows}
    assert by["generate"]["n_records"] + by["generate"]["n_failures"] == by["work_items"][
        "n_work_items"]
    assert by["resume"]["n_cached"] == by["generate"]["n_records"]
    assert all(r["peak_rss_mb"] > 50 and r["wall_s"] >= 0 for r in rows)
    assert by["load"]["n_interactions"] == 3_000 and by["load"]["n_users"] > 0
    mean, low, high = by["evaluate"]["ci"]["all recall@20"]
    assert low <= mean <= high
    assert (tmp_path / "work" / "run" / "report.html").exists()
