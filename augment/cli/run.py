"""``augment run JOB``: the whole path of a job file, into one run folder.

Also home of what the commands share: the exit codes and their help text.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from pathlib import Path
from typing import Any

from augment.errors import BatchesInFlight, BudgetExceeded, ProviderError, clip

__all__ = ["HELP", "add_arguments", "run", "EXIT_OK", "EXIT_INVALID", "EXIT_USAGE",
           "EXIT_PROVIDER", "EXIT_NO_GO", "EXIT_INTERNAL", "EXIT_IN_FLIGHT", "EXIT_INTERRUPTED",
           "EXIT_CODES_HELP", "error_line",
           "show_stages", "summary_table", "finish"]

HELP = "Run a job file: generate, validate, enrich, train, evaluate and write the report."

EXIT_OK = 0
EXIT_INVALID = 1
"""``augment validate``: at least one record is invalid."""
EXIT_USAGE = 2
"""Bad usage, job file, configuration or data (any other AugmentError)."""
EXIT_PROVIDER = 3
"""A provider failed every request of a task, the budget stopped the run, or the run
finished ``degraded`` (a task's failure rate passed ``engine.max_failure_rate``)."""
EXIT_NO_GO = 4
"""``augment probe``: the verdict is ``no-go`` or ``unclear`` (0 is ``go``)."""
EXIT_INTERNAL = 70
"""An unexpected error (a bug; sysexits' EX_SOFTWARE): one line, the traceback with ``-v`` /
``--debug``. (Before 0.2 this was 4, now the probe's no-go.)"""
EXIT_IN_FLIGHT = 75
"""Batch mode: provider batches are still running (sysexits' EX_TEMPFAIL); run the same
command again (it re-attaches, never resubmits) or add ``--wait``."""
EXIT_INTERRUPTED = 130
"""Ctrl-C."""

EXIT_CODES_HELP = ("exit codes: 0 ok; 1 invalid records (validate); 2 usage, job file, config, "
                   "data or file-system error, or the run folder is in use; 3 provider failure, "
                   "budget stop or degraded run (too many failed records; run again to resume); "
                   "4 probe verdict no-go or unclear (augment probe); 70 internal error (rerun "
                   "with --debug for the traceback); 75 provider batches "
                   "still running (run again, or with --wait, to re-attach); 130 interrupted "
                   "(run again to resume)")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("job", metavar="JOB", help="job file (TOML), e.g. jobs/movielens-demo.toml")
    parser.add_argument("--out", default=None,
                        help="run folder (default: the job's output.dir)")
    parser.add_argument("--force", action="store_true",
                        help="reuse a run folder that holds another job (its outputs are "
                             "replaced; the engine cache is kept)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument("--wait", action="store_true",
                        help="batch mode: poll until every provider batch ended (with backoff "
                             "and a progress bar) instead of exiting 75 while they run")


def error_line(command: str, exc: BaseException | str) -> None:
    """Print ``augment <command>: error: <message>`` as one line on stderr."""
    print(f"augment {command}: error: {clip(' '.join(str(exc).split()), 1000)}",
          file=sys.stderr)


def show_stages() -> None:
    """Let the pipeline's stage messages (INFO on ``augment.pipeline``) reach stderr."""
    logger = logging.getLogger("augment.pipeline")
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)


def summary_table(metrics: dict[str, Any]) -> str:
    """recall and NDCG at the largest k, cold / warm / all, one row per model."""
    k = max(metrics["k"])
    cols = [("cold", "recall"), ("cold", "ndcg"), ("warm", "recall"), ("warm", "ndcg"),
            ("all", "recall")]
    header = ["model"] + [f"{seg} {m}@{k}" for seg, m in cols]
    rows = []
    for name, per_seg in metrics["models"].items():
        cells = []
        for seg, m in cols:
            value = per_seg.get(seg, {}).get(f"{m}@{k}")
            cells.append("-" if value is None else f"{value:.4f}")
        rows.append([name] + cells)
    from augment.evaluation.table import text_table

    return text_table([header, *rows], n_left=1)


def finish(run_dir: Path) -> None:
    """Print the run's metrics summary and where its report is."""
    metrics_path = run_dir / "metrics.json"
    if metrics_path.exists():
        metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        print(f"split={metrics['split']} seed={metrics['seed']}")
        print(summary_table(metrics))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    money = manifest.get("money") or {}
    print(f"\nstatus {manifest.get('status')}, cost ${manifest.get('cost_usd', 0.0):.4f}, "
          f"{manifest.get('provider_calls', 0)} provider calls")
    if money:
        print(f"spent ${money.get('spent_usd', 0.0):.4f} in this folder (all runs): kept records "
              f"${money.get('kept_cost_usd', 0.0):.4f}, wasted ${money.get('wasted_usd', 0.0):.4f}")
    print(f"report: {(run_dir / 'report.html').resolve()}")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    from augment.jobs import load_job
    from augment.pipeline import run_job

    cfg = load_job(args.job)
    if getattr(args, "wait", False):
        cfg = dataclasses.replace(cfg, engine=dataclasses.replace(cfg.engine, wait=True))
    show_stages()
    try:
        run_dir = run_job(cfg, job_file=args.job, out=args.out, force=args.force,
                          progress=not args.no_progress)
    except BatchesInFlight as exc:
        print(f"augment {args.command}: {' '.join(str(exc).split())}", file=sys.stderr)
        resume = " ".join(["augment", "run", str(args.job)]
                          + (["--out", str(args.out)] if args.out else []))
        print(f"to resume: {resume}   (or: {resume} --wait; status: augment status "
              f"{args.out or cfg.output.dir})", file=sys.stderr)
        return EXIT_IN_FLIGHT
    except (ProviderError, BudgetExceeded) as exc:
        error_line(args.command, exc)
        return EXIT_PROVIDER
    finish(run_dir)
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    if manifest.get("status") == "degraded":
        message = (manifest.get("error") or {}).get("message", "")
        error_line(args.command, f"run degraded: {message}; see failures.jsonl and the report "
                                 "(engine.max_failure_rate sets the limit)")
        return EXIT_PROVIDER
    return EXIT_OK
