"""``augment data check SOURCE_OR_JOB``: profile the data as read, with warnings; exit 2 when
it cannot be used. ``augment data example [FOLDER]``: write the worked example's data."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from augment.errors import ConfigError

__all__ = ["HELP", "add_arguments", "run"]

HELP = ("Your own data: profile it before a run (data check) or write the worked example's "
        "event log (data example).")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    check = sub.add_parser("check", help="profile a job's data or a table; exit 2 if unusable",
                           description="Read the data of a job file (its [data] and [split]) "
                                       "or of a file / Parquet folder / augment data folder, "
                                       "and print its profile and warnings. Nothing is split "
                                       "for training, no model is called, nothing is written.")
    check.add_argument("target", metavar="SOURCE_OR_JOB",
                       help="a job file (.toml), a CSV/TSV/Parquet file, a folder of Parquet "
                            "parts, or a folder with interactions.* and items.*")
    check.add_argument("--items", help="items table (file or Parquet folder)")
    check.add_argument("--user", help="user id column (default user_id)")
    check.add_argument("--item", help="item id column (default item_id)")
    check.add_argument("--feedback", help="rating / count / event type column")
    check.add_argument("--timestamp", help="time column")
    check.add_argument("--rule", choices=["explicit", "implicit", "events"],
                       help="feedback rule kind (default implicit)")
    check.add_argument("--event-weight", action="append", default=[], metavar="TYPE=W",
                       help="events rule: weight of an event type (repeat the option)")
    check.add_argument("--private", action="append", default=[], metavar="COLUMN",
                       help="a column never to read (repeat the option)")
    check.add_argument("--split", choices=["item-cold", "user-cold"], default="item-cold")
    check.add_argument("--seed", type=int, default=0)
    check.add_argument("-k", type=int, default=3, help="user-cold: history kept per cold user")
    check.add_argument("--json", action="store_true", help="print the profile as JSON")
    example = sub.add_parser("example", help="write the worked example's shop event log",
                             description="Write a shop's event log made from MovieLens "
                                         "(views, carts, purchases with repeated pairs) as "
                                         "Parquet parts, its catalog as CSV and both in a "
                                         "SQLite database: the data of jobs/shop-events.toml.")
    example.add_argument("folder", nargs="?", default="data/shop",
                         help="where to write (default data/shop)")
    example.add_argument("--data-dir", help="folder holding ml-latest-small/ (default: "
                                            "AUGMENT_DATA_DIR, else download)")


def _event_weights(pairs: list[str]) -> dict[str, float]:
    out = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        try:
            out[name] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name:
            raise ConfigError(f"--event-weight '{pair}': use TYPE=WEIGHT, e.g. purchase=5",
                              key="--event-weight")
    return out


def _from_job(path: str):  # noqa: ANN202 - (data, split config)
    from augment.jobs import load_job
    from augment.pipeline._job_data import read_job_data

    cfg = load_job(path)
    dataset, mapped = read_job_data(cfg.data)
    return mapped or dataset, cfg.split


def _from_source(args: argparse.Namespace):  # noqa: ANN202 - MappedData or Dataset
    from augment.data import load_dataset
    from augment.data.feedback import FeedbackRule
    from augment.data.mapped import read_mapped
    from augment.data.mapping import ColumnMapping
    from augment.data.tables import find_table

    target = Path(args.target)
    flags = [args.user, args.item, args.feedback, args.timestamp, args.rule, args.items,
             args.event_weight, args.private]
    if target.is_dir() and not any(flags) and find_table(target, "interactions",
                                                         required=False):
        return load_dataset(target)
    mapping = ColumnMapping(user=args.user or "user_id", item=args.item or "item_id",
                            feedback=args.feedback, timestamp=args.timestamp,
                            private=tuple(args.private))
    rule = FeedbackRule(kind=args.rule or "implicit",
                        event_weights=_event_weights(args.event_weight))
    return read_mapped(target, args.items, columns=mapping, feedback=rule, name=target.name)


def run(args: argparse.Namespace) -> int:
    from augment.data.check import format_profile, profile_data
    from augment.jobs.config import SplitConfig

    if args.data_command == "example":
        from augment.testing.event_logs import write_example_shop

        paths = write_example_shop(args.folder, data_dir=args.data_dir)
        for name, path in paths.items():
            print(f"{name:9} {path}")
        print("next: augment data check jobs/shop-events.toml")
        return 0
    if args.data_command != "check":
        raise ConfigError("use: augment data check SOURCE_OR_JOB, or augment data example",
                          key="data")
    if args.target.endswith(".toml"):
        data, split_cfg = _from_job(args.target)
    else:
        data = _from_source(args)
        split_cfg = SplitConfig(kind=args.split, seed=args.seed, k=args.k)
    profile = profile_data(data, split_kind=split_cfg.kind, seed=split_cfg.seed, k=split_cfg.k)
    print(json.dumps(profile, indent=2, default=str) if args.json else format_profile(profile))
    return 0
