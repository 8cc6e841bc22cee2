"""``augment report RUN_DIR``: (re)write report.md and report.html of a run folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from augment.cli.run import EXIT_CODES_HELP, EXIT_OK
from augment.errors import ConfigError

__all__ = ["HELP", "add_arguments", "run"]

HELP = "Write report.md and report.html of a run folder (partial runs too)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by augment run")


def run(args: argparse.Namespace) -> int:
    from augment.report import write_report

    folder = Path(args.run_dir)
    if not folder.is_dir():
        raise ConfigError("run folder not found; run a job first (augment run JOB)",
                          file=str(folder))
    if not (folder / "manifest.json").exists():
        raise ConfigError("not a run folder (no manifest.json); pass the folder augment run "
                          "wrote", file=str(folder))
    md, html = write_report(folder)
    print(f"report: {html.resolve()}\nmarkdown: {md.resolve()}")
    return EXIT_OK
