"""Fixtures of the pipeline tests: a synthetic dataset folder, job text, truth-answering fakes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_fakes import FakeFactory, job_text, write_dataset

from augment.jobs import JobConfig, parse_job


@pytest.fixture(scope="session")
def data_folder(tmp_path_factory) -> Path:
    """A synthetic dataset folder: 150 users, 400 items in 5 genre clusters."""
    return write_dataset(tmp_path_factory.mktemp("synthetic"), n_users=150, n_items=400,
                         per_user=15)


@pytest.fixture
def make_job(data_folder) -> Callable[..., JobConfig]:
    """``make_job(**job_text kwargs) -> JobConfig`` over the synthetic folder."""
    return lambda **kw: parse_job(job_text(data_folder, **kw))


@pytest.fixture
def fake_factory(data_folder) -> Callable[..., FakeFactory]:
    """``fake_factory(fail_after=None, exc=None, name="fake", model="fake")``."""
    return lambda **kw: FakeFactory(data_folder, **kw)
