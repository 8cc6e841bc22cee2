"""The job's data profile for the manifest, and the write-back of enriched tables to SQL."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from augment.data import Dataset
from augment.data.check import profile_data
from augment.data.mapped import MappedData
from augment.data.writeback import check_new_tables, write_tables
from augment.jobs.config import DataConfig, JobConfig
from augment.jobs.rundir import RunDir
from augment.splits import Split

__all__ = ["data_manifest", "check_write_back", "write_back", "run_id"]

log = logging.getLogger("augment.pipeline")


def data_manifest(cfg: JobConfig, data: MappedData | Dataset, split: Split) -> dict[str, Any]:
    """The manifest's ``data`` entry: how the data was read (mapped sources) and its profile
    (``augment.data.check.profile_data``), warnings logged."""
    entry: dict[str, Any] = data.manifest() if isinstance(data, MappedData) else {
        "source": cfg.data.source}
    profile = profile_data(data, split=split)
    for warning in profile["warnings"]:
        log.warning("data: %s", warning)
    entry["profile"] = profile
    return entry


def check_write_back(cfg: DataConfig) -> None:
    """Before any work: the write-back tables must not exist yet (DataError otherwise)."""
    url = cfg.database_url()
    if cfg.write_back and url:
        check_new_tables(url, cfg.write_back)


def run_id(run: RunDir) -> str:
    """``<job hash>-<first start time>``: one id per run folder, stable across resumes."""
    manifest = run.manifest
    stamp = str(manifest.get("first_started_at", "")).replace(":", "").replace("-", "")
    return f"{manifest.get('job_hash')}-{stamp[:15]}"


def write_back(cfg: DataConfig, run: RunDir) -> dict[str, Any]:
    """Write the run's enriched Parquet tables to ``cfg.write_back`` in the source's
    database, in one transaction; returns the manifest's ``write_back`` entry."""
    url = cfg.database_url()
    assert url and cfg.write_back, "write_back needs a SQL source (checked by DataConfig)"
    frames = {stem: pd.read_parquet(run.enriched_dir / f"{stem}.parquet")
              for stem in ("interactions", "item_features", "user_features")}
    rid = run_id(run)
    log.info("writing the enriched tables to %s (run %s)", cfg.write_back, rid)
    rows = write_tables(url, cfg.write_back, frames, rid)
    return {"table": cfg.write_back, "run_id": rid, "rows": rows}
