"""Quality of generated data against held-out truth: picks, genres, position and popularity bias.

One home for the figures the probe (:func:`augment.probe.probe`) and the cold-start
benchmark (``bench/cold_start.py``) compute:

- :func:`pick_precision`: share of the generated positive pairs that are held-out
  positives;
- :func:`genre_quality` / :func:`majority_genre_quality`: micro precision, recall
  and F1 of generated genres against the items table's genres, and the same for
  the trivial guess "the most frequent genres for every item";
- :func:`bias_quality`: position bias of the picks across shuffled candidate
  orders and their popularity against what real users did.

Every function takes the held-out truth it compares with as an argument (default:
validation and test of the split, the benchmark's view); the probe passes
validation only, so ``split.test`` is never read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from augment.evaluation.metrics import popularity_percentile
from augment.splits import Split
from augment.tasks import aggregate_votes, position_bias, split_batch_records

__all__ = ["pick_precision", "genre_quality", "majority_genre_quality", "bias_quality",
           "held_out_cold"]


def held_out_cold(split: Split, held: pd.DataFrame | None = None) -> pd.DataFrame:
    """Cold positive held-out rows of ``held`` (default: ``split.valid`` and ``split.test``)."""
    if held is None:
        held = pd.concat([split.valid, split.test])
    return held[(held["segment"] == "cold") & (held["weight"] > 0)]


def pick_precision(records: Iterable[Mapping[str, Any]], truth: pd.DataFrame
                   ) -> dict[str, Any]:
    """Share of the generated positive pairs (votes aggregated) that are in ``truth``
    (``user_id``, ``item_id`` rows; ids compared as strings)."""
    votes = aggregate_votes([r for r in records if r.get("task") == "pseudo_interactions"])
    pos = votes[votes["label"] > 0]
    true = set(zip(truth["user_id"].astype(str), truth["item_id"].astype(str), strict=True))
    got = list(zip(pos["user_id"].astype(str), pos["item_id"].astype(str), strict=True))
    hits = sum(p in true for p in got)
    return {"n_generated_pairs": len(got),
            "pick_precision": round(hits / len(got), 4) if got else None}


def _genre_set(value: Any) -> set[str]:
    return {g for g in str(value).split("|") if g and g != "(no genres listed)"}


def genre_quality(records: Iterable[Mapping[str, Any]], items: pd.DataFrame) -> dict[str, Any]:
    """Micro precision / recall / F1 of generated genres vs the items table's genres."""
    good, _ = split_batch_records(records)
    truth = {i: _genre_set(v)
             for i, v in zip(items["item_id"], items["genres"].fillna(""), strict=True)}
    tp = n_pred = n_true = n = 0
    for rec in good:
        if rec.get("task") != "item_attributes" or rec["item_id"] not in truth:
            continue
        true = truth[rec["item_id"]]
        if not true:
            continue
        pred = set(rec["output"].get("genres", []))
        tp += len(pred & true)
        n_pred += len(pred)
        n_true += len(true)
        n += 1
    p = tp / n_pred if n_pred else float("nan")
    r = tp / n_true if n_true else float("nan")
    f1 = 2 * p * r / (p + r) if n and (p + r) > 0 else float("nan")
    return {"n_items": n, "precision": _r(p), "recall": _r(r), "f1": _r(f1)}


def majority_genre_quality(items: pd.DataFrame, item_ids: Iterable[Any], top: int = 2
                           ) -> dict[str, Any]:
    """The same scores for a trivial guess: the ``top`` most frequent genres for every item."""
    counts = items["genres"].fillna("").str.split("|").explode()
    counts = counts[(counts != "") & (counts != "(no genres listed)")].value_counts()
    guess = list(counts.index[:top])
    fake = [{"task": "item_attributes", "item_id": i, "output": {"genres": guess}}
            for i in item_ids]
    return {**genre_quality(fake, items), "guess": guess}


def bias_quality(sp: Split, records: Sequence[Mapping[str, Any]],
                 held: pd.DataFrame | None = None) -> dict[str, Any]:
    """Position bias (pick agreement across shuffles, first-third share) and popularity bias.

    Popularity: for cold-user picks, the mean training popularity percentile of the
    generated positive items vs the users' observed held-out items; for cold-item
    picks, the mean activity percentile of the picked users vs the item's observed
    users (0 = least, 1 = most active/popular). ``held``: the held-out rows to compare
    with (default: validation and test).
    """
    pseudo = [r for r in records if r.get("task") == "pseudo_interactions"]
    if not pseudo:
        return {}
    out: dict[str, Any] = {k: _r(v) for k, v in position_bias(pseudo).items()}
    votes = aggregate_votes(pseudo)
    pos = votes[votes["label"] > 0]
    cold = held_out_cold(sp, held)
    m = sp.train.matrix()
    if sp.kind == "user-cold":
        pct = popularity_percentile(np.asarray((m > 0).sum(axis=0)).ravel())
        vocab, col = sp.dataset.item_vocab, "item_id"
        observed = cold[cold["user_id"].isin(set(pos["user_id"]))]
    else:
        pct = popularity_percentile(np.asarray((m > 0).sum(axis=1)).ravel())
        vocab, col = sp.dataset.user_vocab, "user_id"
        observed = cold[cold["item_id"].isin(set(pos["item_id"]))]
    out["popularity_generated"] = _mean_pct(pct, vocab.index(pos[col]))
    out["popularity_observed"] = _mean_pct(pct, vocab.index(observed[col]))
    out["popularity_of"] = "items picked" if sp.kind == "user-cold" else "users picked"
    out["n_generated_pairs"] = int(len(pos))
    return out


def _mean_pct(pct: np.ndarray, idx: np.ndarray) -> float | None:
    idx = idx[idx >= 0]
    return _r(float(pct[idx].mean())) if len(idx) else None


def _r(x: Any) -> Any:
    if isinstance(x, float):
        return None if np.isnan(x) else round(x, 4)
    return x
