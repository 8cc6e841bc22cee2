"""The stages after the engine never crash on generated data: a task whose records make
them fail is set aside (its records become failures with the reason) and they run
without it.

Records are screened first (:mod:`augment.tasks.screening`), so this is the last line:
it catches what screening did not foresee, and a rerun of the folder takes the same
path, answered from the store, without deleting anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from augment.errors import clip
from augment.jobs.rundir import RunDir

__all__ = ["without_failing_tasks"]

log = logging.getLogger("augment.pipeline")

T = TypeVar("T")


def without_failing_tasks(stages: Callable[[list[Any]], T], records: Sequence[Mapping[str, Any]],
                          run: RunDir) -> tuple[T, dict[str, str]]:
    """``stages(records)``; if it raises, the same without one task's records at a time
    (in run order), then without any generated record.

    Returns the result and ``{task: reason}`` of the tasks set aside, whose records were
    moved to the run's failures (``reason = "unusable"``). An error that remains
    without any generated record is not caused by them and is raised as it is.
    """
    records = list(records)
    try:
        return stages(records), {}
    except Exception as exc:  # noqa: BLE001 - re-raised below unless records caused it
        first = exc
    tasks = list(dict.fromkeys(str(r.get("task")) for r in records))
    if not tasks:
        raise first
    why = f"{type(first).__name__}: {clip(' '.join(str(first).split()), 300)}"
    log.warning("a stage after generation failed on the generated records (%s); trying "
                "without each task's records", why)
    attempts = [[t] for t in tasks] + ([tasks] if len(tasks) > 1 else [])
    for drop in attempts:
        rest = [r for r in records if str(r.get("task")) not in drop]
        try:
            result = stages(rest)
        except Exception:  # noqa: BLE001 - this subset fails too: try the next one
            continue
        reasons = {}
        for task in drop:
            reason = f"its records made enrichment/evaluation fail ({why})"
            moved = run.move_to_failures(task, reason)
            reasons[task] = f"{moved} records set aside: {reason}"
            log.warning("%s: %s", task, reasons[task])
        return result, reasons
    raise first
