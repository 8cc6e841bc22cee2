"""Fixtures of the CLI tests: the pipeline's synthetic data and truth-answering fake, reached
through the provider registry (the CLI builds providers by name, as users' jobs do)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pipeline"))

from pipeline_fakes import TruthFake, write_dataset  # noqa: E402

from augment.cli import main  # noqa: E402


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


@pytest.fixture
def cli(capsys) -> Callable[..., tuple[int, str, str]]:
    """``cli(*argv) -> (exit code, stdout, stderr)`` through ``augment.cli.main``."""
    def run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run


def write_job(folder: Path, data: Path, *, name: str = "cli-job", provider: str = "fake",
              body: str | None = None, concurrency: int = 4) -> Path:
    """A small job file over ``data`` (or ``body`` verbatim)."""
    text = body if body is not None else f"""name = "{name}"
[data]
source = "{data}"
[tasks.item_attributes]
provider = "{provider}"
sample = 6
[tasks.user_profiles]
provider = "{provider}"
sample = 4
[tasks.pseudo_interactions]
provider = "{provider}"
sample = 4
n_repeats = 2
n_candidates = 8
[engine]
concurrency = {concurrency}
[enrich]
weight = 0.5
[als]
factors = 16
iterations = 5
"""
    path = folder / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path
