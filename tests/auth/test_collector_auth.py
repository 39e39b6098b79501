"""The real collector with `--auth oidc` against a test IdP on loopback (tests/auth/idp.py).

Refused credentials get 401 and write nothing; a valid token's data is stored under the token's identity and the
team the server-side mapping gives its groups, whatever the client forged; service-account tokens work until
revoked; pseudonymous mode writes no plain identity, and its pseudonym is the Python twin's.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from consumers.identity.pseudonym import month_of, parse_keyring
from tests.auth.conftest import AuthedCollector, bearer, vector_keys
from tests.auth.forged import FORGED_HEADERS, PLATFORM, SONNET, at, cost, event_body, metrics_body, ns_ago
from tests.collector.conftest import metric_lines
from tests.collector.grpc_call import export_empty_metrics

pytestmark = pytest.mark.emulator


def test_bad_credentials_get_401_are_counted_and_write_nothing(plain: AuthedCollector) -> None:
    idp, now = plain.idp, int(time.time())
    bad = {
        "missing_token": {},
        "expired": bearer(idp.token(exp=now - 60, iat=now - 660)),
        "wrong_audience": bearer(idp.token(aud="another-app")),
        "wrong_issuer": bearer(idp.token(iss="https://evil.example")),
        "bad_signature": bearer(idp.token(key=idp.stranger, kid="rsa-1")),
        "unknown_key": bearer(idp.token(key=idp.stranger, kid="rsa-unknown")),
    }
    before = {reason: plain.under.collector.auth_requests("refused", reason) for reason in bad}
    bad_times = []
    for i, (reason, headers) in enumerate(bad.items()):
        time_ns = ns_ago(20 + i)
        bad_times.append(time_ns // 1_000_000)
        status, text = plain.post("/v1/metrics", metrics_body([cost(100.0 + i)], time_ns), headers)
        assert status == 401, (reason, status, text)
        assert plain.post("/v1/logs", event_body(time_ns), headers)[0] == 401, reason
    # gRPC has the same authenticator (16 = UNAUTHENTICATED).
    assert export_empty_metrics(plain.under.collector.otlp_grpc_endpoint) == 16
    assert export_empty_metrics(plain.under.collector.otlp_grpc_endpoint, token=idp.token(aud="x")) == 16
    assert export_empty_metrics(plain.under.collector.otlp_grpc_endpoint, token=idp.token()) == 0

    after = {reason: plain.under.collector.auth_requests("refused", reason) for reason in bad}
    # Each reason once per HTTP path (metrics and logs); missing_token and wrong_audience once more over gRPC.
    grpc = {"missing_token": 1, "wrong_audience": 1}
    assert {r: after[r] - before[r] for r in bad} == {r: 2 + grpc.get(r, 0) for r in bad}

    # A valid request after them lands; once it is there, the batch has flushed: the refused ones never arrived.
    marker_ns = ns_ago(30)
    assert plain.post("/v1/metrics", metrics_body([cost(7.0)], marker_ns), bearer(idp.token()))[0] == 200
    assert plain.under.wait_for_events(plain.under.metrics_group, 1, at(marker_ns))
    assert plain.post("/v1/logs", event_body(marker_ns), bearer(idp.token()))[0] == 200
    assert plain.under.wait_for_events(plain.under.events_group, 1, at(marker_ns))
    written = plain.under.events(plain.under.metrics_group) + plain.under.events(plain.under.events_group)
    assert not [e for _, e in written if e["timestamp"] in bad_times]


def test_forged_identity_and_organisation_are_replaced_by_the_tokens(plain: AuthedCollector) -> None:
    time_ns = ns_ago(40)
    token = plain.idp.token("  Ada@Example.COM", sub="00u-ada", groups=("eng-platform", "everyone"))
    headers = {**bearer(token), **FORGED_HEADERS}
    assert plain.post("/v1/metrics", metrics_body([cost(1.5)], time_ns), headers)[0] == 200
    assert plain.post("/v1/logs", event_body(time_ns), headers)[0] == 200

    (line,) = metric_lines(plain.under.wait_for_events(plain.under.metrics_group, 1, at(time_ns)))
    expected = {
        "user.email": "ada@example.com",
        "user.id": "00u-ada",
        "user.groups": "eng-platform,everyone",
        **PLATFORM,
    }
    assert {k: line.get(k) for k in expected} == expected
    assert line["claude_code.cost.usage"] == 1.5 and line["session.id"] == "s-1"
    for key in ("user.name", "user.account_uuid", "organization.id", "x-user-email"):
        assert key not in line
    assert "mallory" not in json.dumps(line).lower() and "forged" not in json.dumps(line).lower()
    # The mapped organisation is a declared dimension now that every point has it.
    assert ["organization"] in line["_aws"]["CloudWatchMetrics"][0]["Dimensions"]

    (found,) = plain.under.wait_for_events(plain.under.events_group, 1, at(time_ns))
    message = json.loads(found[1]["message"])
    # Events keep the identity they are read by (transform/events_trim drops user.groups, cost_center, organization).
    read = {k: v for k, v in expected.items() if k in ("user.email", "user.id", "department", "team.id")}
    assert {k: message["attributes"].get(k) for k in (*read, "user.groups")} == {**read, "user.groups": None}
    assert message["attributes"]["model"] == SONNET
    assert "mallory" not in found[1]["message"].lower() and "forged" not in found[1]["message"].lower()


def test_a_service_account_works_until_revoked(plain: AuthedCollector) -> None:
    time_ns = ns_ago(50)
    headers = bearer(plain.bot_token)
    assert plain.post("/v1/metrics", metrics_body([cost(3.0)], time_ns), headers)[0] == 200
    (line,) = metric_lines(plain.under.wait_for_events(plain.under.metrics_group, 1, at(time_ns)))
    assert line["user.id"] == "service:ci-bot" and "user.email" not in line
    assert (line["team.id"], line["cost_center"], line["user.groups"]) == ("build", "CC-200", "ci")

    plain.write_accounts("")  # revoke: the hash leaves the file
    before = plain.under.collector.auth_requests("refused", "unknown_service_account")
    deadline = time.monotonic() + 20
    status = 200
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        status = plain.post("/v1/metrics", metrics_body([cost(0.0)], ns_ago(51)), headers)[0]
    print(f"\nservice-account revocation (file) took effect after {20 - (deadline - time.monotonic()):.1f} s")
    assert status == 401, "the revoked token was still accepted 20 s after the revocation"
    assert plain.under.collector.auth_requests("refused", "unknown_service_account") == before + 1
    plain.write_accounts(plain.bot_entry)  # put back for the other tests


def test_bodies_over_the_cap_are_refused(plain: AuthedCollector) -> None:
    body = b"{" + b" " * (4 * 1024 * 1024) + b"}"
    status, text = plain.post("/v1/metrics", body, bearer(plain.idp.token()))
    assert status == 400, (status, text[:200])


def test_pseudonymous_mode_writes_no_plain_identity(pseudonymous: AuthedCollector) -> None:
    time_ns = ns_ago(60)
    token = pseudonymous.idp.token("Ada@Example.com", sub="00u-ada")
    headers = {**bearer(token), **FORGED_HEADERS}
    assert pseudonymous.post("/v1/metrics", metrics_body([cost(2.5)], time_ns), headers)[0] == 200
    assert pseudonymous.post("/v1/logs", event_body(time_ns), headers)[0] == 200
    found = pseudonymous.under.wait_for_events(pseudonymous.under.metrics_group, 1, at(time_ns))
    found += pseudonymous.under.wait_for_events(pseudonymous.under.events_group, 1, at(time_ns))
    assert len(found) == 2

    month = month_of(datetime.fromtimestamp(time_ns / 1e9, UTC))
    expected = parse_keyring(vector_keys()).of("ada@example.com", month)
    line = json.loads(found[0][1]["message"])
    event_attrs = json.loads(found[1][1]["message"])["attributes"]
    for attrs in (line, event_attrs):
        assert attrs["user.email"] == expected and attrs["user.id"] == expected
        assert attrs["team.id"] == "platform"
        for key in ("user.name", "user.account_uuid", "organization.id"):
            assert key not in attrs
    assert line["user.groups"] == "eng-platform" and "user.groups" not in event_attrs  # events_trim: nobody reads it
    for _, event in found:
        text = event["message"].lower()
        assert "ada" not in text.replace("claude", "") and "example.com" not in text and "00u-ada" not in text
        assert "mallory" not in text
