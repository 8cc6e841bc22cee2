"""A tiny run of bench/cold_start.py's main on a synthetic catalog: the output contract."""

from __future__ import annotations

import json

import pytest

ROW_KEYS = {"split", "seed", "fold", "model", "generator", "precision", "segment", "recall@10",
            "recall@20", "ndcg@10", "ndcg@20", "n_users"}
RATIO_KEYS = {"split", "generator", "precision", "vs", "ratio", "ci_low", "ci_high", "n_users"}


@pytest.mark.slow
def test_smoke_run_writes_the_contract(catalog, tmp_path):
    from bench.cold_start import main

    main(["--seeds", "0", "--folds", "5", "--only-folds", "0", "1", "--precisions", "1", "0",
          "--picks", "4", "--candidates", "20", "--user-rounds", "2", "--world-shares", "0.4",
          "--skip-local", "--factors", "8", "--bootstrap", "200", "--out", str(tmp_path)],
         dataset=catalog)
    saved = json.loads((tmp_path / "cold_start.json").read_text())
    assert saved["protocol"]["item-cold"]["recall"] == "hits@k / |relevant|"
    assert "all cold items" in saved["protocol"]["item-cold"]["candidates"]["cold"]
    assert saved["rows"] and all(set(r) >= ROW_KEYS for r in saved["rows"])
    assert {r["generator"] for r in saved["rows"]} == {"none", "llm_free", "oracle", "world"}
    assert {r["fold"] for r in saved["rows"] if r["split"] == "user-cold"} == {0, 1}
    assert all(set(r) >= RATIO_KEYS for r in saved["ratios"])
    for kind in ("item-cold", "user-cold"):
        assert kind in saved["break_even"]
        best = saved["best_llm_free"][kind]
        valid = saved["best_llm_free_validation"][kind]
        assert valid[best] == max(valid.values())  # chosen on validation
        ratios = {(r["generator"], r["precision"], r["vs"]): r for r in saved["ratios"]
                  if r["split"] == kind and r["world_share"] is None}
        assert ratios[("oracle", 1.0, "best_llm_free")]["ci_low"] <= ratios[
            ("oracle", 1.0, "best_llm_free")]["ratio"] <= ratios[
            ("oracle", 1.0, "best_llm_free")]["ci_high"]
        # the oracle's picks are as precise as set: all real at p = 1, none at p = 0
        prec = {q["precision"]: q["pick_precision"] for q in saved["quality"]
                if q["split"] == kind and q["generator"] == "oracle"}
        assert prec[1.0] == 1.0 and prec[0.0] == 0.0
        assert any(r["generator"] == "world" and r["split"] == kind for r in saved["ratios"])
        assert set(saved["goals"]) >= {f"break_even_{kind}", f"p0_{kind}",
                                       f"p1_vs_ceiling_{kind}", f"world_{kind}"}
    # every request budget is at most 5 per cold target
    assert all(q["requests_per_target"] <= 5 for q in saved["quality"])
    md = (tmp_path / "cold_start.md").read_text()
    assert "## item-cold" in md and "## user-cold" in md and "## Goals" in md and "[" in md
    assert (tmp_path / "cold_start_break_even.png").stat().st_size > 1000
