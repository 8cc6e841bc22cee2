"""``augment export RUN_DIR --format spark``: the enriched interactions for another trainer."""

from __future__ import annotations

import argparse

from augment.cli.run import EXIT_CODES_HELP, EXIT_OK

__all__ = ["HELP", "add_arguments", "run"]

HELP = "Export a run's enriched interactions for another trainer (Spark MLlib ALS)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from augment.export import FORMATS

    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by augment run")
    parser.add_argument("--format", choices=FORMATS, default="spark",
                        help="spark: Parquet partitioned by source, int32 user/item indices")
    parser.add_argument("--out", help="output folder (default RUN_DIR/export/FORMAT)")


def run(args: argparse.Namespace) -> int:
    from augment.export import export_run

    folder, counts = export_run(args.run_dir, args.format, args.out)
    by = ", ".join(f"{k} {v}" for k, v in counts["by_source"].items())
    print(f"exported {counts['rows']} interactions ({by}), {counts['users']} users, "
          f"{counts['items']} items: {folder.resolve()}")
    return EXIT_OK
