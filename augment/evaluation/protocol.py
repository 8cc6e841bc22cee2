"""The evaluation protocol: rank held-out items per segment and average metrics per user.

Segments of an ``item-cold`` split follow ColdRec (Bei et al., 2024; its
``model/BaseRecommender.py``):

- ``cold``: interactions of cold items, ranked among **all cold items** (those of
  validation and of test alike: the same candidate set whichever part is scored);
- ``warm``: interactions of warm items, ranked among the warm items only;
- ``all``: every held-out interaction, ranked over the whole catalog.

Segments of a ``user-cold`` split: ``cold`` (held-out users), ``warm`` (the other
users) and ``all`` (both), each ranked over the whole catalog.

Only positive held-out interactions (weight > 0) are relevant. ``recall@k`` is
hits / |relevant| (ColdRec, RecBole, Microsoft Recommenders); the capped variant
hits / min(k, |relevant|) is reported as ``recall_capped@k``; ``ndcg@k`` is
ColdRec's (binary gains, ideal list of min(k, |relevant|) hits). A user's
training items, and the pairs in ``split.known`` (interactions given to a model
another way, e.g. a simulated model's oracle half), are always excluded from
their ranking. Ties (e.g. every cold item scoring 0 under plain ALS) are broken
at random with a generator seeded by ``seed``, the same for every model, so a
model that cannot tell items apart scores as chance. :func:`protocol` states all
of this as a JSON object (``metrics.json``'s ``"protocol"``). Users are scored in
batches of ``batch_size`` to bound memory.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from augment.errors import ConfigError
from augment.evaluation import metrics as M
from augment.splits import Split

__all__ = ["evaluate", "per_user", "protocol", "segments", "METRICS", "SEGMENTS",
           "USER_METRICS"]

log = logging.getLogger(__name__)

METRICS = ("recall", "recall_capped", "ndcg", "hit_rate", "precision", "coverage", "popularity")
USER_METRICS = ("recall", "recall_capped", "ndcg", "hit_rate", "precision")
"""Metrics defined per user (``coverage`` and ``popularity`` describe the lists)."""
SEGMENTS = ("cold", "warm", "all")


def segments(split: Split, on: str = "test") -> dict[str, tuple[pd.DataFrame, np.ndarray]]:
    """For each segment: its positive interactions in ``split.<on>`` and candidate item indices."""
    vocab = split.dataset.item_vocab
    part = split.test if on == "test" else split.valid
    test = part[part["weight"] > 0]
    cold_df = test[test["segment"] == "cold"]
    warm_df = test[test["segment"] == "warm"]
    everything = np.arange(len(vocab))
    if split.kind == "item-cold":
        cold_c = np.unique(vocab.index(list(split.cold_items)))
        cold_c = cold_c[cold_c >= 0]
        warm_c = np.unique(vocab.index(list(split.warm_items)))
    else:
        cold_c = warm_c = everything
    return {"cold": (cold_df, cold_c), "warm": (warm_df, warm_c), "all": (test, everything)}


def _top_k(scores: np.ndarray, tiebreak: np.ndarray, k: int) -> np.ndarray:
    """Per row, the column indices of the ``k`` best by (score desc, tiebreak asc, column).

    The same as ``np.lexsort((tiebreak, -scores), axis=1)[:, :k]`` (a stable sort,
    so exact ties keep column order), but sorts only each row's ``m`` best columns
    (``m`` = the most columns of any row scoring at least its ``k``-th best score,
    ties included) found by ``np.argpartition``.
    """
    n = scores.shape[1]
    if k >= n:
        return np.lexsort((tiebreak, -scores), axis=1)[:, :k]
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]
    m = int((scores >= kth[:, None]).sum(axis=1).max())
    if m >= n:
        return np.lexsort((tiebreak, -scores), axis=1)[:, :k]
    part = np.argpartition(-scores, m - 1, axis=1)[:, :m]
    sub = np.lexsort((part, np.take_along_axis(tiebreak, part, axis=1),
                      -np.take_along_axis(scores, part, axis=1)), axis=1)[:, :k]
    return np.take_along_axis(part, sub, axis=1)


def protocol(split: Split) -> dict[str, Any]:
    """The protocol of :func:`evaluate` on ``split`` as a JSON object (for ``metrics.json``)."""
    cold = ("all cold items (validation and test cold items alike; ColdRec)"
            if split.kind == "item-cold" else "the whole catalog")
    warm = "the warm items" if split.kind == "item-cold" else "the whole catalog"
    return {
        "name": "ColdRec item-cold" if split.kind == "item-cold" else "user-cold",
        "split": split.kind,
        "candidates": {"cold": cold, "warm": warm, "all": "the whole catalog"},
        "excluded_from_ranking": "the user's training items and Split.known pairs",
        "relevant": "held-out interactions with weight > 0 (rating threshold: weight > 0)",
        "recall": "hits@k / |relevant|",
        "recall_capped": "hits@k / min(k, |relevant|)",
        "ndcg": "binary gains 1/log2(rank+1); ideal list of min(k, |relevant|) hits",
        "users": "users with at least one relevant held-out item in the segment",
        "ties": "broken at random, seeded, the same for every model",
    }


def _segment_users(model: Any, split: Split, test: pd.DataFrame, cand: np.ndarray,
                   ks: Sequence[int], seen: Any, pop_pct: np.ndarray, seed: int, seg_no: int,
                   batch_size: int) -> tuple[dict[str, np.ndarray], dict[int, set[int]], int]:
    """Per-user metrics of one segment: ``({"user": idx, "recall@10": ...}, recommended
    items per k, number of candidates)``; empty arrays when nobody is scored."""
    uvocab, ivocab = split.dataset.user_vocab, split.dataset.item_vocab
    keys = [f"{m}@{k}" for m in USER_METRICS + ("popularity",) for k in ks]
    per_user: dict[str, list[np.ndarray]] = {key: [] for key in keys}
    per_user["user"] = []
    recommended: dict[int, set[int]] = {k: set() for k in ks}
    if len(test) == 0 or len(cand) == 0:
        return {k: np.zeros(0) for k in per_user}, recommended, len(cand)
    pos = np.full(len(ivocab), -1, dtype=np.int64)
    pos[cand] = np.arange(len(cand))
    uidx = uvocab.index(test["user_id"])
    cidx = pos[ivocab.index(test["item_id"])]
    keep = (uidx >= 0) & (cidx >= 0)
    users, row_of = np.unique(uidx[keep], return_inverse=True)
    relevant = sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (row_of, cidx[keep])),
                             shape=(len(users), len(cand)))
    seen_c = seen[:, cand].tocsr()
    kmax = min(max(ks), len(cand))
    cand_ids = ivocab.id(cand)
    for b, start in enumerate(range(0, len(users), batch_size)):
        bu = users[start:start + batch_size]
        scores = np.asarray(model.score(uvocab.id(bu), cand_ids), dtype=np.float64)
        scores = np.where(np.isnan(scores), -np.inf, scores)
        scores[seen_c[bu].toarray() != 0] = -np.inf
        tiebreak = np.random.default_rng([seed, seg_no, b]).random(scores.shape)
        order = _top_k(scores, tiebreak, kmax)
        relmat = relevant[start:start + batch_size].toarray()
        hits = np.take_along_axis(relmat, order, axis=1)
        n_rel = relmat.sum(axis=1)
        top_items = cand[order]
        per_user["user"].append(bu)
        for k in ks:
            per_user[f"recall@{k}"].append(M.recall_at_k(hits, n_rel, k))
            per_user[f"recall_capped@{k}"].append(M.recall_capped_at_k(hits, n_rel, k))
            per_user[f"ndcg@{k}"].append(M.ndcg_at_k(hits, n_rel, k))
            per_user[f"hit_rate@{k}"].append(M.hit_rate_at_k(hits, k))
            per_user[f"precision@{k}"].append(M.precision_at_k(hits, k))
            per_user[f"popularity@{k}"].append(pop_pct[top_items[:, :k]].mean(axis=1))
            recommended[k].update(np.unique(top_items[:, :k]).tolist())
    log.info("segment %d: %d users, %d candidates", seg_no, len(users), len(cand))
    return ({k: np.concatenate(v) for k, v in per_user.items()}, recommended, len(cand))


def _prepare(split: Split, k: Iterable[int], on: str, include: Iterable[str] | None
             ) -> tuple[list[int], dict[str, tuple[pd.DataFrame, np.ndarray]], Any, np.ndarray]:
    if on not in ("test", "valid"):
        raise ConfigError(f"on must be 'test' or 'valid', got {on!r}", key="on")
    ks = sorted({int(x) for x in k})
    if not ks or ks[0] < 1:
        raise ConfigError(f"k must be positive integers, got {list(k)}", key="k")
    segs = segments(split, on)
    wanted = set(segs) if include is None else set(include)
    if wanted - set(segs):
        raise ConfigError(f"unknown segment(s) {sorted(wanted - set(segs))}; use {list(segs)}",
                          key="include")
    seen = split.seen_matrix()
    counts = np.asarray((split.train.matrix() > 0).sum(axis=0)).ravel()
    return ks, {s: v for s, v in segs.items() if s in wanted}, seen, \
        M.popularity_percentile(counts)


def _seg_no(name: str) -> int:
    return SEGMENTS.index(name)


def per_user(split: Split, model: Any, k: Iterable[int] = (10, 20), *, seed: int | None = None,
             batch_size: int = 256, on: str = "test", include: Iterable[str] | None = None
             ) -> pd.DataFrame:
    """Per-user metrics of one model: one row per (segment, scored user), columns
    ``segment``, ``user_id`` and ``recall@k``, ``recall_capped@k``, ``ndcg@k``,
    ``hit_rate@k``, ``precision@k`` for every k. :func:`evaluate`'s figures are the
    means of these columns per segment (for paired bootstraps over users)."""
    ks, segs, seen, pop_pct = _prepare(split, k, on, include)
    seed = split.seed if seed is None else seed
    frames = []
    for seg, (df, cand) in segs.items():
        vals, _, _ = _segment_users(model, split, df, cand, ks, seen, pop_pct, seed,
                                    _seg_no(seg), batch_size)
        cols = {key: vals[key] for key in (f"{m}@{kk}" for m in USER_METRICS for kk in ks)}
        frames.append(pd.DataFrame({"segment": seg, "user_id": split.dataset.user_vocab.id(
            vals["user"].astype(np.int64)), **cols}))
    return pd.concat(frames, ignore_index=True)


def _aggregate(vals: dict[str, np.ndarray], recommended: dict[int, set[int]], n_cand: int,
               ks: Sequence[int]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    empty = len(vals["user"]) == 0
    for m in METRICS:
        for k in ks:
            key = f"{m}@{k}"
            if empty:
                out[key] = None
            elif m == "coverage":
                out[key] = round(len(recommended[k]) / n_cand, 6)
            else:
                out[key] = round(float(np.mean(vals[key])), 6)
    return out


def evaluate(split: Split, models: Mapping[str, Any], k: Iterable[int] = (10, 20), *,
             seed: int | None = None, batch_size: int = 256, on: str = "test",
             include: Iterable[str] | None = None) -> dict[str, Any]:
    """Evaluate scorers on ``split.test`` per segment (see the module docstring).

    ``on="valid"`` evaluates on the validation interactions instead (for tuning).
    ``include`` limits the segments computed (default: cold, warm and all); a segment
    scores the same whether or not the others are computed.

    Returns ``{"split", "seed", "k", "protocol", "models": {name: {"cold"|"warm"|"all":
    {"recall@10": ..., "recall_capped@10": ..., "ndcg@10": ..., "hit_rate@10": ...,
    "precision@10": ..., "coverage@10": ..., "popularity@10": ..., ...}}}}``; a metric
    is None when its segment has no users to score.
    """
    ks, segs, seen, pop_pct = _prepare(split, k, on, include)
    seed = split.seed if seed is None else seed
    result: dict[str, Any] = {"split": split.kind, "seed": seed, "k": ks,
                              "protocol": protocol(split), "models": {}}
    for name, model in models.items():
        result["models"][name] = {
            seg: _aggregate(*_segment_users(model, split, df, cand, ks, seen, pop_pct, seed,
                                            _seg_no(seg), batch_size), ks)
            for seg, (df, cand) in segs.items()}
    return result
