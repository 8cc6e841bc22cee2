"""Pick precision and recall of pseudo-interactions on the probe targets, with bootstrap CIs.

Per probe target: the model's positive picks (votes aggregated over repeats and
rounds, :func:`augment.tasks.aggregate_votes`), the candidates it was shown and the
target's held-out truth (``split.valid`` cold rows with weight > 0, and the pairs of
``split.known``: probe targets are validation targets, so none of it is test data). Precision is
hits / picks and recall hits / truth, pooled over targets (ratios of sums); their
95% intervals resample targets (:func:`augment.evaluation.bootstrap.paired_ratio_ci`).
Random picks among the same candidates are scored by their exact expectation
(picks x positives among candidates / candidates, per target); the LLM-free
generator's picks like the model's. Lifts are differences, paired per target.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from augment.evaluation.bootstrap import paired_ratio_ci
from augment.splits import Split
from augment.tasks import aggregate_votes

__all__ = ["pick_counts", "pick_figures", "diff_ci"]


def _truth(sp: Split) -> dict[str, set[str]]:
    """Held-out positives per target: ``split.valid``'s cold rows and ``split.known`` (pairs
    known outside training, e.g. a simulated model's oracle half: real interactions too)."""
    parts = [sp.valid[(sp.valid["segment"] == "cold") & (sp.valid["weight"] > 0)]]
    if sp.known is not None and len(sp.known):
        known = sp.known
        parts.append(known[known["weight"] > 0] if "weight" in known.columns else known)
    tcol, ocol = ("item_id", "user_id") if sp.kind == "item-cold" else ("user_id", "item_id")
    out: dict[str, set[str]] = {}
    for part in parts:
        for t, o in zip(part[tcol].astype(str), part[ocol].astype(str), strict=True):
            out.setdefault(t, set()).add(o)
    return out


def pick_counts(sp: Split, records: Iterable[Mapping[str, Any]], targets: list[Any]
                ) -> pd.DataFrame:
    """One row per target: ``picks``, ``hits``, ``truth``, ``random_hits`` (expected)."""
    tcol, ocol = ("item_id", "user_id") if sp.kind == "item-cold" else ("user_id", "item_id")
    pseudo = [r for r in records if r.get("task") == "pseudo_interactions"]
    cands: dict[str, set[str]] = {}
    for r in pseudo:
        cands.setdefault(str(r.get(tcol)), set()).update(str(c) for c in r.get("candidates", []))
    votes = aggregate_votes(pseudo) if pseudo else pd.DataFrame(columns=[tcol, ocol, "label"])
    pos = votes[votes["label"] > 0]
    picked: dict[str, set[str]] = {}
    for t, o in zip(pos[tcol].astype(str), pos[ocol].astype(str), strict=True):
        picked.setdefault(t, set()).add(o)
    truth = _truth(sp)
    rows = []
    for t in map(str, targets):
        p, c, tr = picked.get(t, set()), cands.get(t, set()), truth.get(t, set())
        rand = len(p) * len(tr & c) / len(c) if c else 0.0
        rows.append({"target": t, "picks": len(p), "hits": len(p & tr), "truth": len(tr),
                     "candidates": len(c), "random_hits": rand})
    return pd.DataFrame(rows)


def diff_ci(a_num: np.ndarray, a_den: np.ndarray, b_num: np.ndarray, b_den: np.ndarray, *,
            seed: int = 0, n_boot: int = 2000, level: float = 0.95) -> dict[str, float | None]:
    """``sum(a_num)/sum(a_den) - sum(b_num)/sum(b_den)`` with a paired bootstrap interval
    (targets resampled with replacement; NaN ratios of empty resamples ignored)."""
    arrays = [np.asarray(x, dtype=np.float64) for x in (a_num, a_den, b_num, b_den)]
    n = len(arrays[0])
    if n == 0:
        return {"diff": None, "low": None, "high": None}
    idx = np.random.default_rng(seed).integers(0, n, size=(n_boot, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        s = [x[idx].sum(axis=1) for x in arrays]
        boots = s[0] / s[1] - s[2] / s[3]
        point = arrays[0].sum() / arrays[1].sum() - arrays[2].sum() / arrays[3].sum()
    tail = (1 - level) / 2 * 100
    finite = boots[np.isfinite(boots)]
    lo, hi = (np.percentile(finite, [tail, 100 - tail]) if len(finite)
              else (float("nan"), float("nan")))
    return {"diff": _r(point), "low": _r(lo), "high": _r(hi)}


def _ratio(num: np.ndarray, den: np.ndarray, seed: int) -> dict[str, float | None]:
    if len(num) == 0 or float(np.sum(den)) <= 0:
        return {"value": None, "low": None, "high": None}
    ci = paired_ratio_ci(num, den, seed=seed)
    return {"value": _r(ci.ratio), "low": _r(ci.low), "high": _r(ci.high)}


def pick_figures(model: pd.DataFrame, free: pd.DataFrame | None, *, seed: int = 0
                 ) -> dict[str, Any]:
    """Precision/recall of the model, random picks and the LLM-free generator, and lifts."""
    m = {k: model[k].to_numpy(dtype=np.float64) for k in model.columns if k != "target"}
    out: dict[str, Any] = {
        "n_targets": int(len(model)), "picks": int(m["picks"].sum()),
        "hits": int(m["hits"].sum()),
        "precision": _ratio(m["hits"], m["picks"], seed),
        "recall": _ratio(m["hits"], m["truth"], seed),
        "random": {"precision": _ratio(m["random_hits"], m["picks"], seed),
                   "recall": _ratio(m["random_hits"], m["truth"], seed)},
        "lift_precision_over_random": diff_ci(m["hits"], m["picks"], m["random_hits"],
                                              m["picks"], seed=seed),
        "lift_recall_over_random": diff_ci(m["hits"], m["truth"], m["random_hits"],
                                           m["truth"], seed=seed),
    }
    if free is not None:
        f = {k: free[k].to_numpy(dtype=np.float64) for k in free.columns if k != "target"}
        out["llm_free"] = {"picks": int(f["picks"].sum()), "hits": int(f["hits"].sum()),
                           "precision": _ratio(f["hits"], f["picks"], seed),
                           "recall": _ratio(f["hits"], f["truth"], seed)}
        out["lift_precision_over_llm_free"] = diff_ci(m["hits"], m["picks"], f["hits"],
                                                      f["picks"], seed=seed)
        out["lift_recall_over_llm_free"] = diff_ci(m["hits"], m["truth"], f["hits"],
                                                   f["truth"], seed=seed)
    return out


def _r(x: Any) -> float | None:
    x = float(x)
    return None if not np.isfinite(x) else round(x, 6)
