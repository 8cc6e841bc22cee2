"""run_job end to end on a synthetic catalogue with a truth-answering fake provider."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from augment.errors import BudgetExceeded, ConfigError, PermanentProviderError, ProviderError
from augment.jobs import RunDir
from augment.pipeline import run_job


@pytest.fixture(scope="module")
def finished(tmp_path_factory, data_folder):
    """One finished run shared by the read-only tests of this module."""
    from pipeline_fakes import FakeFactory, job_text

    from augment.jobs import parse_job

    factory = FakeFactory(data_folder)
    out = tmp_path_factory.mktemp("run") / "run"
    path = run_job(parse_job(job_text(data_folder, pseudo='"all"')), out=out,
                   provider_factory=factory, progress=False)
    return path, factory


def test_run_folder_is_complete(finished):
    path, _ = finished
    run = RunDir(path)
    manifest = run.manifest
    assert manifest["status"] == "complete"
    assert set(run.tasks_with_records()) == {"item_attributes", "user_profiles",
                                             "pseudo_interactions"}
    for name in ("metrics.json", "diagnostics.json", "report.md", "report.html",
                 "engine.sqlite"):
        assert (path / name).is_file(), name
    assert manifest["tasks"]["item_attributes"]["records"] == 20
    assert manifest["tasks"]["user_profiles"]["records"] == 12
    n_cold = manifest["counts"]["cold_items"]
    assert n_cold == 80  # 20% of 400 items
    assert manifest["tasks"]["pseudo_interactions"]["records"] == 2 * n_cold  # 2 orders each
    assert manifest["enrichment"] == {"weight": 0.5, "denoise_quantile": None, "attributes": True,
                                      "chosen_by": "job", "reason": "", "table": [],
                                      "confidence_weights": {"high": 1.0, "medium": 0.6,
                                                             "low": 0.3}}


def test_targets_cover_cold_and_warm_items(finished, data_folder):
    from augment.jobs import DataConfig, SplitConfig
    from augment.pipeline import load_job_data, split_job_data

    path, _ = finished
    run = RunDir(path)
    sp = split_job_data(load_job_data(DataConfig(source=str(data_folder))), SplitConfig())
    cold = set(sp.cold_items)
    attr_items = {r["item_id"] for r in run.read_records("item_attributes")}
    pseudo_items = {r["item_id"] for r in run.read_records("pseudo_interactions")}
    assert len(attr_items & cold) == 10 and len(attr_items - cold) == 10
    assert pseudo_items == cold
    assert len(pseudo_items & attr_items) == 10  # the cold items with attributes come first


def test_metrics_hold_baselines_and_variants_and_truth_helps_cold_items(finished):
    path, _ = finished
    metrics = json.loads((path / "metrics.json").read_text())
    models = metrics["models"]
    assert set(models) == {"random", "popularity", "content_knn", "als", "als+content",
                           "als+attributes", "als+pseudo", "als+augmented"}
    # the fake's picks are the true held-out pairs: cold-item ranking must improve on ALS
    cold = lambda m: models[m]["cold"]["ndcg@10"]  # noqa: E731
    print({m: cold(m) for m in models})
    assert cold("als+pseudo") > cold("als") + 0.05
    assert cold("als+augmented") > cold("als") + 0.05


def test_diagnostics_and_enriched_export(finished):
    path, _ = finished
    diag = json.loads((path / "diagnostics.json").read_text())
    pseudo = diag["pseudo_interactions"]
    assert pseudo["shuffle_agreement"] == 1.0  # truth answers ignore the order
    assert 0.0 <= pseudo["first_third_share"] <= 1.0
    assert pseudo["n_targets"] == 80
    pop = diag["popularity"]
    assert 0.0 <= pop["generated_mean_pct"] <= 1.0 and pop["measured_on"] == "users"
    inter = pd.read_parquet(path / "enriched" / "interactions.parquet")
    assert set(inter["source"]) == {"observed", "generated"}
    generated = inter[inter["source"] == "generated"]
    assert (generated["weight"] > 0).all() and (generated["weight"] < 1).all()
    feats = pd.read_parquet(path / "enriched" / "item_features.parquet")
    assert feats["feature"].str.startswith("attr_genre:").any()
    html = (path / "report.html").read_text()
    assert "als+pseudo" in html


def test_finished_run_rerun_calls_no_provider(finished, fake_factory, make_job):
    path, first = finished
    before = RunDir(path).read_records("pseudo_interactions")
    again = fake_factory()
    run_job(make_job(pseudo='"all"'), out=path, provider_factory=again, progress=False)
    assert again.requests == []
    manifest = RunDir(path).manifest
    assert manifest["status"] == "complete" and manifest["provider_calls"] == 0
    after = RunDir(path).read_records("pseudo_interactions")
    assert [r["output"] for r in after] == [r["output"] for r in before]


def test_interrupted_run_resumes_without_repeating_finished_requests(tmp_path, fake_factory,
                                                                    make_job):
    job = make_job(concurrency=1)
    first = fake_factory(fail_after=30)  # Ctrl-C during the user profiles
    with pytest.raises(KeyboardInterrupt):
        run_job(job, out=tmp_path / "run", provider_factory=first, progress=False)
    run = RunDir(tmp_path / "run")
    assert run.status == "interrupted"
    assert not (tmp_path / "run" / "metrics.json").exists()
    second = fake_factory()
    run_job(job, out=tmp_path / "run", provider_factory=second, progress=False)
    assert run.status == "complete" and run.manifest["attempts"] == 2
    asked_again = set(second.request_keys()) & set(first.answered_keys)
    assert not asked_again
    assert len(first.answered_keys) + len(second.request_keys()) == 20 + 12 + 24
    # same records as an uninterrupted run
    clean = fake_factory()
    run_job(job, out=tmp_path / "clean", provider_factory=clean, progress=False)
    for task in ("item_attributes", "user_profiles", "pseudo_interactions"):
        got = {r["key"]: r["output"] for r in run.read_records(task)}
        want = {r["key"]: r["output"] for r in RunDir(tmp_path / "clean").read_records(task)}
        assert got == want, task


def test_budget_stop_then_rerun_with_more_budget(tmp_path, fake_factory, make_job):
    priced = dict(name="openai", model="gpt-4o-mini")  # a fake priced as gpt-4o-mini
    first = fake_factory(**priced)
    with pytest.raises(BudgetExceeded) as info:
        run_job(make_job(extra="max_cost_usd = 0.004", concurrency=1), out=tmp_path / "run",
                provider_factory=first, progress=False)
    assert info.value.remaining > 0
    run = RunDir(tmp_path / "run")
    assert run.status == "failed" and run.manifest["error"]["type"] == "BudgetExceeded"
    assert any(f["reason"] == "budget" for f in run.read_failures())
    second = fake_factory(**priced)
    run_job(make_job(extra="max_cost_usd = 1.0", concurrency=1), out=tmp_path / "run",
            provider_factory=second, progress=False)
    assert run.status == "complete"
    assert not set(second.request_keys()) & set(first.answered_keys)
    assert not run.read_failures()
    assert run.manifest["cost_usd"] > 0


def test_auto_weight_is_tuned_on_validation_and_recorded(tmp_path, fake_factory, make_job):
    path = run_job(make_job(weight='"auto"', pseudo='"all"'), out=tmp_path / "run",
                   provider_factory=fake_factory(), progress=False)
    chosen = RunDir(path).manifest["enrichment"]
    assert chosen["chosen_by"] == "auto" and chosen["reason"]
    assert len(chosen["table"]) >= 7  # weight 0, then 3 weights x (no denoising, 0.2)
    assert sum(row["chosen"] for row in chosen["table"]) == 1
    row = next(r for r in chosen["table"] if r["chosen"])
    assert row["weight"] == chosen["weight"]
    assert json.loads((path / "diagnostics.json").read_text())["enrichment"] == chosen
    models = json.loads((path / "metrics.json").read_text())["models"]
    # weight 0 (generated interactions did not help on validation) leaves als+pseudo out
    assert ("als+pseudo" in models) == (chosen["weight"] > 0)
    assert "als+attributes" in models


def test_provider_failing_every_request_fails_the_run(tmp_path, fake_factory, make_job):
    broken = fake_factory(fail_after=0, exc=PermanentProviderError("401 bad key",
                                                                   provider="fake", status=401))
    with pytest.raises(ProviderError, match="every item attributes request failed"):
        run_job(make_job(), out=tmp_path / "run", provider_factory=broken, progress=False)
    assert RunDir(tmp_path / "run").status == "failed"


def test_folder_of_another_job_needs_force(tmp_path, fake_factory, make_job):
    run_job(make_job(pseudo=4, users=4, items=6), out=tmp_path / "run",
            provider_factory=fake_factory(), progress=False)
    other = make_job(pseudo=3, users=4, items=6)
    with pytest.raises(ConfigError, match="another job"):
        run_job(other, out=tmp_path / "run", provider_factory=fake_factory(), progress=False)
    run_job(other, out=tmp_path / "run", force=True, provider_factory=fake_factory(),
            progress=False)
    assert RunDir(tmp_path / "run").manifest["tasks"]["pseudo_interactions"]["records"] == 6


def test_job_without_tasks_evaluates_baselines_only(tmp_path, data_folder):
    from augment.jobs import parse_job

    job = parse_job(f'[data]\nsource = "{data_folder}"\n[als]\nfactors = 8\niterations = 3\n')
    path = run_job(job, out=tmp_path / "run", progress=False)
    metrics = json.loads((path / "metrics.json").read_text())
    assert set(metrics["models"]) == {"random", "popularity", "content_knn", "als",
                                      "als+content"}
    assert RunDir(path).status == "complete" and (path / "report.html").exists()


def test_bad_data_source_is_a_config_error_and_leaves_no_folder(tmp_path):
    from augment.jobs import parse_job

    job = parse_job(f'[data]\nsource = "{tmp_path / "nope"}"\n')
    with pytest.raises(ConfigError, match="data.source"):
        run_job(job, out=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()


def test_pick_lists_are_bounded_by_the_candidates_shown():
    from augment.schemas import validate
    from augment.tasks.pseudo_interactions import pseudo_schemas

    item, user = pseudo_schemas(3)
    assert item["properties"]["users"]["maxItems"] == 3
    assert user["properties"]["positives"]["maxItems"] == 3
    assert user["properties"]["negatives"]["maxItems"] == 3
    picks = [{"user_id": str(i), "confidence": "low"} for i in range(4)]
    assert validate({"users": picks[:3]}, item) == []
    assert validate({"users": picks}, item)


def test_user_cold_rounds_run_resume_and_estimate(tmp_path, fake_factory, make_job):
    from augment.pipeline import estimate_job

    job = make_job(split="user-cold", pseudo=6, pseudo_extra="rounds = 2")
    assert job.tasks.pseudo_interactions.rounds == 2
    first = fake_factory()
    path = run_job(job, out=tmp_path / "run", provider_factory=first, progress=False)
    records = RunDir(path).read_records("pseudo_interactions")
    by_round = pd.Series([r["round"] for r in records]).value_counts().to_dict()
    assert by_round == {0: 6 * 2, 1: 6 * 2}  # users x repeats, per round
    for user in {r["user_id"] for r in records}:  # a later round shows new candidates only
        shown = [set(r["candidates"]) for r in records if r["user_id"] == user]
        r0 = set().union(*shown[:2])
        assert not r0 & set().union(*shown[2:])
    manifest = RunDir(path).manifest
    assert manifest["tasks"]["pseudo_interactions"]["records"] == 24
    # the rerun rebuilds round 2 from round 1's stored answers: no provider call
    again = fake_factory()
    run_job(job, out=path, provider_factory=again, progress=False)
    assert again.requests == []
    # estimate: round 1 as built, round 2 as a copy of its cold-user requests
    one = estimate_job(make_job(split="user-cold", pseudo=6), out=tmp_path / "none",
                       provider_factory=fake_factory())
    two = estimate_job(job, out=tmp_path / "none", provider_factory=fake_factory())
    p1 = next(e for e in one if e.task == "pseudo_interactions")
    p2 = next(e for e in two if e.task == "pseudo_interactions")
    assert p1.n_requests == 12 and p2.n_requests == 24
    assert p2.input_tokens == 2 * p1.input_tokens


def test_the_pipeline_never_names_a_task():
    from pathlib import Path

    import augment.pipeline
    from augment.tasks import TASKS

    folder = Path(augment.pipeline.__file__).parent
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert not [n for n in TASKS if n in text], path.name
