"""``probe`` / ``probe_split``: the job's tasks on a few validation targets, and a verdict.

See :mod:`augment.probe` for what is measured and how the verdict is reached.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from augment.engine import Engine, EngineConfig
from augment.engine.lock import FolderLock
from augment.engine.store import Store
from augment.errors import ConfigError
from augment.jobs.config import JobConfig
from augment.jobs.rundir import RunDir
from augment.pipeline._generate import build_task
from augment.pipeline._job_data import read_job_data, split_job_data
from augment.probe import _targets as T
from augment.probe._generate import TaskRun, free_engine, run_job_tasks, run_pseudo, upstream_items
from augment.probe._output import write_outputs
from augment.probe.gain import cross_fit_gain
from augment.probe.picks import pick_counts, pick_figures
from augment.probe.quality import bias_quality, genre_quality, majority_genre_quality
from augment.probe.verdict import decide, project
from augment.providers.pool import ProviderFactory, ProviderPool, provider_for_estimate
from augment.splits import Split
from augment.testing.llm_free import LLMFreeProvider

__all__ = ["ProbeResult", "probe", "probe_split", "FORMAT"]

log = logging.getLogger("augment.probe")

FORMAT = "augment.probe/1"
"""Version of ``probe.json``'s keys."""

Plan = Callable[[dict[str, Any]], None]


@dataclass
class ProbeResult:
    """What a probe found: the verdict, its reason and every figure (``probe.json``)."""

    verdict: str
    """``"go"``, ``"no-go"`` or ``"unclear"``."""
    reason: str
    """One line: the figure behind the verdict."""
    n_targets: dict[str, int]
    """Targets probed per task."""
    calls: int
    """Provider calls the probe made (answers already in the store are not calls)."""
    figures: dict[str, Any] = field(default_factory=dict)
    """Everything in ``probe.json``."""
    more_targets: int | None = None
    """``unclear``: validation targets to probe next."""
    more_cost_usd: float | None = None
    """``unclear``: their cost at the probe's cost per target."""
    out: Path | None = None
    """Where ``probe.json`` and ``probe.md`` were written (None: not written)."""

    @property
    def exit_code(self) -> int:
        """0 for ``go``, 4 for ``no-go`` and ``unclear`` (``augment probe``'s exit code)."""
        return 0 if self.verdict == "go" else 4

    @property
    def line(self) -> str:
        """The verdict line the CLI prints."""
        return f"verdict: {self.verdict}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return self.figures


def probe(job: JobConfig | str | Path, *, targets: int | None = None,
          out: str | Path | None = None, provider_factory: ProviderFactory | None = None,
          progress: bool = True, on_plan: Plan | None = None,
          upstream: str = "probe") -> ProbeResult:
    """Probe a job before its full run: load and split its data as ``augment run`` does,
    then :func:`probe_split`. ``out``: where ``probe.json`` / ``probe.md`` go (default
    ``<run folder>/probe``); the probe's answers go to the run folder's ``engine.sqlite``,
    so a later ``augment run`` of the job reuses them.

    ``upstream``: ``"probe"`` (default) runs item attributes and user profiles on a
    probe-sized share of the job's targets (a later run reuses these answers, but not the
    probe's pick answers: their prompts show the attributes and profiles, and the
    candidate retriever reads the attribute text, which differ from the full run's);
    ``"full"`` runs them in full, as ``augment run`` does, so every probe answer (picks
    too) is reused, at the price of the whole upstream tasks up front."""
    if not isinstance(job, JobConfig):
        from augment.jobs import load_job

        job = load_job(job)
    dataset, _ = read_job_data(job.data)
    sp = split_job_data(dataset, job.split)
    return probe_split(job, sp, targets=targets, provider_factory=provider_factory,
                       out=Path(out) if out is not None else None, progress=progress,
                       on_plan=on_plan, upstream=upstream)


def probe_split(cfg: JobConfig, sp: Split, *, targets: int | None = None,
                provider_factory: ProviderFactory | None = None, store: Path | None = None,
                out: Path | None = None, progress: bool = False,
                on_plan: Plan | None = None, upstream: str = "probe") -> ProbeResult:
    """Probe ``cfg`` on a given split (the benchmark passes an oracle split and a simulated
    provider). ``store``: the engine store (default: the run folder's ``engine.sqlite``,
    with the run folder locked meanwhile). ``split.test`` is never read: it is emptied
    first. ``on_plan(plan)`` is called before any provider call with the targets and the
    estimated costs of the probe and of the full run. ``upstream``: see :func:`probe`."""
    if upstream not in T.UPSTREAM:
        raise ConfigError(f"upstream must be one of {', '.join(T.UPSTREAM)}, got {upstream!r}",
                          key="upstream")
    sp = dataclasses.replace(sp, test=sp.valid.iloc[0:0])  # never read: not even touched
    seed = cfg.split.seed
    chosen = T.choose_targets(cfg, sp, targets)
    pool = ProviderPool(provider_factory)
    only_of = (None if upstream == "full" else
               (lambda name, order: T.upstream_only(cfg, sp, chosen, name, order)))
    plan = _plan(cfg, sp, chosen, pool, provider_factory, store, only_of)
    plan["upstream"] = upstream
    log.info("probe: %d targets; estimated probe cost $%.4f, full run $%.4f", len(chosen),
             plan["probe_cost_usd"], plan["full_cost_usd"])
    if on_plan is not None:
        on_plan(plan)
    path = store if store is not None else RunDir(cfg.output.dir).engine_store
    lock = FolderLock(cfg.output.dir) if store is None else contextlib.nullcontext()
    with lock:
        st = Store(path)
        try:
            runs = run_job_tasks(cfg, sp, lambda recs: T.pseudo_tasks(cfg, sp, chosen, recs),
                                 st, pool, progress=progress, only_of=only_of)
        finally:
            st.close()
    figures = _measure(cfg, sp, chosen, runs, plan, seed)
    result = _result(figures)
    if out is None and store is None:
        out = Path(cfg.output.dir) / "probe"
    if out is not None:
        result.out = write_outputs(result, Path(out), run_dir=Path(cfg.output.dir))
    return result


def _plan(cfg: JobConfig, sp: Split, chosen: list[Any], pool: ProviderPool,
          factory: ProviderFactory | None, store: Path | None, only_of: Any) -> dict[str, Any]:
    from augment.pipeline._estimate import estimate_job

    path = Path(store) if store is not None else RunDir(cfg.output.dir).engine_store
    full = estimate_job(cfg, provider_factory=factory, split=sp,
                        out=None if store is None else path.parent)
    by_task = {row.task: row.as_dict() for row in full}
    probe_cost = 0.0
    probe_requests = 0
    prices: Any = Path(cfg.prices) if isinstance(cfg.prices, str) else cfg.prices
    st = Store(path) if path.exists() else None

    def engine(name: str) -> Engine:
        provider = provider_for_estimate(pool, getattr(cfg.tasks, name))
        return Engine(provider, EngineConfig(progress=False, mode=cfg.engine.mode),
                      store=st, prices=prices)

    for name in cfg.tasks.enabled():  # the upstream tasks: the probe's subset of requests
        if name == T.PSEUDO:
            continue
        pick = None if only_of is None else (lambda order, _n=name: only_of(_n, order))
        est = engine(name).estimate(upstream_items(build_task(name, cfg, sp), pick))
        probe_cost += est.cost_usd
        probe_requests += est.n_requests
    tc = cfg.tasks.pseudo_interactions
    if tc.enabled:
        pseudo_engine = engine(T.PSEUDO)
        for task, only in T.pseudo_tasks(cfg, sp, chosen, {}):
            items = task.work_items(only=only)
            est = pseudo_engine.estimate(items)
            again = task.later_round_items(items)
            extra = pseudo_engine.estimate(again) if again and tc.rounds > 1 else None
            rounds = tc.rounds - 1
            probe_cost += est.cost_usd + (extra.cost_usd * rounds if extra else 0.0)
            probe_requests += est.n_requests + (extra.n_requests * rounds if extra else 0)
    if st is not None:
        st.close()
    full_cost = sum(r["cost_usd"] for r in by_task.values())
    return {"targets": len(chosen), "validation_targets": len(T.validation_targets(sp)),
            "full_targets": len(T.job_targets(cfg, sp, tc.sample if tc.enabled else None)),
            "probe_requests": probe_requests, "probe_cost_usd": round(probe_cost, 6),
            "full_requests": sum(r["n_requests"] + r["n_cached"] for r in by_task.values()),
            "full_cost_usd": round(full_cost, 6), "full_estimate": by_task}


def _free_records(cfg: JobConfig, sp: Split, chosen: list[Any], upstream: dict[str, Any],
                  picks: int) -> Callable[[Any, str, int], list[dict[str, Any]]]:
    def make(scorer: Any, ranker: str, half: int) -> list[dict[str, Any]]:
        provider = LLMFreeProvider(scorer, user_ids=sp.dataset.user_vocab.ids,
                                   item_ids=sp.dataset.item_vocab.ids, picks=picks,
                                   model=f"llm-free-{ranker}-h{half}")
        return run_pseudo(free_engine(provider), T.pseudo_tasks(cfg, sp, chosen, upstream),
                          TaskRun("llm_free"), "probe: llm-free")
    return make


def _measure(cfg: JobConfig, sp: Split, chosen: list[Any], runs: dict[str, TaskRun],
             plan: dict[str, Any], seed: int) -> dict[str, Any]:
    tasks = {name: run.figures() for name, run in runs.items()}
    records = [r for run in runs.values() for r in run.records]
    pseudo_run = runs.get(T.PSEUDO)
    has_pseudo = pseudo_run is not None
    free_maker = None
    if has_pseudo:
        assert pseudo_run is not None
        upstream = {n: r.records for n, r in runs.items() if n != T.PSEUDO}
        per_request = pseudo_run.records
        mean_picks = (sum(len(r["output"].get("users", r["output"].get("positives", [])))
                          for r in per_request) / len(per_request)) if per_request else 1.0
        free_maker = _free_records(cfg, sp, chosen, upstream, max(1, round(mean_picks)))
    gain = cross_fit_gain(cfg, sp, chosen, records, free_maker, seed=seed)
    free_by_half, half_of = gain.pop("_free_by_half"), gain.pop("_half_of")
    figures: dict[str, Any] = {"format": FORMAT, "job": cfg.name, "split": sp.kind,
                               "seed": seed, "targets": len(chosen),
                               "target_ids": [str(t) for t in chosen], "plan": plan,
                               "tasks": tasks, "gain": gain}
    lift = None
    if has_pseudo and pseudo_run is not None:
        model = pick_counts(sp, pseudo_run.records, chosen)
        side = {str(t): int(h) for t, h in zip(chosen, half_of, strict=True)}
        free_parts = [pick_counts(sp, free_by_half[1 - h], [t for t in chosen
                                                            if side[str(t)] == h])
                      for h in (0, 1) if (1 - h) in free_by_half]
        free = (None if not free_parts else
                model[["target"]].merge(_concat(free_parts), on="target", how="left"))
        figures["picks"] = pick_figures(model, free, seed=seed)
        figures["bias"] = bias_quality(sp, pseudo_run.records, held=sp.valid)
        lift = (figures["picks"].get("lift_precision_over_llm_free") or {}).get("diff")
    attrs = runs.get("item_attributes")
    if attrs is not None and "genres" in sp.dataset.items.columns:
        ids = {r["item_id"] for r in attrs.records}
        figures["attributes"] = {
            "genres": genre_quality(attrs.records, sp.dataset.items),
            "majority_guess": majority_genre_quality(sp.dataset.items, sorted(ids, key=str)),
            "note": "the items' genres were in the prompt (the task shows every text column): "
                    "F1 against what the model was shown"}
    figures["projection"] = project(tasks, plan["full_estimate"], cfg.engine,
                                    {n: r.price for n, r in runs.items()})
    weights = [h["weight"] for h in gain["halves"]]
    per_target = (tasks[T.PSEUDO]["cost_per_target_usd"] if has_pseudo
                  else sum(t["cost_per_target_usd"] for t in tasks.values()))
    v = decide(gain, precision_lift=lift, has_pseudo=has_pseudo,
               weights_zero=all(w <= 0 for w in weights) and not any(
                   h["attributes"] for h in gain["halves"]),
               n_targets=len(chosen), targets_left=plan["validation_targets"] - len(chosen),
               cost_per_target=per_target)
    figures.update(verdict=v.verdict, reason=v.reason, more_targets=v.more_targets,
                   more_cost_usd=v.more_cost_usd,
                   calls=sum(r.n_calls for r in runs.values()),
                   n_targets={n: r.n_targets for n, r in runs.items()})
    return figures


def _concat(parts: list[Any]) -> Any:
    import pandas as pd

    return pd.concat(parts, ignore_index=True)


def _result(figures: dict[str, Any]) -> ProbeResult:
    return ProbeResult(verdict=figures["verdict"], reason=figures["reason"],
                       n_targets=figures["n_targets"], calls=figures["calls"], figures=figures,
                       more_targets=figures["more_targets"],
                       more_cost_usd=figures["more_cost_usd"])

