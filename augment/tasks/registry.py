"""One registration point: task name -> task class, in the order a job runs them.

Code that runs tasks (the pipeline, estimates, enrichment) loops over
:data:`TASKS` and asks each class what differs (targets, requests, rounds,
what its records become); it never names a task.
"""

from __future__ import annotations

from augment.errors import ConfigError
from augment.tasks.base import Produces, Task
from augment.tasks.item_attributes import ItemAttributes
from augment.tasks.pseudo_interactions import PseudoInteractions
from augment.tasks.user_profiles import UserProfiles

__all__ = ["TASKS", "get_task", "task_names", "produced_by"]

TASKS: dict[str, type[Task]] = {cls.name: cls for cls in (
    ItemAttributes, UserProfiles, PseudoInteractions)}
"""The built-in tasks by name, in run order (later tasks read earlier tasks' records)."""


def get_task(name: str) -> type[Task]:
    """The task class registered as ``name``."""
    if name not in TASKS:
        raise ConfigError(f"unknown task '{name}': use one of {list(TASKS)}", key="task")
    return TASKS[name]


def task_names() -> tuple[str, ...]:
    """Registered task names, in run order."""
    return tuple(TASKS)


def produced_by(*produces: Produces) -> frozenset[str]:
    """Names of the tasks whose records become any of ``produces``."""
    return frozenset(n for n, cls in TASKS.items() if cls.produces in produces)
