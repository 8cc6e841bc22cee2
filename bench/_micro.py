"""The store's resume check at 10^4..10^6 finished rows (a series of :mod:`bench.scale`).

For ``n`` rows: ``n`` work items shaped like pseudo-interaction requests (two messages,
a schema with a 30-id enum), a store holding a finished record for each (filled in one
transaction: the fixture, not what is measured), then the measured step: what a rerun
and ``augment estimate`` do first, ``Engine.estimate`` over the items, which finds every
row finished (``n_cached == n``).
"""

from __future__ import annotations

import json
from pathlib import Path

from augment.engine import Engine, EngineConfig
from augment.engine.store import Store
from augment.tasks.prompts import make_item
from augment.tasks.schema_tools import load_task_schema, with_enum
from augment.testing.simulated import SimulatedProvider
from bench._stages import FREE, Recorder

_PATH = ["properties", "users", "items", "properties", "user_id"]


def _items(n: int) -> list:
    base = load_task_schema("pseudo_interactions_cold_item")
    out = []
    for k in range(n):
        cands = [str((k * 31 + j) % 100_000) for j in range(30)]
        out.append(make_item(
            key=f"pseudo_interactions:item:{k}:r0", system="You predict who will enjoy a new "
            "item. Pick only listed user_ids.", user=f"<data>\n{{\"item\": {{\"item_id\": "
            f"\"{k}\", \"title\": \"Title {k}\"}}, \"candidates\": {json.dumps(cands)}}}\n"
            "</data>", schema=with_enum(base, _PATH, cands),
            schema_name="pseudo_interactions_cold_item", prompt_version="pseudo/1", check=None,
            meta={"task": "pseudo_interactions", "item_id": k}))
    return out


def store_resume(rows_file: Path, sizes: list[int], work: Path) -> None:
    """One ``store_resume`` row per size in ``sizes`` (finished rows)."""
    import pandas as pd

    work.mkdir(parents=True, exist_ok=True)
    provider = SimulatedProvider(pd.DataFrame(columns=["user_id", "item_id", "weight"]),
                                 pd.DataFrame({"item_id": []}))
    for n in sizes:
        items = _items(n)
        path = work / f"store-{n}.sqlite"
        path.unlink(missing_ok=True)
        engine = Engine(provider, EngineConfig(progress=False), store=path, prices=FREE)
        store: Store = engine.store
        rows = []
        for it in items:
            h = engine._hash(it.request)
            rec = {"key": it.key, "output": {"users": []}, "provider": provider.name,
                   "model": provider.model, "request_hash": h, **it.meta}
            rows.append((it.key, h, "record", json.dumps(rec)))
        store._db.execute("BEGIN")
        store._db.executemany("INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?)", rows)
        store._db.execute("COMMIT")
        store.close()
        del rows
        rec = Recorder(rows_file, {"n_users": 0, "n_items": 0, "n_interactions": 0})
        with rec.stage("store_resume", n) as info:
            est = Engine(provider, EngineConfig(progress=False), store=path,
                         prices=FREE).estimate(items)
            info["n_cached"] = est.n_cached
