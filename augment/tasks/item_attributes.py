"""Task ``item_attributes``: genres, tags and a summary per item, from its own text.

One request per item, or several (``items_per_request`` = 5 or 10) to save the
repeated instructions. A batch is answered as ``{"items": [{"item_id": ..., ...}]}``
with ``item_id`` constrained to the batch. The batch's request schema keeps the
per-item *shape* (types, required fields, enums) but not its bounds (lengths,
counts, uniqueness: :func:`~augment.tasks.schema_tools.relax_schema`), so the engine
accepts the batch as a whole; :func:`split_batch_records` (the batch's
``per_target`` reader, applied by the engine) then validates every entry on its own
against the full per-item schema (carried in the record's ``item_schema``):
valid entries become per-item records, the others per-item failures
(``reason`` ``"validation"`` or ``"missing"``). One bad item does not sink its batch,
and the engine's result holds per-item rows only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from augment.data.dataset import Dataset
from augment.data.genres import split_genres
from augment.engine.types import WorkItem
from augment.errors import ConfigError
from augment.tasks.base import JobContext, Task
from augment.tasks.prompts import DATA_RULES, data_block, describe_fields, item_texts, make_item
from augment.tasks.records import dedupe_strings, provenance, py_id, short_hash
from augment.tasks.schema_tools import (
    load_task_schema,
    relax_schema,
    schema_errors,
    schema_id,
    with_enum,
)
from augment.tasks.targets import item_targets

__all__ = ["ItemAttributes", "item_attributes_schema", "dataset_genres", "split_batch_records",
           "attributes_frame"]

NAME = "item_attributes"
PROMPT_VERSION = "item_attributes/1"


def dataset_genres(dataset: Dataset, column: str = "genres") -> list[str] | None:
    """The sorted genre vocabulary of ``dataset.items[column]`` (``|``-separated), or None."""
    if column not in dataset.items.columns:
        return None
    values: set[str] = set()
    for v in dataset.items[column].dropna():
        values.update(split_genres(v))
    return sorted(values) or None


def item_attributes_schema(genres: Sequence[str] | None = None) -> dict[str, Any]:
    """The shipped item-attributes schema, with ``genres`` closed to ``genres`` when given.

    The filled-in schema gets its own ``$id`` (``…/item_attributes/1?genres=<hash>``).
    """
    base = load_task_schema(NAME)
    if not genres:
        return base
    values = sorted(set(genres))
    return with_enum(base, ["properties", "genres", "items"], values,
                     id_suffix=f"genres={short_hash(values, 8)}")


def _system(schema: Mapping[str, Any], batch: bool) -> str:
    what = ("For each item in the data, describe it" if batch else "Describe the item in the data")
    return (
        "You annotate a recommender system's catalog. "
        f"{what} using only what its title and text say and what is commonly known "
        "about it. Describe the item itself, never the people who might like it.\n"
        f"{DATA_RULES}\n"
        f"Fields{' of each item' if batch else ''}:\n{describe_fields(schema)}"
    )


class ItemAttributes(Task):
    """Build item-attribute requests and read their records back.

    - ``dataset``: the items to describe come from ``dataset.items``.
    - ``item_ids``: which items (default: every item in ``dataset.items``).
    - ``schema``: a shipped name, a file path or a dict; default the shipped
      schema with the dataset's own genres as an enum (``genres``).
    - ``genres``: ``"auto"`` (from the dataset's ``genres`` column), a list, or None.
    - ``items_per_request``: 1, 5, 10 (any positive int).
    - ``columns``: item columns sent to the model (default: all but ``item_id``).
    """

    name = NAME
    description = "item attributes"
    prompt_version = PROMPT_VERSION
    produces = "item_features"

    @classmethod
    def for_job(cls, ctx: JobContext) -> ItemAttributes:
        """Half the sample cold items, half popular warm ones
        (:func:`~augment.tasks.targets.item_targets`)."""
        tc = ctx.settings[NAME]
        return cls(ctx.split.train, item_ids=item_targets(ctx.split, tc.sample, ctx.seed),
                   items_per_request=tc.items_per_request, params=tc.params.as_request_params())

    def __init__(self, dataset: Dataset, *, item_ids: Iterable[Any] | None = None,
                 schema: str | Path | Mapping[str, Any] | None = None,
                 genres: Sequence[str] | str | None = "auto", items_per_request: int = 1,
                 columns: Sequence[str] | None = None, max_chars: int = 600,
                 params: Mapping[str, Any] | None = None) -> None:
        if int(items_per_request) < 1:
            raise ConfigError("items_per_request must be >= 1", key="items_per_request")
        self.dataset = dataset
        self.items_per_request = int(items_per_request)
        if genres == "auto":
            genres = dataset_genres(dataset)
        elif isinstance(genres, str):
            raise ConfigError("genres must be 'auto', a list of genre names or None", key="genres")
        self.schema = (item_attributes_schema(genres) if schema is None
                       else load_task_schema(schema))
        self.schema_id = schema_id(self.schema)
        self.params = dict(params or {})
        self._texts = item_texts(dataset.items, columns=columns, max_chars=max_chars)
        ids = list(self._texts) if item_ids is None else list(item_ids)
        missing = [i for i in ids if i not in self._texts]
        if missing:
            raise ConfigError(f"{len(missing)} item ids are not in the items table "
                              f"(first: {missing[0]!r}); pass ids from dataset.items",
                              key="item_ids")
        self.item_ids = [py_id(i) for i in ids]

    # -- requests ---------------------------------------------------------------------------
    def work_items(self, only: Collection[Any] | None = None) -> list[WorkItem]:
        """One work item per item, or per batch of ``items_per_request`` items.

        ``only``: the items to ask about (the others are skipped, the order kept). A single
        item's request is the same whatever ``only`` is; a batch is the full list's batch
        only when ``only`` keeps a prefix of :attr:`item_ids`."""
        keep = None if only is None else set(only)
        ids = self.item_ids if keep is None else [i for i in self.item_ids if i in keep]
        n = self.items_per_request
        if n == 1:
            return [self._single(i) for i in ids]
        return [self._batch(ids[s:s + n]) for s in range(0, len(ids), n)]

    def _single(self, item_id: Any) -> WorkItem:
        user = "Describe this item.\n" + data_block({"item_id": str(item_id),
                                                     **self._texts[item_id]})
        return make_item(key=f"{NAME}:{item_id}", system=_system(self.schema, False), user=user,
                         schema=self.schema, schema_name=NAME, prompt_version=PROMPT_VERSION,
                         check=None, params=self.params,
                         meta={"task": NAME, "item_id": item_id, "schema_id": self.schema_id})

    def _batch(self, ids: list[Any]) -> WorkItem:
        str_ids = [str(i) for i in ids]
        entry = relax_schema(self.schema)
        entry.setdefault("properties", {})
        entry["properties"] = {"item_id": {"type": "string", "enum": str_ids},
                               **entry["properties"]}
        entry["required"] = ["item_id", *entry.get("required", [])]
        request_schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "type": "object", "additionalProperties": False, "required": ["items"],
            "properties": {"items": {"type": "array", "minItems": 1, "maxItems": len(ids),
                                     "items": entry}},
        }
        user = (f"Describe each of these {len(ids)} items. Answer "
                '{"items": [{"item_id": ..., <fields>}, ...]} with one entry per item_id.\n'
                + data_block({"items": [{"item_id": s, **self._texts[i]}
                                        for s, i in zip(str_ids, ids, strict=True)]}))

        def check(output: Any) -> list[str]:
            seen: list[Any] = [e.get("item_id") for e in output.get("items", [])
                               if isinstance(e, Mapping)]
            dup = sorted({s for s in seen if seen.count(s) > 1})
            return [f"items: item_id {d} appears more than once; give one entry per item"
                    for d in dup]

        key = f"{NAME}:batch:{short_hash(str_ids)}"
        return make_item(key=key, system=_system(self.schema, True), user=user,
                         schema=request_schema, schema_name=f"{NAME}_batch",
                         prompt_version=PROMPT_VERSION, check=check, params=self.params,
                         meta={"task": NAME, "item_ids": ids, "schema_id": self.schema_id,
                               "item_schema": self.schema},
                         per_target=lambda record: split_batch_records([record]))

    # -- records ----------------------------------------------------------------------------
    def to_frame(self, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
        """Per-item attributes with provenance (the engine's per-item records)."""
        return attributes_frame(records)


def split_batch_records(records: Iterable[Mapping[str, Any]]
                        ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split batch records into per-item records; invalid or missing entries become failures.

    Non-batch records pass through unchanged (so records already split, e.g. an
    engine's, are returned as they are). A per-item record keeps the batch's
    provenance, gets ``key = "item_attributes:<item_id>"``, ``item_id``,
    ``batch_key`` and the entry (without ``item_id``) as ``output``.
    """
    good: list[dict[str, Any]] = []
    bad: list[dict[str, Any]] = []
    for rec in records:
        if rec.get("task") != NAME or "item_ids" not in rec:
            good.append(dict(rec))
            continue
        schema = rec.get("item_schema") or {}
        by_id: dict[str, Mapping[str, Any]] = {}
        for entry in rec["output"].get("items", []):
            by_id.setdefault(str(entry.get("item_id")), entry)
        base = {k: v for k, v in rec.items()
                if k not in ("output", "item_ids", "item_schema", "key")}
        n = max(1, len(rec["item_ids"]))  # each entry carries its share of the batch's tokens
        base["usage"] = {k: v / n for k, v in (rec.get("usage") or {}).items()}
        base["batch_size"] = n
        for iid in rec["item_ids"]:
            row = {**base, "key": f"{NAME}:{iid}", "item_id": iid, "batch_key": rec["key"]}
            entry = by_id.get(str(iid))
            if entry is None:
                bad.append({**row, "reason": "missing", "error": "no entry for this item_id "
                            "in the batch answer", "last_output": None})
                continue
            output = {k: v for k, v in entry.items() if k != "item_id"}
            errors = schema_errors(output, schema) if schema else []
            if errors:
                bad.append({**row, "reason": "validation", "error": "; ".join(errors),
                            "last_output": str(output)})
            else:
                good.append({**row, "output": output})
    return good, bad


def attributes_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """``item_id``, one column per output field, and the provenance columns.

    List fields lose repeated entries (compared case-insensitively): the schema
    allows repeated free-text tags, which mean nothing more the second time.
    """
    rows = []
    for rec in records:
        if rec.get("task") != NAME:
            continue
        if "item_ids" in rec:
            raise ConfigError(f"record {rec.get('key')!r} is a whole batch; pass per-item "
                              "records (an engine's result, or split_batch_records)")
        output = {k: dedupe_strings(v) for k, v in rec["output"].items()}  # repeated tags
        rows.append({"item_id": rec["item_id"], **output, **provenance(rec)})
    if not rows:
        return pd.DataFrame(columns=["item_id", "genres", "tags", "summary", "schema_id"])
    return pd.DataFrame(rows).drop_duplicates("item_id", keep="last").reset_index(drop=True)
