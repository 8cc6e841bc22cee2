"""Aggregate repeated pseudo-interaction answers; measure position bias.

Each target (cold item or cold user) is asked ``n_repeats`` times with its
candidates in a different order. A pick is kept when its share of votes (picks
of that id with that label / records of that target in that round) reaches
``threshold``;
its confidence is the median of its votes' confidences. An id voted both
positive and negative keeps the label with more votes (ties are dropped).

:func:`position_bias` reports, for the run's report, how stable the picks are
under reordering (mean pairwise Jaccard of pick sets across repeats) and the
share of picks that came from the first third of the presented list (about
one third when the model ignores position).

Records of later rounds (``round`` >= 1, see
:meth:`~augment.tasks.PseudoInteractions.next_round`) are counted within their
round; a pair kept in more than one round keeps its highest share.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

import numpy as np
import pandas as pd

from augment.errors import ConfigError

__all__ = ["aggregate_votes", "position_bias", "PSEUDO_COLUMNS", "CONFIDENCE_LEVELS"]

NAME = "pseudo_interactions"
CONFIDENCE_LEVELS = ("low", "medium", "high")
PSEUDO_COLUMNS = ("user_id", "item_id", "label", "confidence", "votes", "n_repeats", "share",
                  "direction", "provider", "model", "prompt_version", "schema_id")
"""Columns of the aggregated pseudo-interactions frame. ``label`` is 1 (positive) or -1."""


def _picks(record: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """(id as string, label, confidence) of one record's answer."""
    out = record["output"]
    if record.get("direction") == "item":
        return [(str(e["user_id"]), 1, e.get("confidence", "medium")) for e in out.get("users", [])]
    return ([(str(e["item_id"]), 1, e.get("confidence", "medium"))
             for e in out.get("positives", [])]
            + [(str(e["item_id"]), -1, e.get("confidence", "medium"))
               for e in out.get("negatives", [])])


def _groups(records: Iterable[Mapping[str, Any]]
            ) -> dict[tuple[str, Any, int], list[Mapping[str, Any]]]:
    groups: dict[tuple[str, Any, int], list[Mapping[str, Any]]] = defaultdict(list)
    for rec in records:
        if rec.get("task") != NAME:
            continue
        direction = rec.get("direction")
        if direction not in ("item", "user"):
            raise ConfigError(f"record {rec.get('key')!r} has no direction 'item' or 'user'")
        target = rec["item_id"] if direction == "item" else rec["user_id"]
        groups[(direction, target, int(rec.get("round") or 0))].append(rec)
    return groups


def aggregate_votes(records: Iterable[Mapping[str, Any]], *, threshold: float = 0.5
                    ) -> pd.DataFrame:
    """One row per kept (user, item) pair: see :data:`PSEUDO_COLUMNS`.

    ``share`` = votes / records of the target; kept when ``share >= threshold``.
    Ids are mapped back from the prompt's strings to the dataset's ids through
    each record's ``candidates``.
    """
    if not 0.0 < threshold <= 1.0:
        raise ConfigError("threshold must be within (0, 1]", key="threshold")
    rows: list[dict[str, Any]] = []
    for (direction, target, _round), recs in _groups(records).items():
        n = len(recs)
        to_id = {str(c): c for rec in recs for c in rec.get("candidates", [])}
        votes: dict[tuple[str, int], list[str]] = defaultdict(list)
        for rec in recs:
            for pid, label, conf in _picks(rec):
                votes[(pid, label)].append(conf)
        prov = {k: ";".join(sorted({str(r.get(k)) for r in recs}))
                for k in ("provider", "model", "prompt_version", "schema_id")}
        for (pid, label), confs in votes.items():
            if len(confs) <= len(votes.get((pid, -label), [])):
                continue  # the other label has as many votes or more: ties keep neither
            share = len(confs) / n
            if share < threshold or pid not in to_id:
                continue
            levels = sorted(CONFIDENCE_LEVELS.index(c) if c in CONFIDENCE_LEVELS else 1
                            for c in confs)
            conf = CONFIDENCE_LEVELS[levels[(len(levels) - 1) // 2]]
            other_id = to_id[pid]
            user_id, item_id = (other_id, target) if direction == "item" else (target, other_id)
            rows.append({"user_id": user_id, "item_id": item_id, "label": label,
                         "confidence": conf, "votes": len(confs), "n_repeats": n,
                         "share": share, "direction": direction, **prov})
    out = pd.DataFrame(rows, columns=list(PSEUDO_COLUMNS))
    if len(out) and out.duplicated(["user_id", "item_id"]).any():  # kept in several rounds
        out = (out.sort_values(["share", "votes"], ascending=False, kind="stable")
               .drop_duplicates(["user_id", "item_id"]).sort_index().reset_index(drop=True))
    return out


def position_bias(records: Iterable[Mapping[str, Any]]) -> dict[str, float | int]:
    """Agreement of picks across candidate orders, and the first-third share of picks.

    - ``agreement_jaccard``: mean over targets with >= 2 repeats of the mean
      pairwise Jaccard of their positive pick sets (1.0 = order never matters;
      two empty sets count as agreeing).
    - ``first_third_share``: picks (positive and negative) whose position in the
      presented list was in its first third, over all picks.
    - ``first_third_expected``: the same share if picks ignored position.

    A target asked in several rounds counts once per round in ``n_targets``.
    """
    jaccards: list[float] = []
    first = total = 0
    expected: list[float] = []
    groups = _groups(records)
    for recs in groups.values():
        sets = []
        for rec in recs:
            cands = [str(c) for c in rec.get("candidates", [])]
            cut = int(np.ceil(len(cands) / 3))
            pos = {c: i for i, c in enumerate(cands)}
            picks = _picks(rec)
            sets.append({p for p, label, _ in picks if label > 0})
            for p, _, _ in picks:
                if p in pos:
                    total += 1
                    first += pos[p] < cut
                    expected.append(cut / len(cands))
        pairs = [1.0 if not (a | b) else len(a & b) / len(a | b)
                 for a, b in combinations(sets, 2)]
        if pairs:
            jaccards.append(float(np.mean(pairs)))
    return {
        "n_targets": len(groups),
        "n_picks": total,
        "agreement_jaccard": float(np.mean(jaccards)) if jaccards else float("nan"),
        "first_third_share": first / total if total else float("nan"),
        "first_third_expected": float(np.mean(expected)) if expected else float("nan"),
    }
