"""A loopback TCP listener set as HTTP(S)_PROXY: any connection the CLI tries to make through a proxy lands here.

It records the first request line (e.g. `CONNECT api.example:443 HTTP/1.1`), answers 403 and closes, so nothing
is ever forwarded. A test asserts the record stays empty.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field


@dataclass
class ProxyTrap:
    attempts: list[str] = field(default_factory=list)
    url: str = ""


@contextmanager
def proxy_trap() -> Iterator[ProxyTrap]:
    trap = ProxyTrap()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    trap.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    first = "<no request line>"
                trap.attempts.append(first)
                with suppress(OSError):
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield trap
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()
