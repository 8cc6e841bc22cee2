"""Feedback rules: how a log's rows become one implicit-feedback weight per (user, item).

Three kinds, each documented here and recorded in the run manifest
(:meth:`FeedbackRule.as_dict`) with what it did (:class:`FeedbackStats`):

``explicit`` — the feedback column is a rating. Ratings outside ``rating_range``
    are an error (naming the row). Repeated (user, item) rows are aggregated
    (default ``last``: the latest rating by timestamp, then by row order), then a
    rating ``>= threshold`` becomes weight ``+weight``, a rating ``<=
    negative_threshold`` (when set) ``-weight`` (implicit's ALS reads negative
    values as "disliked"), and any other rating is dropped — as
    :func:`augment.data.load_movielens` does.

``implicit`` — the feedback column is a count (plays, clicks, quantity; ``>= 0``),
    or every row counts 1 when no feedback column is mapped. Repeated pairs are
    aggregated (default ``sum``), then transformed into a confidence:
    ``none`` (as is), ``log1p`` (``log(1 + x)``, as implicit's docs advise for
    counts) or ``bm25`` (implicit's ``bm25_weight`` over the items x users
    matrix, ``bm25_k1`` and ``bm25_b``; a pair whose bm25 weight is ``<= 0``, which
    happens only for users who touched nearly every item, is dropped).

``events`` — the feedback column is an event type, mapped to a weight by
    ``event_weights`` (e.g. view 1, cart 3, purchase 5). An event type with no
    weight is an error naming the row. With ``dedup_seconds`` set, a repeat of
    the same (user, item, event type) within that many seconds of the previous
    one counts once (double clicks, page reloads). Then the event weights of a
    pair are aggregated (default ``sum``) and transformed as for ``implicit``.

Aggregations: ``sum``, ``count`` (rows), ``max``, ``last`` (latest by timestamp,
then row order). A repeated pair is an error only with ``duplicates = "error"``.
Pairs whose final weight is 0 are dropped. The pair's timestamp is its latest.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from augment.errors import ConfigError

__all__ = ["FeedbackRule", "FeedbackStats", "Aggregated", "RowLog", "aggregate_pairs"]

Aggregate = Literal["sum", "count", "max", "last"]


@dataclass(frozen=True)
class FeedbackRule:
    """How the feedback column becomes a weight per (user, item). See the module docs."""

    kind: Literal["explicit", "implicit", "events"] = "implicit"
    """``explicit`` ratings, ``implicit`` counts, or an ``events`` log."""
    aggregate: Aggregate | None = None
    """How repeated pairs combine (None = ``last`` for explicit, ``sum`` otherwise)."""
    transform: Literal["none", "log1p", "bm25"] = "none"
    """Confidence transform of the aggregated value (implicit and events)."""
    duplicates: Literal["aggregate", "error"] = "aggregate"
    """``error``: a (user, item) pair on two rows (after dedup) is a DataError."""
    threshold: float = 3.5
    """explicit: ratings ``>=`` this are positives."""
    negative_threshold: float | None = None
    """explicit: ratings ``<=`` this are negatives (None = dropped)."""
    rating_range: tuple[float, float] | None = None
    """explicit: allowed ratings ``[low, high]`` (None = any number)."""
    weight: float = 1.0
    """explicit: the weight of a positive (a negative gets ``-weight``)."""
    event_weights: dict[str, float] = field(default_factory=dict)
    """events: event type -> weight."""
    dedup_seconds: float | None = None
    """events: repeats of one (user, item, event type) this close in time count once."""
    bm25_k1: float = 100.0
    """bm25: term-frequency saturation (implicit's K1)."""
    bm25_b: float = 0.8
    """bm25: length normalisation (implicit's B)."""

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FeedbackRule:
        """From a job's ``[data.feedback]`` table."""
        raw = dict(raw)
        if raw.get("rating_range") is not None:
            raw["rating_range"] = tuple(float(v) for v in raw["rating_range"])
        if "event_weights" in raw:
            raw["event_weights"] = {str(k): float(v) for k, v in raw["event_weights"].items()}
        return cls(**raw)

    @property
    def how(self) -> Aggregate:
        """The aggregation in effect."""
        return self.aggregate or ("last" if self.kind == "explicit" else "sum")

    def check(self, *, has_feedback: bool, key: str = "data.feedback") -> None:
        """Raise ConfigError for a rule that cannot work with the mapped columns."""
        if self.kind in ("explicit", "events") and not has_feedback:
            raise ConfigError(f"a {self.kind} rule needs a feedback column; map one in "
                              "data.columns.feedback", key=f"{key}.kind")
        if self.kind == "events" and not self.event_weights:
            raise ConfigError("an events rule needs event_weights (e.g. {view = 1, cart = 3, "
                              "purchase = 5})", key=f"{key}.event_weights")
        if self.kind == "explicit" and self.negative_threshold is not None \
                and self.negative_threshold >= self.threshold:
            raise ConfigError(f"negative_threshold ({self.negative_threshold}) must be below "
                              f"threshold ({self.threshold})", key=f"{key}.negative_threshold")
        if self.rating_range is not None and self.rating_range[0] > self.rating_range[1]:
            raise ConfigError("rating_range must be [low, high]", key=f"{key}.rating_range")
        if self.kind == "explicit" and self.transform != "none":
            raise ConfigError("explicit ratings take no transform; use transform = \"none\"",
                              key=f"{key}.transform")
        if self.dedup_seconds is not None and self.kind != "events":
            raise ConfigError("dedup_seconds applies to events rules only",
                              key=f"{key}.dedup_seconds")

    def as_dict(self) -> dict[str, Any]:
        """For the manifest (aggregation in effect filled in)."""
        out = asdict(self)
        out["aggregate"] = self.how
        out["rating_range"] = list(self.rating_range) if self.rating_range else None
        return out


@dataclass
class FeedbackStats:
    """What a rule did, for the manifest and ``augment data check``."""

    rows: int = 0
    """Rows read."""
    rows_deduplicated: int = 0
    """Rows dropped by ``dedup_seconds``."""
    duplicate_pairs: int = 0
    """(user, item) pairs on more than one row (after dedup)."""
    rows_in_duplicate_pairs: int = 0
    """Rows of those pairs."""
    pairs: int = 0
    """Distinct pairs."""
    pairs_dropped: int = 0
    """Pairs dropped by the thresholds or with weight 0."""
    negatives: int = 0
    """Pairs kept with a negative weight."""

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def summary(self, rule: FeedbackRule) -> str:
        """One sentence on what happened to repeated pairs."""
        if not self.duplicate_pairs:
            return "no repeated (user, item) pairs"
        return (f"{self.duplicate_pairs} pairs on more than one row ({self.rows_in_duplicate_pairs}"
                f" rows) were combined by '{rule.how}'")


@dataclass
class Aggregated:
    """One row per kept (user, item) pair: codes into the readers' vocabularies."""

    users: np.ndarray
    items: np.ndarray
    weight: np.ndarray
    timestamp: np.ndarray | None
    duplicate: tuple[int, int, int, int] | None = None
    """The first repeated pair as (user code, item code, first row, second row), 0-based
    positions in the log, when the rule says duplicates are an error."""


_BLOCK = 1 << 20


def _group_starts(keys: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Positions in ``order`` where a new key starts, computed block by block so the
    sorted keys never exist as a whole second copy."""
    n = len(order)
    starts = []
    prev = None
    for a in range(0, n, _BLOCK):
        block = keys[order[a:a + _BLOCK]]
        new = np.empty(len(block), dtype=bool)
        new[0] = prev is None or block[0] != prev
        new[1:] = block[1:] != block[:-1]
        starts.append(np.flatnonzero(new).astype(np.int64) + a)
        prev = block[-1]
    return np.concatenate(starts)


def _dedup(users: np.ndarray, items: np.ndarray, events: np.ndarray, ts: np.ndarray | None,
           seconds: float) -> np.ndarray:
    """Boolean mask of rows kept by the ``dedup_seconds`` rule."""
    if ts is None:
        raise ConfigError("dedup_seconds needs a timestamp column; map data.columns.timestamp",
                          key="data.feedback.dedup_seconds")
    order = np.lexsort((ts, events, items, users))
    u, i, e, t = users[order], items[order], events[order], ts[order]
    same = np.zeros(len(order), dtype=bool)
    same[1:] = (u[1:] == u[:-1]) & (i[1:] == i[:-1]) & (e[1:] == e[:-1])
    close = np.zeros(len(order), dtype=bool)
    close[1:] = (t[1:] - t[:-1]) <= seconds
    keep = np.ones(len(order), dtype=bool)
    keep[order] = ~(same & close)
    return keep


def _bm25(users: np.ndarray, items: np.ndarray, values: np.ndarray, rule: FeedbackRule
          ) -> np.ndarray:
    from implicit.nearest_neighbours import bm25_weight

    n_u, n_i = int(users.max()) + 1, int(items.max()) + 1
    m = sp.coo_matrix((values.astype(np.float64), (items, users)), shape=(n_i, n_u)).tocsr()
    weighted = sp.coo_matrix(bm25_weight(m, K1=rule.bm25_k1, B=rule.bm25_b)).tocsr()
    return np.asarray(weighted[items, users]).ravel()


def _sort_order(keys: np.ndarray, ts: np.ndarray | None, by_time: bool) -> np.ndarray:
    """Rows grouped by pair (stable: row order within a pair), by time within a pair when
    ``by_time``; int32 when it fits, to halve its memory."""
    order = np.lexsort((ts, keys)) if by_time and ts is not None else np.argsort(
        keys, kind="stable")
    return order.astype(np.int32) if len(order) < 2**31 else order


def _confidence(agg: np.ndarray, users: np.ndarray, items: np.ndarray, rule: FeedbackRule
                ) -> np.ndarray:
    """The rule's weight of each aggregated value (NaN = drop the pair)."""
    if rule.kind == "explicit":
        w = np.where(agg >= rule.threshold, rule.weight, np.nan)
        if rule.negative_threshold is not None:
            w = np.where(agg <= rule.negative_threshold, -rule.weight, w)
        return w
    if rule.transform == "log1p":
        return np.log1p(agg)
    if rule.transform == "bm25" and len(agg):
        w = _bm25(users, items, agg, rule)
        return np.where(w > 0, w, np.nan)  # idf <= 0: a user who touched nearly every item
    return agg


@dataclass
class RowLog:
    """Per-row arrays of a log, consumed by :func:`aggregate_pairs` (fields are set to None
    as soon as they are no longer needed, so their memory goes before the next step's)."""

    users: np.ndarray | None
    """User codes."""
    items: np.ndarray | None
    """Item codes."""
    values: np.ndarray | None = None
    """The rating or count per row (None: events' weights, or 1 per row)."""
    events: np.ndarray | None = None
    """Event type codes: indices into the sorted ``event_weights`` keys."""
    ts: np.ndarray | None = None
    """Seconds."""


def _dedup_log(log: RowLog, rule: FeedbackRule, stats: FeedbackStats) -> np.ndarray | None:
    """Apply ``dedup_seconds`` in place; the kept rows' original positions (None = all)."""
    assert log.users is not None and log.items is not None and log.events is not None
    keep = _dedup(log.users, log.items, log.events, log.ts, float(rule.dedup_seconds or 0))
    stats.rows_deduplicated = int((~keep).sum())
    if not stats.rows_deduplicated:
        return None
    for name in ("users", "items", "values", "events", "ts"):
        value = getattr(log, name)
        setattr(log, name, value[keep] if value is not None else None)
    return np.flatnonzero(keep)


def aggregate_pairs(log: RowLog, rule: FeedbackRule) -> tuple[Aggregated, FeedbackStats]:
    """Apply ``rule`` to a log's per-row arrays (consumed: ``log``'s fields end as None).

    Under ``duplicates = "error"`` the first repeated pair is returned in
    ``Aggregated.duplicate`` for the caller to raise (it knows the ids and the source).
    """
    assert log.users is not None and log.items is not None
    n = len(log.users)
    stats = FeedbackStats(rows=n)
    positions = None
    if rule.kind == "events" and rule.dedup_seconds is not None and log.events is not None:
        positions = _dedup_log(log, rule, stats)
        n = len(log.users)
    n_items = int(log.items.max()) + 1 if n else 1
    keys = log.users.astype(np.int64) * n_items + log.items
    how = rule.how
    order = _sort_order(keys, log.ts, by_time=how == "last")
    starts = _group_starts(keys, order) if n else np.zeros(0, dtype=np.int64)
    del keys
    counts = np.diff(np.append(starts, n))
    stats.pairs = len(starts)
    stats.duplicate_pairs = int((counts > 1).sum())
    stats.rows_in_duplicate_pairs = int(counts[counts > 1].sum())
    duplicate = None
    if rule.duplicates == "error" and stats.duplicate_pairs:
        g = int(np.flatnonzero(counts > 1)[0])
        rows = np.sort(order[starts[g]:starts[g] + counts[g]])
        if positions is not None:
            rows = positions[rows]
        duplicate = (int(log.users[order[starts[g]]]), int(log.items[order[starts[g]]]),
                     int(rows[0]), int(rows[1]))
    if how != "last":
        del counts
    first = order[starts]
    out_u, out_i = log.users[first], log.items[first]
    log.users = log.items = None
    del first
    out_t = None
    if log.ts is not None:  # the pair's latest time
        out_t = np.maximum.reduceat(log.ts[order], starts) if n else log.ts[:0]
        if how != "last":
            log.ts = None
    if how == "count":
        agg = np.diff(np.append(starts, n)).astype(np.float64)
    else:
        if log.values is None and log.events is not None:
            table = np.array([rule.event_weights[k] for k in sorted(rule.event_weights)],
                             dtype=np.float32)
            log.values, log.events = table[log.events], None
        vals = log.values if log.values is not None else np.ones(n, dtype=np.float32)
        log.values = None
        if how == "last":  # sorted by timestamp then row order within a pair
            agg = vals[order[np.append(starts[1:], n) - 1]].astype(np.float64) if n else \
                vals.astype(np.float64)
        else:
            ufunc = np.add if how == "sum" else np.maximum
            agg = ufunc.reduceat(vals[order], starts, dtype=np.float64) if n else \
                vals.astype(np.float64)
        del vals
    log.ts = log.events = None
    del order, starts
    w = _confidence(agg, out_u, out_i, rule)
    del agg
    keep = ~np.isnan(w) & (w != 0)
    stats.pairs_dropped = int((~keep).sum())
    stats.negatives = int((w[keep] < 0).sum())
    if stats.pairs_dropped:
        out_u, out_i, w = out_u[keep], out_i[keep], w[keep]
        out_t = out_t[keep] if out_t is not None else None
    return Aggregated(users=out_u, items=out_i, weight=w, timestamp=out_t,
                      duplicate=duplicate), stats
