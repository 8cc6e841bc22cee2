"""``augment evaluate``: split a dataset, fit the baselines, write and print metrics."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from augment.data import Dataset
from augment.errors import ConfigError
from augment.evaluation import BASELINES, evaluate, fit_baselines, format_table
from augment.files import atomic_write_json
from augment.splits import SPLIT_KINDS, split

__all__ = ["HELP", "add_arguments", "run", "load_data"]

HELP = "Evaluate the baselines on a cold-start split and write metrics.json."


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
    """``movielens-small`` or a folder of interactions/items files (as a job's ``[data]``)."""
    from augment.jobs import DataConfig
    from augment.pipeline import load_job_data

    return load_job_data(DataConfig(source=name, data_dir=data_dir), key="--data")


def movielens_names() -> tuple[str, ...]:
    """The ``--data`` names of MovieLens (as a job's ``data.source``)."""
    from augment.pipeline._job_data import MOVIELENS_NAMES

    return MOVIELENS_NAMES


def run(args: argparse.Namespace) -> int:
    if any(k < 1 for k in args.k):
        raise ConfigError(f"--k values must be >= 1, got {args.k}", key="k")
    start = time.perf_counter()
    dataset = load_data(args.data, args.data_dir)
    sp = split(dataset, args.split, seed=args.seed)
    models = fit_baselines(sp, seed=args.seed, include=args.models)
    metrics = evaluate(sp, models, k=args.k, seed=args.seed)
    metrics["protocol"]["rating_threshold"] = (
        "MovieLens ratings >= 3.5 are positives (weight 1), other ratings dropped"
        if args.data in movielens_names() else "interactions with weight > 0 are positives")
    if args.out:
        out = Path(args.out) / "metrics.json"
        atomic_write_json(out, metrics)
    print(f"{dataset!r}\n{sp!r}\n")
    print(format_table(metrics))
    proto = metrics["protocol"]
    print(f"\nprotocol: {proto['name']}; cold candidates: {proto['candidates']['cold']}; "
          f"recall@k = {proto['recall']} (recall_capped@k = {proto['recall_capped']})")
    print(f"\n{time.perf_counter() - start:.1f} s" + (f"; wrote {out}" if args.out else ""))
    sys.stdout.flush()
    return 0
