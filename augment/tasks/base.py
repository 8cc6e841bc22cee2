"""What a task is: the one shape every kind of generated record has.

A task knows its targets (chosen by :meth:`Task.for_job` for a job, or given by
the caller), builds one :class:`~augment.engine.types.WorkItem` per request
(messages, the JSON Schema, a post-check, ``meta`` naming the task, the target
ids, the schema id and the prompt version, and for a request about several
targets the reader that turns its record into per-target records and
failures), gives the task of its next round when it runs in rounds, and turns
its records back into a DataFrame. Tasks are registered in
:data:`augment.tasks.registry.TASKS`, so code that runs them loops over that
table and never names one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import pandas as pd

from augment.engine.types import WorkItem

if TYPE_CHECKING:  # pragma: no cover
    from augment.splits import Split

__all__ = ["Task", "JobContext", "Produces"]

Produces = Literal["item_features", "user_features", "interactions"]
"""What a task's records become when merged into the data (:func:`augment.enrich.enrich`)."""


@dataclass(frozen=True)
class JobContext:
    """What a task built for a job sees."""

    split: Split
    """The job's cold-start split (tasks read ``split.train`` only)."""
    seed: int
    """The split's seed: seeds target sampling and candidate shuffles."""
    settings: Mapping[str, Any]
    """Every task's settings by name (``augment.jobs.TaskConfig``; disabled ones too),
    so a task may plan around another (profiles for the users pseudo-interaction
    prompts will show)."""
    records: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)
    """Records of the tasks run before this one, by task name."""


class Task:
    """A kind of generated record. Subclasses set the class attributes and implement
    :meth:`work_items`, :meth:`to_frame` and (to run in jobs) :meth:`for_job`."""

    name: ClassVar[str]
    """Task name, copied into every record's ``task`` field."""
    description: ClassVar[str]
    """Plural noun for logs and progress bars (``"item attributes"``)."""
    prompt_version: ClassVar[str]
    """Version of the prompt template; part of the cache key and of every record."""
    produces: ClassVar[Produces]
    """What the records become in the enriched data."""
    multi_round: ClassVar[bool] = False
    """Whether a job may run this task in several rounds (``rounds > 1``)."""
    rounds: int = 1
    """Rounds this task runs (see :meth:`next_round`)."""

    @classmethod
    def for_job(cls, ctx: JobContext) -> Task:
        """This task for a job: targets chosen from ``ctx.split``, settings from ``ctx``."""
        raise NotImplementedError(f"task {cls.name} cannot run in a job")

    def work_items(self) -> list[WorkItem]:
        """One work item per request."""
        raise NotImplementedError

    def next_round(self, records: Iterable[Mapping[str, Any]]) -> Task | None:
        """The task of the next round given this round's records, or None (the default:
        one round)."""
        return None

    def later_round_items(self, items: Sequence[WorkItem]) -> list[WorkItem]:
        """Of this round's ``items``, those each later round asks again (for estimates,
        which cannot know later rounds' answers); none by default."""
        return []

    def to_frame(self, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
        """The task's records (from ``engine.run(...).records``) as a DataFrame."""
        raise NotImplementedError
