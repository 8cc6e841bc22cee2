"""Read the user's own tables through a column mapping and a feedback rule into a Dataset.

The interactions source is read in chunks of only the mapped columns; each chunk's
ids become integer codes (one growing vocabulary per side) and its feedback a
number (rating, count or event weight), so what is held per log row is a few
numeric arrays, never the chunk's DataFrame. The feedback rule
(:mod:`augment.data.feedback`) then makes one weight per (user, item).
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from augment.data.dataset import Dataset
from augment.data.feedback import (
    Aggregated,
    FeedbackRule,
    FeedbackStats,
    RowLog,
    aggregate_pairs,
)
from augment.data.mapping import ColumnMapping
from augment.data.sources import BATCH_ROWS, Source, as_source, check_columns, read_all
from augment.data.tables import MAX_ABS_WEIGHT, check_ids, check_unique
from augment.errors import DataError, DataWarning

__all__ = ["load_mapped", "read_mapped", "MappedData", "IdEncoder"]

log = logging.getLogger(__name__)

SourceLike = Source | str | Path | dict[str, Any]


class IdEncoder:
    """Ids -> dense int32 codes in first-seen order, fed chunk by chunk."""

    def __init__(self) -> None:
        self._index: pd.Index | None = None

    def encode(self, values: pd.Series) -> np.ndarray:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if self._index is None:
            self._index = pd.Index(uniques)
            return codes.astype(np.int32)
        known = self._index.get_indexer(uniques)
        new = known < 0
        if new.any():
            known[new] = np.arange(len(self._index), len(self._index) + int(new.sum()))
            self._index = self._index.append(pd.Index(uniques[new]))
        return known[codes].astype(np.int32)

    @property
    def ids(self) -> pd.Index:
        return self._index if self._index is not None else pd.Index([])


@dataclass
class MappedData:
    """A Dataset read through a mapping and a rule, with what the reading did."""

    dataset: Dataset
    mapping: ColumnMapping
    rule: FeedbackRule
    stats: FeedbackStats
    sources: dict[str, str] = field(default_factory=dict)
    """Role (interactions, items) -> source label."""

    def manifest(self) -> dict[str, Any]:
        """The ``data`` entry of a run manifest."""
        return {"sources": dict(self.sources), "columns": self.mapping.as_dict(),
                "feedback": self.rule.as_dict(), "feedback_stats": self.stats.as_dict(),
                "feedback_summary": self.stats.summary(self.rule)}


def _fail_row(mask: np.ndarray, offset: int) -> int:
    return offset + int(np.flatnonzero(mask)[0]) + 1


def _ratings(col: pd.Series, rule: FeedbackRule, label: str, name: str, offset: int
             ) -> np.ndarray:
    values = pd.to_numeric(col, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"value {col.iloc[i]!r} is not a number ({int(bad.sum())} such rows in "
                        "this chunk); fix or drop these rows", file=label,
                        row=offset + i + 1, column=name)
    if rule.kind == "implicit" and (values < 0).any():
        raise DataError(f"count {values[values < 0][0]:g} is negative; counts must be >= 0",
                        file=label, row=_fail_row(values < 0, offset), column=name)
    if rule.rating_range is not None:
        low, high = rule.rating_range
        out = (values < low) | (values > high)
        if out.any():
            raise DataError(f"rating {values[out][0]:g} is outside rating_range [{low:g}, "
                            f"{high:g}]; fix the data or the range", file=label,
                            row=_fail_row(out, offset), column=name)
    return values


def _events(col: pd.Series, rule: FeedbackRule, label: str, name: str, offset: int
            ) -> np.ndarray:
    """Event type codes (index into the sorted event_weights keys)."""
    names = sorted(rule.event_weights)
    codes = pd.Index(names).get_indexer(col.astype("string").fillna("<missing>").to_numpy())
    bad = codes < 0
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"event type {col.iloc[i]!r} has no weight; add it to "
                        f"data.feedback.event_weights (known: {', '.join(names)})",
                        file=label, row=offset + i + 1, column=name)
    return codes.astype(np.int16)


def _seconds(col: pd.Series, label: str, name: str, offset: int) -> np.ndarray:
    """Timestamps as float64 unix seconds (numbers as they are; datetimes converted)."""
    if pd.api.types.is_numeric_dtype(col):
        values = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        try:
            parsed = pd.to_datetime(col, utc=True, format="ISO8601")
        except (ValueError, TypeError) as e:
            raise DataError(f"cannot read as times ({e}); use unix seconds or ISO 8601",
                            file=label, column=name) from e
        values = (parsed.dt.tz_convert(None).to_numpy("datetime64[us]")
                  .astype(np.int64).astype(np.float64) / 1e6)
        values[parsed.isna().to_numpy()] = np.nan
    bad = np.isnan(values)
    if bad.any():
        raise DataError("missing timestamp; fill or drop these rows", file=label,
                        row=_fail_row(bad, offset), column=name)
    return values


def _ids(col: pd.Series, enc: IdEncoder, label: str, name: str, offset: int) -> np.ndarray:
    codes = enc.encode(col)
    if (codes < 0).any():
        raise DataError("missing id; fill or drop these rows", file=label,
                        row=_fail_row(codes < 0, offset), column=name)
    return codes


class _Buffer:
    """A growing 1-D array: chunks are copied into one block (no list of chunks left
    scattered on the heap), capacity grows 1.5x when the final size is unknown."""

    def __init__(self, dtype: Any, capacity: int) -> None:
        self.data = np.empty(max(capacity, 1), dtype=dtype)
        self.n = 0

    def add(self, values: np.ndarray) -> None:
        need = self.n + len(values)
        if need > len(self.data):
            grown = np.empty(max(need, int(len(self.data) * 1.5) + 1), dtype=self.data.dtype)
            grown[:self.n] = self.data[:self.n]
            self.data = grown
        self.data[self.n:need] = values
        self.n = need

    def array(self) -> np.ndarray:
        return self.data if self.n == len(self.data) else self.data[:self.n].copy()


def _read_log(source: Source, mapping: ColumnMapping, rule: FeedbackRule, batch_rows: int
              ) -> tuple[RowLog, IdEncoder, IdEncoder]:
    """The log's per-row arrays (values None for events rules: the weight follows from the
    event code) and the id encoders."""
    check_columns(source, mapping.interaction_columns())
    users, items = IdEncoder(), IdEncoder()
    counter = getattr(source, "count_rows", None)
    hint = (counter() if callable(counter) else None) or batch_rows
    fb, events = mapping.feedback, rule.kind == "events" and mapping.feedback is not None
    bufs = {"u": _Buffer(np.int32, hint), "i": _Buffer(np.int32, hint)}
    bufs["e" if events else "v"] = _Buffer(np.int16 if events else np.float32, hint)
    if mapping.timestamp is not None:
        bufs["t"] = _Buffer(np.float64, hint)
    offset = 0
    label = source.label
    for chunk in source.batches(mapping.interaction_columns(), batch_rows):
        bufs["u"].add(_ids(chunk[mapping.user], users, label, mapping.user, offset))
        bufs["i"].add(_ids(chunk[mapping.item], items, label, mapping.item, offset))
        if events and fb is not None:
            bufs["e"].add(_events(chunk[fb], rule, label, fb, offset))
        elif fb is not None:
            bufs["v"].add(_ratings(chunk[fb], rule, label, fb, offset))
        else:
            bufs["v"].add(np.ones(len(chunk), dtype=np.float32))
        if mapping.timestamp is not None:
            bufs["t"].add(_seconds(chunk[mapping.timestamp], label, mapping.timestamp,
                                   offset))
        offset += len(chunk)
        del chunk
    if offset == 0:
        raise DataError("the interactions source has no rows", file=label)
    arrays = {key: bufs.pop(key).array() for key in list(bufs)}
    _release_arrow_memory()
    return RowLog(users=arrays.pop("u"), items=arrays.pop("i"), values=arrays.pop("v", None),
                  events=arrays.pop("e", None), ts=arrays.pop("t", None)), users, items


def _release_arrow_memory() -> None:
    """Hand the memory pyarrow's allocator kept from decoding chunks back to the system."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def _ids_frame(codes: np.ndarray, enc: IdEncoder) -> Any:
    return enc.ids.take(codes).to_numpy()


def _frame(agg: Aggregated, users: IdEncoder, items: IdEncoder) -> pd.DataFrame:
    """The interactions frame, each of ``agg``'s arrays dropped once converted (and no
    consolidation copy: the columns are the arrays built here)."""
    frame = {"user_id": _ids_frame(agg.users, users)}
    agg.users = np.zeros(0, np.int32)
    frame["item_id"] = _ids_frame(agg.items, items)
    agg.items = np.zeros(0, np.int32)
    frame["weight"] = agg.weight.astype(np.float64, copy=False)
    if agg.timestamp is not None:
        frame["timestamp"] = _timestamps(agg.timestamp)
        agg.timestamp = None
    return pd.DataFrame(frame, copy=False)


def _pair(users: IdEncoder, items: IdEncoder, u: int, i: int) -> str:
    """``(user id, item id)`` as the source spells them (numpy scalars as plain values)."""
    ids = [enc.ids[code] for enc, code in ((users, u), (items, i))]
    return "(" + ", ".join(repr(x.item() if hasattr(x, "item") else x) for x in ids) + ")"


def _timestamps(values: np.ndarray) -> np.ndarray:
    whole = np.all(values == np.floor(values))
    return values.astype(np.int64) if whole else values


def _items_frame(source: Source, mapping: ColumnMapping, interactions: pd.DataFrame
                 ) -> pd.DataFrame:
    available = source.columns()
    cols = mapping.item_columns(available)
    check_columns(source, cols)
    items = read_all(source, cols).rename(columns={mapping.items_key: "item_id"})
    for col in items.columns[1:]:  # text: missing and empty mean the same (sources differ)
        if pd.api.types.is_object_dtype(items[col]) or pd.api.types.is_string_dtype(items[col]):
            items[col] = items[col].fillna("").astype(str)
    check_ids(items, "item_id", file=source.label)
    check_unique(items, ["item_id"], file=source.label)
    a, b = interactions["item_id"], items["item_id"]
    if pd.api.types.is_numeric_dtype(a) != pd.api.types.is_numeric_dtype(b):
        interactions["item_id"], items["item_id"] = a.astype(str), b.astype(str)
    missing = pd.unique(interactions.loc[~interactions["item_id"].isin(items["item_id"]),
                                         "item_id"])
    if len(missing):
        warnings.warn(f"{source.label}: {len(missing)} interacted items are not in the items "
                      "table; added with empty text", DataWarning, stacklevel=3)
        items = pd.concat([items, pd.DataFrame({"item_id": missing})], ignore_index=True)
    return items


def read_mapped(interactions: SourceLike, items: SourceLike | None = None, *,
                columns: ColumnMapping | None = None, feedback: FeedbackRule | None = None,
                name: str = "dataset", url: str | None = None, base: Path | None = None,
                batch_rows: int = BATCH_ROWS) -> MappedData:
    """Read ``interactions`` (and ``items``) through ``columns`` and ``feedback``.

    Sources are paths (CSV/TSV/Parquet file or a folder of Parquet parts),
    ``{"query": ...}`` / ``{"table": ...}`` through the SQLAlchemy ``url``,
    ``{"duckdb": ...}``, or :mod:`augment.data.sources` objects. Raises
    :class:`~augment.errors.DataError` naming the source, the column and the row
    (or the key) for missing columns, missing ids, bad values, unknown event
    types and, when the rule says so, repeated pairs; ConfigError for a mapping
    or rule that cannot work.
    """
    mapping = columns or ColumnMapping()
    rule = feedback or FeedbackRule()
    mapping.check()
    rule.check(has_feedback=mapping.feedback is not None)
    src = as_source(interactions, url=url, base=base)
    log_rows, users, items_enc = _read_log(src, mapping, rule, batch_rows)
    agg, stats = aggregate_pairs(log_rows, rule)
    del log_rows
    if agg.duplicate is not None:
        du, di, first, second = agg.duplicate
        raise DataError(f"pair {_pair(users, items_enc, du, di)} repeats row {first + 1}"
                        f" ({stats.duplicate_pairs} repeated pairs); the rule says duplicates "
                        "are an error: dedupe the data or set duplicates = \"aggregate\"",
                        file=src.label, row=second + 1, column=mapping.item)
    if len(agg.weight) == 0:
        raise DataError(f"no interaction is left after the feedback rule ({rule.kind}, "
                        f"{stats.pairs_dropped} pairs dropped); check the thresholds",
                        file=src.label, column=mapping.feedback)
    big = ~(np.abs(agg.weight) <= MAX_ABS_WEIGHT)
    if big.any():
        k = int(np.flatnonzero(big)[0])
        pair = _pair(users, items_enc, agg.users[k], agg.items[k])
        raise DataError(f"pair {pair} gets weight {agg.weight[k]:g}, beyond "
                        f"+-{MAX_ABS_WEIGHT:g} ({int(big.sum())} pairs); use transform = "
                        "\"log1p\" or smaller weights",
                        file=src.label, column=mapping.feedback)
    inter = _frame(agg, users, items_enc)
    labels = {"interactions": src.label}
    if items is not None:
        isrc = as_source(items, url=url, base=base)
        item_df = _items_frame(isrc, mapping, inter)
        labels["items"] = isrc.label
    else:
        item_df = pd.DataFrame({"item_id": pd.unique(inter["item_id"])})
    log.info("%s: %d rows -> %d interactions (%s)", name, stats.rows, len(inter),
             stats.summary(rule))
    dataset = Dataset(interactions=inter, items=item_df, name=name)
    return MappedData(dataset=dataset, mapping=mapping, rule=rule, stats=stats, sources=labels)


def load_mapped(interactions: SourceLike, items: SourceLike | None = None, *,
                columns: ColumnMapping | None = None, feedback: FeedbackRule | None = None,
                name: str = "dataset", url: str | None = None) -> Dataset:
    """:func:`read_mapped`, returning only the Dataset."""
    return read_mapped(interactions, items, columns=columns, feedback=feedback, name=name,
                       url=url).dataset

