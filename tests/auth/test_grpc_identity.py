"""The OTLP/gRPC path of the real collector with `--auth oidc`: identity from the token on real data, and the
receiver's message-size cap.

The requests are the HTTP tests' forged JSON (tests/auth/forged.py) parsed into OTLP protobuf messages
(opentelemetry-proto) and sent as gRPC unary calls (tests/collector/grpc_call.py), forged metadata included.
"""

from __future__ import annotations

import json

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from tests.auth.conftest import AuthedCollector
from tests.auth.forged import FORGED_HEADERS, PLATFORM, at, cost, event_body, metrics_body, ns_ago
from tests.collector.conftest import metric_lines
from tests.collector.grpc_call import EXPORT_LOGS, EXPORT_METRICS, OK, RESOURCE_EXHAUSTED, UNAUTHENTICATED, export

pytestmark = pytest.mark.emulator

#: `max_recv_msg_size_mib: 4` in collector/config.yaml, in bytes.
LIMIT = 4 * 1024 * 1024


def _metrics_message(value: float, time_ns: int) -> ExportMetricsServiceRequest:
    return json_format.Parse(metrics_body([cost(value)], time_ns), ExportMetricsServiceRequest())


def test_grpc_data_is_stored_under_the_tokens_identity_whatever_was_forged(plain: AuthedCollector) -> None:
    endpoint, time_ns = plain.under.collector.otlp_grpc_endpoint, ns_ago(45)
    token = plain.idp.token("  Grace@Example.COM", sub="00u-grace", groups=("eng-platform",))
    metrics = _metrics_message(2.75, time_ns).SerializeToString()
    logs = json_format.Parse(event_body(time_ns), ExportLogsServiceRequest()).SerializeToString()

    assert export(endpoint, EXPORT_METRICS, metrics, None, metadata=FORGED_HEADERS).status == UNAUTHENTICATED
    assert export(endpoint, EXPORT_METRICS, metrics, token, metadata=FORGED_HEADERS).status == OK
    assert export(endpoint, EXPORT_LOGS, logs, token, metadata=FORGED_HEADERS).status == OK

    expected = {
        "user.email": "grace@example.com",
        "user.id": "00u-grace",
        "user.groups": "eng-platform",
        **PLATFORM,
    }
    (line,) = metric_lines(plain.under.wait_for_events(plain.under.metrics_group, 1, at(time_ns)))
    assert {k: line.get(k) for k in expected} == expected
    assert line["claude_code.cost.usage"] == 2.75
    for key in ("user.name", "user.account_uuid", "organization.id", "x-user-email"):
        assert key not in line
    assert "mallory" not in json.dumps(line).lower() and "forged" not in json.dumps(line).lower()

    (found,) = plain.under.wait_for_events(plain.under.events_group, 1, at(time_ns))
    attributes = json.loads(found[1]["message"])["attributes"]
    # Events keep the identity they are read by (transform/events_trim drops user.groups, cost_center, organization).
    read = {k: v for k, v in expected.items() if k in ("user.email", "user.id", "department", "team.id")}
    assert {k: attributes.get(k) for k in (*read, "user.groups")} == {**read, "user.groups": None}
    assert "mallory" not in found[1]["message"].lower() and "forged" not in found[1]["message"].lower()


def _padded(value: float, time_ns: int, size: int) -> bytes:
    """A real metrics request of exactly `size` bytes: one cost point carrying an `x-padding` attribute, which the
    identity processor drops with every other client-supplied `x-*` attribute (so an accepted one writes a normal
    line)."""
    message = _metrics_message(value, time_ns)
    point = message.resource_metrics[0].scope_metrics[0].metrics[0].sum.data_points[0]
    padding = KeyValue(key="x-padding")
    point.attributes.append(padding)
    length = 0
    for _ in range(5):  # the enclosing length prefixes settle in two rounds
        length += size - message.ByteSize()
        point.attributes[-1].value.string_value = "p" * length
        if message.ByteSize() == size:
            return message.SerializeToString()
    raise AssertionError(f"could not build a {size}-byte message (got {message.ByteSize()})")


def test_the_grpc_receiver_refuses_messages_over_its_cap(plain: AuthedCollector) -> None:
    endpoint, token = plain.under.collector.otlp_grpc_endpoint, plain.idp.token()
    over_ns, at_limit_ns = ns_ago(47), ns_ago(46)

    over = export(endpoint, EXPORT_METRICS, _padded(9.0, over_ns, LIMIT + 1), token)
    assert over.status == RESOURCE_EXHAUSTED, over
    assert f"{LIMIT + 1} vs. {LIMIT}" in over.message  # grpc-go: "received message larger than max (… vs. …)"

    # Exactly at the cap is accepted and processed; once its line is written, the refused one would be too.
    assert export(endpoint, EXPORT_METRICS, _padded(4.0, at_limit_ns, LIMIT), token).status == OK
    (line,) = metric_lines(plain.under.wait_for_events(plain.under.metrics_group, 1, at(at_limit_ns)))
    assert line["claude_code.cost.usage"] == 4.0 and "x-padding" not in line
    assert not [e for _, e in plain.under.events(plain.under.metrics_group) if at(over_ns)(e)]
