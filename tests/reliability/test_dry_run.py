"""Dry runs without a model: plausible default answers from the loopback servers (real
SDKs) and from ``provider = "fake"``; the CLI start of the servers; report escaping."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import write_job

from augment.engine import Engine, EngineConfig
from augment.jobs import RunDir, load_job, parse_job
from augment.pipeline import run_job
from augment.testing import AnthropicServer, OpenAIServer
from augment.testing.answers import plausible_answer

REPO = Path(__file__).resolve().parents[2]


def _pipeline_items(data):
    from augment.pipeline import load_job_data, split_job_data
    from augment.pipeline._generate import build_task

    cfg = parse_job(write_job(data.parent, data).read_text())
    sp = split_job_data(load_job_data(cfg.data), cfg.split)
    items = []
    for name in cfg.tasks.enabled():
        items += build_task(name, cfg, sp).work_items()
    return items


@pytest.mark.parametrize("server_cls,provider", [(OpenAIServer, "openai"),
                                                 (AnthropicServer, "anthropic")])
def test_default_server_answers_pass_every_tasks_schema_and_checks(small_data, server_cls,
                                                                   provider):
    from augment.providers.registry import get_provider

    items = _pipeline_items(small_data)
    with server_cls(seed=3) as srv:
        p = get_provider(provider, base_url=srv.base_url, api_key="test")
        result = Engine(p, EngineConfig(concurrency=4, progress=False, max_reasks=0)).run(items)
    assert not result.failures, result.failures[:2]
    pseudo = [r for r in result.records if r["task"] == "pseudo_interactions"]
    assert pseudo and all(any(r["output"].get(k) for k in ("users", "positives"))
                          for r in pseudo)  # not empty answers
    profiles = [r["output"] for r in result.records if r["task"] == "user_profiles"]
    assert all(p["liked_genres"] for p in profiles)


def test_plausible_answers_are_deterministic_by_seed():
    schema = {"type": "object", "required": ["a", "b"], "properties": {
        "a": {"type": "array", "items": {"type": "string", "enum": list("abcdefgh")},
              "maxItems": 3},
        "b": {"type": "array", "items": {"type": "string", "enum": list("abcdefgh")},
              "maxItems": 3}}}
    one = plausible_answer(schema, "<data>some words here</data>", seed=1)
    assert one == plausible_answer(schema, "<data>some words here</data>", seed=1)
    assert not set(one["a"]) & set(one["b"])  # siblings never share an enum value


def test_fake_provider_in_a_job_dry_runs_it(tmp_path, small_data):
    job = load_job(write_job(tmp_path, small_data))  # provider = "fake", nothing scripted
    path = run_job(job, out=tmp_path / "run", progress=False)
    run = RunDir(path)
    assert run.status == "complete", run.manifest.get("error")
    assert all(run.read_records(t) for t in ("item_attributes", "user_profiles",
                                             "pseudo_interactions"))


def test_job_schema_accepts_openai_compatible(tmp_path, small_data):
    text = write_job(tmp_path, small_data).read_text().replace(
        'provider = "fake"', 'provider = "openai-compatible"\nbase_url = "http://127.0.0.1:9/v1"')
    cfg = parse_job(text)
    assert cfg.tasks.item_attributes.provider == "openai-compatible"


@pytest.mark.slow
def test_serve_starts_from_the_command_line_and_a_job_runs_against_it(tmp_path, small_data):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-m", "augment.testing.serve", "openai",
                             "--port", str(port)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}/v1" in line
        text = write_job(tmp_path, small_data).read_text().replace(
            'provider = "fake"',
            f'provider = "openai"\nmodel = "gpt-4o-mini"\nbase_url = "http://127.0.0.1:{port}/v1"')
        job = tmp_path / "dry.toml"
        job.write_text(text)
        out = subprocess.run([sys.executable, "-m", "augment.cli", "run", str(job), "--out",
                              str(tmp_path / "run"), "--no-progress"], capture_output=True,
                             text=True, env={**env, "OPENAI_API_KEY": "dry-run"}, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert json.loads((tmp_path / "run" / "manifest.json").read_text())["status"] == "complete"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_report_md_escapes_model_output(tmp_path, small_data):
    from pipeline_fakes import FakeFactory, truth_answer

    from augment.providers.fake import FakeProvider

    class Scripting(FakeFactory):
        def __call__(self, task_cfg):
            truth = truth_answer(self.pairs)

            def fn(request):
                answer = truth(request)
                if request.schema_name == "item_attributes":
                    answer["summary"] = "<script>alert(1)</script> nice & good"
                    answer["tags"] = ["<img src=x onerror=alert(1)>"]
                return answer

            return FakeProvider(fn=fn)

    job = load_job(write_job(tmp_path, small_data))
    path = run_job(job, out=tmp_path / "run", provider_factory=Scripting(small_data),
                   progress=False)
    md = (path / "report.md").read_text()
    assert "<script>" not in md and "<img" not in md
    assert "\\u003cscript\\u003e" in md or "&lt;script&gt;" in md
