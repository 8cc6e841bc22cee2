"""Fixtures of the report tests: a synthetic run folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from report_fixtures import build_synthetic_run

from augment.jobs import RunDir


@pytest.fixture
def synthetic_run(tmp_path: Path, rng: np.random.Generator) -> RunDir:
    return build_synthetic_run(tmp_path / "run", rng)
