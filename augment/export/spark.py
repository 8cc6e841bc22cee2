"""Enriched interactions for distributed trainers (Spark MLlib's ALS).

Spark's ``pyspark.ml.recommendation.ALS`` needs integer user and item columns (32-bit)
and a rating column; it has no way to place cold items (``coldStartStrategy`` is
``"nan"`` or ``"drop"``), which is what the generated interactions add.
:func:`export_spark` writes:

- ``interactions/``: Parquet partitioned by ``source`` (``source=observed/``,
  ``source=generated/``), columns ``user`` (int32), ``item`` (int32), ``weight``
  (float32; generated rows carry their enrichment weight, negatives are negative)
  and, when present, ``timestamp``; Spark reads ``source`` back as a column;
- ``users.parquet`` / ``items.parquet``: ``user``/``item`` index -> original
  ``user_id``/``item_id`` (given vocabularies, else ids in order of first appearance);
- ``_SUCCESS.json``: rows written per source, so a reader can check it read them all.

Recipe (see the README's Scale section)::

    df = spark.read.parquet("runs/x/export/spark/interactions")
    als = ALS(userCol="user", itemCol="item", ratingCol="weight", implicitPrefs=True,
              rank=64, maxIter=15, regParam=..., alpha=..., coldStartStrategy="drop")
    model = als.fit(df)
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as pads

from augment.data.vocab import Vocabulary
from augment.errors import ConfigError, DataError

__all__ = ["export_spark", "export_run", "FORMATS"]

FORMATS = ("spark",)
_INT32_MAX = np.iinfo(np.int32).max


def export_spark(interactions: pd.DataFrame, out: str | Path, *,
                 user_vocab: Vocabulary | None = None, item_vocab: Vocabulary | None = None,
                 rows_per_file: int = 2_000_000) -> dict[str, Any]:
    """Write ``interactions`` (``user_id``, ``item_id``, ``weight``, optional ``source`` and
    ``timestamp``) as Spark-ready Parquet under ``out`` (replaced); returns the counts.

    Indices come from ``user_vocab``/``item_vocab`` when given (ids they lack are an
    error), else from the ids' first appearance.
    """
    missing = [c for c in ("user_id", "item_id", "weight") if c not in interactions.columns]
    if missing:
        raise DataError(f"interactions lack column(s) {missing}; export the enriched "
                        "interactions of a run", column=missing[0])
    users = user_vocab or Vocabulary(interactions["user_id"])
    items = item_vocab or Vocabulary(interactions["item_id"])
    if max(len(users), len(items)) > _INT32_MAX:
        raise DataError(f"{len(users)} users / {len(items)} items exceed Spark's 32-bit ids")
    u, i = users.index(interactions["user_id"]), items.index(interactions["item_id"])
    for name, idx in (("user_id", u), ("item_id", i)):
        if (idx < 0).any():
            row = int(np.flatnonzero(idx < 0)[0])
            raise DataError(f"id {interactions[name].iloc[row]!r} is not in the vocabulary",
                            row=row + 1, column=name)
    source = (interactions["source"].astype(str).to_numpy() if "source" in interactions.columns
              else np.full(len(interactions), "observed", dtype=object))
    columns: dict[str, Any] = {"user": u.astype(np.int32), "item": i.astype(np.int32),
                               "weight": interactions["weight"].to_numpy(np.float32),
                               "source": source}
    if "timestamp" in interactions.columns:
        columns["timestamp"] = interactions["timestamp"].to_numpy()
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    table = pa.table(columns)
    pads.write_dataset(table, out / "interactions", format="parquet",
                       partitioning=pads.partitioning(pa.schema([("source", pa.string())]),
                                                      flavor="hive"),
                       max_rows_per_file=rows_per_file, max_rows_per_group=min(
                           rows_per_file, 1_000_000), existing_data_behavior="error")
    pd.DataFrame({"user": np.arange(len(users), dtype=np.int32), "user_id": users.ids}
                 ).to_parquet(out / "users.parquet", index=False)
    pd.DataFrame({"item": np.arange(len(items), dtype=np.int32), "item_id": items.ids}
                 ).to_parquet(out / "items.parquet", index=False)
    counts = {"rows": int(len(table)),
              "by_source": {str(k): int(v) for k, v in
                            pd.Series(source).value_counts().sort_index().items()},
              "users": len(users), "items": len(items)}
    (out / "_SUCCESS.json").write_text(json.dumps(counts, indent=1) + "\n")
    return counts


def export_run(run_dir: str | Path, fmt: str = "spark", out: str | Path | None = None
               ) -> tuple[Path, dict[str, Any]]:
    """Export a run folder's ``enriched/interactions.parquet`` (default into
    ``RUN_DIR/export/<fmt>``); returns the folder and the counts."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}",
                          key="format")
    run = Path(run_dir)
    src = run / "enriched" / "interactions.parquet"
    if not src.exists():
        raise ConfigError("no enriched interactions in this run folder; run the job to the "
                          "end first (augment run JOB)", file=str(src))
    target = Path(out) if out is not None else run / "export" / fmt
    return target, export_spark(pd.read_parquet(src), target)
