"""``augment estimate JOB``: requests, tokens and cost per task, before any provider call."""

from __future__ import annotations

import argparse
import json
import sys

from augment.cli.run import EXIT_CODES_HELP, EXIT_OK

__all__ = ["HELP", "add_arguments", "run", "format_estimates"]

HELP = "Estimate requests, tokens and cost per task of a job file (no provider call)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("job", metavar="JOB", help="job file (TOML)")
    parser.add_argument("--out", default=None,
                        help="run folder whose finished rows count as free (default: the "
                             "job's output.dir)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")


def format_estimates(rows: list[dict]) -> str:
    """A table: one row per task and a total."""
    header = ["task", "provider/model", "requests", "cached", "input tokens",
              "output tokens", "online (USD)", "batch (USD)", "worst case (USD)"]
    body = [[r["task"], f"{r['provider']}/{r['model']}", str(r["n_requests"]),
             str(r["n_cached"]), str(r["input_tokens"]), str(r["output_tokens"]),
             f"{r.get('online_cost_usd', r['cost_usd']):.4f}",
             f"{r.get('batch_cost_usd', 0.0):.4f}", f"{r['max_cost_usd']:.4f}"] for r in rows]
    total = ["total", "", *(str(sum(r[k] for r in rows)) for k in
                            ("n_requests", "n_cached", "input_tokens", "output_tokens")),
             f"{sum(r.get('online_cost_usd', r['cost_usd']) for r in rows):.4f}",
             f"{sum(r.get('batch_cost_usd', 0.0) for r in rows):.4f}",
             f"{sum(r['max_cost_usd'] for r in rows):.4f}"]
    from augment.evaluation.table import text_table

    return text_table([header, *body, total], n_left=2)


def run(args: argparse.Namespace) -> int:
    from augment.jobs import load_job
    from augment.pipeline import estimate_job

    cfg = load_job(args.job)
    rows = [e.as_dict() for e in estimate_job(cfg, out=args.out)]
    if args.json:
        print(json.dumps({"job": cfg.name, "tasks": rows}, indent=2))
    elif not rows:
        print(f"job {cfg.name}: no task is enabled; nothing to generate")
    else:
        print(f"job {cfg.name}: estimate before any call (re-asks not included; later tasks' "
              "prompts grow with earlier tasks' output)")
        print(format_estimates(rows))
        print(f"engine.mode = {cfg.engine.mode!r}; the worst case is at that mode's rates")
        if cfg.engine.max_cost_usd is not None:
            print(f"budget: engine.max_cost_usd = {cfg.engine.max_cost_usd} for the run folder, "
                  "all runs together")
    sys.stdout.flush()
    return EXIT_OK
