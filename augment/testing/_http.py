"""A scripted loopback HTTP server with faults on demand (base of the wire-format fakes).

The server listens on 127.0.0.1 on an ephemeral port, in a background thread,
one thread per connection. Each request gets the next scripted action (or
``fn(request_json)`` when the queue is empty): an answer, a :class:`Reply` (an answer
with the usage to report, or cut at max_tokens), or a :class:`Fault`.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from augment.providers.base import Usage

__all__ = ["Fault", "Reply", "LoopbackServer", "minimal_instance"]


@dataclass(frozen=True)
class Fault:
    """A failure the server produces instead of (or before) an answer.

    kinds: ``"status"`` (an HTTP error, e.g. 429 with Retry-After, 500, 529),
    ``"slow"`` (sleep ``delay`` seconds, then answer: past a client timeout),
    ``"drop"`` (close the connection without a response) and ``"truncated"``
    (a 200 whose body is cut short of its Content-Length).
    """

    kind: str
    status: int = 0
    retry_after: float | None = None
    """Seconds, sent as ``Retry-After`` (rounded up) and ``retry-after-ms``."""
    delay: float = 0.0
    message: str = ""
    answer: Any = None
    """For ``slow``: the answer sent after the delay (None = the script's next answer)."""

    @classmethod
    def rate_limit(cls, retry_after: float | None = 0.05) -> Fault:
        """429 Too Many Requests with Retry-After."""
        return cls("status", 429, retry_after, message="Rate limit reached")

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx error."""
        return cls("status", status, message="The server had an error")

    @classmethod
    def overloaded(cls) -> Fault:
        """529 Overloaded (Anthropic)."""
        return cls("status", 529, message="Overloaded")

    @classmethod
    def error(cls, status: int, message: str = "error") -> Fault:
        """Any HTTP error status (400, 401, 404, 422...)."""
        return cls("status", status, message=message)

    @classmethod
    def slow(cls, delay: float, answer: Any = None) -> Fault:
        """Answer after ``delay`` seconds."""
        return cls("slow", delay=delay, answer=answer)

    @classmethod
    def drop(cls) -> Fault:
        """Close the connection without answering."""
        return cls("drop")

    @classmethod
    def truncated(cls) -> Fault:
        """Send a 200 whose body stops before its declared length."""
        return cls("truncated")


@dataclass(frozen=True)
class Reply:
    """An answer with its wire details.

    ``usage`` is what the server reports, in augment's terms (input tokens include the
    cached ones); None estimates it from the text. ``cut_off`` answers as a model that hit
    ``max_tokens``: OpenAI's ``finish_reason: "length"``, Anthropic's
    ``stop_reason: "max_tokens"`` (give the partial text as ``answer``).
    """

    answer: Any
    usage: Usage | None = None
    cut_off: bool = False


def minimal_instance(schema: dict[str, Any]) -> Any:
    """A small value valid for simple schemas (used as the default answer)."""
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return minimal_instance(schema[key][0])
    t = schema.get("type", "object")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t == "object":
        props = schema.get("properties", {})
        return {k: minimal_instance(props.get(k, {})) for k in schema.get("required", [])}
    if t == "array":
        n = schema.get("minItems", 0)
        return [minimal_instance(schema.get("items", {})) for _ in range(n)]
    if t == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if t in ("integer", "number"):
        return schema.get("minimum", 0)
    if t == "boolean":
        return False
    return None


@dataclass
class _Script:
    queue: deque[Any] = field(default_factory=deque)
    fn: Callable[[dict[str, Any]], Any] | None = None


class LoopbackServer:
    """Base: subclasses say which path they serve and how answers and errors look.

    Args:
        responses: actions served first, in order: answers (str text or JSON value)
            or :class:`Fault` objects.
        fn: ``fn(request_json) -> answer | Fault`` once the queue is empty;
            default: a plausible answer valid against the request's schema that passes
            the built-in tasks' checks (:func:`augment.testing.answers.plausible_answer`,
            deterministic by ``seed``).
        latency: seconds to wait before every answer.
        rate_limits: announced in ``x-ratelimit-*`` headers, e.g.
            ``{"limit_requests": 500, "remaining_requests": 499, "limit_tokens": 30000}``.
        fault_rate: share of requests answered with a random transient fault
            (429/500/503), drawn from ``random.Random(seed)``.
        seed: seed of the faults and of the default answers.
        port: port to listen on (0 = any free port; see :attr:`port`).
    """

    path = "/"

    def __init__(self, responses: list[Any] | None = None,
                 fn: Callable[[dict[str, Any]], Any] | None = None, *, latency: float = 0.0,
                 rate_limits: dict[str, float] | None = None, fault_rate: float = 0.0,
                 seed: int = 0, port: int = 0) -> None:
        self.seed = seed
        self._port = port
        self._script = _Script(deque(responses or []), fn)
        self.latency = latency
        self.rate_limits = dict(rate_limits or {})
        self.fault_rate = fault_rate
        self._rng = random.Random(seed)
        self.requests: list[dict[str, Any]] = []
        """JSON bodies received, in order."""
        self.headers: list[dict[str, str]] = []
        """Headers of each request received (same order as ``requests``)."""
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # scripting -----------------------------------------------------------------------------
    def enqueue(self, *actions: Any) -> LoopbackServer:
        """Queue answers or faults; returns self."""
        with self._lock:
            self._script.queue.extend(actions)
        return self

    def _next_action(self, body: dict[str, Any]) -> Any:
        with self._lock:
            if self._script.queue:
                return self._script.queue.popleft()
            if self.fault_rate and self._rng.random() < self.fault_rate:
                return self._rng.choice([Fault.rate_limit(0.0), Fault.server_error(500),
                                         Fault.server_error(503)])
        if self._script.fn is not None:
            return self._script.fn(body)
        return self.default_answer(body)

    def default_answer(self, body: dict[str, Any]) -> Any:
        """The answer when nothing is scripted: plausible, schema-valid, check-passing."""
        from augment.testing.answers import plausible_answer, request_text

        return plausible_answer(self.schema_of(body), request_text(body.get("messages") or []),
                                seed=self.seed)

    # to override ---------------------------------------------------------------------------
    def schema_of(self, body: dict[str, Any]) -> dict[str, Any]:
        """The JSON Schema the request asks for."""
        raise NotImplementedError

    def render(self, body: dict[str, Any], answer: Any, *, usage: Usage | None = None,
               cut_off: bool = False) -> dict[str, Any]:
        """The success body for ``answer`` (``usage`` and ``cut_off`` as in :class:`Reply`)."""
        raise NotImplementedError

    def render_error(self, fault: Fault) -> dict[str, Any]:
        """The error body for a status fault."""
        return {"error": {"message": fault.message, "type": "error", "code": fault.status}}

    def extra_headers(self) -> dict[str, str]:
        """Headers added to every success response."""
        return {}

    def route(self, h: BaseHTTPRequestHandler, raw: bytes) -> bool:
        """Serve another endpoint (e.g. the batch APIs); True when this request was served."""
        return False

    # lifecycle -----------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL to give the SDK."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        """Start serving in a daemon thread."""
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                server._handle(self)

            def do_GET(self) -> None:  # noqa: N802 - http.server API
                server._handle(self)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", self._port), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True,
                                        kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # request handling ----------------------------------------------------------------------
    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length") or 0)
        raw = h.rfile.read(length) if length else b""
        if self.route(h, raw):
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        with self._lock:
            self.requests.append(body)
            self.headers.append({k.lower(): v for k, v in h.headers.items()})
        if h.path.split("?")[0].rstrip("/") != self.path:
            self._send(h, 404, {"error": {"message": f"no route {h.path}", "type": "not_found"}})
            return
        action = self._next_action(body)
        if self.latency:
            time.sleep(self.latency)
        if isinstance(action, Fault):
            if action.kind == "status":
                headers = {}
                if action.retry_after is not None:
                    headers["retry-after"] = str(max(0, int(-(-action.retry_after // 1))))
                    headers["retry-after-ms"] = str(int(action.retry_after * 1000))
                self._send(h, action.status, self.render_error(action), headers)
                return
            if action.kind == "drop":
                h.close_connection = True
                with contextlib.suppress(OSError):
                    h.connection.shutdown(socket.SHUT_RDWR)
                return
            if action.kind == "truncated":
                answer = minimal_instance(self.schema_of(body))
                data = json.dumps(self.render(body, answer)).encode()
                h.send_response(200)
                h.send_header("content-type", "application/json")
                h.send_header("content-length", str(len(data)))
                h.end_headers()
                h.wfile.write(data[: len(data) // 2])
                h.wfile.flush()
                h.close_connection = True
                with contextlib.suppress(OSError):
                    h.connection.shutdown(socket.SHUT_RDWR)
                return
            if action.kind == "slow":
                time.sleep(action.delay)
                answer = action.answer if action.answer is not None else self._next_action(body)
                if isinstance(answer, Fault):  # keep it simple: a slow fault then answers
                    answer = self.default_answer(body)
                action = answer
            else:
                raise ValueError(f"unknown fault kind {action.kind!r}")
        reply = action if isinstance(action, Reply) else Reply(action)
        self._send(h, 200, self.render(body, reply.answer, usage=reply.usage,
                                       cut_off=reply.cut_off), self.extra_headers())

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        try:
            h.send_response(status)
            h.send_header("content-type", "application/json")
            h.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                h.send_header(k, v)
            h.end_headers()
            h.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            h.close_connection = True  # the client gave up (timeout); nothing to do
