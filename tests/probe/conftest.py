"""Fixtures of the probe tests: a catalogue whose text says nothing (only who interacts tells
what a cold item is), a job over it, its split, and simulated providers of known precision."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from probe_fakes import world_job, write_world  # noqa: E402, F401

from augment.jobs import JobConfig, parse_job  # noqa: E402
from augment.pipeline import load_job_data, split_job_data  # noqa: E402
from augment.splits import Split  # noqa: E402


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
