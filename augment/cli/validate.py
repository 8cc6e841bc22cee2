"""``augment validate --schema NAME_OR_FILE RECORDS``: check a file of records against a schema.

RECORDS is JSON Lines (one JSON object per line; ``.jsonl``, ``.ndjson``, ``.json``)
or Parquet (as written into a run folder's ``records/``, or any table). A row that
carries the record layout of a run (an ``output`` field the schema does not
define) is checked by its ``output``. Every invalid row is named (line number for
JSONL, 1-based row for Parquet) with the JSON path of each error.

Exit 0 when every record is valid, 1 when any is not, 2 when the file or the
schema cannot be read.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from augment.cli.run import EXIT_CODES_HELP, EXIT_INVALID, EXIT_OK
from augment.errors import MESSAGE_VALUE_CHARS, DataError, clip

__all__ = ["HELP", "add_arguments", "run", "read_rows", "row_errors"]

HELP = "Validate a JSONL or Parquet file of records against a schema (exit 1 if any is invalid)."

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
PER_ROW = 5
"""Errors shown per invalid row."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--schema", required=True, metavar="NAME_OR_FILE",
                        help="a shipped schema name (item_attributes, user_profile, "
                             "pseudo_interactions_cold_item, pseudo_interactions_cold_user, "
                             "job) or a .json schema file")
    parser.add_argument("records", metavar="RECORDS", help="a .jsonl or .parquet file")
    parser.add_argument("--max-rows", type=_count, default=50,
                        help="invalid rows to list (default 50; 0 lists none; all are counted)")


def _count(text: str) -> int:
    """An argparse type: an integer >= 0."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def read_rows(path: Path) -> Iterator[tuple[str, Any, str | None]]:
    """``(where, value, parse_error)`` per record: ``where`` names the line or row."""
    if path.is_dir():
        raise DataError("is a folder, not a records file; pass a .jsonl or .parquet file",
                        file=str(path))
    if not path.is_file():
        raise DataError("records file not found; check the path", file=str(path))
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read the file as UTF-8 text: {exc}", file=str(path)) from exc
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                yield f"line {n}", json.loads(line), None
            except json.JSONDecodeError as exc:
                yield f"line {n}", None, f"not valid JSON: {exc.msg} (column {exc.colno})"
    elif suffix in (".parquet", ".pq"):
        from augment.files import read_records_parquet

        try:
            rows = read_records_parquet(path)
        except (OSError, ValueError, TypeError) as exc:
            raise DataError(f"cannot read the Parquet file: {clip(str(exc))}",
                            file=str(path)) from exc
        for n, row in enumerate(rows, start=1):
            yield f"row {n}", row, None
    else:
        raise DataError(f"unsupported file type '{suffix}': use .jsonl (one JSON object per "
                        "line) or .parquet", file=str(path))


def row_errors(value: Any, schema: dict[str, Any]) -> list[str]:
    """Errors of one record (its ``output`` when it has the run-record layout), each
    clipped to :data:`~augment.errors.MESSAGE_VALUE_CHARS` around the value it quotes."""
    from augment.schemas import validate

    if (isinstance(value, dict) and "output" in value
            and "output" not in (schema.get("properties") or {})):
        errors = [f"output{e[1:]}" for e in validate(value["output"], schema)]
    else:
        errors = validate(value, schema)
    return [clip(e, 2 * MESSAGE_VALUE_CHARS) for e in errors]


def run(args: argparse.Namespace) -> int:
    from augment.schemas import load_schema

    schema = load_schema(args.schema)
    path = Path(args.records)
    total = invalid = 0
    for where, value, parse_error in read_rows(path):
        total += 1
        errors = [parse_error] if parse_error else row_errors(value, schema)
        if not errors:
            continue
        invalid += 1
        if invalid <= args.max_rows:
            more = f" (+{len(errors) - PER_ROW} more)" if len(errors) > PER_ROW else ""
            print(f"{path}: {where}: " + "; ".join(errors[:PER_ROW]) + more)
    if total == 0:
        raise DataError("the file holds no records", file=str(path))
    if invalid > args.max_rows:
        print(f"... {invalid - args.max_rows} more invalid rows not listed")
    if invalid:
        print(f"{invalid} of {total} records invalid against schema {args.schema}")
        return EXIT_INVALID
    print(f"all {total} records valid against schema {args.schema}")
    return EXIT_OK
