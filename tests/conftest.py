"""Shared fixtures: a seeded rng, the MovieLens folder and the command line."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


def _data_dir() -> Path | None:
    env = os.environ.get("AUGMENT_DATA_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "data")
    for c in candidates:
        if (c / "ml-latest-small" / "ratings.csv").exists():
            return c
    return None


@pytest.fixture(scope="session")
def movielens_dir() -> Path:
    """The folder that holds ``ml-latest-small/`` (skips when absent)."""
    d = _data_dir()
    if d is None:
        pytest.skip("MovieLens not found: set AUGMENT_DATA_DIR to the folder holding "
                    "ml-latest-small/")
    return d


@pytest.fixture(scope="session")
def warm_sdks() -> None:
    """One call through the openai and anthropic SDKs: their lazy imports on a first call
    take seconds on a busy machine, past the short timeouts of the fault tests."""
    import asyncio

    from augment.providers.anthropic import AnthropicProvider
    from augment.providers.openai import OpenAIProvider
    from augment.testing import AnthropicServer, OpenAIServer
    from augment.testing.contracts import contract_request

    key = "sk-warm-0123456789"
    with OpenAIServer() as o, AnthropicServer() as a:
        for provider in (OpenAIProvider(base_url=o.base_url, api_key=key, timeout=60),
                         AnthropicProvider(base_url=a.base_url, api_key=key, timeout=60)):
            asyncio.run(provider.complete(contract_request()))


@pytest.fixture
def cli(capsys) -> Callable[..., tuple[int, str, str]]:
    """``cli(*argv) -> (exit code, stdout, stderr)`` through ``augment.cli.main``."""
    from augment.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err
    return run
