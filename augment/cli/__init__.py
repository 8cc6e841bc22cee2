"""The ``augment`` command line: one module per command.

To add a command, write ``augment/cli/<name>.py`` with

- ``HELP``: a one-line summary,
- ``add_arguments(parser: argparse.ArgumentParser) -> None``,
- ``run(args: argparse.Namespace) -> int`` (the exit code),

and add its module name to :data:`COMMANDS` (one line). Any
:class:`~augment.errors.AugmentError` a command raises becomes one readable line
on stderr and its ``exit_code`` (2, or 3 for provider and budget failures), a
file-system error (``OSError``) one line and exit 2, anything else one line and
exit 70 (sysexits' EX_SOFTWARE); the traceback only with ``-v`` or ``--debug``. Warnings
are one line too.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from augment.errors import AugmentError, clip

__all__ = ["main", "build_parser", "COMMANDS"]

COMMANDS: list[str] = [
    "evaluate",
    "run",
    "estimate",
    "validate",
    "report",
    "export",
    "demo",
    "status",
    "cancel",
    "data",
    "probe",
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
                        help="more log output on stderr (-v info, -vv debug); tracebacks of "
                             "errors too")
    parser.add_argument("--debug", action="store_true",
                        help="show the traceback of an error (and debug logs)")
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
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose + 2 * args.debug, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    if not getattr(args, "_run", None):
        parser.print_help(sys.stderr)
        return 2
    debug = bool(args.debug or args.verbose)
    with warnings.catch_warnings():
        warnings.showwarning = _warning_line(args.command)
        return _run_command(args, debug)


def _warning_line(command: str) -> Callable[..., None]:
    """Warnings as one line on stderr (no source line), like errors."""
    def show(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
        text = clip(" ".join(str(message).split()), 1000)
        print(f"augment {command}: warning: {text}", file=sys.stderr)
    return show


def _run_command(args: argparse.Namespace, debug: bool) -> int:
    from augment.cli.run import EXIT_INTERNAL, error_line

    try:
        return int(args._run(args))
    except AugmentError as e:
        if debug:
            traceback.print_exc()
        error_line(args.command, e)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"augment {args.command}: interrupted", file=sys.stderr)
        return 130
    except OSError as e:  # disk full, read-only folder, a file where a folder should be
        if debug:
            traceback.print_exc()
        where = f"{e.filename}: " if e.filename else ""
        error_line(args.command, f"{where}{e.strerror or e}; check the path, its permissions "
                                 "and free space")
        return 2
    except Exception as e:  # noqa: BLE001 - a bug: one line, the traceback with --debug
        if debug:
            traceback.print_exc()
        error_line(args.command, f"internal error {type(e).__name__}: {e} (rerun with --debug "
                                 "for the traceback and report it)")
        return EXIT_INTERNAL
