"""A minimal gRPC unary call over cleartext HTTP/2 (h2, which hypercorn already brings), for the OTLP/gRPC receiver.

The request is an empty ExportMetricsServiceRequest (a zero-length protobuf message is valid), enough to see the
receiver answer and its authenticator decide. Returns the `grpc-status` trailer (0 = OK, 16 = UNAUTHENTICATED).
"""

from __future__ import annotations

import socket

import h2.config
import h2.connection
import h2.events

EXPORT_METRICS = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"


def export_empty_metrics(endpoint: str, token: str | None = None, timeout_s: float = 10.0) -> int:
    host, port = endpoint.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout_s) as sock:
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        conn.initiate_connection()
        headers = [
            (":method", "POST"),
            (":scheme", "http"),
            (":authority", endpoint),
            (":path", EXPORT_METRICS),
            ("content-type", "application/grpc"),
            ("te", "trailers"),
        ]
        if token is not None:
            headers.append(("authorization", f"Bearer {token}"))
        stream_id = conn.get_next_available_stream_id()
        conn.send_headers(stream_id, headers)
        conn.send_data(stream_id, b"\x00\x00\x00\x00\x00", end_stream=True)  # uncompressed, length 0
        sock.sendall(conn.data_to_send())
        status: dict[str, str] = {}
        while "grpc-status" not in status:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived | h2.events.TrailersReceived):
                    for name, value in event.headers:
                        key = name.decode() if isinstance(name, bytes) else name
                        status[key] = value.decode() if isinstance(value, bytes) else value
                if isinstance(event, h2.events.DataReceived):
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            sock.sendall(conn.data_to_send())
        return int(status["grpc-status"])
