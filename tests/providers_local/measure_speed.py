"""Seconds per request of the local provider, and what prompt-prefix reuse saves.

Not a test (no timing assertions in tests). Run from the repo root:
``/work/venv/bin/python -m tests.providers_local.measure_speed [n_threads] [n_pairs]``.

Prints JSON for an item-attributes-like schema (title, genres enum maxItems 3,
tags, short summary): the first call (cold context), then pairs of calls run
alternately -- one with the system message of the previous call (its key/value
cache is reused) and one whose system message differs in its first token (no
reuse) -- with a short and a long (~350-token) system message. Alternating keeps
the comparison fair on a machine whose load changes.
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
RULES = (" Rules: use only genres from the allowed list; tags are two or three words about "
         "themes, mood, setting or style; never guess the audience's age, gender, religion "
         "or health; write the summary as one plain sentence without spoilers; if you do not "
         "know the movie, describe what the title suggests and keep tags generic.") * 5


def _call(provider: LocalProvider, system: str, title: str) -> tuple[float, dict[str, int]]:
    req = Request(({"role": "system", "content": system},
                   {"role": "user", "content": f"Movie: {title}"}), ITEM_SCHEMA)
    t0 = time.perf_counter()
    c = asyncio.run(provider.complete(req))
    return time.perf_counter() - t0, c.usage.to_dict()


def _pairs(p: LocalProvider, system: str, n: int) -> dict[str, float]:
    shared, fresh, usage = [], [], []
    _call(p, system, TITLES[-1])  # put the shared system message in the context
    for i in range(n):
        title = TITLES[i % len(TITLES)]
        s, u = _call(p, system, title)
        shared.append(s)
        usage.append(u)
        fresh.append(_call(p, f"#{i} {system}", title)[0])
        _call(p, system, TITLES[-1])  # restore the shared prefix for the next pair
    return {"input_tokens": statistics.mean(u["input_tokens"] for u in usage),
            "cached_tokens": statistics.mean(u["cached_tokens"] for u in usage),
            "output_tokens": statistics.mean(u["output_tokens"] for u in usage),
            "reused_s": round(statistics.mean(shared), 3),
            "not_reused_s": round(statistics.mean(fresh), 3),
            "ratio_reused_to_not": round(statistics.mean(shared) / statistics.mean(fresh), 3)}


def main(n_threads: int | None = None, n_pairs: int = 4) -> dict:
    p = LocalProvider(n_threads=n_threads)
    t0 = time.perf_counter()
    p._loaded()
    load_s = time.perf_counter() - t0
    first, _ = _call(p, SYSTEM, TITLES[0])
    second, _ = _call(p, SYSTEM, TITLES[1])
    return {"model": p.model, "n_threads": n_threads, "load_s": round(load_s, 3),
            "first_call_s": round(first, 3), "second_call_s": round(second, 3),
            "ratio_second_to_first": round(second / first, 3),
            "short_system": _pairs(p, SYSTEM, n_pairs),
            "long_system": _pairs(p, SYSTEM + RULES, n_pairs)}


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    print(json.dumps(main(*args), indent=1))
