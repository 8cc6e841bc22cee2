"""Reading and checking tables: CSV and Parquet files, or DataFrames.

Every problem is a :class:`~augment.errors.DataError` that names the file, the
row and the column. Rows are **1-based data rows, header excluded** (row 1 is
the first line after the header of a CSV, or the first row of a Parquet file
or DataFrame).
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from augment.errors import DataError, show_value

__all__ = ["read_table", "require_columns", "check_ids", "check_numeric", "check_unique",
           "check_weights", "find_table", "MAX_ABS_WEIGHT"]

MAX_ABS_WEIGHT = 1e6
"""Largest interaction weight (in absolute value) the loaders accept. ALS multiplies a
weight by ``alpha`` into a float32 confidence; far larger values overflow it to inf and
the factors to NaN. Rescale (e.g. ``log1p`` of play counts) if yours are larger."""

_SUFFIXES = (".parquet", ".pq", ".csv", ".tsv")


def find_table(folder: Path, stem: str, *, required: bool = True) -> Path | None:
    """The file ``<stem>.parquet`` / ``.csv`` / ``.tsv`` in ``folder`` (first that exists)."""
    for suffix in _SUFFIXES:
        path = folder / f"{stem}{suffix}"
        if path.is_file():
            return path
        if path.is_dir():
            raise DataError("is a folder, not a file; put the table file here", file=str(path))
    if required:
        raise DataError(f"no {stem}.csv or {stem}.parquet in this folder; add one "
                        f"(columns: see augment.data.load_dataset)", file=str(folder))
    return None


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV/TSV (UTF-8) or Parquet file into a DataFrame."""
    path = Path(path)
    if path.is_dir():
        raise DataError("is a folder, not a file; pass the file inside it", file=str(path))
    if not path.is_file():
        raise DataError("file not found; check the path (or set AUGMENT_DATA_DIR)", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(path)
        except (OSError, ValueError) as e:
            raise DataError(f"cannot read as Parquet ({e})", file=str(path)) from e
    elif suffix in (".csv", ".tsv", ".txt"):
        sep = "\t" if suffix == ".tsv" else ","
        try:
            df = pd.read_csv(path, sep=sep, encoding="utf-8")
        except UnicodeDecodeError as e:
            row, column = _locate_bad_bytes(path, sep)
            raise DataError("not valid UTF-8 text; re-save the file as UTF-8 "
                            "(e.g. iconv -f latin1 -t utf-8)", file=str(path), row=row,
                            column=column) from e
        except pd.errors.EmptyDataError as e:
            raise DataError("file is empty; it needs a header and at least one data row",
                            file=str(path)) from e
        except pd.errors.ParserError as e:
            raise DataError(f"cannot parse as CSV ({e})", file=str(path)) from e
    else:
        raise DataError("unknown file type; use .csv, .tsv or .parquet", file=str(path))
    if len(df) == 0:
        raise DataError("table has no data rows (only a header?); add rows", file=str(path))
    return df


def _locate_bad_bytes(path: Path, sep: str) -> tuple[int | None, str | None]:
    """1-based data row and column of the first non-UTF-8 bytes in a text file."""
    with path.open("rb") as f:
        lines = f.read().split(b"\n")
    header = lines[0].decode("utf-8", errors="replace").rstrip("\r").split(sep)
    for lineno, raw in enumerate(lines):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            if lineno == 0:
                return None, None
            fields = raw.split(sep.encode())
            for pos, field in enumerate(fields):
                try:
                    field.decode("utf-8")
                except UnicodeDecodeError:
                    return lineno, header[pos] if pos < len(header) else None
            return lineno, None
    return None, None


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def require_columns(df: pd.DataFrame, columns: Sequence[str], *, file: str) -> None:
    """Raise a DataError naming a missing column and the close existing name, if any."""
    present = [str(c) for c in df.columns]
    for col in columns:
        if col in present:
            continue
        close = [c for c in present if _norm(c) == _norm(col)]
        close += difflib.get_close_matches(col, present, n=1, cutoff=0.6)
        if not close and col.endswith("_id"):
            stem = col[:-3]
            close = [c for c in present if _norm(c).startswith(stem) and "id" in _norm(c)]
        hint = (f"; did you mean '{close[0]}'? rename it to '{col}'" if close
                else f"; the table has {present}")
        raise DataError(f"missing required column '{col}'{hint}", file=file, column=col)


def check_ids(df: pd.DataFrame, column: str, *, file: str) -> None:
    """Ids must not be missing (NaN / empty)."""
    bad = df[column].isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise DataError(f"missing id ({int(bad.sum())} rows); fill or drop these rows",
                        file=file, row=row, column=column)


def check_numeric(df: pd.DataFrame, column: str, *, file: str) -> pd.Series:
    """The column as float64; non-numeric or missing values raise with their row."""
    values = pd.to_numeric(df[column], errors="coerce").astype("float64")
    bad = values.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"value {show_value(df[column].iloc[i])} is not a number "
                        f"({int(bad.sum())} such rows); use numeric values",
                        file=file, row=i + 1, column=column)
    return values


def check_weights(values: pd.Series, column: str, *, file: str,
                  limit: float = MAX_ABS_WEIGHT) -> None:
    """Weights must be finite and within ``[-limit, limit]`` (see :data:`MAX_ABS_WEIGHT`)."""
    array = values.to_numpy(dtype="float64")
    bad = ~(np.abs(array) <= limit)  # NaN and inf compare False
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"weight {show_value(array[i])} is not finite or outside "
                        f"[-{limit:g}, {limit:g}] ({int(bad.sum())} such rows); use finite "
                        "weights of a moderate size (rescale large counts, e.g. log1p)",
                        file=file, row=i + 1, column=column)


def duplicated(df: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """``df.duplicated(subset=columns, keep="first")`` as a boolean array, by a stable sort
    of the rows' combined codes (pandas' hash-based path is ~2x slower on 10^7 rows)."""
    codes, size = np.zeros(len(df), dtype=np.int64), 1
    for c in columns:
        code, uniques = pd.factorize(df[c], use_na_sentinel=False)
        n = max(len(uniques), 1)
        if size > np.iinfo(np.int64).max // n:  # combined codes would overflow
            return df.duplicated(subset=list(columns), keep="first").to_numpy()
        codes, size = codes * n + code, size * n
    order = np.argsort(codes, kind="stable")  # equal keys keep row order: first one first
    ordered = codes[order]
    dup = np.zeros(len(df), dtype=bool)
    dup[order[1:][ordered[1:] == ordered[:-1]]] = True
    return dup


def _all_distinct(df: pd.DataFrame, columns: Sequence[str]) -> bool:
    """Whether no two rows share the same values in ``columns`` (the common case's whole
    cost: an unstable sort of the rows' combined codes, several times faster than the
    stable argsort :func:`duplicated` needs to name the rows); False when it cannot tell."""
    codes, size = np.zeros(len(df), dtype=np.int64), 1
    for c in columns:
        code, uniques = pd.factorize(df[c], use_na_sentinel=False)
        n = max(len(uniques), 1)
        if size > np.iinfo(np.int64).max // n:
            return False
        codes, size = codes * n + code, size * n
    codes.sort()
    return not bool((codes[1:] == codes[:-1]).any())


def check_unique(df: pd.DataFrame, columns: Sequence[str], *, file: str) -> None:
    """No two rows may share the same values in ``columns``."""
    if _all_distinct(df, columns):
        return
    dup = duplicated(df, columns)
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        key = tuple(df.iloc[i][c] for c in columns)
        first = df.duplicated(subset=list(columns), keep=False).to_numpy()
        mask = first & (df[list(columns)] == pd.Series(key, index=list(columns))).all(axis=1)
        j = int(np.flatnonzero(mask.to_numpy())[0])
        shown = show_value(key[0] if len(key) == 1 else key)
        raise DataError(f"duplicate {'/'.join(columns)} {shown} (first at row {j + 1}, "
                        f"{int(dup.sum())} duplicate rows); aggregate or drop duplicates",
                        file=file, row=i + 1, column=columns[-1])
