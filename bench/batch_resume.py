"""Batch mode under SIGKILL: no record lost or duplicated, no batch submitted twice.

For each provider (OpenAI Batch, Anthropic Message Batches), a loopback batch
server runs in this process and a client process runs the engine in batch mode
(``--wait``) over N requests split into several batches. The server kills the
client (SIGKILL) at random points across upload / create / poll / download,
before the server did the step or after it did it but before the client heard
back; the client is started again until it finishes. Everything is counted from
the server's own book: batches, submitted rows, duplicate submissions (a row
submitted while an earlier submission of it was pending or answered), billed rows
and tokens. One row in 50 expires on its first submission (resubmitted once), and
one request in 7 is answered invalid first (re-asked in a follow-up round).

The same job is then run online against the same server for the cost share.

    python -m bench.batch_resume                      # 2,000 requests, 10 kills each
    python -m bench.batch_resume -n 200 --kills 4     # smoke
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from augment.engine import Engine, EngineConfig, WorkItem
from augment.engine.cost import PriceTable
from augment.providers.base import Request, Usage
from augment.testing import AnthropicBatchServer, BatchFaults, OpenAIBatchServer

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}},
          "required": ["n"], "additionalProperties": False}
MODELS = {"openai": "gpt-4o-mini", "anthropic": "claude-haiku-4-5"}
STEPS = {"openai": ("upload", "create", "poll", "download"),
         "anthropic": ("create", "poll", "download")}
OUT = Path(__file__).with_name("results") / "batch_resume.json"


def items(n: int) -> list[WorkItem]:
    """N requests whose right answer is ``{"n": i}``."""
    return [WorkItem(f"row{i}", Request(({"role": "user", "content": f"number {i}"},), SCHEMA,
                                        "rec", {"max_tokens": 64}), meta={"i": i})
            for i in range(n)]


def answer(body: dict[str, Any]) -> dict[str, int]:
    """The server's model: right, except one request in 7 is invalid at its first ask."""
    messages = body.get("messages") or []
    first = next(m for m in messages if m["role"] == "user")["content"]
    i = int(str(first).split()[-1])
    if i % 7 == 3 and len(messages) == 1:
        return {"n": -1}
    return {"n": i}


def provider(name: str, url: str) -> Any:
    if name == "openai":
        from augment.providers.openai import OpenAIProvider

        return OpenAIProvider(MODELS[name], base_url=url + "/v1", api_key="test", name="openai")
    from augment.providers.anthropic import AnthropicProvider

    return AnthropicProvider(MODELS[name], base_url=url, api_key="test")


def client(name: str, url: str, store: str, out: str, n: int, batch_max: int) -> None:
    """One client process: the engine in batch mode with --wait; writes its result."""
    cfg = EngineConfig(mode="batch", wait=True, poll_initial_s=0.05, poll_max_s=0.2,
                       batch_max_requests=batch_max, progress=False, max_retries=2,
                       backoff_initial_s=0.01, backoff_max_s=0.05)
    result = Engine(provider(name, url), cfg, store=store).run(items(n))
    Path(out).write_text(json.dumps({"records": result.records, "failures": result.failures}))


class Killer:
    """The server's hook: kills the current client at its k-th step event (a step's
    ``before`` or ``after``; k uniform in 1..30), so kills land wherever the run is:
    uploads and creates early, polls and downloads later."""

    def __init__(self) -> None:
        self.pid = 0
        self.target: int | None = None
        self.seen = 0
        self.killed: list[tuple[str, str, int]] = []
        self.lock = threading.Lock()

    def arm(self, pid: int, target: int | None) -> None:
        with self.lock:
            self.pid, self.target, self.seen = pid, target, 0

    def __call__(self, step: str, when: str) -> bool:
        with self.lock:
            self.seen += 1
            if self.target is None or self.seen != self.target:
                return False
            os.kill(self.pid, signal.SIGKILL)
            self.killed.append((step, when, self.seen))
            self.target = None
            return when == "before"


def run_provider(name: str, n: int, kills: int, batch_max: int, seed: int,
                 workdir: Path) -> dict[str, Any]:
    """Kill the client ``kills`` times at random steps, rerun until done; count from the server."""
    rng = random.Random(seed)
    killer = Killer()
    faults = BatchFaults(complete_after_s=1.0, on_step=killer,
                         row_fault=lambda cid, k: "expired" if k == 1 and int(cid[:4], 16) % 50 == 0
                         else None)
    server_cls = OpenAIBatchServer if name == "openai" else AnthropicBatchServer
    store, out = workdir / f"{name}.sqlite", workdir / f"{name}.json"
    plan = [rng.randint(1, 30) for _ in range(kills)]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = 0
    start = time.perf_counter()
    with server_cls(fn=answer, faults=faults) as srv:
        while True:
            runs += 1
            proc = subprocess.Popen([sys.executable, "-m", "bench.batch_resume", "client", name,
                                     srv.url, str(store), str(out), str(n), str(batch_max)],
                                    env=env, cwd=env["PYTHONPATH"])
            killer.arm(proc.pid, plan[0] if plan else None)
            code = proc.wait(timeout=600)
            if code == 0:
                break
            if code != -signal.SIGKILL or not plan:
                raise RuntimeError(f"client exited {code} (run {runs})")
            plan.pop(0)
        book = srv.book.summary()
        wall = time.perf_counter() - start
        online = _online_cost(name, srv.url, n, workdir)
    result = json.loads(out.read_text())
    keys = [r["key"] for r in result["records"]]
    wrong = sum(1 for r in result["records"] if r["output"] != {"n": r["i"]})
    done = set(keys) | {f["key"] for f in result["failures"]}
    prices = PriceTable.load().lookup(name, MODELS[name]).for_batch()
    batch_cost = prices.cost(Usage(book["paid_input_tokens"], book["paid_output_tokens"]))
    resubmitted = book["submitted_rows"] - book["distinct_rows"]
    return {"kills": len(killer.killed), "kill_points": [list(k) for k in killer.killed],
            "kills_by_step": {s: sum(1 for k in killer.killed if k[0] == s) for s in STEPS[name]},
            "client_runs": runs, "requests": n, "records": len(keys),
            "failures": len(result["failures"]), "wrong_outputs": wrong,
            "failure_reasons": sorted({f"{f['reason']}: {f['error']}" for f in result["failures"]}),
            "lost": n - len(done), "duplicated": len(keys) - len(set(keys)),
            "batches": book["batches"], "rows_submitted": book["submitted_rows"],
            "distinct_rows_submitted": book["distinct_rows"],
            "resubmitted_failed_rows": resubmitted,
            "duplicate_submissions": book["duplicate_submissions"],
            "paid_requests": book["paid_requests"], "paid_twice": book["paid_twice"],
            "paid_bound": book["distinct_rows"] + resubmitted,
            "batch_cost_usd": round(batch_cost, 6), "online_cost_usd": round(online, 6),
            "cost_share_vs_online": round(batch_cost / online, 4) if online else None,
            "wall_s": round(wall, 1)}


def _online_cost(name: str, url: str, n: int, workdir: Path) -> float:
    """The same job online against the same server (its chat endpoint), fresh store."""
    cfg = EngineConfig(concurrency=16, progress=False)
    result = Engine(provider(name, url), cfg, store=workdir / f"{name}-online.sqlite").run(items(n))
    return result.cost_usd


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "client":
        client(argv[1], argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--batch-max", type=int, default=200, help="requests per batch")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--providers", default="openai,anthropic")
    ap.add_argument("--out", default=str(OUT))
    args = ap.parse_args(argv)
    report: dict[str, Any] = {"n": args.n, "batch_max": args.batch_max, "seed": args.seed,
                              "providers": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for k, name in enumerate(args.providers.split(",")):
            res = run_provider(name, args.n, args.kills, args.batch_max, args.seed + k, Path(tmp))
            report["providers"][name] = res
            print(name, json.dumps(res))
    goals = {name: {"lost_0": r["lost"] == 0, "duplicated_0": r["duplicated"] == 0,
                    "duplicate_submissions_0": r["duplicate_submissions"] == 0,
                    "paid_within_bound": r["paid_requests"] <= r["paid_bound"],
                    "cost_share_le_0.5": (r["cost_share_vs_online"] or 1) <= 0.5}
             for name, r in report["providers"].items()}
    report["goals"] = goals
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    print("goals:", json.dumps(goals))


if __name__ == "__main__":
    main()
