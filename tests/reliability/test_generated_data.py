"""Generated data can make a record a failure, never make a run crash or wedge."""

from __future__ import annotations

import json

import pytest
from cli_helpers import write_job
from pipeline_fakes import FakeFactory, truth_answer

from augment.jobs import RunDir, load_job
from augment.pipeline import run_job
from augment.providers.fake import FakeProvider


class ProfileFactory(FakeFactory):
    """Truth answers, but user profiles answered by ``profile(request)``."""

    def __init__(self, folder, profile):
        super().__init__(folder)
        self.profile = profile

    def __call__(self, task_cfg):
        truth = truth_answer(self.pairs)

        def fn(request):
            self.answered += 1
            if request.schema_name == "user_profiles":
                return self.profile(request)
            return truth(request)

        fake = FakeProvider(fn=fn, name=self.name, model=self.model)
        self.fakes.append(fake)
        return fake


EMPTY = {"liked_genres": [], "disliked_genres": [], "themes": [], "summary": " "}
BOTH = {"liked_genres": ["Drama", "Comedy"], "disliked_genres": ["Drama", "Comedy"],
        "themes": [], "summary": " "}


@pytest.mark.parametrize("answer", [EMPTY, BOTH], ids=["empty", "liked-and-disliked"])
def test_unusable_profiles_become_failures_and_the_run_finishes(tmp_path, small_data, answer):
    job = load_job(write_job(tmp_path, small_data))
    factory = ProfileFactory(small_data, lambda r: answer)
    path = run_job(job, out=tmp_path / "run", provider_factory=factory, progress=False)
    run = RunDir(path)
    assert run.read_records("user_profiles") == []
    failures = run.read_failures("user_profiles")
    assert len(failures) == 4 and {f["reason"] for f in failures} == {"unusable"}
    assert all("nothing usable" in f["error"] for f in failures)
    assert run.status == "degraded"  # 0 profiles is never a clean finish
    assert "user_profiles" in run.manifest["degraded"]
    assert (path / "metrics.json").is_file() and (path / "report.md").is_file()
    # the rerun answers from the store and takes the same path: nothing to delete
    calls = factory.answered
    path2 = run_job(job, out=tmp_path / "run", provider_factory=factory, progress=False)
    assert factory.answered == calls and RunDir(path2).status == "degraded"


def test_a_stage_that_fails_on_one_tasks_records_runs_without_them(tmp_path, small_data,
                                                                    monkeypatch):
    """Whatever screening misses: the task's records become failures, the run goes on,
    and a rerun of the folder proceeds the same way (no cache to delete)."""
    import augment.enrich._core as core

    def broken(*a, **k):
        raise ValueError("a feature builder bug triggered by generated data")

    monkeypatch.setattr(core, "profile_features", broken)
    job = load_job(write_job(tmp_path, small_data))
    factory = FakeFactory(small_data)
    path = run_job(job, out=tmp_path / "run", provider_factory=factory, progress=False)
    run = RunDir(path)
    assert run.status == "degraded"
    failures = run.read_failures("user_profiles")
    assert len(failures) == 4
    assert all(f["reason"] == "unusable" and "feature builder bug" in f["error"]
               for f in failures)
    assert run.read_records("item_attributes")  # the other tasks are used
    metrics = json.loads((path / "metrics.json").read_text())
    assert "als+attributes" in metrics["models"]
    path2 = run_job(job, out=tmp_path / "run", provider_factory=factory, progress=False)
    assert RunDir(path2).status == "degraded"


def test_degraded_run_exits_3_with_the_reason(tmp_path, small_data, cli, truth_fake_empty):
    job = write_job(tmp_path, small_data)
    code, out, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    assert code == 3, err
    lines = [ln for ln in err.splitlines() if "error" in ln]
    assert len(lines) == 1 and "degraded" in lines[0] and "user_profiles" in lines[0]
    assert "Traceback" not in err
    report = (tmp_path / "run" / "report.md").read_text()
    assert "DEGRADED" in report


def test_max_failure_rate_is_read_from_the_job(tmp_path, small_data):
    text = write_job(tmp_path, small_data).read_text().replace(
        "[engine]\n", "[engine]\nmax_failure_rate = 1.0\n")
    job_path = tmp_path / "lenient.toml"
    job_path.write_text(text)
    job = load_job(job_path)
    assert job.engine.max_failure_rate == 1.0
    factory = ProfileFactory(small_data, lambda r: EMPTY)
    path = run_job(job, out=tmp_path / "run", provider_factory=factory, progress=False)
    # a task with 0 records is degraded whatever the rate allows
    assert RunDir(path).status == "degraded"


@pytest.mark.parametrize("rate,status", [(0.2, "degraded"), (0.5, "complete")])
def test_the_failure_rate_is_judged_per_task(tmp_path, small_data, rate, status):
    text = write_job(tmp_path, small_data).read_text().replace(
        "[engine]\n", f"[engine]\nmax_failure_rate = {rate}\n")
    (tmp_path / "job.toml").write_text(text)
    seen = []

    def profile(request):
        seen.append(1)
        return EMPTY if len(seen) == 1 else {"liked_genres": ["Drama"], "disliked_genres": [],
                                             "themes": ["x"], "summary": "Likes drama."}

    path = run_job(load_job(tmp_path / "job.toml"), out=tmp_path / "run",
                   provider_factory=ProfileFactory(small_data, profile), progress=False)
    run = RunDir(path)
    assert run.status == status  # 1 of 4 profiles failed: 25%
    if status == "degraded":
        assert "1 of 4" in run.manifest["degraded"]["user_profiles"]


def test_profiles_without_genres_but_with_themes_are_used(tmp_path, small_data):
    """Every profile with empty genre lists used to crash the features (a 0-column block)."""
    seen = []

    def answer(request):
        seen.append(1)
        return {"liked_genres": [], "disliked_genres": [], "themes": ["quiet", "family"],
                "summary": f"Likes quiet family stories, {len(seen)} of them."}

    job = load_job(write_job(tmp_path, small_data))
    path = run_job(job, out=tmp_path / "run",
                   provider_factory=ProfileFactory(small_data, answer), progress=False)
    run = RunDir(path)
    assert run.status == "complete"
    assert len(run.read_records("user_profiles")) == 4
