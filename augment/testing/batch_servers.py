"""Loopback servers that also speak the batch APIs, for the real SDKs:

* :class:`OpenAIBatchServer` — Files (``POST /v1/files`` multipart, ``GET
  /v1/files/{id}/content``) and Batches (``POST /v1/batches``, ``GET
  /v1/batches[/{id}]``, ``POST /v1/batches/{id}/cancel``), output and error files.
* :class:`AnthropicBatchServer` — Message Batches (``POST/GET
  /v1/messages/batches[/{id}]``, ``.../cancel``, ``.../results`` as JSONL).

Rows are answered like online requests (the script queue, ``fn`` or a minimal
valid answer), with faults on demand (:class:`~augment.testing._batches.BatchFaults`:
slow completion, expired or errored rows, 500 on poll, batches that end expired or
cancelled, a hook to kill the client at any step). ``server.book`` counts what was
submitted and billed, server side.

```python
with OpenAIBatchServer(faults=BatchFaults(complete_after_s=0.2)) as srv:
    provider = OpenAIProvider(base_url=srv.base_url, api_key="test")
    ...
    srv.book.summary()   # batches, submitted rows, duplicate submissions, paid rows
```
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any

from augment.testing._batches import BatchBook, BatchFaults, ServerBatch
from augment.testing._http import Fault
from augment.testing.servers import AnthropicServer, OpenAIServer

__all__ = ["OpenAIBatchServer", "AnthropicBatchServer", "BatchFaults"]

_MULTIPART_FILE = re.compile(rb'name="file"[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', re.DOTALL)


def _send_json(h: BaseHTTPRequestHandler, status: int, payload: Any) -> None:
    _send_bytes(h, status, json.dumps(payload).encode("utf-8"), "application/json")


def _send_bytes(h: BaseHTTPRequestHandler, status: int, data: bytes, ctype: str) -> None:
    try:
        h.send_response(status)
        h.send_header("content-type", ctype)
        h.send_header("content-length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError):
        h.close_connection = True


class _BatchRoutes:
    """Shared plumbing: the book, step hooks and answering one row."""

    book: BatchBook
    _usage_keys: tuple[str, str]
    """The usage fields of a rendered answer: (input tokens, output tokens)."""

    def __init__(self, responses: list[Any] | None = None, fn: Any = None, *,
                 faults: BatchFaults | None = None, **kwargs: Any) -> None:
        super().__init__(responses, fn, **kwargs)  # type: ignore[call-arg]
        self.book = BatchBook(faults)

    def _answer_row(self, body: dict[str, Any]) -> tuple[str, Any, tuple[int, int]]:
        action = self._next_action(body)  # type: ignore[attr-defined]
        if isinstance(action, Fault):
            if action.kind == "status":
                return "errored", (action.status, action.message or "error"), (0, 0)
            action = action.answer if action.answer is not None else \
                self._next_action(body)  # type: ignore[attr-defined]
        rendered = self.render(body, action)  # type: ignore[attr-defined]
        return "succeeded", rendered, self._tokens(rendered)

    def _tokens(self, rendered: dict[str, Any]) -> tuple[int, int]:
        u = rendered["usage"]
        return int(u[self._usage_keys[0]]), int(u[self._usage_keys[1]])

    def _stepped(self, h: BaseHTTPRequestHandler, step: str, work: Any) -> None:
        """``before`` hook (True = drop the request undone), the work (returns status and
        payload), ``after`` hook, reply."""
        if self.book.step(step, "before"):
            h.close_connection = True
            return
        status, payload, ctype = work()
        self.book.step(step, "after")
        if ctype == "application/json":
            _send_json(h, status, payload)
        else:
            _send_bytes(h, status, payload, ctype)


class OpenAIBatchServer(_BatchRoutes, OpenAIServer):
    """:class:`~augment.testing.OpenAIServer` plus the Files and Batches endpoints."""

    _usage_keys = ("prompt_tokens", "completion_tokens")

    def route(self, h: BaseHTTPRequestHandler, raw: bytes) -> bool:
        path = h.path.split("?")[0].rstrip("/")
        method = h.command
        if method == "POST" and path == "/v1/files":
            self._stepped(h, "upload", lambda: self._upload(raw))
        elif method == "POST" and path == "/v1/batches":
            self._stepped(h, "create", lambda: self._create(json.loads(raw or b"{}")))
        elif method == "GET" and path == "/v1/batches":
            with self.book.lock:
                data = [self._batch_json(b) for b in reversed(self.book.batches.values())]
            _send_json(h, 200, {"object": "list", "data": data, "has_more": False,
                                "first_id": data[0]["id"] if data else None,
                                "last_id": data[-1]["id"] if data else None})
        elif (m := re.fullmatch(r"/v1/batches/([^/]+)(/cancel)?", path)) is not None:
            batch = self.book.batches.get(m.group(1))
            if batch is None:
                _send_json(h, 404, {"error": {"message": "no such batch", "type": "not_found"}})
            elif m.group(2):
                self.book.cancel(batch)
                _send_json(h, 200, self._batch_json(batch))
            else:
                self._stepped(h, "poll", lambda: self._poll(batch))
        elif (m := re.fullmatch(r"/v1/files/([^/]+)/content", path)) is not None:
            self._stepped(h, "download", lambda: (200, self.book.files.get(m.group(1), b""),
                                                  "application/octet-stream"))
        else:
            return False
        return True

    def _upload(self, raw: bytes) -> tuple[int, Any, str]:
        found = _MULTIPART_FILE.search(raw)
        data = found.group(1) if found else b""
        file_id = self.book.add_file(data)
        return 200, {"id": file_id, "object": "file", "bytes": len(data), "created_at": 0,
                     "filename": "batch.jsonl", "purpose": "batch", "status": "processed"}, \
            "application/json"

    def _create(self, body: dict[str, Any]) -> tuple[int, Any, str]:
        data = self.book.files.get(str(body.get("input_file_id")))
        if data is None:
            return 404, {"error": {"message": "no such file", "type": "invalid_request_error"}}, \
                "application/json"
        rows = [(str(x["custom_id"]), x["body"]) for x in map(json.loads, data.splitlines())]
        batch = self.book.create("batch_", rows, body.get("metadata"), str(body["input_file_id"]))
        return 200, self._batch_json(batch), "application/json"

    def _poll(self, batch: ServerBatch) -> tuple[int, Any, str]:
        if self.book.poll_fault():
            return 500, {"error": {"message": "injected poll error", "type": "server_error"}}, \
                "application/json"
        self.book.settle(batch, self._answer_row)
        return 200, self._batch_json(batch), "application/json"

    def _batch_json(self, b: ServerBatch) -> dict[str, Any]:
        with self.book.lock:
            counts = self.book.counts(b)
            if b.final is not None and "output_file" not in b.meta:
                self._write_files(b)
            status = {None: "in_progress", "completed": "completed", "expired": "expired",
                      "cancelled": "cancelled"}[b.final]
            return {"id": b.id, "object": "batch", "endpoint": "/v1/chat/completions",
                    "errors": None, "input_file_id": b.input_file_id,
                    "completion_window": "24h", "status": status,
                    "output_file_id": b.meta.get("output_file"),
                    "error_file_id": b.meta.get("error_file"),
                    "created_at": int(b.created_at), "request_counts": {
                        "total": len(b.rows), "completed": counts["succeeded"],
                        "failed": counts["errored"]},
                    "metadata": {k: v for k, v in b.meta.items()
                                 if k not in ("output_file", "error_file")}}

    def _write_files(self, b: ServerBatch) -> None:
        out, err = [], []
        for n, (cid, (kind, payload)) in enumerate(b.results.items()):
            line: dict[str, Any] = {"id": f"batch_req_{b.id}_{n}", "custom_id": cid}
            if kind == "succeeded":
                line.update(response={"status_code": 200, "request_id": f"req_{n}",
                                      "body": payload}, error=None)
                out.append(line)
            elif kind == "errored":
                status, message = payload
                line.update(response={"status_code": status, "request_id": f"req_{n}",
                                      "body": {"error": {"message": message}}}, error=None)
                err.append(line)
            else:
                line.update(response=None, error={"code": f"batch_{kind}",
                                                  "message": f"This request was {kind}."})
                err.append(line)
        for key, lines in (("output_file", out), ("error_file", err)):
            if lines:
                data = "".join(json.dumps(x) + "\n" for x in lines).encode("utf-8")
                b.meta[key] = self.book.add_file(data)


def _rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat().replace("+00:00", "Z")


class AnthropicBatchServer(_BatchRoutes, AnthropicServer):
    """:class:`~augment.testing.AnthropicServer` plus the Message Batches endpoints."""

    _usage_keys = ("input_tokens", "output_tokens")

    def route(self, h: BaseHTTPRequestHandler, raw: bytes) -> bool:
        path = h.path.split("?")[0].rstrip("/")
        method = h.command
        if not path.startswith("/v1/messages/batches"):
            return False
        if method == "POST" and path == "/v1/messages/batches":
            body = json.loads(raw or b"{}")
            rows = [(str(r["custom_id"]), r["params"]) for r in body.get("requests", [])]
            self._stepped(h, "create", lambda: (200, self._batch_json(
                self.book.create("msgbatch_", rows)), "application/json"))
            return True
        if method == "GET" and path == "/v1/messages/batches":
            with self.book.lock:
                data = [self._batch_json(b) for b in reversed(self.book.batches.values())]
            _send_json(h, 200, {"data": data, "has_more": False,
                                "first_id": data[0]["id"] if data else None,
                                "last_id": data[-1]["id"] if data else None})
            return True
        m = re.fullmatch(r"/v1/messages/batches/([^/]+)(/cancel|/results)?", path)
        batch = self.book.batches.get(m.group(1)) if m else None
        if m is None or batch is None:
            _send_json(h, 404, {"type": "error", "error": {"type": "not_found_error",
                                                          "message": "no such batch"}})
        elif m.group(2) == "/cancel":
            self.book.cancel(batch)
            _send_json(h, 200, self._batch_json(batch))
        elif m.group(2) == "/results":
            self._stepped(h, "download", lambda: (200, self._results(batch),
                                                  "application/binary"))
        else:
            self._stepped(h, "poll", lambda: self._poll(batch))
        return True

    def _poll(self, batch: ServerBatch) -> tuple[int, Any, str]:
        if self.book.poll_fault():
            return 500, {"type": "error", "error": {"type": "api_error",
                                                    "message": "injected poll error"}}, \
                "application/json"
        self.book.settle(batch, self._answer_row)
        return 200, self._batch_json(batch), "application/json"

    def _results(self, b: ServerBatch) -> bytes:
        lines = []
        for cid, (kind, payload) in b.results.items():
            if kind == "succeeded":
                result: dict[str, Any] = {"type": "succeeded", "message": payload}
            elif kind == "errored":
                result = {"type": "errored", "error": {"type": "error", "error": {
                    "type": "api_error", "message": payload[1]}}}
            else:
                result = {"type": "canceled" if kind == "cancelled" else "expired"}
            lines.append(json.dumps({"custom_id": cid, "result": result}) + "\n")
        return "".join(lines).encode("utf-8")

    def _batch_json(self, b: ServerBatch) -> dict[str, Any]:
        with self.book.lock:
            counts = self.book.counts(b)
            ended = b.final is not None
            return {"id": b.id, "type": "message_batch",
                    "processing_status": "ended" if ended else "in_progress",
                    "request_counts": {"processing": 0 if ended else len(b.rows),
                                       "succeeded": counts["succeeded"],
                                       "errored": counts["errored"],
                                       "canceled": counts["cancelled"],
                                       "expired": counts["expired"]},
                    "created_at": _rfc3339(b.created_at),
                    "expires_at": _rfc3339(b.created_at + 86400),
                    "ended_at": _rfc3339(b.created_at) if ended else None,
                    "cancel_initiated_at": None, "archived_at": None,
                    "results_url": f"{self.url}/v1/messages/batches/{b.id}/results"
                    if ended else None}
