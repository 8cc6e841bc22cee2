"""`augment run`, `estimate` and `report` through main(argv), in-process."""

from __future__ import annotations

import json

from cli_helpers import write_job

from augment.jobs import RunDir


def test_run_writes_a_complete_run_and_prints_where(tmp_path, cli, cli_data, truth_fake,
                                                    caplog):
    job = write_job(tmp_path, cli_data)
    code, out, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    assert code == 0, err
    assert "als+pseudo" in out and "cold recall@20" in out
    assert f"report: {(tmp_path / 'run' / 'report.html').resolve()}" in out
    stages = [r.getMessage() for r in caplog.records if r.name == "augment.pipeline"]
    assert any("pseudo-interactions: 8 requests" in m for m in stages)  # stages are shown
    run = RunDir(tmp_path / "run")
    assert run.status == "complete" and run.manifest["job_file"] == str(job)
    assert sum(f.calls for f in truth_fake.instances) == 6 + 4 + 8
    # the same job again: resumed from the store, no provider call
    truth_fake.instances.clear()
    code, out, _ = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    assert code == 0 and "0 provider calls" in out
    assert sum(f.calls for f in truth_fake.instances) == 0


def test_run_job_file_error_names_key_and_line(tmp_path, cli, cli_data):
    job = write_job(tmp_path, cli_data, body=f'name = "bad"\n[data]\nsource = "{cli_data}"\n'
                                             '[tasks.item_attributes]\nsample = 5\n'
                                             'temperature = 0.3\n')
    code, out, err = cli("run", job)
    assert code == 2 and out == ""
    assert err.startswith("augment run: error: ") and err.count("\n") == 1
    assert "line 6" in err and "temperature" in err


def test_run_toml_syntax_error_and_missing_file(tmp_path, cli, cli_data):
    job = write_job(tmp_path, cli_data, body='name = "x"\n[data\n')
    code, _, err = cli("run", job)
    assert code == 2 and "line 2" in err
    code, _, err = cli("run", tmp_path / "missing.toml")
    assert code == 2 and "job file not found" in err


def test_run_provider_failure_exits_3(tmp_path, cli, cli_data, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    job = write_job(tmp_path, cli_data, provider="openai")
    code, _, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    assert code == 3
    assert "OPENAI_API_KEY" in err and err.count("\n") == 1
    assert RunDir(tmp_path / "run").status == "failed"


def test_run_interrupted_exits_130_and_resumes(tmp_path, cli, cli_data, truth_fake):
    # one request at a time: every answered request is stored before the next is sent
    job = write_job(tmp_path, cli_data, concurrency=1)
    truth_fake.interrupt_at = 8
    code, _, err = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    truth_fake.interrupt_at = None
    assert code == 130 and "interrupted" in err
    assert RunDir(tmp_path / "run").status == "interrupted"
    first = [r.key("fake", "fake") for f in truth_fake.instances for r in f.history][:7]
    truth_fake.instances.clear()
    code, _, _ = cli("run", job, "--out", tmp_path / "run", "--no-progress")
    assert code == 0 and RunDir(tmp_path / "run").status == "complete"
    again = [r.key("fake", "fake") for f in truth_fake.instances for r in f.history]
    assert not set(again) & set(first) and len(again) == 18 - 7


def test_estimate_prints_requests_tokens_cost_without_a_key(tmp_path, cli, cli_data,
                                                             monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    job = write_job(tmp_path, cli_data, provider="openai")
    code, out, err = cli("estimate", job)
    assert code == 0, err
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["item_attributes"][1] == "openai/gpt-4o-mini"
    assert lines["item_attributes"][2] == "6"
    assert lines["user_profiles"][2] == "4"
    assert lines["pseudo_interactions"][2] == "8"
    assert lines["total"][1] == "18"
    assert float(lines["total"][5]) > 0  # priced as gpt-4o-mini
    code, out, _ = cli("estimate", job, "--json")
    data = json.loads(out)
    assert [t["task"] for t in data["tasks"]] == ["item_attributes", "user_profiles",
                                                  "pseudo_interactions"]
    assert all(t["input_tokens"] > 0 and t["n_cached"] == 0 for t in data["tasks"])


def test_estimate_counts_finished_rows_as_cached(tmp_path, cli, cli_data, truth_fake):
    job = write_job(tmp_path, cli_data)
    assert cli("run", job, "--out", tmp_path / "run", "--no-progress")[0] == 0
    code, out, _ = cli("estimate", job, "--out", tmp_path / "run", "--json")
    tasks = json.loads(out)["tasks"]
    assert code == 0
    # attributes and pseudo prompts of a fresh estimate are identical to the run's ones
    assert tasks[0]["n_requests"] == 0 and tasks[0]["n_cached"] == 6


def test_report_rewrites_and_errors(tmp_path, cli, cli_data, truth_fake):
    job = write_job(tmp_path, cli_data)
    assert cli("run", job, "--out", tmp_path / "run", "--no-progress")[0] == 0
    (tmp_path / "run" / "report.html").unlink()
    code, out, _ = cli("report", tmp_path / "run")
    assert code == 0 and (tmp_path / "run" / "report.html").exists()
    assert str((tmp_path / "run" / "report.html").resolve()) in out
    code, _, err = cli("report", tmp_path / "nowhere")
    assert code == 2 and "run folder not found" in err
    (tmp_path / "empty").mkdir()
    code, _, err = cli("report", tmp_path / "empty")
    assert code == 2 and "no manifest.json" in err


def test_help_documents_exit_codes(cli):
    for command in ("run", "estimate", "validate", "report", "demo"):
        code, out, _ = cli(command, "--help")
        assert code == 0 and "exit codes: 0 ok" in out and "130 interrupted" in " ".join(
            out.split())
