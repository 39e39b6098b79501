"""The real collector started as on ECS (`CCSTREAM_RECEIVER_TLS=self-signed`) on loopback: OTLP over HTTPS and gRPC
over TLS are written to CloudWatch Logs, plain HTTP and cleartext gRPC are refused, the health check answers over
HTTPS only, and the certificate served is the one the binary generated and logged at start."""

from __future__ import annotations

import hashlib
import socket
import ssl
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import h2.exceptions
import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest

from consumers.aws import AwsTarget
from consumers.collector.process import free_port, start_collector, unverified_tls
from consumers.collector.settings import RECEIVER_TLS, CollectorSettings
from consumers.emulator import EmbeddedEmulator
from tests.collector.conftest import CollectorUnderTest, metric_lines
from tests.collector.grpc_call import EXPORT_METRICS, OK, export, export_empty_metrics
from tests.collector.otlp_requests import Point, metrics_request

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def secured(emulator: EmbeddedEmulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorUnderTest]:
    logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
    suffix = uuid.uuid4().hex[:8]
    metrics_group, events_group = f"/test/tls-{suffix}/metrics", f"/test/tls-{suffix}/events"
    for group in (metrics_group, events_group):
        logs.create_log_group(logGroupName=group)
    with start_collector(
        endpoint_url=emulator.url,
        region="us-east-1",
        http_port=free_port(),
        task_id=f"tls-{suffix}",
        metrics_log_group=metrics_group,
        events_log_group=events_group,
        log_file=tmp_path_factory.mktemp("tls") / "collector.log",
        tls=True,
    ) as collector:
        yield CollectorUnderTest(collector, logs, metrics_group, events_group, f"tls-{suffix}")


#: What `_post` returns as the text when the connection was reset before the error page could be read.
RESET = "<connection reset>"


def _at(time_ns: int):  # type: ignore[no-untyped-def]
    return lambda event: event["timestamp"] == time_ns // 1_000_000


def _post(url: str, body: bytes, context: ssl.SSLContext | None) -> tuple[int, str]:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10, context=context) as resp:
            return int(resp.status), resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        try:
            return int(exc.code), exc.read().decode(errors="replace")
        except ConnectionError:  # the server closed on the unread request body: the reset may drop the text
            return int(exc.code), RESET


def _commits(value: float, time_ns: int) -> bytes:
    return metrics_request([Point("claude_code.commit.count", "", value, {})], time_ns)


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    return host, int(port)


def test_the_local_run_stays_plain_unless_asked() -> None:
    settings = CollectorSettings(
        region="us-east-1", endpoint_url=None, http_port=1, grpc_port=2, health_port=3, telemetry_port=4
    )
    assert settings.environment()[RECEIVER_TLS] == "null"


def test_otlp_over_https_is_written_and_plain_http_is_refused(secured: CollectorUnderTest) -> None:
    collector = secured.collector
    assert collector.otlp_http_url.startswith("https://127.0.0.1:")
    plain_ns, tls_ns = (int(time.time()) - 120) * 10**9, (int(time.time()) - 60) * 10**9
    status, text = _post(
        collector.otlp_http_url.replace("https://", "http://") + "/v1/metrics", _commits(7.0, plain_ns), None
    )
    assert status == 400 and text.strip() in ("Client sent an HTTP request to an HTTPS server.", RESET)
    assert _post(collector.otlp_http_url + "/v1/metrics", _commits(3.0, tls_ns), unverified_tls())[0] == 200

    (line,) = metric_lines(secured.wait_for_events(secured.metrics_group, 1, _at(tls_ns)))
    assert line["claude_code.commit.count"] == 3.0
    assert not [e for _, e in secured.events(secured.metrics_group) if e["timestamp"] == plain_ns // 1_000_000]


def test_the_served_certificate_is_the_one_generated_at_start(secured: CollectorUnderTest) -> None:
    host, port = _host_port(secured.collector.otlp_http_url)
    with socket.create_connection((host, port), timeout=10) as raw, unverified_tls().wrap_socket(raw) as tls:
        der = tls.getpeercert(binary_form=True)
        version = tls.version()
    assert der is not None and version in ("TLSv1.2", "TLSv1.3")
    assert hashlib.sha256(der).hexdigest() == secured.collector.certificate_fingerprint()

    # Self-signed for the loopback address: trusting only this certificate, a verifying client accepts it for
    # 127.0.0.1 (name checked) ...
    pinned = ssl.create_default_context(cadata=ssl.DER_cert_to_PEM_cert(der))
    with (
        socket.create_connection((host, port), timeout=10) as raw,
        pinned.wrap_socket(raw, server_hostname=host) as tls,
    ):
        cert = tls.getpeercert()
    assert cert is not None and ("IP Address", "127.0.0.1") in cert["subjectAltName"]
    assert cert["subject"] == cert["issuer"]
    # ... and a client trusting the usual public authorities does not (the ALB does not verify targets).
    with (
        pytest.raises(ssl.SSLCertVerificationError),
        socket.create_connection((host, port), timeout=10) as raw,
        ssl.create_default_context().wrap_socket(raw, server_hostname=host),
    ):
        pass


def test_the_health_check_answers_over_https_only(secured: CollectorUnderTest) -> None:
    url = secured.collector.health_url
    assert url.startswith("https://")
    with urllib.request.urlopen(url, timeout=10, context=unverified_tls()) as resp:
        assert resp.status == 200
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(url.replace("https://", "http://"), timeout=10)
    assert refused.value.code == 400


def test_grpc_over_tls_is_written_and_cleartext_grpc_is_refused(secured: CollectorUnderTest) -> None:
    endpoint = secured.collector.otlp_grpc_endpoint
    with pytest.raises((OSError, h2.exceptions.ProtocolError)):
        export_empty_metrics(endpoint)  # cleartext HTTP/2 to a TLS port: no gRPC answer
    time_ns = (int(time.time()) - 30) * 10**9
    message = json_format.Parse(_commits(5.0, time_ns), ExportMetricsServiceRequest()).SerializeToString()
    assert export(endpoint, EXPORT_METRICS, message, tls=True).status == OK
    (line,) = metric_lines(secured.wait_for_events(secured.metrics_group, 1, _at(time_ns)))
    assert line["claude_code.commit.count"] == 5.0


def test_a_started_collector_says_which_certificate_it_serves(secured: CollectorUnderTest) -> None:
    log = Path(secured.collector.log_file).read_text()
    assert "serving a self-signed certificate generated at start" in log
    assert "PRIVATE KEY" not in log  # the key stays in memory
