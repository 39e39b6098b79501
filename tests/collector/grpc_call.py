"""A minimal gRPC unary client over HTTP/2 (h2, which hypercorn already brings), for the OTLP/gRPC receiver.

`export(...)` sends one protobuf message (bytes, e.g. an ExportMetricsServiceRequest built with opentelemetry-proto)
in cleartext or over TLS (ALPN h2, certificate not verified: the collector's is generated at start), respecting
HTTP/2 flow control so multi-megabyte messages go through, and stops sending as soon as the server answers (a
receiver that refuses a message by its length prefix answers before the body is in). Returns the `grpc-status`
(0 = OK, 8 = RESOURCE_EXHAUSTED, 16 = UNAUTHENTICATED) and the `grpc-message`.
"""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import h2.config
import h2.connection
import h2.events

EXPORT_METRICS = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"
EXPORT_LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
#: grpc-status codes the tests read (grpc/status codes).
OK, RESOURCE_EXHAUSTED, UNAUTHENTICATED = 0, 8, 16


@dataclass(frozen=True)
class GrpcAnswer:
    status: int
    message: str


def export(
    endpoint: str,
    path: str,
    message: bytes,
    token: str | None = None,
    *,
    tls: bool = False,
    metadata: Mapping[str, str] | None = None,
    timeout_s: float = 30.0,
) -> GrpcAnswer:
    """One unary call of `path` with `message` (serialised protobuf); the answer's status and message."""
    host, port = endpoint.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout_s) as raw:
        sock: socket.socket = raw
        if tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            sock = context.wrap_socket(raw, server_hostname=host)
        return _call(sock, endpoint, path, message, token, metadata or {}, "https" if tls else "http")


def export_empty_metrics(endpoint: str, token: str | None = None, timeout_s: float = 10.0) -> int:
    """An empty ExportMetricsServiceRequest (a zero-length message is valid): the receiver and its auth answer."""
    return export(endpoint, EXPORT_METRICS, b"", token, timeout_s=timeout_s).status


def _call(
    sock: socket.socket,
    endpoint: str,
    path: str,
    message: bytes,
    token: str | None,
    metadata: Mapping[str, str],
    scheme: str,
) -> GrpcAnswer:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    headers = [
        (":method", "POST"),
        (":scheme", scheme),
        (":authority", endpoint),
        (":path", path),
        ("content-type", "application/grpc"),
        ("te", "trailers"),
        *metadata.items(),
    ]
    if token is not None:
        headers.append(("authorization", f"Bearer {token}"))
    stream_id = conn.get_next_available_stream_id()
    conn.send_headers(stream_id, headers)
    sock.sendall(conn.data_to_send())
    body = memoryview(b"\x00" + struct.pack(">I", len(message)) + message)  # uncompressed, length-prefixed
    sent = 0
    answer: dict[str, str] = {}
    closed = False
    while "grpc-status" not in answer and not closed:
        while sent < len(body) and not closed:
            size = min(conn.local_flow_control_window(stream_id), conn.max_outbound_frame_size, len(body) - sent)
            if size <= 0:
                break  # wait for a WINDOW_UPDATE
            end = sent + size == len(body)
            conn.send_data(stream_id, body[sent : sent + size].tobytes(), end_stream=end)
            sent += size
            sock.sendall(conn.data_to_send())
        data = sock.recv(65536)
        if not data:
            break
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                for name, value in event.headers:
                    key = name.decode() if isinstance(name, bytes) else name
                    answer[key] = value.decode() if isinstance(value, bytes) else value
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamReset | h2.events.StreamEnded):
                closed = True
        try:
            sock.sendall(conn.data_to_send())
        except OSError:
            break
    if "grpc-status" not in answer:
        raise ConnectionError(f"no grpc-status from {endpoint} (headers {answer}, {sent} of {len(body)} bytes sent)")
    return GrpcAnswer(int(answer["grpc-status"]), answer.get("grpc-message", ""))
