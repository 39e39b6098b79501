"""A fake Anthropic Messages API on 127.0.0.1 that the real Claude Code CLI talks to, scripted per scenario.

A conversation is recognised by a marker (`[[name]]`) in the text of its first user message; its reply is chosen by
how many assistant turns the request already carries, so `--continue` simply resumes the script where the earlier
run stopped. Requests with no known marker (the CLI's own auxiliary calls, e.g. a title) get a short text reply.
Every request is logged (path, model, marker, turn, status) for the tests to inspect; unknown paths are answered
404 and logged too.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MARKER = re.compile(r"\[\[([a-z0-9_:-]+)\]\]")


@dataclass(frozen=True)
class Usage:
    """Token usage the fake reports for one request (cache creation split into 5-minute and 1-hour parts)."""

    input_tokens: int = 120
    output_tokens: int = 30
    cache_read_input_tokens: int = 2000
    cache_creation_5m: int = 300
    cache_creation_1h: int = 100

    def as_json(self) -> dict[str, Any]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_input_tokens": self.cache_read_input_tokens,
            "cache_creation_input_tokens": self.cache_creation_5m + self.cache_creation_1h,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_creation_5m,
                "ephemeral_1h_input_tokens": self.cache_creation_1h,
            },
        }


@dataclass(frozen=True)
class Text:
    text: str
    usage: Usage = Usage()


@dataclass(frozen=True)
class ToolUse:
    name: str
    input: dict[str, Any]
    text: str = ""
    usage: Usage = Usage()


@dataclass(frozen=True)
class Fail:
    """Answer this turn with an HTTP error `times` times (None: always), then fall through to `then`."""

    status: int
    times: int | None = None
    then: Text | ToolUse | None = None


Step = Text | ToolUse | Fail


@dataclass
class Logged:
    path: str
    model: str
    marker: str
    turn: int
    status: int
    stream: bool
    auth: str = ""


@dataclass
class FakeAnthropic:
    """Scripts by marker; `log` records every request the CLI made."""

    scripts: dict[str, list[Step]] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    _attempts: dict[tuple[str, int], int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def choose(self, body: dict[str, Any]) -> tuple[str, int, Step]:
        messages = body.get("messages") or []
        marker = _first_marker(messages)
        turn = sum(1 for m in messages if m.get("role") == "assistant")
        script = self.scripts.get(marker)
        if script is None:
            return marker, turn, Text("ok", Usage(input_tokens=50, output_tokens=5, cache_read_input_tokens=0))
        step = script[turn] if turn < len(script) else Text("done")
        if isinstance(step, Fail):
            with self._lock:
                seen = self._attempts.get((marker, turn), 0)
                self._attempts[(marker, turn)] = seen + 1
            if step.times is not None and seen >= step.times:
                return marker, turn, step.then or Text("recovered")
        return marker, turn, step

    def record(self, entry: Logged) -> None:
        with self._lock:
            self.log.append(entry)


def _first_marker(messages: list[dict[str, Any]]) -> str:
    for m in messages:
        if m.get("role") != "user":
            continue
        content = m.get("content")
        texts = [content] if isinstance(content, str) else [c.get("text", "") for c in content or [] if c]
        for t in texts:
            found = MARKER.search(t or "")
            if found:
                return found.group(1)
        return ""
    return ""


def sse_events(model: str, step: Text | ToolUse) -> Iterator[tuple[str, dict[str, Any]]]:
    """The event sequence of one streamed message."""
    usage = step.usage.as_json()
    start_usage = {**usage, "output_tokens": 1}
    yield (
        "message_start",
        {
            "type": "message_start",
            "message": {
                "id": f"msg_{uuid.uuid4().hex[:24]}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": start_usage,
            },
        },
    )
    index = 0
    text = step.text
    if text:
        yield (
            "content_block_start",
            {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        )
        yield (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}},
        )
        yield "content_block_stop", {"type": "content_block_stop", "index": 0}
        index = 1
    stop_reason = "end_turn"
    if isinstance(step, ToolUse):
        stop_reason = "tool_use"
        block = {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": step.name, "input": {}}
        yield "content_block_start", {"type": "content_block_start", "index": index, "content_block": block}
        partial = json.dumps(step.input)
        yield (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "input_json_delta", "partial_json": partial},
            },
        )
        yield "content_block_stop", {"type": "content_block_stop", "index": index}
    yield (
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": None},
            "usage": usage,
        },
    )
    yield "message_stop", {"type": "message_stop"}


def plain_message(model: str, step: Text | ToolUse) -> dict[str, Any]:
    """The same message, not streamed."""
    content: list[dict[str, Any]] = [{"type": "text", "text": step.text}] if step.text else []
    if isinstance(step, ToolUse):
        content.append(
            {"type": "tool_use", "id": f"toolu_{uuid.uuid4().hex[:24]}", "name": step.name, "input": step.input}
        )
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": "tool_use" if isinstance(step, ToolUse) else "end_turn",
        "stop_sequence": None,
        "usage": step.usage.as_json(),
    }


def _handler(fake: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send_json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
            self.end_headers()
            self.wfile.write(data)

        def do_HEAD(self) -> None:
            fake.record(Logged(self.path, "", "", 0, 200, False))
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            fake.record(Logged(self.path, "", "", 0, 404, False))
            self._send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": self.path}})

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {}
            path = self.path.split("?", 1)[0]
            model = str(body.get("model", ""))
            if path == "/v1/messages/count_tokens":
                fake.record(Logged(self.path, model, "", 0, 200, False))
                self._send_json(200, {"input_tokens": 1000})
                return
            if path != "/v1/messages":
                fake.record(Logged(self.path, model, "", 0, 404, False))
                self._send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": path}})
                return
            marker, turn, step = fake.choose(body)
            stream = bool(body.get("stream"))
            auth = (
                "bearer" if self.headers.get("authorization") else "x-api-key" if self.headers.get("x-api-key") else ""
            )
            if isinstance(step, Fail):
                fake.record(Logged(self.path, model, marker, turn, step.status, stream, auth))
                kind = "overloaded_error" if step.status == 529 else "api_error"
                self._send_json(step.status, {"type": "error", "error": {"type": kind, "message": "injected"}})
                return
            fake.record(Logged(self.path, model, marker, turn, 200, stream, auth))
            if not stream:
                self._send_json(200, plain_message(model, step))
                return
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("request-id", f"req_{uuid.uuid4().hex[:24]}")
            self.send_header("connection", "close")
            self.end_headers()
            for name, payload in sse_events(model, step):
                self.wfile.write(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()
            self.close_connection = True

    return Handler


@contextmanager
def serving(fake: FakeAnthropic) -> Iterator[str]:
    """Serve `fake` on 127.0.0.1 (a free port) for the block; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
