"""A run killed with SIGKILL and started again ends with exactly the uninterrupted records."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("_resume_script.py")
N = 120


def _run(store: Path, out: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, str(SCRIPT), str(store), str(out), str(N), "0.01"],
                            env=env)


def _n_results(store: Path) -> int:
    if not store.exists():
        return 0
    try:
        with sqlite3.connect(store, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _canon(records: list[dict]) -> list[tuple]:
    return sorted((r["key"], json.dumps(r["output"], sort_keys=True), r["attempts"],
                   r["request_hash"]) for r in records)


@pytest.mark.slow
def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    ref_out = tmp_path / "ref.json"
    ref = _run(tmp_path / "ref.sqlite", ref_out)

    store, out = tmp_path / "killed.sqlite", tmp_path / "killed.json"
    proc = _run(store, out)
    deadline = time.monotonic() + 30
    while _n_results(store) < N // 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    assert proc.poll() is None, "the run finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not out.exists()
    done_before = _n_results(store)
    assert 0 < done_before < N

    assert _run(store, out).wait(timeout=60) == 0
    assert ref.wait(timeout=60) == 0
    resumed, reference = json.loads(out.read_text()), json.loads(ref_out.read_text())
    keys = [r["key"] for r in resumed["records"]]
    assert keys == [f"row{i}" for i in range(N)]          # none lost, none twice, input order
    assert resumed["failures"] == [] and reference["failures"] == []
    assert _canon(resumed["records"]) == _canon(reference["records"])
    assert resumed["n_calls"] < reference["n_calls"]       # the rerun resumed, not restarted
    assert _n_results(store) == N
