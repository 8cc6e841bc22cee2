"""Tasks: what the LLM workers write.

Each task (:class:`Task`) builds engine :class:`~augment.engine.types.WorkItem`
objects from a Dataset and turns the engine's records back into a DataFrame; the
built-in ones are registered in :data:`TASKS`:

- :class:`ItemAttributes` — genres, tags, summary per item.
- :class:`UserProfiles` — liked/disliked genres, themes, summary per user.
- :class:`PseudoInteractions` — picks among retrieved candidates for cold items
  and cold users, repeated over shuffled orders and aggregated by vote.
"""

from augment.tasks.base import JobContext, Task
from augment.tasks.item_attributes import (
    ItemAttributes,
    attributes_frame,
    dataset_genres,
    item_attributes_schema,
    split_batch_records,
)
from augment.tasks.prompts import DATA_RULES, data_block
from augment.tasks.pseudo_interactions import PseudoInteractions, check_picks
from augment.tasks.redaction import Redactor, redact
from augment.tasks.registry import TASKS, get_task, produced_by, task_names
from augment.tasks.retrieval import ItemCandidates, UserCandidates, item_text_matrix
from augment.tasks.schema_tools import load_task_schema, schema_id
from augment.tasks.targets import item_targets, pseudo_targets, user_targets
from augment.tasks.user_profiles import UserProfiles, profiles_frame, user_profile_schema
from augment.tasks.votes import aggregate_votes, position_bias

__all__ = [
    "Task",
    "JobContext",
    "TASKS",
    "get_task",
    "task_names",
    "produced_by",
    "item_targets",
    "user_targets",
    "pseudo_targets",
    "DATA_RULES",
    "data_block",
    "load_task_schema",
    "schema_id",
    "ItemAttributes",
    "item_attributes_schema",
    "dataset_genres",
    "split_batch_records",
    "attributes_frame",
    "UserProfiles",
    "user_profile_schema",
    "profiles_frame",
    "PseudoInteractions",
    "check_picks",
    "aggregate_votes",
    "position_bias",
    "ItemCandidates",
    "UserCandidates",
    "item_text_matrix",
    "Redactor",
    "redact",
]
