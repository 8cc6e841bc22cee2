"""Run the engine with a slow, priced fake provider (killed mid-call by the ledger test)."""

from __future__ import annotations

import sys

from engine_helpers import make_items

from augment.engine import Engine, EngineConfig
from augment.providers.base import Usage
from augment.providers.fake import FakeProvider

PRICES = {"fake": {"*": {"input": 1000.0, "output": 1000.0}}}
"""USD per 1M tokens: 1000 tokens cost $1."""


def main(store: str) -> None:
    provider = FakeProvider(fn=lambda r: {"n": 1}, latency=30.0, usage=Usage(100, 10))
    Engine(provider, EngineConfig(concurrency=3, progress=False), store=store,
           prices=PRICES).run(make_items(3, max_tokens=50))


if __name__ == "__main__":
    main(sys.argv[1])
