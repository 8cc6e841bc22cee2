"""Seconds per request of the local provider on an item-attributes-like schema.

Not a test (no timing assertions in tests): run
``/work/venv/bin/python -m tests.providers_local.measure_speed [n_threads]`` from the repo root.
Prints JSON: mean seconds per request (warm model), the first call (cold prompt)
vs. later ones (system prompt reused from the key/value cache), and the same with
the prefix reuse defeated (a system message that differs on every call).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

from augment.providers.base import Request
from augment.providers.local import LocalProvider
from tests.providers_local.test_local_model import ITEM_SCHEMA, SYSTEM

TITLES = ["Toy Story (1995)", "Heat (1995)", "Jumanji (1995)", "Alien (1979)",
          "Casino (1995)", "Sabrina (1995)", "Babe (1995)", "Fargo (1996)"]


def _timed(provider: LocalProvider, system: str, title: str) -> tuple[float, dict]:
    req = Request(({"role": "system", "content": system},
                   {"role": "user", "content": f"Movie: {title}"}), ITEM_SCHEMA)
    t0 = time.perf_counter()
    c = asyncio.run(provider.complete(req))
    return time.perf_counter() - t0, c.usage.to_dict()


def main(n_threads: int = 2) -> dict:
    p = LocalProvider(n_threads=n_threads)
    load0 = time.perf_counter()
    p._loaded()
    load_s = time.perf_counter() - load0
    shared = [_timed(p, SYSTEM, t) for t in TITLES]
    fresh = [_timed(p, f"[{i}] {SYSTEM}", t) for i, t in enumerate(TITLES)]
    sec = [s for s, _ in shared]
    out = {
        "model": p.model, "n_threads": n_threads, "load_s": round(load_s, 3),
        "shared_prefix": {"first_s": round(sec[0], 3),
                          "mean_later_s": round(statistics.mean(sec[1:]), 3),
                          "ratio_later_to_first": round(statistics.mean(sec[1:]) / sec[0], 3),
                          "mean_output_tokens": statistics.mean(u["output_tokens"] for _, u in shared),
                          "mean_input_tokens": statistics.mean(u["input_tokens"] for _, u in shared),
                          "mean_cached_tokens": statistics.mean(u["cached_tokens"] for _, u in shared[1:])},
        "no_prefix_reuse": {"mean_s": round(statistics.mean(s for s, _ in fresh), 3),
                            "mean_cached_tokens": statistics.mean(u["cached_tokens"] for _, u in fresh)},
    }
    out["seconds_per_request"] = round(statistics.mean(sec), 3)
    out["per_token_ms_shared"] = round(1000 * statistics.mean(sec[1:]) / out["shared_prefix"]["mean_output_tokens"], 1)
    return out


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2), indent=1))
