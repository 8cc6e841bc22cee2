"""Which targets a probe asks about, and the job's requests for them.

Probe targets are validation cold targets (item-cold: cold items whose held-out
rows are in ``split.valid``; user-cold: cold users in ``split.valid``), taken in the
job's own seeded target order (:func:`augment.tasks.targets.pseudo_targets`), so the
first ones are the targets the full run asks about first. The requests are the
job's: the job's task built as ``augment run`` builds it, asked for the probe
targets only (:meth:`PseudoInteractions.work_items` ``only=``), so every request of
a probe target inside the job's ``sample`` is byte-identical to the full run's and
its answer is a cache hit there. Targets past the job's ``sample`` (a small job)
get their requests from the same task over every cold target.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, cast

from augment.errors import ConfigError
from augment.jobs.config import JobConfig
from augment.splits import Split
from augment.tasks import PseudoInteractions
from augment.tasks.records import py_id
from augment.tasks.targets import pseudo_targets

__all__ = ["validation_targets", "job_targets", "default_n_targets", "choose_targets",
           "pseudo_tasks", "upstream_only", "UPSTREAM", "PSEUDO", "FRACTION", "FLOOR"]

PSEUDO = "pseudo_interactions"
UPSTREAM = ("probe", "full")
"""``upstream=``: the attribute / profile tasks on a probe-sized subset, or in full."""
FRACTION = 0.015
"""Default probe size: this share of the full job's pseudo-interaction targets..."""
FLOOR = 20
"""... and at least this many (capped at what validation holds)."""


def _column(sp: Split) -> str:
    return "item_id" if sp.kind == "item-cold" else "user_id"


def validation_targets(sp: Split) -> set[Any]:
    """Cold targets with at least one positive held-out row in ``sp.valid``."""
    valid = sp.valid[(sp.valid["segment"] == "cold") & (sp.valid["weight"] > 0)]
    return {py_id(t) for t in valid[_column(sp)].unique()}


def job_targets(cfg: JobConfig, sp: Split, sample: int | None) -> list[Any]:
    """The job's pseudo-interaction targets in its seeded order (``sample`` of them)."""
    items, users = pseudo_targets(sp, sample, cfg.split.seed)
    return items if sp.kind == "item-cold" else users


def default_n_targets(cfg: JobConfig, sp: Split) -> int:
    """1.5% of the full job's pseudo-interaction targets, at least 20, at most the
    validation targets."""
    tc = cfg.tasks.pseudo_interactions
    n_full = len(job_targets(cfg, sp, tc.sample if tc.enabled else None))
    return min(max(FLOOR, math.ceil(FRACTION * n_full)), len(validation_targets(sp)))


def choose_targets(cfg: JobConfig, sp: Split, n: int | None) -> list[Any]:
    """The first ``n`` validation targets in the job's seeded order (all cold targets)."""
    n = default_n_targets(cfg, sp) if n is None else int(n)
    if n < 2:
        raise ConfigError(f"a probe needs at least 2 targets (two halves), got {n}",
                          key="targets")
    valid = validation_targets(sp)
    if len(valid) < 2:
        raise ConfigError(f"the {sp.kind} split has {len(valid)} validation cold targets; a "
                          "probe needs at least 2", key="split")
    ordered = [t for t in job_targets(cfg, sp, None) if t in valid]
    return ordered[:n]


def pseudo_tasks(cfg: JobConfig, sp: Split, targets: list[Any],
                 records: dict[str, list[dict[str, Any]]]
                 ) -> list[tuple[PseudoInteractions, set[Any]]]:
    """``(task, only)`` pairs whose requests are the job's for ``targets``: the job's task
    for targets inside its ``sample``, the same task over every cold target for the rest."""
    from augment.pipeline._generate import build_task

    tc = cfg.tasks.pseudo_interactions
    inside = set(job_targets(cfg, sp, tc.sample)) & set(targets)
    out: list[tuple[PseudoInteractions, set[Any]]] = []
    if inside:
        out.append((cast(PseudoInteractions, build_task(PSEUDO, cfg, sp, records)), inside))
    rest = set(targets) - inside
    if rest:
        wide = dataclasses.replace(cfg, tasks=dataclasses.replace(
            cfg.tasks, pseudo_interactions=dataclasses.replace(tc, sample=None)))
        out.append((cast(PseudoInteractions, build_task(PSEUDO, wide, sp, records)), rest))
    return out


def _share(cfg: JobConfig, sp: Split, targets: list[Any]) -> float:
    """Probe targets over the full job's pseudo-interaction targets (at most 1)."""
    tc = cfg.tasks.pseudo_interactions
    n_full = len(job_targets(cfg, sp, tc.sample if tc.enabled else None))
    return min(1.0, len(targets) / max(n_full, 1))


def upstream_only(cfg: JobConfig, sp: Split, targets: list[Any], name: str,
                  order: list[Any]) -> set[Any]:
    """Which of an upstream task's targets (``order``: the job's task's own target list) a
    probe of ``targets`` asks about: the probed targets the task covers, plus the first
    ``ceil(share x len(order))`` of the job's order (share: :func:`_share`), so the task's
    quality figures rest on about the probe's share of the job. Item attributes in a
    user-cold job and profiles in an item-cold one have no probed target among theirs:
    they take at least as many as the probe has targets (attributes) or 1 (profiles)."""
    k = math.ceil(_share(cfg, sp, targets) * len(order))
    own = (name == "item_attributes") == (sp.kind == "item-cold")
    if own:
        probed = set(targets)
        return {t for t in order if t in probed} | set(order[:k])
    floor = len(targets) if name == "item_attributes" else 1
    return set(order[:max(floor, k)])
