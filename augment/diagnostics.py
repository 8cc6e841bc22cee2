"""Diagnostics of generated data: position bias and popularity of pseudo-interactions.

Popularity compares what the model *picked* with what real users do. For a cold
item (``direction="item"``) the model picks users, so the picked users' activity
percentile is compared with that of the users behind observed interactions; for
a cold user (``direction="user"``) it picks items, compared by item popularity
percentile. Percentiles are computed on the training interactions (0 = least, 1 =
most popular or active).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from augment.evaluation.metrics import popularity_percentile
from augment.splits import Split
from augment.tasks import aggregate_votes, position_bias

__all__ = ["pseudo_diagnostics", "popularity_diagnostics"]


def pseudo_diagnostics(records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Position bias of the pseudo-interaction answers (see ``augment.tasks.position_bias``)."""
    bias = position_bias(records)
    return {"shuffle_agreement": bias["agreement_jaccard"],
            "first_third_share": bias["first_third_share"],
            "first_third_expected": bias["first_third_expected"],
            "n_targets": bias["n_targets"], "n_picks": bias["n_picks"]}


def popularity_diagnostics(split: Split, records: Sequence[Mapping[str, Any]]
                           ) -> dict[str, Any]:
    """Mean popularity percentile of generated positives vs observed interactions."""
    votes = aggregate_votes(records)
    votes = votes[votes["label"] > 0]
    if votes.empty:
        return {}
    m = split.train.matrix().tocsr()
    m.data = (m.data > 0).astype(np.float32)
    m.eliminate_zeros()
    item_pct = popularity_percentile(np.asarray(m.sum(axis=0)).ravel())
    user_pct = popularity_percentile(np.asarray(m.sum(axis=1)).ravel())
    coo = m.tocoo()
    observed = {"user": float(item_pct[coo.col].mean()) if coo.nnz else float("nan"),
                "item": float(user_pct[coo.row].mean()) if coo.nnz else float("nan")}
    gen: list[float] = []
    obs: list[float] = []
    for direction, group in votes.groupby("direction"):
        if direction == "user":
            idx = split.train.item_vocab.index(group["item_id"])
            pct = item_pct
        else:
            idx = split.train.user_vocab.index(group["user_id"])
            pct = user_pct
        idx = idx[idx >= 0]
        gen += pct[idx].tolist()
        obs += [observed[str(direction)]] * len(idx)
    if not gen:
        return {}
    directions = sorted(set(votes["direction"]))
    return {"generated_mean_pct": float(np.mean(gen)), "observed_mean_pct": float(np.mean(obs)),
            "n_generated": len(gen),
            "measured_on": "+".join("users" if d == "item" else "items" for d in directions)}
