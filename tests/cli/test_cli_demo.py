"""`augment demo`: the MovieLens path, with a truth fake standing in for the local model
(fast) and, marked local_model, with the embedded SmolLM2 itself."""

from __future__ import annotations

import json

import pytest

from augment.cli.demo import DEFAULT_SAMPLE, demo_config
from augment.jobs import RunDir, demo_job, job_hash


def test_default_demo_is_the_shipped_demo_job_with_its_own_sizes():
    cfg = demo_config(DEFAULT_SAMPLE, "runs/movielens-demo")
    assert cfg.tasks.item_attributes.sample == 3 * DEFAULT_SAMPLE
    assert cfg.tasks.user_profiles.sample == 2 * DEFAULT_SAMPLE
    assert cfg.tasks.pseudo_interactions.sample == DEFAULT_SAMPLE
    assert cfg.tasks.enabled() == demo_job().tasks.enabled()
    assert {getattr(cfg.tasks, t).provider for t in cfg.tasks.enabled()} == {"local"}
    assert cfg.split.kind == "item-cold"
    assert cfg.engine.max_reasks == 0  # the 135M model repeats its mistake when re-asked
    assert job_hash(demo_config(2)) != job_hash(demo_config(3))
    assert job_hash(demo_config(2, data_dir="/elsewhere")) == job_hash(demo_config(2))


def test_demo_rejects_a_bad_sample(cli, tmp_path):
    code, _, err = cli("demo", "--sample", "0", "--out", tmp_path / "run")
    assert code == 2 and "--sample must be >= 1" in err


@pytest.mark.realdata
@pytest.mark.slow  # ~30 s of CPU: MovieLens baselines, tuning and the augmented variants
def test_demo_with_a_fake_local_model(cli, tmp_path, movielens_dir, monkeypatch):
    from pipeline_fakes import TruthFake

    from augment.data import load_movielens
    from augment.providers import registry

    inter = load_movielens(movielens_dir).interactions
    monkeypatch.setattr(TruthFake, "pairs", set(zip(inter["user_id"].astype(str),
                                                    inter["item_id"].astype(str), strict=True)))
    monkeypatch.setattr(TruthFake, "instances", [])
    monkeypatch.setitem(registry.PROVIDERS, "local", ("pipeline_fakes", "TruthFake"))
    code, out, err = cli("demo", "--sample", "2", "--out", tmp_path / "demo",
                         "--data-dir", movielens_dir, "--no-progress")
    assert code == 0, err
    run = RunDir(tmp_path / "demo")
    manifest = run.manifest
    assert manifest["status"] == "complete"
    assert {t: s["records"] for t, s in manifest["tasks"].items()} == {
        "item_attributes": 6, "user_profiles": 4, "pseudo_interactions": 4}
    assert manifest["enrichment"]["chosen_by"] == "auto"
    assert "report: " in out and (tmp_path / "demo" / "report.html").exists()
    metrics = json.loads((tmp_path / "demo" / "metrics.json").read_text())
    assert "als+attributes" in metrics["models"]


@pytest.mark.local_model
@pytest.mark.realdata
@pytest.mark.slow
def test_demo_with_the_embedded_model(cli, tmp_path, movielens_dir):
    pytest.importorskip("llama_cpp")
    code, out, err = cli("demo", "--sample", "1", "--out", tmp_path / "demo",
                         "--data-dir", movielens_dir, "--no-progress")
    assert code == 0, err
    manifest = RunDir(tmp_path / "demo").manifest
    assert manifest["status"] == "complete"
    assert manifest["models"]["item_attributes"]["provider"] == "local"
    done = {t: s["records"] + s["failures"] for t, s in manifest["tasks"].items()}
    assert done == {"item_attributes": 3, "user_profiles": 2, "pseudo_interactions": 2}
    assert (tmp_path / "demo" / "report.html").stat().st_size > 10_000
    assert "report: " in out
