"""Shared helpers of the SDK providers: key lookup, secret scrubbing, error mapping,
Retry-After and rate-limit headers. Private: the providers are the public face."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

from augment.errors import (
    MissingKeyError,
    PermanentProviderError,
    ProviderError,
    TransientProviderError,
)

__all__ = ["resolve_key", "scrub", "retry_after", "status_error", "network_error", "rate_limits",
           "LoopBoundClient", "mapped_errors", "reset_seconds"]

_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{6,}|sk-ant-[A-Za-z0-9_\-]{6,})")
TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


def resolve_key(explicit: str | None, env_var: str, provider: str, *, required: bool = True
                ) -> str | None:
    """The key given, else from ``env_var``; raise :class:`MissingKeyError` when required and
    absent."""
    key = explicit or os.environ.get(env_var) or None
    if key is None and required:
        raise MissingKeyError(f"no API key for provider '{provider}': set the environment variable "
                              f"{env_var} (export {env_var}=...) or pass api_key=",
                              provider=provider)
    return key


def scrub(text: str, secrets: tuple[str | None, ...]) -> str:
    """``text`` with every secret (and anything shaped like an API key) replaced by ``***``."""
    for s in secrets:
        if s and len(s) >= 4:
            text = text.replace(s, "***")
    return _KEY_PATTERN.sub("***", text)


def scrub_exception(exc: BaseException, secrets: tuple[str | None, ...]) -> None:
    """Remove secrets from an SDK exception's text in place (it stays the ``__cause__``)."""
    exc.args = tuple(scrub(a, secrets) if isinstance(a, str) else a for a in exc.args)
    if isinstance(getattr(exc, "message", None), str):
        # the SDKs' errors carry .message; BaseException does not declare it
        exc.message = scrub(exc.message, secrets)  # type: ignore[attr-defined]
    if hasattr(exc, "body"):
        exc.body = None


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds the server asked to wait (``retry-after-ms``, ``retry-after`` seconds or date)."""
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(parsed.timestamp() - time.time(), 0.0) if parsed else None


def status_error(provider: str, status: int, message: str, headers: Mapping[str, str] | None,
                 secrets: tuple[str | None, ...], key_env: str) -> ProviderError:
    """Map an HTTP error to a transient or permanent provider error with a fix-it hint."""
    text = f"{provider}: HTTP {status}: {scrub(message, secrets)}"
    if status in TRANSIENT_STATUS or status >= 500:
        return TransientProviderError(text, provider=provider, status=status,
                                      retry_after=retry_after(headers))
    hints = {401: f"check the key in {key_env}", 403: "check the key's permissions and the model",
             404: "check the model name and base_url",
             400: "check the request parameters and schema",
             422: "check the request parameters and schema"}
    hint = hints.get(status, "this will not succeed on retry")
    return PermanentProviderError(f"{text} ({hint})", provider=provider, status=status)


def network_error(provider: str, exc: BaseException, *, timeout: bool) -> TransientProviderError:
    """A transient error for a timeout, dropped connection or unreadable response."""
    what = "request timed out" if timeout else f"connection failed ({type(exc).__name__})"
    err = TransientProviderError(f"{provider}: {what}; will retry", provider=provider)
    if timeout:
        err.reason = "timeout"
    return err


def rate_limits(headers: Mapping[str, str], names: Mapping[str, str]) -> dict[str, float]:
    """Numbers from rate-limit headers: ``names`` maps our key -> header name."""
    out: dict[str, float] = {}
    for key, header in names.items():
        value = headers.get(header)
        if value is None:
            continue
        try:
            out[key] = float(value)
        except ValueError:
            continue
    return out


@contextlib.asynccontextmanager
async def mapped_errors(provider: str, sdk: Any, secrets: tuple[str | None, ...],
                        key_env: str) -> AsyncIterator[None]:
    """Map the SDK's (``openai`` or ``anthropic`` module) errors to augment's provider errors."""
    try:
        yield
    except sdk.APIStatusError as exc:
        scrub_exception(exc, secrets)
        message = getattr(exc, "api_message", None) or exc.message
        raise status_error(provider, exc.status_code, message, exc.response.headers,
                           secrets, key_env) from exc
    except sdk.APITimeoutError as exc:
        raise network_error(provider, exc, timeout=True) from exc
    except sdk.APIConnectionError as exc:
        scrub_exception(exc, secrets)
        raise network_error(provider, exc, timeout=False) from exc
    except ValueError as exc:  # unreadable body (truncated JSON)
        raise TransientProviderError(f"{provider}: unreadable response ({type(exc).__name__}); "
                                     "will retry", provider=provider) from exc


_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def reset_seconds(value: str | None) -> float | None:
    """Seconds until a rate-limit window resets: OpenAI's ``"1m30s"``/``"250ms"`` durations,
    Anthropic's RFC 3339 timestamps, or plain seconds."""
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    parts = _DURATION.findall(value)
    if parts and "".join(n + u for n, u in parts) == value.strip():
        scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
        return sum(float(n) * scale[u] for n, u in parts)
    try:
        from datetime import datetime

        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(stamp.timestamp() - time.time(), 0.0)


def rate_limits_with_reset(headers: Mapping[str, str],
                           names: Mapping[str, str]) -> dict[str, float]:
    """:func:`rate_limits`, where ``reset_*`` names are parsed as times to reset in seconds."""
    out = rate_limits(headers, {k: v for k, v in names.items() if not k.startswith("reset_")})
    for key, header in names.items():
        if key.startswith("reset_"):
            seconds = reset_seconds(headers.get(header))
            if seconds is not None:
                out[key] = seconds
    return out


HTTP_CHOICES = ("auto", "httpx", "aiohttp")


def http_client(sdk: Any, http: str, timeout: float) -> Any:
    """The SDK's async HTTP client for ``http``: ``"aiohttp"`` (the SDK's
    ``DefaultAioHttpClient``, needs the ``aiohttp`` package), ``"httpx"`` (the SDK's
    default) or ``"auto"`` (aiohttp when installed: less CPU per call, see
    ``bench/engine_throughput.py``). None means the SDK's default."""
    if http not in HTTP_CHOICES:
        from augment.errors import ConfigError

        raise ConfigError(f"http={http!r}: use one of {HTTP_CHOICES}", key="http")
    if http == "httpx":
        return None
    try:
        import aiohttp  # noqa: F401 - the SDK's aiohttp transport needs it
    except ImportError as exc:
        if http == "auto":
            return None
        from augment.errors import ConfigError

        raise ConfigError("http='aiohttp' needs the aiohttp package: pip install aiohttp",
                          key="http") from exc
    return sdk.DefaultAioHttpClient(timeout=timeout)


def jsonable_params(params: Mapping[str, Any], known: tuple[str, ...]
                    ) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split generation params into the SDK's known keyword arguments and the rest."""
    kw = {k: v for k, v in params.items() if k in known and v is not None}
    extra = {k: v for k, v in params.items() if k not in known and v is not None}
    return kw, extra


class LoopBoundClient:
    """One SDK client per running event loop, made by ``factory`` on first use.

    The SDKs' async HTTP clients are bound to the loop they first ran on, and each
    ``engine.run`` from a script starts a new loop. Clients of finished loops are
    kept, not closed: their sockets died with the old loop, and closing them would
    schedule work on the new one.
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self._factory = factory
        self._client: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stale: list[Any] = []

    async def aclose(self) -> None:
        """Close the running loop's client (its connections), if it has one."""
        client, self._client = self._client, None
        if client is not None and self._loop is asyncio.get_running_loop():
            await client.close()

    def get(self) -> Any:
        """The client for the running loop."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            if self._client is not None:
                self._stale.append(self._client)
            self._client = self._factory()
            self._loop = loop
        return self._client
