"""Run folder: atomic writes, manifest status transitions, records round trip, resume guard."""

from __future__ import annotations

import json
import math

import pytest

from augment.engine.types import RunResult
from augment.errors import ConfigError
from augment.files import atomic_write, read_records_parquet, write_records_parquet
from augment.jobs import RunDir, atomic_write_bytes, job_hash, parse_job
from augment.providers.base import Usage


def _record(i: int, task: str = "item_attributes") -> dict:
    return {"key": f"{task}:{i}", "output": {"genres": ["Drama"], "mood": f"m{i}", "n": i},
            "provider": "fake", "model": "fake-1", "prompt_version": "1",
            "schema_name": task, "request_hash": f"h{i}", "created_at": "2026-01-01T00:00:00",
            "attempts": 1, "cached": False,
            "usage": {"input_tokens": 10, "output_tokens": 5, "cached_tokens": 0},
            "task": task, "item_id": i}


def _failure(i: int, reason: str = "validation") -> dict:
    return {"key": f"item_attributes:{i}", "reason": reason, "error": "bad", "last_output": "{",
            "attempts": 3, "usage": {}, "provider": "fake", "model": "fake-1",
            "created_at": "2026-01-01T00:00:00"}


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    target = tmp_path / "metrics.json"
    atomic_write_bytes(target, b'{"old": true}')

    def half_then_crash(fh):
        fh.write(b'{"new": ')
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        atomic_write(target, half_then_crash)
    assert target.read_bytes() == b'{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_failed_first_write_leaves_nothing(tmp_path):
    class NotSerialisable:
        pass

    with pytest.raises(TypeError):
        RunDir(tmp_path).write_metrics({"models": {"als": NotSerialisable()}})
    assert list(tmp_path.iterdir()) == []


def test_records_round_trip_nested_as_json(tmp_path):
    import pyarrow.parquet as pq

    records = [_record(1), _record(2) | {"item_id": "x2"}]  # mixed id types
    path = write_records_parquet(tmp_path / "r.parquet", records)
    table = pq.read_table(path)
    assert table.schema.field("output").type == "string"
    assert json.loads(table.column("output")[0].as_py())["mood"] == "m1"
    assert read_records_parquet(path) == [
        r | {"item_id": json.loads(json.dumps(r["item_id"]))} for r in records]


def test_status_transitions(tmp_path):
    cfg = parse_job("[split]\nseed = 3\n", name="t")
    run = RunDir(tmp_path / "run")
    assert run.status is None
    run.start(cfg, job_file="jobs/t.toml")
    m = run.manifest
    assert m["status"] == "running" and m["finished_at"] is None
    assert m["job_hash"] == job_hash(cfg) and m["job"]["split"]["seed"] == 3
    assert m["versions"]["python"] and "pyarrow" in m["versions"]
    run.complete(counts={"items": 5})
    m = run.manifest
    assert m["status"] == "complete" and m["finished_at"] and m["counts"] == {"items": 5}
    run.start(cfg)
    assert run.status == "running" and run.manifest["attempts"] == 2
    run.fail(ValueError("boom"))
    assert run.manifest["error"] == {"type": "ValueError", "message": "boom"}
    assert run.status == "failed"


def test_context_manager_sets_status(tmp_path):
    cfg = parse_job("", name="t")
    with RunDir(tmp_path / "ok").start(cfg) as run:
        assert run.status == "running"
    assert run.status == "complete"

    with pytest.raises(RuntimeError), RunDir(tmp_path / "bad").start(cfg) as run:
        raise RuntimeError("model exploded")
    assert run.status == "failed" and "model exploded" in run.manifest["error"]["message"]

    with pytest.raises(KeyboardInterrupt), RunDir(tmp_path / "int").start(cfg) as run:
        raise KeyboardInterrupt
    assert run.status == "interrupted"


def test_killed_run_stays_running(tmp_path):
    run = RunDir(tmp_path).start(parse_job(""))
    run.save_task("item_attributes", records=[_record(1)])
    # no complete(): as if the process were killed here
    assert RunDir(tmp_path).status == "running"


def test_save_task_from_run_result(tmp_path):
    run = RunDir(tmp_path).start(parse_job(""))
    result = RunResult(records=[_record(i) for i in range(3)], failures=[_failure(9)],
                       usage=Usage(input_tokens=30, output_tokens=15), cost_usd=0.012,
                       n_calls=4)
    entry = run.save_task("item_attributes", result)
    assert entry["records"] == 3 and entry["failures"] == 1 and entry["calls"] == 4
    run.save_task("user_profiles", records=[_record(1, "user_profiles")],
                  usage={"input_tokens": 7, "output_tokens": 1}, cost_usd=0.001)
    m = run.manifest
    assert m["tokens"]["input_tokens"] == 37
    assert math.isclose(m["cost_usd"], 0.013)
    assert m["tasks"]["item_attributes"]["models"] == ["fake-1"]
    assert [r["key"] for r in run.read_records("item_attributes")] == [
        "item_attributes:0", "item_attributes:1", "item_attributes:2"]
    assert run.read_records("pseudo_interactions") == []
    assert run.read_failures("item_attributes")[0]["task"] == "item_attributes"
    # saving a task again replaces its failures, keeps the others'
    run.save_task("item_attributes", records=[], failures=[_failure(1), _failure(2)])
    run.save_task("user_profiles", records=[], failures=[_failure(5)])
    assert len(run.read_failures("item_attributes")) == 2
    assert len(run.read_failures()) == 3


def test_resume_with_other_job_is_config_error(tmp_path):
    RunDir(tmp_path).start(parse_job("[split]\nseed = 1\n"))
    with pytest.raises(ConfigError) as info:
        RunDir(tmp_path).start(parse_job("[split]\nseed = 2\n"))
    assert info.value.key == "output.dir"
    # same job (other name and concurrency) resumes
    RunDir(tmp_path).start(parse_job("[split]\nseed = 1\n[engine]\nconcurrency = 1\n", name="z"))


def test_forced_resume_removes_old_outputs_keeps_cache(tmp_path):
    run = RunDir(tmp_path).start(parse_job("[split]\nseed = 1\n"))
    run.save_task("item_attributes", records=[_record(1)])
    run.write_metrics({"models": {}})
    run.engine_store.write_bytes(b"cache")
    run.start(parse_job("[split]\nseed = 2\n"), force=True)
    assert not run.metrics_path.exists() and run.read_records("item_attributes") == []
    assert run.engine_store.read_bytes() == b"cache"
    assert run.manifest["attempts"] == 1


def test_metrics_nan_becomes_null_and_diagnostics_merge(tmp_path):
    import numpy as np

    run = RunDir(tmp_path).start(parse_job(""))
    run.write_metrics({"models": {"als": {"cold": {"recall@20": float("nan"),
                                                  "ndcg@20": np.float64(0.5)}}}})
    assert run.read_metrics()["models"]["als"]["cold"] == {"recall@20": None, "ndcg@20": 0.5}
    run.write_diagnostics({"pseudo_interactions": {"shuffle_agreement": 0.7}})
    run.write_diagnostics({"pseudo_interactions": {"first_third_share": 0.4},
                           "popularity": {"generated_mean_pct": 80.0}})
    diag = run.read_diagnostics()
    assert diag["pseudo_interactions"] == {"shuffle_agreement": 0.7, "first_third_share": 0.4}
    assert run.manifest["diagnostics"] == diag
    run.diagnostics_path.unlink()
    assert run.read_diagnostics() == diag  # falls back to the manifest
