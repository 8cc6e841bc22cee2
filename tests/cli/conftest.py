"""Fixtures of the CLI tests: the pipeline's synthetic data and truth-answering fake, reached
through the provider registry (the CLI builds providers by name, as users' jobs do)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_fakes import TruthFake, write_dataset  # noqa: E402


@pytest.fixture(scope="session")
def cli_data(tmp_path_factory) -> Path:
    """A small synthetic dataset folder (interactions.csv + items.csv)."""
    return write_dataset(tmp_path_factory.mktemp("cli-data"), n_users=80, n_items=120,
                         per_user=12)


@pytest.fixture
def truth_fake(monkeypatch, cli_data):
    """Make provider "fake" in job files a TruthFake answering from ``cli_data``."""
    from augment.providers import registry

    monkeypatch.setattr(TruthFake, "folder", cli_data)
    monkeypatch.setattr(TruthFake, "instances", [])
    monkeypatch.setattr(TruthFake, "interrupt_at", None)
    monkeypatch.setattr(TruthFake, "received", 0)
    monkeypatch.setitem(registry.PROVIDERS, "fake", ("pipeline_fakes", "TruthFake"))
    return TruthFake
