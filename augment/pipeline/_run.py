"""``run_job``: a job config in, a finished run folder out (the whole path of the data)."""

from __future__ import annotations

import dataclasses
import logging
import time
from pathlib import Path
from typing import Any

from augment.diagnostics import popularity_diagnostics, pseudo_diagnostics
from augment.engine.lock import FolderLock
from augment.export import export_enriched
from augment.jobs.config import JobConfig, OutputConfig
from augment.jobs.rundir import RunDir
from augment.pipeline._dataio import check_write_back, data_manifest, write_back
from augment.pipeline._evaluate import evaluate_job
from augment.pipeline._fallback import without_failing_tasks
from augment.pipeline._generate import generate
from augment.pipeline._job_data import data_counts, read_job_data, split_job_data
from augment.providers.pool import ProviderFactory, ProviderPool
from augment.recommend import resolve_device
from augment.report import write_report
from augment.tasks.registry import produced_by
from augment.tasks.screening import usable_for_enrichment

__all__ = ["run_job", "with_output"]

log = logging.getLogger("augment.pipeline")


def with_output(cfg: JobConfig, out: str | Path | None) -> JobConfig:
    """``cfg`` with its run folder replaced by ``out`` (when given)."""
    return cfg if out is None else dataclasses.replace(cfg, output=OutputConfig(dir=str(out)))


def run_job(cfg: JobConfig, *, job_file: str | Path | None = None, out: str | Path | None = None,
            force: bool = False, provider_factory: ProviderFactory | None = None,
            progress: bool = True) -> Path:
    """Run a job end to end and return its run folder.

    load -> split -> generate (each enabled task through the engine, records
    validated and stored) -> choose the enrichment weight -> fit and evaluate the
    baselines and augmented ALS variants (one ``metrics.json``) -> export the
    enriched data -> diagnostics -> ``report.md`` / ``report.html``.

    - ``out`` overrides ``cfg.output.dir``.
    - Running the same job in the same folder again resumes: rows finished
      before are answered from ``engine.sqlite`` without a provider call, so a
      finished job run again calls no provider at all. A folder that holds
      another job needs ``force=True`` (its outputs are replaced; the cache stays).
    - ``provider_factory(task_cfg) -> Provider`` replaces the providers named in
      the job (tests pass a FakeProvider).
    - ``progress``: engine progress bars (tqdm.auto); stages are logged on the
      ``augment.pipeline`` logger.

    - One run per folder: a second ``run_job`` on a folder in use raises RunLocked
      (a lock left by a dead process is taken over with a warning).

    Generated data never crashes a run: records that cannot be used become failures
    with a reason (:mod:`augment.tasks.screening`; records flagged there are left out
    of enrichment unless ``enrich.use_flagged``), and if a stage after the engine still
    fails on a task's records, that task's records become failures and the stages run
    without them. A task whose failure rate passes ``engine.max_failure_rate`` (or
    that gave no record) ends the run ``"degraded"`` (manifest ``degraded`` says why).

    Raises ConfigError / DataError for bad jobs or data, BudgetExceeded when
    ``engine.max_cost_usd`` stops a task, ProviderError when a task's provider
    fails every request, BatchesInFlight while provider batches run (batch mode
    without ``engine.wait``: status "waiting"); KeyboardInterrupt marks the run
    "interrupted". In each case the manifest says so and a rerun resumes.
    """
    cfg = with_output(cfg, out)
    start = time.perf_counter()
    log.info("job %s: loading data (%s)", cfg.name, cfg.data.source)
    dataset, mapped = read_job_data(cfg.data)
    check_write_back(cfg.data)
    sp = split_job_data(dataset, cfg.split)
    log.info("split %s seed %d: %d train interactions, %d cold items, %d cold users",
             sp.kind, sp.seed, len(sp.train.interactions), len(sp.cold_items),
             len(sp.cold_users))
    pool = ProviderPool(provider_factory)
    with FolderLock(cfg.output.dir), \
            RunDir(cfg.output.dir).start(cfg, job_file=job_file, force=force) as run:
        log.info("run folder %s (attempt %s)", run.path, run.manifest.get("attempts"))
        run.update(counts=data_counts(sp), data=data_manifest(cfg, mapped or dataset, sp),
                   als_device=resolve_device(cfg.als.device))
        generated = generate(cfg, sp, run, pool, progress=progress)
        records = usable_for_enrichment(generated.all_records(),
                                        use_flagged=cfg.enrich.use_flagged)

        def downstream(recs: list[dict]) -> tuple[Any, dict, dict]:
            choice = cfg.enrich.choose(sp, recs, seed=cfg.split.seed, als=cfg.als.params())
            log.info("enrichment: weight %s, denoise quantile %s (%s)", choice.weight,
                     choice.denoise_quantile, choice.chosen_by)
            metrics = evaluate_job(cfg, sp, recs, choice)
            log.info("exporting the enriched data to %s", run.enriched_dir)
            return choice, metrics, export_enriched(sp.train, recs, choice, run.enriched_dir,
                                                    seed=cfg.split.seed)

        (choice, metrics, enriched), dropped = without_failing_tasks(downstream, records, run)
        generated.degraded.update(dropped)
        run.write_metrics(metrics)
        if cfg.data.write_back:
            run.update(write_back=write_back(cfg.data, run))
        diagnostics: dict = {"enrichment": choice.to_dict()}
        for name in sorted(produced_by("interactions")):  # generated interactions
            pseudo = generated.records.get(name) or []
            if pseudo:
                diagnostics[name] = pseudo_diagnostics(pseudo)
                popularity = popularity_diagnostics(sp, pseudo)
                if popularity:
                    diagnostics["popularity"] = popularity
        run.write_diagnostics(diagnostics)
        run.update(enrichment=choice.to_dict(), enriched=enriched,
                   provider_calls=generated.calls,
                   duration_s=round(time.perf_counter() - start, 1))
        if generated.degraded:
            run.degrade(generated.degraded)
    log.info("writing the report")
    write_report(run)
    log.info("done in %.1f s: %s", time.perf_counter() - start, run.report_html)
    return run.path
