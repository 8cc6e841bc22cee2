"""``augment evaluate``: split a dataset, fit the baselines, write and print metrics."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from augment.data import Dataset, load_dataset, load_movielens
from augment.errors import ConfigError
from augment.evaluation import BASELINES, evaluate, fit_baselines, format_table
from augment.splits import SPLIT_KINDS, split

__all__ = ["HELP", "add_arguments", "run", "load_data", "write_json_atomic"]

HELP = "Evaluate the baselines on a cold-start split and write metrics.json."
MOVIELENS_NAMES = ("movielens-small", "ml-latest-small")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default="movielens-small",
                        help="'movielens-small' or a folder with interactions.{csv,parquet} "
                             "and, optionally, items.{csv,parquet} (default: movielens-small)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding ml-latest-small/ (default: $AUGMENT_DATA_DIR, "
                             "else download to the cache)")
    parser.add_argument("--split", default="item-cold", choices=SPLIT_KINDS,
                        help="cold-start protocol (default: item-cold)")
    parser.add_argument("--seed", type=int, default=0, help="seed of split and models")
    parser.add_argument("--k", type=int, nargs="+", default=[10, 20],
                        help="cut-offs (default: 10 20)")
    parser.add_argument("--models", nargs="+", default=list(BASELINES), choices=BASELINES,
                        metavar="MODEL", help=f"baselines to run (default: all of "
                                              f"{', '.join(BASELINES)})")
    parser.add_argument("--out", default=None,
                        help="folder to write metrics.json into (created if needed)")


def load_data(name: str, data_dir: str | None = None) -> Dataset:
    """``movielens-small`` or a folder of interactions/items files."""
    if name in MOVIELENS_NAMES:
        return load_movielens(data_dir)
    if not Path(name).exists():
        raise ConfigError(f"--data '{name}' is neither 'movielens-small' nor an existing folder",
                          key="data")
    return load_dataset(name)


def write_json_atomic(path: Path, payload: object) -> None:
    """Write JSON to ``path`` through a temporary file renamed into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("w", encoding="utf-8") as f:
            json.dump(payload, f, indent=2, allow_nan=False)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def run(args: argparse.Namespace) -> int:
    if any(k < 1 for k in args.k):
        raise ConfigError(f"--k values must be >= 1, got {args.k}", key="k")
    start = time.perf_counter()
    dataset = load_data(args.data, args.data_dir)
    sp = split(dataset, args.split, seed=args.seed)
    models = fit_baselines(sp, seed=args.seed, include=args.models)
    metrics = evaluate(sp, models, k=args.k, seed=args.seed)
    if args.out:
        out = Path(args.out) / "metrics.json"
        write_json_atomic(out, metrics)
    print(f"{dataset!r}\n{sp!r}\n")
    print(format_table(metrics))
    print(f"\n{time.perf_counter() - start:.1f} s" + (f"; wrote {out}" if args.out else ""))
    sys.stdout.flush()
    return 0
