"""Fixtures of the reliability tests: the pipeline's synthetic data and fakes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "cli"))

from pipeline_fakes import write_dataset  # noqa: E402


@pytest.fixture(scope="session")
def small_data(tmp_path_factory) -> Path:
    """A small synthetic dataset folder (interactions.csv + items.csv)."""
    return write_dataset(tmp_path_factory.mktemp("rel-data"), n_users=80, n_items=120,
                         per_user=12)


@pytest.fixture
def truth_fake_empty(monkeypatch, small_data):
    """Provider "fake" in job files answers from the truth, but user profiles empty."""
    from pipeline_fakes import TruthFake

    from augment.providers import registry

    class EmptyProfiles(TruthFake):
        async def complete(self, request):
            if request.schema_name == "user_profiles":
                self.history.append(request)
                from augment.providers.base import Completion, Usage
                text = ('{"liked_genres": [], "disliked_genres": [], "themes": [], '
                        '"summary": " "}')
                return Completion(text=text, usage=Usage(10, 10), model=self.model)
            return await super().complete(request)

    import pipeline_fakes
    monkeypatch.setattr(pipeline_fakes, "EmptyProfiles", EmptyProfiles, raising=False)
    monkeypatch.setattr(TruthFake, "folder", small_data)
    monkeypatch.setattr(TruthFake, "instances", [])
    monkeypatch.setitem(registry.PROVIDERS, "fake", ("pipeline_fakes", "EmptyProfiles"))
    return EmptyProfiles


@pytest.fixture
def truth_fake(monkeypatch, small_data):
    """Make provider "fake" in job files a TruthFake answering from ``small_data``."""
    from pipeline_fakes import TruthFake

    from augment.providers import registry

    monkeypatch.setattr(TruthFake, "folder", small_data)
    monkeypatch.setattr(TruthFake, "instances", [])
    monkeypatch.setattr(TruthFake, "interrupt_at", None)
    monkeypatch.setattr(TruthFake, "received", 0)
    monkeypatch.setitem(registry.PROVIDERS, "fake", ("pipeline_fakes", "TruthFake"))
    return TruthFake
