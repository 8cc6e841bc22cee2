"""``augment demo``: MovieLens + the embedded local model, the whole path, no key, no network.

MovieLens ml-latest-small comes from ``--data-dir`` or ``AUGMENT_DATA_DIR`` (else it
is downloaded once and its hash checked), split item-cold; SmolLM2-135M-Instruct
(llama.cpp, in-process) writes item attributes for ``3 x N`` items (cold items
first, then warm ones so the feature -> factor mapping can learn), profiles for
``2 x N`` users and pseudo-interactions for ``N`` cold items (two shuffled candidate
orders each). ``jobs/movielens-demo.toml`` is ``N = 10`` with re-asks.

The demo does not re-ask invalid answers (``engine.max_reasks = 0``): a re-ask of
the tiny model costs a full, longer call and rarely fixes the answer. Its answers
are valid because the grammar cannot repeat a candidate id, free-text tags/themes
may repeat (repeats are dropped when read) and answers get up to 384 tokens. The
default ``N`` keeps the demo short on a small CPU (timings: CHANGELOG). Rerunning
resumes from the run folder's cache.
"""

from __future__ import annotations

import argparse
import dataclasses

from augment.cli.run import EXIT_CODES_HELP, EXIT_OK, EXIT_PROVIDER, error_line, finish, show_stages
from augment.errors import BudgetExceeded, ConfigError, ProviderError

__all__ = ["HELP", "add_arguments", "run", "demo_config", "DEFAULT_SAMPLE"]

HELP = "Run the demo: MovieLens, item-cold split, the embedded local model, a report."

DEFAULT_SAMPLE = 3
"""Cold items given pseudo-interactions by default: 9 + 6 + 6 = 21 local-model calls."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("--sample", type=int, default=DEFAULT_SAMPLE, metavar="N",
                        help=f"size of the generated sample: attributes for 3N items, profiles "
                             f"for 2N users, pseudo-interactions for N cold items (default "
                             f"{DEFAULT_SAMPLE})")
    parser.add_argument("--out", default="runs/movielens-demo",
                        help="run folder (default: runs/movielens-demo)")
    parser.add_argument("--data-dir", default=None,
                        help="folder holding ml-latest-small/ (default: $AUGMENT_DATA_DIR, "
                             "else download)")
    parser.add_argument("--force", action="store_true",
                        help="reuse a run folder written with another --sample")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def demo_config(sample: int = DEFAULT_SAMPLE, out: str = "runs/movielens-demo",
                data_dir: str | None = None):
    """The demo job (``augment.jobs.demo_job``) sized by ``sample``."""
    from augment.jobs import DataConfig, demo_job

    if sample < 1:
        raise ConfigError(f"--sample must be >= 1, got {sample}", key="sample")
    cfg = demo_job(out)
    tasks = cfg.tasks
    tasks = dataclasses.replace(
        tasks,
        item_attributes=dataclasses.replace(tasks.item_attributes, sample=3 * sample),
        user_profiles=dataclasses.replace(tasks.user_profiles, sample=2 * sample),
        pseudo_interactions=dataclasses.replace(tasks.pseudo_interactions, sample=sample))
    return dataclasses.replace(cfg, tasks=tasks,
                               engine=dataclasses.replace(cfg.engine, max_reasks=0),
                               data=DataConfig(source=cfg.data.source, data_dir=data_dir))


def run(args: argparse.Namespace) -> int:
    from augment.pipeline import run_job

    cfg = demo_config(args.sample, args.out, args.data_dir)
    show_stages()
    try:
        run_dir = run_job(cfg, force=args.force, progress=not args.no_progress)
    except (ProviderError, BudgetExceeded) as exc:
        error_line(args.command, exc)
        return EXIT_PROVIDER
    finish(run_dir)
    return EXIT_OK
