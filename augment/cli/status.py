"""``augment status RUN_DIR``: the run's provider batches and its money, from its store."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from augment.cli.run import EXIT_CODES_HELP, EXIT_OK

__all__ = ["HELP", "add_arguments", "run", "batch_rows", "open_store"]

HELP = "Show a run folder's provider batches (id, state, counts, age, cost) and its spend."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("run_dir", metavar="RUN_DIR", help="run folder (holds engine.sqlite)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def open_store(run_dir: str) -> Any:
    """The run folder's engine store (ConfigError when the folder has none)."""
    from augment.engine.store import Store
    from augment.errors import ConfigError
    from augment.jobs.rundir import RunDir

    path = RunDir(run_dir).engine_store
    if not path.exists():
        raise ConfigError(f"no engine store in {run_dir} (expected {path}); is it a run folder?",
                          file=str(path))
    return Store(path)


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def batch_rows(store: Any) -> list[dict[str, Any]]:
    """One dict per batch of the store, newest last, with its cost so far."""
    now = time.time()
    rows = []
    for b in store.batches():
        spend = store.spend(batch=b.local_id)
        rows.append({"local_id": b.local_id, "batch_id": b.batch_id, "provider": b.provider,
                     "model": b.model, "state": b.state, "provider_state": b.provider_state,
                     "attempt": b.attempt, "rows": b.n_rows,
                     "done": int(b.counts.get("done", 0)), "counts": b.counts,
                     "age_s": round(now - b.created_at, 1), "cost_usd": round(spend.paid, 6),
                     "reserved_usd": round(spend.reserved, 6), "error": b.error})
    return rows


def run(args: argparse.Namespace) -> int:
    store = open_store(args.run_dir)
    try:
        rows = batch_rows(store)
        spend = store.spend()
    finally:
        store.close()
    money = {"spent_usd": round(spend.spent, 6), "in_flight_at_kill_usd": round(spend.estimated, 6),
             "reserved_usd": round(spend.reserved, 6)}
    if args.json:
        print(json.dumps({"batches": rows, "money": money}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"{args.run_dir}: no provider batches")
    else:
        header = ["batch", "provider id", "model", "state", "done/rows", "age", "cost (USD)"]
        table = [header] + [[r["local_id"], r["batch_id"] or "-", f"{r['provider']}/{r['model']}",
                             r["state"] + (f" ({r['provider_state']})" if r["provider_state"]
                                           else ""),
                             f"{r['done']}/{r['rows']}", _age(r["age_s"]),
                             f"{r['cost_usd']:.4f}"] for r in rows]
        widths = [max(len(t[i]) for t in table) for i in range(len(header))]
        for t in table:
            print("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip())
        running = sum(1 for r in rows if r["state"] not in ("done",))
        if running:
            print(f"{running} batches not finished: run the job again to re-attach "
                  f"(or augment cancel {args.run_dir})")
    print(f"spent ${money['spent_usd']:.4f} in this folder (of which "
          f"${money['in_flight_at_kill_usd']:.4f} estimated for calls in flight at a kill); "
          f"reserved for batches in flight ${money['reserved_usd']:.4f}")
    sys.stdout.flush()
    return EXIT_OK
