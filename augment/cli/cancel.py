"""``augment cancel RUN_DIR``: cancel the run folder's provider batches still running."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from augment.cli.run import EXIT_CODES_HELP, EXIT_OK
from augment.cli.status import open_store

__all__ = ["HELP", "add_arguments", "run"]

HELP = "Cancel a run folder's provider batches that are still running."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("run_dir", metavar="RUN_DIR", help="run folder (holds engine.sqlite)")


def run(args: argparse.Namespace) -> int:
    from augment.engine import Engine
    from augment.engine.batch import cancel_batches
    from augment.providers.registry import get_provider

    store = open_store(args.run_dir)
    try:
        groups: dict[tuple[str, str, str | None], Any] = {}
        for b in store.batches(("created",)):
            groups.setdefault((b.provider, b.model, b.info.get("base_url")), []).append(b)
        if not groups:
            print(f"{args.run_dir}: no provider batch is running")
            return EXIT_OK
        for name, model, base_url in groups:
            kwargs = {"base_url": base_url} if base_url else {}
            provider = get_provider(name, model=model, **kwargs)
            infos = asyncio.run(cancel_batches(Engine(provider, store=store)))
            for info in infos:
                print(f"{name}/{model} {info.batch_id}: {info.state}")
        print("cancelled: rows that had finished are kept; run the job again to collect them "
              "(cancelled rows are resubmitted once)")
    finally:
        store.close()
    sys.stdout.flush()
    return EXIT_OK
