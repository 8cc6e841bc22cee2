"""Safe defaults for enrichment: choose how much generated data to trust, on validation only.

``choose_enrichment(split, records)`` fits one ALS model per candidate on
``split.train`` enriched with ``records`` and scores each on the split's
*validation* interactions (``split.valid``, segments ``cold`` and ``warm``); the
test set is never read. Candidates, in order:

1. no generated data at all (the unaugmented model: the *baseline*);
2. the generated item attributes / user profiles only (when there are any);
3. the better of 1 and 2, plus the generated interactions at each weight x
   denoising quantile.

A candidate is *eligible* when its warm validation metric is not below the
baseline's by more than ``max_warm_drop`` (2%, relative). Among eligible
candidates the best cold validation metric wins; it must beat the baseline by
``min_gain`` (2%, relative: a chance gain on a small validation set is not
evidence) or the baseline stays; ties go to the earlier candidate (no
attributes, smaller weight, no denoising). Step 3 uses attributes only when
step 2 beat step 1 by the same margin.

So a model that writes junk cannot make the recommender worse than not using
what it wrote, up to the noise of the validation set.

The default weights are (0, 0.3, 1, 3): :class:`~augment.recommend.ALSRecommender`
gives an interaction confidence ``alpha * weight`` and ``implicit`` adds
``confidence - 1`` to the normal equations, so a weight at or below ``1 / alpha``
counts for no more than a missing pair.

```python
from augment.tuning import choose_enrichment, auto_variants
choice = choose_enrichment(split, records, seed=0)
choice.weight, choice.denoise_quantile, choice.attributes, choice.table
models, choice = auto_variants(split, records, seed=0)   # als+attributes/pseudo/augmented
```
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from augment.data.dataset import Dataset
from augment.enrich import DEFAULT_CONFIDENCE_WEIGHTS, VARIANTS, enrich
from augment.errors import ConfigError
from augment.evaluation import evaluate
from augment.recommend import ALSRecommender
from augment.splits import Split
from augment.tasks.registry import produced_by

__all__ = ["EnrichConfig", "EnrichmentChoice", "choose_enrichment", "auto_variants",
           "select_records", "ranking_metrics"]

log = logging.getLogger(__name__)

_INTERACTIONS = produced_by("interactions")
"""Tasks whose records are generated interactions (the others give features)."""


@dataclass(frozen=True)
class EnrichmentChoice:
    """The enrichment settings a model is trained with, and how they were chosen.

    Build one with :func:`choose_enrichment` (tuned on validation) or
    :meth:`fixed` (given settings). :attr:`enrich_options` and :meth:`select` are
    what every consumer uses (the tuner's candidates, the evaluated
    ``als+augmented`` and the exported data), so the chosen model is the one shipped.
    """

    weight: float
    """Weight of a generated positive at full confidence and full vote share (0 = not used)."""
    denoise_quantile: float | None
    """Share of the least plausible generated interactions dropped (None = keep all)."""
    table: list[dict[str, Any]] = field(default_factory=list)
    """One row per candidate: ``attributes``, ``weight``, ``quantile``, ``cold``, ``warm``
    (validation metric), ``eligible`` (warm constraint met), ``chosen`` (tuned only)."""
    baseline: dict[str, Any] = field(default_factory=dict)
    """The unaugmented model (no generated data) on validation: ``{"cold": ..., "warm": ...}``."""
    metric: str = "recall@20"
    """The validation metric compared (``"<name>@<k>"``)."""
    negative_ratio: float = 1.0
    """Generated negatives weigh ``negative_ratio * weight``."""
    reason: str = ""
    """Why this candidate won (for reports)."""
    attributes: bool = True
    """Use the generated item attributes / user profiles (False: they did not help)."""
    confidence_weights: dict[str, float] | None = None
    """Multiplier of a generated interaction's weight per stated confidence
    (None = :data:`augment.enrich.DEFAULT_CONFIDENCE_WEIGHTS`)."""
    chosen_by: str = "auto"
    """``"auto"`` (tuned on validation), ``"job"`` (given) or ``"unused"`` (no records)."""
    extra: dict[str, Any] = field(default_factory=dict)
    """Free-form context (split kind, seed, number of generated records...)."""
    model: ALSRecommender | None = field(default=None, repr=False, compare=False)
    """The chosen candidate's fitted model (tuned choices only; not serialised)."""

    @classmethod
    def fixed(cls, weight: float, denoise_quantile: float | None = None, *,
              confidence_weights: Mapping[str, float] | None = None,
              negative_ratio: float = 1.0, attributes: bool = True,
              chosen_by: str = "job") -> EnrichmentChoice:
        """A choice with given settings (no tuning)."""
        if weight < 0:
            raise ConfigError(f"weight must be >= 0, got {weight}", key="weight")
        if denoise_quantile is not None and not 0 <= denoise_quantile < 1:
            raise ConfigError("denoise_quantile must be None or within [0, 1)",
                              key="denoise_quantile")
        return cls(weight=float(weight), denoise_quantile=denoise_quantile or None,
                   negative_ratio=negative_ratio, attributes=attributes,
                   confidence_weights=None if confidence_weights is None
                   else dict(confidence_weights), chosen_by=chosen_by)

    @property
    def enrich_options(self) -> dict[str, Any]:
        """Keyword arguments of :func:`augment.enrich.enrich` for this choice.

        With ``weight == 0`` there are no weights: drop the pseudo-interaction records
        with :meth:`select` (``enrich`` needs a positive ``pseudo_weight``).
        """
        opts: dict[str, Any] = ({} if self.confidence_weights is None
                                else {"confidence_weights": dict(self.confidence_weights)})
        if self.weight <= 0:
            return opts
        return {"pseudo_weight": self.weight, "negative_weight": self.negative_ratio * self.weight,
                "denoise_quantile": self.denoise_quantile, **opts}

    def weighted(self, records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``records`` without the pseudo-interaction ones when the weight is 0."""
        return select_records(records, self.weight)

    def select(self, records: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """``records`` without the pseudo-interaction ones when the weight is 0 and without
        the attribute/profile ones when they were not chosen."""
        return select_records(records, self.weight, attributes=self.attributes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable summary."""
        out: dict[str, Any] = {"weight": self.weight, "denoise_quantile": self.denoise_quantile,
                               "attributes": self.attributes, "chosen_by": self.chosen_by,
                               "reason": self.reason, "table": [dict(r) for r in self.table]}
        if self.confidence_weights is not None:
            out["confidence_weights"] = dict(self.confidence_weights)
        if self.baseline:
            out.update(metric=self.metric, baseline=dict(self.baseline))
        return {**out, **self.extra}


@dataclass(frozen=True)
class EnrichConfig:
    """How much generated data to trust (a job's ``[enrich]``): given, or ``"auto"``."""

    weight: float | Literal["auto"] = "auto"
    """Weight of a pseudo-interaction (a real one is 1.0), or "auto" = tuned on validation."""
    denoise_quantile: float | Literal["auto"] = "auto"
    """Drop this lowest-plausibility share of pseudo-interactions (0 = keep all), or
    "auto": chosen on validation with an "auto" weight, none with a fixed weight."""
    confidence: dict[str, float] = field(
        default_factory=lambda: dict(DEFAULT_CONFIDENCE_WEIGHTS))
    """Multiplier of the pseudo-interaction weight per confidence label."""
    use_flagged: bool = False
    """Use records that screening flagged (possible obeyed injection, repeated text,
    sensitive tags removed) in enrichment. They are always kept and listed in the report."""

    def choose(self, split: Split, records: Sequence[Mapping[str, Any]], *, seed: int = 0,
               als: Mapping[str, Any] | None = None, metric: str = "recall@20", k: int = 20
               ) -> EnrichmentChoice:
        """These settings as a choice: given ones as they are, ``"auto"`` ones chosen by
        :func:`choose_enrichment` on the validation interactions (``metric`` at ``k``), with
        these confidence weights and this denoising when it is fixed (nothing to tune
        without records)."""
        fixed_q = (None if self.denoise_quantile == "auto"
                   else float(self.denoise_quantile) or None)
        if self.weight != "auto":
            return EnrichmentChoice.fixed(float(self.weight), fixed_q,
                                          confidence_weights=self.confidence)
        if not records:
            return EnrichmentChoice.fixed(0.0, fixed_q, confidence_weights=self.confidence,
                                          chosen_by="unused")
        log.info("choosing the enrichment on the validation interactions")
        grid: dict[str, Any] = ({} if self.denoise_quantile == "auto"
                                else {"denoise_quantiles": (fixed_q,)})
        choice = choose_enrichment(split, records, seed=seed, als=als, metric=metric, k=k,
                                   confidence_weights=self.confidence, **grid)
        if choice.weight <= 0 and any(r.get("task") in _INTERACTIONS for r in records):
            log.warning("enrich.weight = 'auto' left the generated interactions out: %s",
                        choice.reason)
        return choice


def select_records(records: Iterable[Mapping[str, Any]], weight: float, *,
                   attributes: bool = True) -> list[Mapping[str, Any]]:
    """``records`` without pseudo-interactions when ``weight <= 0`` and without item
    attributes / user profiles when not ``attributes``."""
    return [r for r in records
            if (weight > 0 or r.get("task") not in _INTERACTIONS)
            and (attributes or r.get("task") in _INTERACTIONS)]


def _parse_metric(metric: str, k: int) -> tuple[str, int]:
    name, sep, kk = metric.partition("@")
    if not sep:
        return metric, k
    try:
        return name, int(kk)
    except ValueError as exc:
        raise ConfigError(f"metric must look like 'recall@20', got {metric!r}",
                          key="metric") from exc


def ranking_metrics(split: Split, model: Any, *, k: int | Iterable[int] = 20,
                    on: str = "valid", include: Iterable[str] = ("cold", "warm"),
                    batch_size: int = 256) -> dict[str, dict[str, float | None]]:
    """``recall@k`` and ``ndcg@k`` per segment in ``include``, as
    :func:`augment.evaluation.evaluate` computes them (same segments, candidates,
    seen-item exclusion and seeded tie-breaking), for one model.

    ``on="valid"`` (the default) reads ``split.valid``: what tuning may look at.
    """
    ks = sorted({int(x) for x in ([k] if isinstance(k, int) else k)})
    if not ks or ks[0] < 1:
        raise ConfigError(f"k must be positive integers, got {k}", key="k")
    res = evaluate(split, {"model": model}, k=ks, on=on, include=include,
                   batch_size=batch_size)["models"]["model"]
    return {seg: {f"{m}@{kk}": values[f"{m}@{kk}"] for m in ("recall", "ndcg") for kk in ks}
            for seg, values in res.items()}


def _validation_scores(split: Split, model: ALSRecommender, metric: str, k: int
                       ) -> dict[str, float | None]:
    name = metric.partition("@")[0]
    if name not in ("recall", "ndcg"):
        raise ConfigError(f"tuning compares recall@k or ndcg@k, got {metric!r}", key="metric")
    res = ranking_metrics(split, model, k=k)
    return {seg: res[seg][metric] for seg in ("cold", "warm")}


def _fit(content: Dataset, pseudo: list[Mapping[str, Any]], weight: float,
         quantile: float | None, negative_ratio: float, seed: int,
         als: Mapping[str, Any] | None,
         confidence_weights: Mapping[str, float] | None) -> ALSRecommender:
    """ALS on ``content`` (train enriched with the non-pseudo records) + weighted ``pseudo``.

    Enriching in two steps gives the same data as ``enrich(train, all records)``
    (features of the first step are kept, interactions appended), but the text and
    attribute features are built once for all candidates. The one difference:
    denoising scores pairs with a model that also maps cold items from the generated
    attributes.
    """
    train = content
    if weight > 0:
        train = enrich(content, pseudo, pseudo_weight=weight,
                       negative_weight=negative_ratio * weight, denoise_quantile=quantile,
                       confidence_weights=confidence_weights, seed=seed)
    params = {"seed": seed, **(als or {}), "cold_items": "mapping"}
    return ALSRecommender(**params).fit(train)


def _better(a: float, b: float, tol: float = 1e-9) -> bool:
    return a > b + tol


def choose_enrichment(split: Split, records: Iterable[Mapping[str, Any]], *, seed: int = 0,
                      als: Mapping[str, Any] | None = None,
                      weights: Sequence[float] = (0.0, 0.3, 1.0, 3.0),
                      denoise_quantiles: Sequence[float | None] = (None, 0.2),
                      metric: str = "recall@20", k: int = 20,
                      max_warm_drop: float = 0.02, min_gain: float = 0.02,
                      negative_ratio: float = 1.0,
                      confidence_weights: Mapping[str, float] | None = None
                      ) -> EnrichmentChoice:
    """Pick the generated-interaction weight and denoising quantile on validation data.

    Every candidate (``weights`` x ``denoise_quantiles``; weight 0 once, without
    denoising) is an ALS model (parameters ``als``, cold items mapped from
    features) fit on ``split.train`` enriched with ``records`` and scored on
    ``split.valid``. See the module docstring for the rule; ``max_warm_drop`` and
    ``min_gain`` are relative. ``split.test`` is never read. ``confidence_weights``
    (None = the default) weigh generated interactions by stated confidence in every
    candidate, as in :func:`augment.enrich.enrich`; a single ``denoise_quantiles``
    entry fixes the denoising.
    """
    records = list(records)
    name, mk = _parse_metric(metric, k)
    metric = f"{name}@{mk}"
    if any(w < 0 for w in weights):
        raise ConfigError(f"weights must be >= 0, got {list(weights)}", key="weights")
    if any(q is not None and not 0 <= q < 1 for q in denoise_quantiles):
        raise ConfigError("denoise quantiles must be None or within [0, 1)",
                          key="denoise_quantiles")
    pseudo = [r for r in records if r.get("task") in _INTERACTIONS]
    content_records = select_records(records, 0)
    grid = [(float(w), None if not q else float(q))
            for w in sorted({w for w in weights if w > 0}) for q in dict.fromkeys(
                None if not q else float(q) for q in denoise_quantiles)] if pseudo else []
    table: list[dict[str, Any]] = []
    fitted: list[ALSRecommender] = []

    def candidate(content: Dataset, attributes: bool, w: float, q: float | None) -> None:
        model = _fit(content, pseudo, w, q, negative_ratio, seed, als, confidence_weights)
        scores = _validation_scores(split, model, metric, mk)
        fitted.append(model)
        table.append({"attributes": attributes, "weight": w, "quantile": q,
                      "cold": scores["cold"], "warm": scores["warm"]})
        log.info("enrichment candidate attributes=%s weight=%s quantile=%s: cold %s=%s, "
                 "warm %s=%s", attributes, w, q, metric, scores["cold"], metric,
                 scores["warm"])

    # 1. without generated interactions: no generated data at all (the baseline), then
    #    with the generated attributes/profiles
    contents = {False: enrich(split.train, [], seed=seed)}
    if content_records:
        contents[True] = enrich(split.train, content_records, seed=seed)
    for attributes, content in contents.items():
        candidate(content, attributes, 0.0, None)
    base = table[0]
    base_warm = base["warm"]
    base_cold = base["cold"] if base["cold"] is not None else 0.0

    def eligible(row: dict[str, Any]) -> bool:
        return row["cold"] is not None and (
            base_warm is None or row["warm"] is None
            or row["warm"] >= base_warm * (1 - max_warm_drop) - 1e-12)

    def best_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
        best = rows[0]
        for row in rows[1:]:  # in order: ties keep the earlier (simpler, smaller weight)
            if eligible(row) and _better(row["cold"], best["cold"] or 0.0):
                best = row
        return best if _better(best["cold"] or 0.0, base_cold * (1 + min_gain)) else base

    # 2. the weight grid on top of the better content setting
    use_attributes = bool(best_of(table)["attributes"])
    for w, q in grid:
        candidate(contents[use_attributes], use_attributes, w, q)
    for row in table:
        row["eligible"] = eligible(row)
    best = best_of(table)
    if best is base:
        reason = (f"no candidate with generated data beat the unaugmented model's cold "
                  f"validation {metric} ({base_cold}) by {min_gain:.0%} within the warm "
                  "constraint; no generated data used")
    else:
        reason = (f"best cold validation {metric} ({best['cold']} vs {base_cold} unaugmented) "
                  f"with warm within {max_warm_drop:.0%}")
    for row in table:
        row["chosen"] = row is best
    choice = EnrichmentChoice(
        weight=best["weight"], denoise_quantile=best["quantile"], table=table,
        baseline={"cold": base["cold"], "warm": base["warm"]}, metric=metric,
        negative_ratio=negative_ratio, reason=reason, attributes=best["attributes"],
        model=fitted[next(i for i, r in enumerate(table) if r["chosen"])],
        confidence_weights=None if confidence_weights is None else dict(confidence_weights),
        extra={"split": split.kind, "seed": seed})
    log.info("enrichment choice: attributes=%s weight=%s quantile=%s (%s)", choice.attributes,
             choice.weight, choice.denoise_quantile, reason)
    return choice


def auto_variants(split: Split, records: Iterable[Mapping[str, Any]], seed: int = 0, *,
                  als: Mapping[str, Any] | None = None, choice: EnrichmentChoice | None = None,
                  include: Iterable[str] = VARIANTS, **choose_kw: Any
                  ) -> tuple[dict[str, ALSRecommender], EnrichmentChoice]:
    """The augmented ALS variants with the weight chosen by :func:`choose_enrichment`.

    Same models as :func:`augment.enrich.augmented_variants` (``als+attributes``,
    ``als+pseudo``, ``als+augmented``) but the generated interactions get the
    chosen weight and denoising, or are left out when the choice is weight 0.
    Pass ``choice`` to reuse one; ``choose_kw`` go to :func:`choose_enrichment`.
    """
    from augment.enrich import augmented_variants

    records = list(records)
    include = list(include)
    reused: dict[str, ALSRecommender] = {}
    if choice is None:
        choice = choose_enrichment(split, records, seed=seed, als=als, **choose_kw)
        if "als+augmented" in include and not choice.denoise_quantile and choice.model:
            reused["als+augmented"] = choice.model  # same data, options, ALS: the same model
    rest = [n for n in include if n not in reused]
    models = augmented_variants(split, choice.select(records), seed, als=als,
                                enrich_options=choice.enrich_options, include=rest)
    return {n: reused.get(n) or models[n] for n in include}, choice
