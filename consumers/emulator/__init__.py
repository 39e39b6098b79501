"""The embedded default: moto's real HTTP server, served by hypercorn (HTTP/1.1 and h2c on one port)."""

from consumers.emulator.server import EmbeddedEmulator, serve_forever

__all__ = ["EmbeddedEmulator", "serve_forever"]
