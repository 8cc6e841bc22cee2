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

__all__ = ["FeedbackRule", "FeedbackStats", "Aggregated", "aggregate_pairs"]

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
    first_row: np.ndarray
    """0-based position of each pair's first row in the log (for error messages)."""
    duplicate: tuple[int, int, int, int] | None = None
    """The first repeated pair as (user code, item code, first row, second row), 0-based
    positions in the log (after dedup), when the rule says duplicates are an error."""


def _group_starts(keys: np.ndarray) -> np.ndarray:
    starts = np.ones(len(keys), dtype=bool)
    starts[1:] = keys[1:] != keys[:-1]
    return np.flatnonzero(starts)


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


def aggregate_pairs(users: np.ndarray, items: np.ndarray, values: np.ndarray,
                    ts: np.ndarray | None, rule: FeedbackRule,
                    events: np.ndarray | None = None) -> tuple[Aggregated, FeedbackStats]:
    """Apply ``rule`` to per-row arrays (user codes, item codes, per-row values: the
    rating, the count or the event's weight; ``events``: event type codes for dedup).

    Under ``duplicates = "error"`` the first repeated pair is returned in
    ``Aggregated.duplicate`` for the caller to raise (it knows the ids and the source).
    """
    stats = FeedbackStats(rows=len(users))
    if rule.kind == "events" and rule.dedup_seconds is not None and events is not None:
        keep = _dedup(users, items, events, ts, float(rule.dedup_seconds))
        stats.rows_deduplicated = int((~keep).sum())
        if stats.rows_deduplicated:
            users, items, values = users[keep], items[keep], values[keep]
            ts = ts[keep] if ts is not None else None
            positions = np.flatnonzero(keep)
        else:
            positions = np.arange(len(users))
    else:
        positions = np.arange(len(users))
    n_items = int(items.max()) + 1 if len(items) else 1
    keys = users.astype(np.int64) * n_items + items.astype(np.int64)
    order = np.lexsort((ts, keys)) if ts is not None else np.argsort(keys, kind="stable")
    keys = keys[order]
    starts = _group_starts(keys)
    del keys
    counts = np.diff(np.append(starts, len(order)))
    stats.pairs = len(starts)
    stats.duplicate_pairs = int((counts > 1).sum())
    stats.rows_in_duplicate_pairs = int(counts[counts > 1].sum())
    vals = values[order].astype(np.float64)
    how = rule.how
    if how == "sum":
        agg = np.add.reduceat(vals, starts) if len(vals) else vals
    elif how == "max":
        agg = np.maximum.reduceat(vals, starts) if len(vals) else vals
    elif how == "count":
        agg = counts.astype(np.float64)
    else:  # last: sorted by timestamp then row order within a pair
        agg = vals[starts + counts - 1]
    del vals
    last = order[starts + counts - 1]
    first_pos = positions[np.minimum.reduceat(order, starts)] if len(order) else positions[:0]
    out_u, out_i = users[last], items[last]
    out_t = ts[last] if ts is not None else None
    duplicate = None
    if rule.duplicates == "error" and stats.duplicate_pairs:
        g = int(np.flatnonzero(counts > 1)[0])
        rows = np.sort(positions[order[starts[g]:starts[g] + counts[g]]])
        duplicate = (int(out_u[g]), int(out_i[g]), int(rows[0]), int(rows[1]))
    del order
    if rule.kind == "explicit":
        w = np.where(agg >= rule.threshold, rule.weight, np.nan)
        if rule.negative_threshold is not None:
            w = np.where(agg <= rule.negative_threshold, -rule.weight, w)
    elif rule.transform == "log1p":
        w = np.log1p(agg)
    elif rule.transform == "bm25" and len(agg):
        w = _bm25(out_u, out_i, agg, rule)
        w = np.where(w > 0, w, np.nan)  # idf <= 0: a user who touched nearly every item
    else:
        w = agg
    keep = ~np.isnan(w) & (w != 0)
    stats.pairs_dropped = int((~keep).sum())
    stats.negatives = int((w[keep] < 0).sum())
    result = Aggregated(users=out_u[keep], items=out_i[keep], weight=w[keep],
                        timestamp=out_t[keep] if out_t is not None else None,
                        first_row=first_pos[keep], duplicate=duplicate)
    return result, stats
