"""``augment probe JOB``: the job's tasks on a few validation targets, and a go / no-go verdict.

Exit 0 for ``go``, 4 (:data:`EXIT_NO_GO`) for ``no-go`` and ``unclear``, so a batch job
can gate the full run: ``augment probe job.toml && augment run job.toml``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from augment.cli.run import EXIT_CODES_HELP, EXIT_NO_GO, EXIT_PROVIDER, error_line, show_stages
from augment.errors import BudgetExceeded, ProviderError

__all__ = ["HELP", "add_arguments", "run", "EXIT_NO_GO"]

HELP = ("Probe a job before paying for it: its tasks on a few validation targets, measured "
        "against the LLM-free models, and a go / no-go verdict (exit 0 go, 4 otherwise).")

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EXIT_CODES_HELP
    parser.add_argument("job", metavar="JOB", help="job file (TOML), e.g. jobs/movielens-demo.toml")
    parser.add_argument("--targets", type=int, default=None, metavar="N",
                        help="validation targets to probe (default: 1.5%% of the job's "
                             "pseudo-interaction targets, at least 20, at most what "
                             "validation holds)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="where probe.json and probe.md go (default: <run folder>/probe)")
    parser.add_argument("--upstream", choices=("probe", "full"), default="probe",
                        help="item attributes and user profiles: 'probe' (default) asks them "
                             "about the probe's share of the job's targets (a later run "
                             "reuses those answers, but not the probe's pseudo-interaction "
                             "answers: their prompts and candidates show the generated "
                             "attributes and profiles, which the full run has more of); 'full' "
                             "runs them over the whole job first, as 'augment run' does, so "
                             "every probe answer is reused, but pays for them up front")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _show_plan(plan: dict[str, Any]) -> None:
    from augment.probe._targets import FLOOR

    print(f"probe: {plan['targets']} validation targets (of {plan['validation_targets']}; "
          f"the full job has {plan['full_targets']})")
    print(f"estimated cost: probe ${plan['probe_cost_usd']:.4f} ({plan['probe_requests']} "
          f"requests), full run ${plan['full_cost_usd']:.4f} ({plan['full_requests']} requests)")
    if plan["targets"] > plan["full_targets"] or plan["probe_requests"] >= plan["full_requests"]:
        print(f"note: this probe is larger than the job ({plan['targets']} targets, at least "
              f"{FLOOR} when validation holds them, against the job's {plan['full_targets']}; "
              f"{plan['probe_requests']} requests against {plan['full_requests']}): running the "
              "job itself costs about the same")
    sys.stdout.flush()


def run(args: argparse.Namespace) -> int:
    from augment.evaluation.table import text_table
    from augment.jobs import load_job
    from augment.probe import probe
    from augment.probe._output import probe_rows

    cfg = load_job(args.job)
    show_stages()
    logger = logging.getLogger("augment.probe")
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        result = probe(cfg, targets=args.targets, out=args.out, upstream=args.upstream,
                       progress=not args.no_progress, on_plan=_show_plan)
    except (ProviderError, BudgetExceeded) as exc:
        error_line(args.command, exc)
        return EXIT_PROVIDER
    print(text_table(probe_rows(result.figures), n_left=1))
    if result.out is not None:
        print(f"written: {result.out / 'probe.json'}, {result.out / 'probe.md'}")
    print(result.line)
    sys.stdout.flush()
    return result.exit_code
