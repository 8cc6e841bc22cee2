"""Fixtures of the probe tests: a catalogue whose text says nothing (only who interacts tells
what a cold item is), a job over it, its split, and simulated providers of known precision."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from augment.jobs import JobConfig, parse_job  # noqa: E402
from augment.pipeline import load_job_data, split_job_data  # noqa: E402
from augment.splits import Split  # noqa: E402
from augment.testing.synthetic import clustered_interactions  # noqa: E402


def write_world(folder: Path, *, n_users: int = 300, n_items: int = 200, per_user: int = 40,
                seed: int = 0) -> Path:
    """interactions.csv + items.csv: 6 taste clusters, titles without any hint of them."""
    rng = np.random.default_rng(seed)
    inter, _, _ = clustered_interactions(rng, n_users=n_users, n_items=n_items, n_clusters=6,
                                         per_user=per_user)
    items = pd.DataFrame({"item_id": np.arange(n_items) + 1000,
                          "title": [f"Item {i}" for i in range(n_items)]})
    folder.mkdir(parents=True, exist_ok=True)
    inter.to_csv(folder / "interactions.csv", index=False)
    items.to_csv(folder / "items.csv", index=False)
    return folder


def world_job(folder: Path, out: Path, *, kind: str = "item-cold", extra_tasks: str = "",
              sample: str = '"all"', n_candidates: int = 60) -> str:
    return f"""
name = "probe-world"
[data]
source = "{folder}"
[split]
kind = "{kind}"
seed = 0
{extra_tasks}
[tasks.pseudo_interactions]
provider = "fake"
sample = {sample}
n_repeats = 2
n_candidates = {n_candidates}
[engine]
concurrency = 4
[als]
factors = 32
iterations = 10
[output]
dir = "{out}"
"""


@pytest.fixture(scope="session")
def world_folder(tmp_path_factory) -> Path:
    return write_world(tmp_path_factory.mktemp("probe-world"))


@pytest.fixture(scope="session")
def world(world_folder, tmp_path_factory) -> tuple[JobConfig, Split]:
    """The job (item-cold, pseudo-interactions only) and its split."""
    out = tmp_path_factory.mktemp("probe-run") / "run"
    cfg = parse_job(world_job(world_folder, out))
    return cfg, split_job_data(load_job_data(cfg.data), cfg.split)


@pytest.fixture(scope="session")
def oracle(world) -> tuple[Split, pd.DataFrame, Callable[..., Any]]:
    """``(scored split, oracle pairs, simulated(precision) -> provider factory)``."""
    from augment.testing.simulated import SimulatedProvider, held_out_positives, oracle_split

    cfg, sp = world
    scored, known = oracle_split(sp, seed=0)
    held = held_out_positives(sp)

    def simulated(precision: float) -> Callable[[Any], Any]:
        return lambda tc: SimulatedProvider(known, sp.dataset.items, precision=precision,
                                            picks=8, held_out=held, seed=0)
    return scored, known, simulated
