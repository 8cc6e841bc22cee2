"""Engine throughput against the loopback OpenAI server through the real openai provider.

The server runs in a child process (so this process's CPU time is the engine's
plus the SDK's), answers after ``--latency`` seconds and injects ``--fault-rate``
transient faults (429 / 500 / 503). Goals: request rate >= 0.95 of the
requests-per-minute bound, <= 2 ms CPU per record, no record lost or duplicated,
a cached rerun in <= 5% of the first run's wall time. ``cpu_ms_per_record`` includes the
openai SDK and httpx; ``engine_only_cpu_ms_per_record`` is the engine alone (scripted provider).

    /work/venv/bin/python bench/engine_throughput.py            # ~60 s
    /work/venv/bin/python bench/engine_throughput.py -n 200 --rpm 6000   # smoke
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import tempfile
import time
from pathlib import Path

import openai  # noqa: F401 - imported before timing: the import is not per-record work

from augment.engine import Engine, EngineConfig, WorkItem
from augment.providers.base import Request
from augment.providers.fake import FakeProvider
from augment.providers.openai import OpenAIProvider

SCHEMA = {
    "type": "object",
    "properties": {
        "genres": {"type": "array",
                   "items": {"type": "string", "enum": ["drama", "comedy", "action"]},
                   "minItems": 1, "maxItems": 3},
        "mood": {"type": "string", "enum": ["dark", "light"]},
        "summary": {"type": "string", "minLength": 1, "maxLength": 200},
        "year": {"type": "integer", "minimum": 1900},
    },
    "required": ["genres", "mood", "summary"],
    "additionalProperties": False,
}


def _answer(body: dict) -> dict:
    """What the model says: a valid film description (null for the optional year, as strict
    mode does)."""
    return {"genres": ["drama"], "mood": "dark", "summary": "A quiet film.", "year": None}


def _serve(conn, latency: float, fault_rate: float) -> None:
    from augment.testing import OpenAIServer

    srv = OpenAIServer(fn=_answer, latency=latency, fault_rate=fault_rate, seed=1).start()
    conn.send(srv.base_url)
    conn.recv()  # wait for "stop"
    srv.stop()


def items(n: int) -> list[WorkItem]:
    return [WorkItem(f"item:{i}", Request(
        ({"role": "system", "content": "You describe films as JSON."},
         {"role": "user", "content": f"Film #{i}: 'Title {i}' ({1950 + i % 70}). Describe it."}),
        SCHEMA, "film", {"max_tokens": 128, "temperature": 0}), meta={"task": "bench", "i": i})
        for i in range(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--rpm", type=float, default=2400.0)
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--fault-rate", type=float, default=0.1)
    ap.add_argument("--http", default="httpx", choices=["httpx", "aiohttp"],
                    help="the SDK's HTTP transport")
    ap.add_argument("--out",
                    default=str(Path(__file__).parent / "results" / "engine_throughput.json"))
    args = ap.parse_args()

    parent, child = mp.Pipe()
    server = mp.get_context("fork").Process(target=_serve,
                                            args=(child, args.latency, args.fault_rate),
                                            daemon=True)
    server.start()
    base_url = parent.recv()
    work = items(args.n)
    cfg = EngineConfig(concurrency=args.concurrency, requests_per_minute=args.rpm, max_retries=8,
                       backoff_initial_s=0.05, backoff_max_s=1.0, timeout_s=10.0, progress=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            store = Path(tmp) / "engine.sqlite"
            provider = OpenAIProvider("bench-model", base_url=base_url, api_key="bench",
                                      name="openai-compatible", http=args.http)
            cpu0, t0 = time.process_time(), time.perf_counter()
            first = Engine(provider, cfg, store=store).run(work)
            wall1, cpu1 = time.perf_counter() - t0, time.process_time() - cpu0

            t1 = time.perf_counter()
            second = Engine(provider, cfg, store=store).run(work)
            wall2 = time.perf_counter() - t1
    finally:
        parent.send("stop")
        server.join(timeout=5)

    # the engine alone (no SDK, no HTTP): same items through the scripted provider
    with tempfile.TemporaryDirectory() as tmp:
        fake = FakeProvider(fn=lambda r: {"genres": ["drama"], "mood": "dark",
                                          "summary": "A film."})
        cpu_f = time.process_time()
        Engine(fake, EngineConfig(concurrency=args.concurrency, progress=False),
               store=Path(tmp) / "engine.sqlite").run(work)
        engine_only_ms = (time.process_time() - cpu_f) * 1000 / args.n

    keys = [r["key"] for r in first.records] + [f["key"] for f in first.failures]
    expected = {w.key for w in work}
    bound = args.rpm / 60.0
    result = {
        "rate_share_of_bound": round(first.n_calls / wall1 / bound, 4),
        "record_rate_share_of_bound": round(len(first.records) / wall1 / bound, 4),
        "cpu_ms_per_record": round(cpu1 * 1000 / max(len(first.records), 1), 3),
        "lost": len(expected - set(keys)),
        "duplicated": len(keys) - len(set(keys)),
        "engine_only_cpu_ms_per_record": round(engine_only_ms, 3),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "failures": len(first.failures),
        "cached_rerun_wall_share": round(wall2 / wall1, 4),
        "cached_rerun_calls": second.n_calls,
        "n_items": args.n, "n_calls": first.n_calls, "retries": first.n_calls - args.n,
        "wall_s": round(wall1, 2), "cached_rerun_wall_s": round(wall2, 3),
        "requests_per_minute": args.rpm, "concurrency": args.concurrency,
        "latency_s": args.latency, "fault_rate": args.fault_rate, "http": args.http,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    goals = {"rate_share_of_bound": result["rate_share_of_bound"] >= 0.95,
             "cpu_ms_per_record": result["cpu_ms_per_record"] <= 2.0,
             "lost": result["lost"] == 0, "duplicated": result["duplicated"] == 0,
             "cached_rerun_wall_share": result["cached_rerun_wall_share"] <= 0.05}
    for k, v in result.items():
        mark = "" if k not in goals else ("  ok" if goals[k] else "  MISSED")
        print(f"{k:28s} {v}{mark}")


if __name__ == "__main__":
    main()
