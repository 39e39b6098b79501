"""A tiny OTLP/HTTP capture server on loopback for tests: records every POST, answers from a script."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Captured:
    """What the server saw; `statuses` are answered in order (then 200)."""

    statuses: list[int] = field(default_factory=list)
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # (path, content type, body)
    lock: threading.Lock = field(default_factory=threading.Lock)


@contextmanager
def capture_server() -> Iterator[tuple[str, Captured]]:
    """`(base url, captured)` of a server on a free 127.0.0.1 port."""
    captured = Captured()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with captured.lock:
                status = captured.statuses.pop(0) if captured.statuses else 200
                captured.requests.append((self.path, self.headers.get("Content-Type", ""), body))
            answer = b"{}" if status == 200 else b'{"code":3,"message":"scripted"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", captured
    finally:
        server.shutdown()
        server.server_close()
