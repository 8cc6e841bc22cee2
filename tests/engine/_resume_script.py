"""Run the engine over N items with a slow fake provider (used by the SIGKILL test)."""

from __future__ import annotations

import json
import sys

from augment.engine import Engine, EngineConfig, WorkItem
from augment.providers.base import Request
from augment.providers.fake import FakeProvider

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}, "sq": {"type": "integer"}},
          "required": ["n", "sq"]}


def answer(req: Request) -> object:
    i = int(req.messages[0]["content"].split()[-1])
    if i % 7 == 3 and len(req.messages) == 1:
        return {"n": i}  # invalid first: exercises the re-ask path across a kill
    return {"n": i, "sq": i * i}


def main(store: str, out: str, n: int, latency: float) -> None:
    items = [WorkItem(f"row{i}", Request(({"role": "user", "content": f"square {i}"},), SCHEMA))
             for i in range(n)]
    engine = Engine(FakeProvider(fn=answer, latency=latency),
                    EngineConfig(concurrency=4, progress=False), store=store)
    result = engine.run(items)
    with open(out, "w") as f:
        json.dump({"records": result.records, "failures": result.failures,
                   "n_calls": result.n_calls}, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
