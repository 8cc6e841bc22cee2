"""The public API: every exported name resolves, and importing augment stays light."""

from __future__ import annotations

import subprocess
import sys

import pytest

import augment


@pytest.mark.parametrize("name", [n for n in augment.__all__ if n != "__version__"])
def test_every_export_resolves(name: str) -> None:
    assert getattr(augment, name) is not None
    assert name in dir(augment)


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        augment.nope  # noqa: B018


def test_import_does_not_load_heavy_libraries() -> None:
    code = ("import sys, augment; "
            "print(sorted(m for m in ('implicit', 'sklearn', 'openai', 'anthropic', 'llama_cpp') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_whole_path_is_exported() -> None:
    assert {"run_job", "estimate_job", "choose_enrichment", "auto_variants",
            "EnrichmentChoice"} <= set(augment.__all__)
