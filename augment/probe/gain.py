"""The verdict figure: cold recall@20 of the enriched model over the best LLM-free model,
cross-fitted on the probe targets.

The probe targets are cut in two seeded halves. With half A *choosing*: a split
whose ``valid`` holds the warm validation rows and A's cold validation rows, and
whose ``test`` holds B's cold validation rows (``split.test`` itself is never
read). On it the job's ``[enrich]`` is chosen (auto weight on A), the LLM-free
models are tuned (:func:`augment.evaluation.tuned.fit_tuned_baselines` on A), the
LLM-free generator (the best ranker on A, through the same requests) feeds the same
enrichment path, and the best LLM-free model on A is kept. Both models are then
scored on B's rows (cold recall@20 per user); then the halves swap. Per-user
scores of both directions are concatenated and the ratio of means gets a paired
bootstrap interval stratified by half (:func:`augment.evaluation.bootstrap.paired_ratio_ci`).

Cold candidates: item-cold ranks among the probe's cold items (the split's
``cold_items`` become the probe targets: only they have generated interactions, so
ranking unprobed cold items beside them would favour any generated data); user-cold
ranks the whole catalogue. The cutoff keeps the full protocol's share of the
candidate list: recall@20 for user-cold, and for item-cold recall@k with
``k = ceil(20 x probed / all cold items)`` (recall@20 among 20 probed items would be
1 for every model). The auto weight and the LLM-free models are chosen on the same
metric.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from augment.evaluation.bootstrap import paired_ratio_ci
from augment.evaluation.protocol import per_user
from augment.evaluation.tuned import TUNED, fit_tuned_baselines
from augment.jobs.config import JobConfig
from augment.splits import Split
from augment.tuning import EnrichmentChoice, auto_variants

__all__ = ["halves", "half_split", "cross_fit_gain", "cutoff", "FreeRecords", "K"]

log = logging.getLogger("augment.probe")

K = 20
"""The full protocol's cutoff (recall@20 among all cold items, or the catalogue)."""
FreeRecords = Callable[[Any, str, int], list[dict[str, Any]]]
"""``(scorer, ranker name, half) -> LLM-free pseudo-interaction records`` of every target."""


def halves(targets: Sequence[Any], seed: int) -> np.ndarray:
    """Half (0 or 1) of each target: a seeded, balanced cut."""
    order = np.random.default_rng([seed, 13]).permutation(len(targets))
    out = np.zeros(len(targets), dtype=np.int64)
    out[order[len(targets) // 2:]] = 1
    return out


def half_split(sp: Split, targets: Sequence[Any], half_of: np.ndarray, choose: int) -> Split:
    """``sp`` with half ``choose``'s cold validation rows as ``valid`` (with the warm
    validation rows) and the other half's as ``test``."""
    col = "item_id" if sp.kind == "item-cold" else "user_id"
    side = dict(zip((str(t) for t in targets), half_of.tolist(), strict=True))
    valid = sp.valid
    cold = valid[valid["segment"] == "cold"]
    which = cold[col].astype(str).map(side)
    mine, other = cold[which == choose], cold[which == 1 - choose]
    new_valid = pd.concat([valid[valid["segment"] != "cold"], mine], ignore_index=True)
    probed = frozenset(targets)
    out = dataclasses.replace(sp, valid=new_valid, test=other.reset_index(drop=True))
    if sp.kind == "item-cold":
        return dataclasses.replace(out, cold_items=probed)
    return dataclasses.replace(out, cold_users=probed)


def cutoff(sp: Split, n_targets: int) -> int:
    """The recall cutoff of the probe's cold ranking (see the module docstring)."""
    if sp.kind != "item-cold" or not sp.cold_items:
        return K
    return max(1, math.ceil(K * n_targets / len(sp.cold_items)))


def _augmented_model(cfg: JobConfig, d: Split, records: list[dict[str, Any]], seed: int,
                     als: Mapping[str, Any], k: int) -> tuple[Any, EnrichmentChoice]:
    choice = cfg.enrich.choose(d, records, seed=seed, als=als, metric=f"recall@{k}", k=k)
    if choice.model is not None:
        return choice.model, choice
    models, _ = auto_variants(d, records, seed, als=als, choice=choice,
                              include=("als+augmented",))
    return models["als+augmented"], choice


def _chosen_valid(choice: EnrichmentChoice) -> float | None:
    row = next((r for r in choice.table if r.get("chosen")), None)
    return None if row is None else row.get("cold")


def _scores(d: Split, model: Any, k: int) -> pd.DataFrame:
    df = per_user(d, model, k=(k,), on="test", include=("cold",))
    return df[["user_id", f"recall@{k}"]].rename(columns={f"recall@{k}": "recall"})


def cross_fit_gain(cfg: JobConfig, sp: Split, targets: Sequence[Any],
                   records: list[dict[str, Any]], free_records: FreeRecords | None, *,
                   seed: int) -> dict[str, Any]:
    """Cross-fitted gain (see the module docstring); ``free_records`` None when the job
    generates no pseudo-interactions (the LLM-free generator has nothing to answer)."""
    als = cfg.als.params()
    k = cutoff(sp, len(targets))
    metric = f"recall@{k}"
    half_of = halves(targets, seed)
    aug_scores, free_scores, strata, sides = [], [], [], []
    free_by_half: dict[int, list[dict[str, Any]]] = {}
    for h in (0, 1):
        d = half_split(sp, targets, half_of, h)
        model, choice = _augmented_model(cfg, d, records, seed, als, k)
        tb = fit_tuned_baselines(d, seed, als=als, metric=metric)
        options = {name: (tb.validation[name], tb.models[name]) for name in TUNED}
        ranker = max(TUNED, key=lambda n: tb.validation[n])
        free_choice = None
        if free_records is not None:
            free = free_by_half[h] = free_records(tb.models[ranker], ranker, h)
            free_model, free_choice = _augmented_model(cfg, d, free, seed, als, k)
            options["als+augmented[llm_free]"] = (_chosen_valid(free_choice) or 0.0, free_model)
        best = max(options, key=lambda n: options[n][0])
        a, b = _scores(d, model, k), _scores(d, options[best][1], k)
        merged = a.merge(b, on="user_id", suffixes=("_aug", "_free"))
        aug_scores.append(merged["recall_aug"].to_numpy())
        free_scores.append(merged["recall_free"].to_numpy())
        strata.append(np.full(len(merged), h))
        sides.append({
            "choosing_half": h, "targets_choosing": int((half_of == h).sum()),
            "users_scored": int(len(merged)),
            "weight": choice.weight, "denoise_quantile": choice.denoise_quantile,
            "attributes": choice.attributes, "chosen_by": choice.chosen_by,
            "reason": choice.reason, "augmented_valid": _chosen_valid(choice),
            "best_llm_free": best, "best_llm_free_valid": round(float(options[best][0]), 6),
            "llm_free_ranker": ranker,
            "llm_free_weight": None if free_choice is None else free_choice.weight,
            "validation": {n: round(float(v), 6) for n, (v, _) in options.items()},
            "augmented_recall": _mean(merged["recall_aug"]),
            "best_llm_free_recall": _mean(merged["recall_free"])})
        log.info("probe half %d chooses: weight %s, best LLM-free %s; scored %d users", h,
                 choice.weight, best, len(merged))
    a_all, b_all = np.concatenate(aug_scores), np.concatenate(free_scores)
    out: dict[str, Any] = {"metric": f"cold {metric}", "k": k, "halves": sides,
                           "users_scored": int(len(a_all)),
                           "augmented": _mean(a_all), "best_llm_free": _mean(b_all)}
    if len(a_all) and b_all.sum() > 0:
        ci = paired_ratio_ci(a_all, b_all, np.concatenate(strata), seed=seed)
        out.update(ratio=_r(ci.ratio), low=_r(ci.low), high=_r(ci.high))
    else:
        out.update(ratio=None, low=None, high=None)
    out["_free_by_half"] = free_by_half
    out["_half_of"] = half_of
    return out


def _mean(x: Any) -> float | None:
    arr = np.asarray(x, dtype=np.float64)
    return round(float(arr.mean()), 6) if len(arr) else None


def _r(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)
