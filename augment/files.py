"""Atomic file writes and the Parquet form of records.

Every file of a run folder is written to a temporary sibling and moved into
place with ``os.replace``: a reader sees the old file or the new one, never a
half-written one, and a failed write leaves no file behind.

Records are plain dicts with nested values (``output``, ``usage``). In Parquet
every nested (or mixed-type) column is stored as JSON text; the names of those
columns are kept in the file's metadata so :func:`read_records` gives the dicts
back.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "atomic_write_json",
           "records_to_table", "write_records_parquet", "read_records_parquet"]

_JSON_COLUMNS_KEY = b"augment.json_columns"


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_FILE_MODE = _file_mode()
"""Mode of written files: what ``open()`` would give (mkstemp alone gives 0600)."""


def atomic_write(path: str | Path, write: Callable[[IO[bytes]], object]) -> Path:
    """Call ``write(file)`` on a temporary file, fsync it, then move it to ``path``.

    On any error the temporary file is removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, _FILE_MODE)
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""
    return atomic_write(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | Path, value: Any) -> Path:
    """Write ``value`` as indented JSON atomically (NaN is refused: use None)."""
    text = json.dumps(value, indent=2, sort_keys=False, ensure_ascii=False, allow_nan=False)
    return atomic_write_text(path, text + "\n")


def _dumps(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def records_to_table(records: Iterable[dict[str, Any]]) -> pa.Table:
    """A table with one row per record; nested or mixed columns as JSON text."""
    rows = list(records)
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(key, None)
    arrays, json_columns = {}, []
    for col in columns:
        values = [row.get(col) for row in rows]
        nested = any(isinstance(v, dict | list | tuple) for v in values)
        if not nested:
            try:
                arrays[col] = pa.array(values)
                continue
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
        arrays[col] = pa.array([_dumps(v) for v in values], type=pa.string())
        json_columns.append(col)
    table = pa.table(arrays) if arrays else pa.table({"key": pa.array([], pa.string())})
    meta = {_JSON_COLUMNS_KEY: json.dumps(json_columns).encode()}
    return table.replace_schema_metadata(meta)


def write_records_parquet(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write records to a Parquet file atomically."""
    table = records_to_table(records)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return atomic_write_bytes(path, buffer.getvalue())


def read_records_parquet(path: str | Path) -> list[dict[str, Any]]:
    """The records of a Parquet file written by :func:`write_records_parquet`."""
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    json_columns = set(json.loads(meta.get(_JSON_COLUMNS_KEY, b"[]")))
    rows = table.to_pylist()
    for row in rows:
        for col in json_columns:
            if row.get(col) is not None:
                row[col] = json.loads(row[col])
    return rows
