"""`augment run` with ``mode = "batch"`` end to end against the loopback batch servers (real
SDKs), `augment status` / `cancel`, exit 75 with a resume line, and the run-folder lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_fakes import pairs_of, truth_answer

from augment.jobs import RunDir
from augment.providers.base import Request
from augment.testing import AnthropicBatchServer, BatchFaults, OpenAIBatchServer

SERVERS = {"openai": OpenAIBatchServer, "anthropic": AnthropicBatchServer}


def _server(provider: str, data: Path, faults: BatchFaults):
    """A batch server answering item attributes like the pipeline tests' truth fake."""
    answer = truth_answer(pairs_of(data))

    def fn(body: dict) -> dict:
        if "response_format" in body:  # the OpenAI wire format
            spec = body["response_format"]["json_schema"]
            schema, name, messages = spec["schema"], spec["name"], body["messages"]
        else:  # Anthropic: the schema is the forced tool's input
            tool = body["tools"][0]
            schema, name = tool["input_schema"], tool["name"]
            system = [{"role": "system", "content": body["system"]}] if body.get("system") else []
            messages = system + body["messages"]
        return answer(Request(tuple(messages), schema, name))

    return SERVERS[provider](fn=fn, faults=faults)


def _job(folder: Path, data: Path, provider: str, url: str, *, wait: bool = True) -> Path:
    model = "gpt-4o-mini" if provider == "openai" else "claude-haiku-4-5"
    path = folder / f"batch-{provider}.toml"
    path.write_text(f"""name = "batch-{provider}"
[data]
source = "{data}"
[tasks.item_attributes]
provider = "{provider}"
model = "{model}"
base_url = "{url}"
sample = 12
[engine]
mode = "batch"
wait = {str(wait).lower()}
poll_initial_s = 0.02
poll_max_s = 0.1
batch_max_requests = 5
[enrich]
weight = 0.5
[als]
factors = 8
iterations = 3
""", encoding="utf-8")
    return path


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_a_batch_job_runs_end_to_end_and_a_rerun_calls_nothing(tmp_path, cli, cli_data, keys,
                                                                 provider):
    with _server(provider, cli_data, BatchFaults(complete_after_s=0.05)) as srv:
        job = _job(tmp_path, cli_data, provider, srv.base_url)
        code, out, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
        assert code == 0, err
        book = srv.book.summary()
        assert book["batches"] >= 3 and book["duplicate_submissions"] == 0
        manifest = RunDir(tmp_path / "run").manifest
        assert manifest["status"] == "complete"
        assert manifest["tasks"]["item_attributes"]["records"] == 12
        money = manifest["money"]
        assert money["spent_usd"] > 0
        assert money["spent_usd"] == pytest.approx(money["kept_cost_usd"] + money["wasted_usd"])
        assert "spent $" in out
        report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
        assert "cost of kept records" in report and "wasted" in report
        code, out, err = cli("status", tmp_path / "run", "--json")
        status = json.loads(out)
        assert code == 0 and len(status["batches"]) == book["batches"]
        assert {b["state"] for b in status["batches"]} == {"done"}
        code, out, _ = cli("run", job, "--out", tmp_path / "run", "--no-progress")
        assert code == 0 and srv.book.summary() == book  # nothing new sent


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_batches_in_flight_exit_4_with_a_resume_line_then_status_and_cancel(
        tmp_path, cli, cli_data, keys, provider):
    with _server(provider, cli_data, BatchFaults(complete_after_s=60)) as srv:
        job = _job(tmp_path, cli_data, provider, srv.base_url, wait=False)
        code, out, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
        assert code == 75, err
        assert f"to resume: augment run {job} --out {tmp_path / 'run'}" in err
        assert RunDir(tmp_path / "run").status == "waiting"
        code, out, _ = cli("status", tmp_path / "run")
        assert code == 0 and "not finished" in out
        assert out.count("created") == srv.book.summary()["batches"] == 3
        code, out, _ = cli("cancel", tmp_path / "run")
        assert code == 0 and all(b.id in out for b in srv.book.batches.values())
        assert all(b.final == "cancelled" for b in srv.book.batches.values())


def test_a_second_run_on_a_folder_in_use_exits_2_naming_the_holder(tmp_path, cli, cli_data,
                                                                  keys):
    run_dir = tmp_path / "run"
    code = ("import sys, time; from augment.engine.lock import FolderLock\n"
            "with FolderLock(sys.argv[1]):\n    print('held', flush=True); time.sleep(60)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    holder = subprocess.Popen([sys.executable, "-c", code, str(run_dir)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        job = _job(tmp_path, cli_data, "openai", "http://127.0.0.1:9/v1")
        code, out, err = cli("run", job, "--out", run_dir, "--no-progress")
        assert code == 2 and f"in use by process {holder.pid}" in err and "started" in err
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()


def _priced_job(folder: Path, data: Path, url: str, prices: str) -> Path:
    path = folder / "priced.toml"
    path.write_text(f"""name = "priced"
[data]
source = "{data}"
[tasks.item_attributes]
provider = "openai"
model = "my-served-model"
base_url = "{url}"
sample = 4
[engine]
max_cost_usd = 1.0
[enrich]
weight = 0.5
[als]
factors = 8
iterations = 3
{prices}
""", encoding="utf-8")
    return path


def test_job_prices_give_an_unpriced_model_a_budget_and_an_estimate(tmp_path, cli, cli_data,
                                                                    keys):
    prices = '[prices.openai."my-served-model"]\ninput = 1.0\noutput = 2.0\n'
    with _server("openai", cli_data, BatchFaults()) as srv:
        bare = _priced_job(tmp_path, cli_data, srv.base_url, "")
        code, _, err = cli("run", bare, "--out", tmp_path / "bare", "--no-progress")
        assert code == 2 and "no price for openai/my-served-model" in err
        job = _priced_job(tmp_path, cli_data, srv.base_url, prices)
        code, out, err = cli("estimate", job, "--json")
        row = json.loads(out)["tasks"][0]
        assert code == 0 and row["online_cost_usd"] > 0
        assert row["batch_cost_usd"] == pytest.approx(row["online_cost_usd"] / 2)
        code, out, err = cli("estimate", job)
        assert "online (USD)" in out and "batch (USD)" in out
        code, out, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
        assert code == 0, err
        money = RunDir(tmp_path / "run").manifest["money"]
        assert 0 < money["spent_usd"] <= 1.0
