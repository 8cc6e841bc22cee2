"""The ``augment`` command line: one module per command.

To add a command, write ``augment/cli/<name>.py`` with

- ``HELP``: a one-line summary,
- ``add_arguments(parser: argparse.ArgumentParser) -> None``,
- ``run(args: argparse.Namespace) -> int`` (the exit code),

and add its module name to :data:`COMMANDS` (one line). Any
:class:`~augment.errors.AugmentError` a command raises becomes one readable line
on stderr and its ``exit_code`` (2, or 3 for provider and budget failures),
never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from augment.errors import AugmentError

__all__ = ["main", "build_parser", "COMMANDS"]

COMMANDS: list[str] = [
    "evaluate",
    "run",
    "estimate",
    "validate",
    "report",
    "demo",
    "data",
]
"""Module names under ``augment.cli``, one per command (``_`` becomes ``-``)."""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with one sub-parser per registered command."""
    from augment import __version__
    from augment.cli.run import EXIT_CODES_HELP

    parser = argparse.ArgumentParser(
        prog="augment", description="Fix cold start in recommenders with LLM-generated data.",
        epilog=EXIT_CODES_HELP)
    parser.add_argument("--version", action="version", version=f"augment {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="more log output on stderr (-v info, -vv debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        module = importlib.import_module(f"augment.cli.{name}")
        cmd = sub.add_parser(name.replace("_", "-"), help=module.HELP, description=module.HELP)
        module.add_arguments(cmd)
        cmd.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (see ``EXIT_CODES_HELP`` in :mod:`augment.cli.run`)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse exits on --help / bad usage
        return int(e.code or 0) if not isinstance(e.code, str) else 2
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args._run(args))
    except AugmentError as e:
        message = " ".join(str(e).split())
        print(f"augment {args.command}: error: {message}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"augment {args.command}: interrupted", file=sys.stderr)
        return 130
