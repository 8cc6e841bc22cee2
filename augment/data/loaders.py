"""Build a checked :class:`Dataset` from DataFrames, CSV or Parquet files.

The interactions table needs ``user_id``, ``item_id`` and ``weight`` (a number;
negative = disliked) and may have ``timestamp`` and ``source``. The items table
needs ``item_id`` plus any text columns (``title``, ``genres`` as a
``|``-separated string, ``tags``, ...). Rows in error messages are 1-based data
rows, header excluded.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import TypeAlias

import pandas as pd

from augment.data.dataset import INTERACTION_COLUMNS, Dataset
from augment.data.tables import (
    check_ids,
    check_numeric,
    check_unique,
    check_weights,
    find_table,
    read_table,
    require_columns,
)
from augment.errors import DataError, DataWarning

__all__ = ["load_dataset", "dataset_from_frames"]

log = logging.getLogger(__name__)

Table: TypeAlias = pd.DataFrame | str | Path


def _as_frame(table: Table, label: str) -> tuple[pd.DataFrame, str]:
    if isinstance(table, pd.DataFrame):
        if len(table) == 0:
            raise DataError("table has no rows; add rows", file=label)
        return table.reset_index(drop=True), label
    return read_table(table), str(table)


def _same_id_type(a: pd.Series, b: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Make ids comparable when one table has numbers and the other strings."""
    if pd.api.types.is_numeric_dtype(a) == pd.api.types.is_numeric_dtype(b):
        return a, b
    return a.astype(str), b.astype(str)


def _side_table(table: Table, id_col: str, inter: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The checked items or users table (``id_col`` present, set and unique), its ids made
    comparable with ``inter[id_col]`` (which is updated in place)."""
    df, file = _as_frame(table, f"<{id_col.removesuffix('_id')}s DataFrame>")
    require_columns(df, [id_col], file=file)
    check_ids(df, id_col, file=file)
    check_unique(df, [id_col], file=file)
    df = df.copy()
    inter[id_col], df[id_col] = _same_id_type(inter[id_col], df[id_col])
    return df, file


def dataset_from_frames(interactions: Table, items: Table | None = None,
                        users: Table | None = None, *, name: str = "dataset") -> Dataset:
    """A checked Dataset from DataFrames or file paths.

    Raises :class:`~augment.errors.DataError` (naming file, 1-based data row and
    column) for a missing column, a missing id, a non-numeric weight or
    timestamp, a weight that is not finite or beyond ``MAX_ABS_WEIGHT`` (1e6) in
    absolute value, a duplicate (user_id, item_id) or item_id row, or an empty
    table. Items that appear in interactions but not in ``items`` are added
    with empty text (a :class:`~augment.errors.DataWarning` says how many).
    """
    inter, ifile = _as_frame(interactions, "<interactions DataFrame>")
    require_columns(inter, INTERACTION_COLUMNS, file=ifile)
    check_ids(inter, "user_id", file=ifile)
    check_ids(inter, "item_id", file=ifile)
    # no copy: pandas' copy-on-write keeps the caller's frame unchanged when a column is
    # set here, and a frame read from a file is ours (a copy of 25M rows cost seconds)
    inter["weight"] = check_numeric(inter, "weight", file=ifile)
    check_weights(inter["weight"], "weight", file=ifile)
    if "timestamp" in inter.columns and not pd.api.types.is_datetime64_any_dtype(
            inter["timestamp"]):
        inter["timestamp"] = check_numeric(inter, "timestamp", file=ifile)
    check_unique(inter, ["user_id", "item_id"], file=ifile)

    if items is None:
        item_df = pd.DataFrame({"item_id": pd.unique(inter["item_id"])})
    else:
        item_df, tfile = _side_table(items, "item_id", inter)
        missing = ~inter["item_id"].isin(item_df["item_id"])
        if missing.any():
            extra = pd.unique(inter.loc[missing, "item_id"])
            warnings.warn(f"{ifile}: {len(extra)} interacted items are not in {tfile}; "
                          "added with empty text", DataWarning, stacklevel=2)
            item_df = pd.concat([item_df, pd.DataFrame({"item_id": extra})], ignore_index=True)

    user_df = None
    if users is not None:
        user_df, _ = _side_table(users, "user_id", inter)
    log.info("%s: %d interactions, %d items", name, len(inter), len(item_df))
    return Dataset(interactions=inter, items=item_df, users=user_df, name=name)


def load_dataset(path: str | Path | None = None, *, interactions: Table | None = None,
                 items: Table | None = None, users: Table | None = None,
                 name: str | None = None) -> Dataset:
    """Load a Dataset from a folder or from explicit files / DataFrames.

    ``load_dataset("folder/")`` reads ``interactions.{parquet,csv,tsv}`` (required),
    ``items.*`` and ``users.*`` (optional) from the folder. Keyword arguments
    (paths or DataFrames) override the folder's files. See
    :func:`dataset_from_frames` for the checks.
    """
    if path is not None:
        folder = Path(path)
        if not folder.exists():
            raise DataError("folder not found; check the path", file=str(folder))
        if folder.is_file():
            interactions = interactions if interactions is not None else folder
            folder = folder.parent
        else:
            if interactions is None:
                interactions = find_table(folder, "interactions")
            if items is None:
                items = find_table(folder, "items", required=False)
            if users is None:
                users = find_table(folder, "users", required=False)
        name = name or folder.name
    if interactions is None:
        raise DataError("no interactions given; pass a folder or interactions=<file or DataFrame>")
    return dataset_from_frames(interactions, items, users, name=name or "dataset")
