"""The job's data: loaded from MovieLens, a folder, or any source through a column mapping
and a feedback rule (``[data] interactions = ...``); then split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from augment.data import Dataset, load_dataset, load_movielens
from augment.data.mapped import MappedData, read_mapped
from augment.errors import ConfigError
from augment.jobs.config import DataConfig, SplitConfig
from augment.splits import Split, split

__all__ = ["load_job_data", "read_job_data", "split_job_data", "MOVIELENS_NAMES",
           "data_counts"]

MOVIELENS_NAMES = ("movielens-small", "ml-latest-small")


def read_job_data(cfg: DataConfig) -> tuple[Dataset, MappedData | None]:
    """The Dataset, and with ``interactions`` set how it was read (sources, mapping,
    feedback rule and what it did: ``augment.data.read_mapped``)."""
    if cfg.interactions is None:
        return load_job_data(cfg), None
    mapped = read_mapped(cfg.interactions, cfg.items, columns=cfg.columns,
                         feedback=cfg.feedback, url=cfg.database_url(), name="data")
    return mapped.dataset, mapped


def load_job_data(cfg: DataConfig, *, key: str = "data.source") -> Dataset:
    """``movielens-small`` (``data_dir``, else ``AUGMENT_DATA_DIR``, else download), a folder,
    or (``interactions`` set) any source through the job's mapping and rule.

    ``key`` names the setting in errors (a command-line flag, say)."""
    if cfg.interactions is not None:
        return read_job_data(cfg)[0]
    if cfg.source in MOVIELENS_NAMES:
        return load_movielens(cfg.data_dir)
    if not Path(cfg.source).is_dir():
        raise ConfigError(f"{key} '{cfg.source}' is neither 'movielens-small' nor an "
                          "existing folder of interactions + items files", key=key)
    return load_dataset(cfg.source)


def split_job_data(dataset: Dataset, cfg: SplitConfig) -> Split:
    """The job's cold-start split."""
    return split(dataset, cfg.kind, seed=cfg.seed, k=cfg.k)


def data_counts(sp: Split) -> dict[str, Any]:
    """Sizes of the data and split, for the manifest."""
    return {"users": int(sp.dataset.n_users), "items": int(sp.dataset.n_items),
            "interactions": len(sp.dataset.interactions),
            "train_interactions": len(sp.train.interactions),
            "valid_interactions": len(sp.valid), "test_interactions": len(sp.test),
            "cold_items": len(sp.cold_items), "cold_users": len(sp.cold_users)}
