"""bench/probe.py: its agreement rule, and a tiny run on a tiny cold-start result."""

from __future__ import annotations

import json

import pytest

ROW_KEYS = {"split", "generator", "precision", "probe_verdict", "full_gain", "full_ci_low",
            "agree", "probe_calls", "full_calls"}


def test_only_a_definite_verdict_that_matches_the_full_answer_agrees():
    from bench.probe import agrees

    assert agrees("go", 1.02) and agrees("no-go", 1.0) and agrees("no-go", 0.9)
    assert not agrees("go", 1.0) and not agrees("no-go", 1.2)
    assert not agrees("unclear", 1.2) and not agrees("unclear", 0.8)


@pytest.mark.slow
def test_a_tiny_run_compares_every_generator_with_the_full_answer(catalog, tmp_path):
    from bench.cold_start import main as cold_start
    from bench.probe import agrees, main

    cold_start(["--seeds", "0", "--folds", "5", "--only-folds", "0", "--precisions", "1", "0",
                "--picks", "4", "--candidates", "20", "--user-rounds", "2",
                "--world-shares", "0.4", "--skip-local", "--factors", "8", "--bootstrap", "200",
                "--jobs", "1", "--out", str(tmp_path)], dataset=catalog)
    out = main(["--cold-start", str(tmp_path / "cold_start.json"), "--share", "0.3",
                "--out", str(tmp_path)], dataset=catalog)
    saved = json.loads((tmp_path / "probe.json").read_text())
    assert saved["rows"] == json.loads(json.dumps(out["rows"], default=str))
    got = {(r["split"], r["generator"], r["precision"]) for r in saved["rows"]}
    assert got == {(s, "oracle", p) for s in ("item-cold", "user-cold") for p in (1.0, 0.0)} | {
        (s, "world", None) for s in ("item-cold", "user-cold")}
    for r in saved["rows"]:
        assert set(r) >= ROW_KEYS
        assert r["probe_verdict"] in ("go", "no-go", "unclear")
        assert r["agree"] == agrees(r["probe_verdict"], r["full_ci_low"])
        assert 0 < r["probe_calls"] < r["full_calls"]
    assert (tmp_path / "probe.md").read_text().startswith("# Probe on 30% of the targets")
