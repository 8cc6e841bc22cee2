"""Fixtures of the pipeline tests: a synthetic dataset folder, job text, truth-answering fakes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pipeline_fakes import pairs_of, truth_answer, write_dataset

from augment.jobs import JobConfig, parse_job
from augment.providers.fake import FakeProvider


@pytest.fixture(scope="session")
def data_folder(tmp_path_factory) -> Path:
    """A synthetic dataset folder: 150 users, 400 items in 5 genre clusters."""
    return write_dataset(tmp_path_factory.mktemp("synthetic"), n_users=150, n_items=400,
                         per_user=15)


def job_text(folder: Path, *, provider: str = "fake", weight: str = "0.5",
             extra: str = "", items: int = 20, users: int = 12, pseudo: int = 12,
             concurrency: int = 2) -> str:
    """A small job over ``folder`` with all three tasks (fast ALS)."""
    return f"""
name = "synthetic"
[data]
source = "{folder}"
[tasks.item_attributes]
provider = "{provider}"
sample = {items}
[tasks.user_profiles]
provider = "{provider}"
sample = {users}
[tasks.pseudo_interactions]
provider = "{provider}"
sample = {pseudo}
n_repeats = 2
n_candidates = 15
[engine]
concurrency = {concurrency}
{extra}
[enrich]
weight = {weight}
[als]
factors = 64
iterations = 15
"""


@pytest.fixture
def make_job(data_folder) -> Callable[..., JobConfig]:
    """``make_job(**job_text kwargs) -> JobConfig`` over the synthetic folder."""
    return lambda **kw: parse_job(job_text(data_folder, **kw))


class FakeFactory:
    """A provider_factory handing out truth-answering FakeProviders; keeps them all."""

    def __init__(self, folder: Path, *, fail_after: int | None = None,
                 exc: BaseException | None = None, name: str = "fake",
                 model: str = "fake") -> None:
        self.pairs = pairs_of(folder)
        self.fakes: list[FakeProvider] = []
        self.fail_after = fail_after
        self.exc = exc
        self.name, self.model = name, model
        self.answered = 0
        self.answered_keys: list[str] = []

    def __call__(self, task_cfg) -> FakeProvider:
        answer = truth_answer(self.pairs)

        def fn(request):
            if self.fail_after is not None and self.answered >= self.fail_after:
                raise self.exc or KeyboardInterrupt()
            self.answered += 1
            self.answered_keys.append(request.key(self.name, self.model))
            return answer(request)

        fake = FakeProvider(fn=fn, name=self.name, model=self.model)
        self.fakes.append(fake)
        return fake

    @property
    def requests(self):
        return [r for f in self.fakes for r in f.history]

    def request_keys(self) -> list[str]:
        return [r.key(f.name, f.model) for f in self.fakes for r in f.history]


@pytest.fixture
def fake_factory(data_folder) -> Callable[..., FakeFactory]:
    """``fake_factory(fail_after=None, exc=None, name="fake", model="fake")``."""
    return lambda **kw: FakeFactory(data_folder, **kw)
