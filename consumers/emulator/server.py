"""Serve moto over HTTP/1.1 *and* cleartext HTTP/2 so both boto3 and the KCL's Java client can use it.

The KCL's Kinesis client speaks HTTP/2 only; moto's own werkzeug server is HTTP/1.1, so we run moto's WSGI
application under hypercorn instead. `EmbeddedEmulator` runs it in a background thread of this process (tests,
`ccstream up`); `serve_forever` runs it in the foreground (`ccstream emulator`).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
import urllib.request
from types import TracebackType

from hypercorn.asyncio import serve
from hypercorn.config import Config


def _moto_app():
    from moto.server import DomainDispatcherApplication, create_backend_app

    return _at_least_one_chunk(DomainDispatcherApplication(create_backend_app))


def _at_least_one_chunk(app):
    """hypercorn's WSGI adapter sends the status and headers with the first body chunk, so a response with an
    empty body (S3 HeadObject/HeadBucket) never starts and becomes a 500. Yield one empty chunk in that case."""

    def wrapped(environ, start_response):
        body = app(environ, start_response)
        try:
            sent = False
            for chunk in body:
                sent = True
                yield chunk
            if not sent:
                yield b""
        finally:
            if hasattr(body, "close"):
                body.close()

    return wrapped


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(host: str, port: int) -> Config:
    cfg = Config()
    cfg.bind = [f"{host}:{port}"]
    cfg.loglevel = "WARNING"
    cfg.accesslog = None
    cfg.errorlog = "-"
    cfg.keep_alive_timeout = 75
    return cfg


def serve_forever(host: str = "127.0.0.1", port: int = 4566) -> None:
    """Run the emulator in the foreground until interrupted."""
    asyncio.run(serve(_moto_app(), _config(host, port), mode="wsgi"))


class EmbeddedEmulator:
    """moto + hypercorn on a background thread. Use as a context manager or call start()/stop()."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> EmbeddedEmulator:
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            self._stop = asyncio.Event()
            ready.set()
            loop.run_until_complete(
                serve(
                    _moto_app(),
                    _config(self.host, self.port),
                    mode="wsgi",
                    shutdown_trigger=self._stop.wait,
                )
            )
            loop.close()

        self._thread = threading.Thread(target=run, name="ccstream-emulator", daemon=True)
        self._thread.start()
        ready.wait(timeout_s)
        self._wait_until_up(timeout_s)
        return self

    def _wait_until_up(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2).read()
                return
            time.sleep(0.05)
        raise RuntimeError(f"the embedded emulator did not answer on {self.url} within {timeout_s:.0f}s")

    def stop(self) -> None:
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread:
            self._thread.join(timeout=10)

    def __enter__(self) -> EmbeddedEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
