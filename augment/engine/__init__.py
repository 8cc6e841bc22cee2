"""The engine: async, rate-limited, retried, validated, cached and resumable LLM calls.

```python
from augment.engine import Engine, EngineConfig, WorkItem
engine = Engine(provider, EngineConfig(concurrency=8), store="run/engine.sqlite")
est = engine.estimate(items)          # tokens and cost before any call
result = engine.run(items, desc="item attributes")   # works in scripts and notebooks
batch = Engine(provider, EngineConfig(mode="batch", wait=True), store="run/engine.sqlite")
```
"""

from augment.engine.batch import cancel_batches
from augment.engine.cost import Estimate, Price, PriceTable
from augment.engine.ledger import Spend
from augment.engine.lock import FolderLock
from augment.engine.runner import Engine
from augment.engine.store import Store
from augment.engine.types import Check, EngineConfig, RunResult, WorkItem

__all__ = ["Engine", "EngineConfig", "WorkItem", "RunResult", "Estimate", "PriceTable", "Price",
           "Store", "Check", "Spend", "FolderLock", "cancel_batches"]
