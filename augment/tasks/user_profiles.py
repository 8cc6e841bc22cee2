"""Task ``user_profiles``: liked/disliked genres, themes and a summary per user.

Built from the user's *training* history only: the most recent items first
(title + known attributes, generated ones included when given), each marked
liked or disliked by the sign of its weight, cut to a token budget
(:data:`~augment.tasks.prompts.CHARS_PER_TOKEN` characters per token). The schema
asks about tastes in items, never about the person. A genre the model lists as
both liked and disliked is not an error: :func:`profiles_frame` drops it from both.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from augment.data.dataset import Dataset
from augment.engine.types import WorkItem
from augment.errors import ConfigError
from augment.tasks.base import JobContext, Task
from augment.tasks.item_attributes import NAME as ATTRIBUTES_NAME
from augment.tasks.item_attributes import attributes_frame, dataset_genres
from augment.tasks.prompts import (
    CHARS_PER_TOKEN,
    DATA_RULES,
    data_block,
    describe_fields,
    item_texts,
    make_item,
)
from augment.tasks.records import dedupe_strings, provenance, py_id, short_hash
from augment.tasks.schema_tools import load_task_schema, schema_id, with_enum
from augment.tasks.targets import pseudo_targets, user_targets

__all__ = ["UserProfiles", "user_profile_schema", "profiles_frame"]

NAME = "user_profiles"
PSEUDO_NAME = "pseudo_interactions"
"""The task whose prompts show profiles: its targets decide whose profiles come first."""
PROMPT_VERSION = "user_profiles/1"


def user_profile_schema(genres: Sequence[str] | None = None) -> dict[str, Any]:
    """The shipped user-profile schema, with liked/disliked genres closed to ``genres``."""
    base = load_task_schema("user_profile")
    if not genres:
        return base
    values = sorted(set(genres))
    out = with_enum(base, ["properties", "liked_genres", "items"], values)
    return with_enum(out, ["properties", "disliked_genres", "items"], values,
                     id_suffix=f"genres={short_hash(values, 8)}")


class UserProfiles(Task):
    """Build user-profile requests from training histories and read the records back.

    - ``train``: the split's train Dataset (training interactions only).
    - ``user_ids``: whose profile (default: every user with training interactions).
    - ``attributes``: optional generated item attributes (``item_id`` + fields,
      e.g. :meth:`ItemAttributes.to_frame`) added to the history's items.
    - ``token_budget``: about how many tokens of history per prompt.
    """

    name = NAME
    description = "user profiles"
    prompt_version = PROMPT_VERSION
    produces = "user_features"

    @classmethod
    def for_job(cls, ctx: JobContext) -> UserProfiles:
        """Cold users, then the users pseudo-interaction prompts will show, then random
        ones (:func:`~augment.tasks.targets.user_targets`); histories described with the
        item attributes generated before."""
        tc, pseudo = ctx.settings[NAME], ctx.settings.get(PSEUDO_NAME)
        pseudo_items = (pseudo_targets(ctx.split, pseudo.sample, ctx.seed)[0]
                        if pseudo is not None and pseudo.enabled else [])
        users = user_targets(ctx.split, tc.sample, ctx.seed, pseudo_items=pseudo_items,
                             n_candidates=pseudo.n_candidates if pseudo is not None else 20)
        attributes = ctx.records.get(ATTRIBUTES_NAME)
        return cls(ctx.split.train, user_ids=users,
                   attributes=attributes_frame(attributes) if attributes else None,
                   params=tc.params.as_request_params())

    def __init__(self, train: Dataset, *, user_ids: Iterable[Any] | None = None,
                 schema: str | Path | Mapping[str, Any] | None = None,
                 genres: Sequence[str] | str | None = "auto",
                 attributes: pd.DataFrame | None = None, token_budget: int = 600,
                 item_columns: Sequence[str] = ("title", "genres", "tags"),
                 params: Mapping[str, Any] | None = None) -> None:
        if token_budget < 20:
            raise ConfigError("token_budget must be at least 20 tokens", key="token_budget")
        self.train = train
        if genres == "auto":
            genres = dataset_genres(train)
        elif isinstance(genres, str):
            raise ConfigError("genres must be 'auto', a list of genre names or None", key="genres")
        self.schema = user_profile_schema(genres) if schema is None else load_task_schema(schema)
        self.schema_id = schema_id(self.schema)
        self.token_budget = token_budget
        self.params = dict(params or {})
        cols = [c for c in item_columns if c in train.items.columns]
        self._texts = item_texts(train.items, columns=cols, max_chars=200)
        if attributes is not None and len(attributes):
            keep = [c for c in attributes.columns if c in ("genres", "tags", "summary")]
            for row in attributes[["item_id", *keep]].to_dict("records"):
                extra = {f"generated_{k}": v for k, v in row.items() if k != "item_id"}
                self._texts.setdefault(row["item_id"], {}).update(extra)
        inter = train.interactions
        if user_ids is None:
            user_ids = pd.unique(inter["user_id"])
        self.user_ids = [py_id(u) for u in user_ids]
        order = ["timestamp"] if "timestamp" in inter.columns else []
        hist = (inter.sort_values(order, ascending=False, kind="stable") if order
                else inter.iloc[::-1])
        self._history = {u: g for u, g in hist.groupby("user_id", sort=False)}

    def history(self, user_id: Any) -> list[dict[str, Any]]:
        """The user's most recent items, as sent to the model, within the token budget."""
        g = self._history.get(user_id)
        if g is None:
            return []
        out: list[dict[str, Any]] = []
        used = 0
        budget = self.token_budget * CHARS_PER_TOKEN
        for iid, w in zip(g["item_id"], g["weight"], strict=True):
            entry = {**self._texts.get(iid, {"item_id": str(iid)}),
                     "reaction": "liked" if w > 0 else "disliked"}
            size = len(json.dumps(entry, ensure_ascii=False))
            if out and used + size > budget:
                break
            out.append(entry)
            used += size
        return out

    def work_items(self, only: Collection[Any] | None = None) -> list[WorkItem]:
        """One work item per user with at least one training interaction (``only``: these
        users only; each keeps the request it has in the whole list)."""
        system = (
            "You summarise the taste of one user of a recommender system from the items "
            "they interacted with (most recent first). Describe preferences for kinds of "
            "items only; never guess anything about the person (age, gender, origin, "
            f"beliefs, health).\n{DATA_RULES}\nFields:\n{describe_fields(self.schema)}"
        )
        items = []
        keep = None if only is None else set(only)
        for u in self.user_ids:
            if keep is not None and u not in keep:
                continue
            hist = self.history(u)
            if not hist:
                continue
            user = "Describe this user's taste.\n" + data_block({"history": hist})
            items.append(make_item(key=f"{NAME}:{u}", system=system, user=user,
                                   schema=self.schema, schema_name=NAME,
                                   prompt_version=PROMPT_VERSION, check=None,
                                   params=self.params,
                                   meta={"task": NAME, "user_id": u, "schema_id": self.schema_id}))
        return items

    def to_frame(self, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
        """``user_id``, one column per output field, and the provenance columns."""
        return profiles_frame(records)


def _clean(output: Mapping[str, Any]) -> dict[str, Any]:
    """``output`` without repeated list entries and without genres both liked and disliked.

    A small model often copies its liked genres into the disliked ones; a genre in
    both lists says nothing, so it counts as neither (rather than failing the whole
    profile, themes and summary included).
    """
    out = {k: dedupe_strings(v) for k, v in output.items()}
    liked, disliked = out.get("liked_genres"), out.get("disliked_genres")
    if isinstance(liked, list) and isinstance(disliked, list):
        both = set(liked) & set(disliked)
        out["liked_genres"] = [g for g in liked if g not in both]
        out["disliked_genres"] = [g for g in disliked if g not in both]
    return out


def profiles_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """User-profile records as a DataFrame (one row per user, the last record wins).

    List fields lose repeated entries (compared case-insensitively; the schema
    allows repeated free-text themes), and a genre both liked and disliked is
    dropped from both lists.
    """
    rows = [{"user_id": r["user_id"], **_clean(r["output"]), **provenance(r)}
            for r in records if r.get("task") == NAME]
    if not rows:
        return pd.DataFrame(columns=["user_id", "liked_genres", "disliked_genres", "themes",
                                     "summary", "schema_id"])
    return pd.DataFrame(rows).drop_duplicates("user_id", keep="last").reset_index(drop=True)
