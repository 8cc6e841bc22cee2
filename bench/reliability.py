"""The standing reliability suite: faults, kills, bad inputs and property tests, one command.

    python -m bench.reliability    # 5-20 min (machine load); writes bench/results/reliability.json

(a) **faults**: 1,000+ HTTP requests through the real openai and anthropic SDKs to the
    loopback servers, 20% of them faulted (429 with Retry-After, 500, 529, dropped
    connections, truncated bodies, schema-invalid answers, answers cut by the token cap).
    Every work item must end as exactly one record or one failure with a reason:
    ``lost`` and ``duplicated`` count the items for which that does not hold.
(b) **kills**: ``augment run`` (a subprocess, against a loopback OpenAI server) is
    SIGKILLed at 10 random moments and run again each time; its records must equal an
    uninterrupted run's (``identical``). ``paid_twice`` counts request bodies the server
    answered more than once; ``in_flight`` sums, over the kills, the requests received by
    the server whose completion was not in the run's store after the kill (the most a
    rerun can have to pay again). Eight of the ten kill moments fall in the window in
    which the uninterrupted run sent its requests, two in the stages after it.
(c) **bad inputs**: >= 60 broken files, jobs, run folders, schemas and records given to
    ``evaluate``, ``run``, ``estimate``, ``validate`` and ``report``; each must end with a
    documented exit code (1, 2 or 3), at most one error line, no traceback, and leave no
    temporary or half-written file (``clean``).
(d) **hypothesis**: the property tests of loaders, validators, redaction and cache keys.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._reliability_inputs import bad_input_cases, run_case

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results" / "reliability.json"

SCHEMA = {
    "type": "object", "additionalProperties": False, "required": ["genres", "summary"],
    "properties": {
        "genres": {"type": "array", "minItems": 1, "maxItems": 3,
                   "items": {"type": "string", "enum": ["drama", "comedy", "action", "horror"]}},
        "summary": {"type": "string", "minLength": 1, "maxLength": 200}},
}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])])}


# -- (a) faults --------------------------------------------------------------------------------
def _faulty(rate: float, seed: int):
    """``fn(body)`` answering valid data, or (with probability ``rate``) a fault."""
    from augment.testing._http import Fault, Reply

    rng = random.Random(seed)
    cut = json.dumps({"genres": ["drama"], "summary": "An answer cut by the token cap"})[:30]
    kinds = [lambda: Fault.rate_limit(0.01), lambda: Fault.server_error(500),
             lambda: Fault.overloaded(), Fault.drop, Fault.truncated,
             lambda: {"bad": "schema-invalid"}, lambda: Reply(cut, cut_off=True)]
    state = {"n": 0, "faults": 0}

    def fn(body: dict[str, Any]) -> Any:
        state["n"] += 1
        if rng.random() < rate:
            state["faults"] += 1
            return rng.choice(kinds)()
        text = json.dumps(body.get("messages", []))
        return {"genres": ["drama"], "summary": f"Item {abs(hash(text)) % 10_000}."}

    return fn, state


def faults(n_items: int, rate: float, seed: int) -> dict[str, Any]:
    from augment.engine import Engine, EngineConfig, WorkItem
    from augment.providers.base import Request
    from augment.providers.registry import get_provider
    from augment.testing import AnthropicServer, OpenAIServer

    requests = faulted = lost = duplicated = records = failures = 0
    no_reason = 0
    for api, cls in (("openai", OpenAIServer), ("anthropic", AnthropicServer)):
        fn, state = _faulty(rate, seed)
        items = [WorkItem(key=f"{api}:{i}", request=Request(
            messages=({"role": "user", "content": f"Describe item {i}."},), schema=SCHEMA,
            schema_name="attrs", params={"max_tokens": 200}, prompt_version="bench/1"))
            for i in range(n_items)]
        with cls(fn=fn, seed=seed) as srv:
            provider = get_provider(api, model="bench-model", base_url=srv.base_url,
                                    api_key="test", timeout=5.0)
            cfg = EngineConfig(concurrency=8, max_retries=6, max_reasks=2, timeout_s=5.0,
                               backoff_initial_s=0.01, backoff_max_s=0.05, progress=False)
            result = Engine(provider, cfg).run(items)
            requests += len(srv.requests)
        faulted += state["faults"]
        keys = [r["key"] for r in result.records + result.failures]
        lost += len({it.key for it in items} - set(keys))
        duplicated += len(keys) - len(set(keys))
        records += len(result.records)
        failures += len(result.failures)
        no_reason += sum(1 for f in result.failures if not f.get("reason") or not f.get("error"))
    return {"requests": requests, "fault_rate": round(faulted / max(1, requests), 3),
            "faulted": faulted, "lost": lost, "duplicated": duplicated, "records": records,
            "failures": failures, "failures_without_reason": no_reason}


# -- (b) kills ---------------------------------------------------------------------------------
class _CountingServer:
    """A loopback OpenAI server counting request bodies received and answered."""

    def __init__(self, latency: float) -> None:
        from augment.testing import OpenAIServer

        outer = self
        self.bodies: list[str] = []
        self.times: list[float] = []
        """``time.perf_counter()`` of each request received."""

        class Server(OpenAIServer):
            def _handle(self, h):  # noqa: ANN001 - http.server handler
                super()._handle(h)

            def _next_action(self, body):  # noqa: ANN001
                with outer_lock:
                    outer.bodies.append(json.dumps(body.get("messages"), sort_keys=True))
                    outer.times.append(time.perf_counter())
                return super()._next_action(body)

        import threading

        outer_lock = threading.Lock()
        self.server = Server(latency=latency, seed=7)

    def __enter__(self) -> _CountingServer:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def _job(folder: Path, data: Path, url: str) -> Path:
    text = f"""name = "kill-bench"
[data]
source = "{data}"
[tasks.item_attributes]
provider = "openai"
model = "gpt-4o-mini"
base_url = "{url}"
sample = 40
[tasks.user_profiles]
provider = "openai"
model = "gpt-4o-mini"
base_url = "{url}"
sample = 25
[tasks.pseudo_interactions]
provider = "openai"
model = "gpt-4o-mini"
base_url = "{url}"
sample = 12
n_repeats = 2
n_candidates = 10
[engine]
concurrency = 4
[enrich]
weight = 0.5
[als]
factors = 16
iterations = 5
"""
    path = folder / "kill.toml"
    path.write_text(text)
    return path


def _run(job: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "augment.cli", "run", str(job), "--out",
                             str(out), "--no-progress"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**_env(), "OPENAI_API_KEY": "bench"})


def _records(run: Path) -> dict[str, Any]:
    from augment.jobs import RunDir

    rd = RunDir(run)
    return {t: sorted((r["key"], json.dumps(r["output"], sort_keys=True))
                      for r in rd.read_records(t)) for t in rd.tasks_with_records()}


def _stored(run: Path) -> int:
    path = run / "engine.sqlite"
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        try:
            return int(db.execute("select count(*) from completions").fetchone()[0])
        except sqlite3.Error:
            return 0


def kills(n: int, seed: int, work: Path) -> dict[str, Any]:
    sys.path.insert(0, str(REPO / "tests" / "pipeline"))
    from pipeline_fakes import write_dataset

    rng = random.Random(seed)
    data = write_dataset(work / "data", n_users=80, n_items=120, per_user=12)
    with _CountingServer(latency=0.15) as srv:
        job = _job(work, data, srv.server.base_url)
        start = time.perf_counter()
        ref = _run(job, work / "reference")
        ref.wait(timeout=600)
        duration = time.perf_counter() - start
        reference = _records(work / "reference")
        # kill moments: most while requests are in flight, the rest in the later stages
        first, last = srv.times[0] - start, srv.times[-1] - start
        moments = [rng.uniform(first, last) for _ in range(n - n // 5)]
        moments += [rng.uniform(last, 0.9 * duration) for _ in range(n // 5)]
        identical = paid_twice = in_flight = 0
        for k, moment in enumerate(moments):
            out = work / f"killed-{k}"
            before = len(srv.bodies)
            proc = _run(job, out)
            time.sleep(moment)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            time.sleep(0.1)  # let the server finish requests the dead client sent
            received = len(srv.bodies) - before
            in_flight += max(0, received - _stored(out))
            rerun = _run(job, out)
            rerun.wait(timeout=600)
            bodies = srv.bodies[before:]
            paid_twice += len(bodies) - len(set(bodies))
            identical += int(_records(out) == reference and rerun.returncode == 0)
    return {"n": n, "identical": identical, "paid_twice": paid_twice, "in_flight": in_flight,
            "reference_s": round(duration, 1), "generation_window_s": [round(first, 1),
                                                                     round(last, 1)],
            "kill_moments_s": [round(m, 2) for m in moments]}


# -- (c) bad inputs, (d) hypothesis ------------------------------------------------------------
def bad_inputs(work: Path) -> dict[str, Any]:
    cases = bad_input_cases(work)
    unclean = []
    for case in cases:
        ok, detail = run_case(case, _env())
        if not ok:
            unclean.append({"case": case["name"], "why": detail})
    by_command: dict[str, int] = {}
    for case in cases:
        by_command[case["argv"][0]] = by_command.get(case["argv"][0], 0) + 1
    return {"n": len(cases), "clean": len(cases) - len(unclean), "by_command": by_command,
            "unclean": unclean}


def hypothesis_tests() -> dict[str, Any]:
    files = ["tests/reliability/test_properties.py", "tests/reliability/test_redaction_property.py"]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
                          cwd=REPO, capture_output=True, text=True, env=_env())
    tail = proc.stdout.strip().splitlines()[-1:] if proc.stdout.strip() else []
    return {"passed": proc.returncode == 0, "summary": tail[0] if tail else proc.stderr[-300:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=450,
                        help="work items per SDK in the fault run (default 450)")
    parser.add_argument("--fault-rate", type=float, default=0.2)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="augment-reliability-") as tmp:
        work = Path(tmp)
        result: dict[str, Any] = {}
        print("faults ...", flush=True)
        result["faults"] = faults(args.items, args.fault_rate, args.seed)
        print(json.dumps(result["faults"]), flush=True)
        print("kills ...", flush=True)
        (work / "kills").mkdir()
        result["kills"] = kills(args.kills, args.seed, work / "kills")
        print(json.dumps(result["kills"]), flush=True)
        print("bad inputs ...", flush=True)
        (work / "bad").mkdir()
        result["bad_inputs"] = bad_inputs(work / "bad")
        print(json.dumps({k: v for k, v in result["bad_inputs"].items()}), flush=True)
        print("hypothesis ...", flush=True)
        result["hypothesis"] = hypothesis_tests()
        print(json.dumps(result["hypothesis"]), flush=True)
    f, k, b = result["faults"], result["kills"], result["bad_inputs"]
    result["goals"] = {
        "faults": f["requests"] >= 1000 and f["lost"] == 0 and f["duplicated"] == 0
        and f["failures_without_reason"] == 0,
        "kills": k["identical"] == k["n"] and k["paid_twice"] <= k["in_flight"],
        "bad_inputs": b["n"] >= 60 and b["clean"] == b["n"],
        "hypothesis": result["hypothesis"]["passed"]}
    result["duration_s"] = round(time.perf_counter() - started, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"goals: {result['goals']}\nwrote {out}")
    return 0 if all(result["goals"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
