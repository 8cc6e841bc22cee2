"""Fixtures for engine tests: a fast config."""

from __future__ import annotations

import pytest

from augment.engine import EngineConfig


@pytest.fixture
def fast() -> EngineConfig:
    return EngineConfig(concurrency=4, max_retries=3, max_reasks=2, timeout_s=5.0,
                        backoff_initial_s=0.001, backoff_max_s=0.01, progress=False)
