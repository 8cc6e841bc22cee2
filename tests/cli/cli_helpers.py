"""Helpers of the CLI tests."""

from __future__ import annotations

from pathlib import Path


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
