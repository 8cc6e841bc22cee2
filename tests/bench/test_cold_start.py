"""A tiny run of bench/cold_start.py's main on a synthetic catalog (both splits, 2 noises)."""

from __future__ import annotations

import json

import pytest

KEYS = {"split", "seed", "provider", "noise", "model", "segment", "recall@10", "recall@20",
        "ndcg@10", "ndcg@20"}


@pytest.mark.slow
def test_smoke_run_writes_every_part(catalog, tmp_path):
    from bench.cold_start import main

    out = main(["--seeds", "0", "1", "--noise", "0", "0.5", "--skip-local", "--factors", "8",
                "--candidates", "20", "--out", str(tmp_path)], dataset=catalog)
    saved = json.loads((tmp_path / "cold_start.json").read_text())
    assert saved["rows"] and all(set(r) >= KEYS for r in saved["rows"])
    models = {(r["split"], r["provider"], r["model"]) for r in saved["rows"]}
    for kind in ("item-cold", "user-cold"):
        for m in ("random", "popularity", "content_knn", "als", "als+content"):
            assert (kind, "none", m) in models
        for m in ("als+attributes", "als+pseudo", "als+augmented"):
            assert (kind, "simulated", m) in models
        assert (kind, "ceiling", "als+oracle") in models
        # every oracle pair as data, noise-free: never below the unaugmented model
        cold = {(r["provider"], r["noise"], r["model"], r["seed"]): r["recall@20"]
                for r in saved["rows"] if r["split"] == kind and r["segment"] == "cold"}
        for seed in (0, 1):
            assert cold[("ceiling", None, "als+oracle", seed)] >= cold[
                ("none", None, "als+content", seed)]
    assert len(saved["choices"]) == 2 * 2 * 2  # splits x seeds x noise levels
    assert all(c["weight"] in (0.0, 0.3, 1.0, 3.0) for c in saved["choices"])
    assert {q["kind"] for q in saved["quality"]} == {"genres", "pseudo_interactions"}
    genres = [q for q in saved["quality"] if q["kind"] == "genres" and q["noise"] == 0]
    assert all(q["precision"] == 1.0 and q["recall"] == 1.0 for q in genres)
    assert all(c["max_abs_diff"] == 0 for c in saved["protocol_check"])
    entry = next(e for e in saved["summary"] if e["model"] == "als" and e["segment"] == "warm")
    assert entry["n_seeds"] == 2 and entry["recall@20"]["std"] is not None
    assert set(out["goals"]["all_met"]) >= {"auto_cold_not_below_content",
                                            "auto_warm_within_2pct"}
    md = (tmp_path / "cold_start.md").read_text()
    assert "## item-cold" in md and "## user-cold" in md and "± " in md and "## Goals" in md
