"""End to end through the product: OIDC-authenticated collectors → CloudWatch Logs (moto) → subscription → Kinesis
→ the real KCL aggregator → DynamoDB. Refused requests leave nothing; a forged identity never reaches a row; a
pseudonymous collector's rows hold only the pseudonym the Python twin computes.
"""

from __future__ import annotations

import json
import time
import zlib
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
import pytest

from consumers.aws import AwsTarget
from consumers.collector.auth_settings import IdentitySettings
from consumers.collector.process import free_port, start_collector
from consumers.emulator import EmbeddedEmulator
from consumers.identity.pseudonym import month_of, parse_keyring
from consumers.query.api import query_metric
from tests.auth.conftest import MAPPING, AuthedCollector, bearer, vector_keys
from tests.auth.forged import FORGED_HEADERS, cost, metrics_body
from tests.auth.idp import AUDIENCE, LoopbackIdP
from tests.collector.conftest import CollectorUnderTest
from tests.e2e.harness import deployed_stack

pytestmark = [pytest.mark.kcl, pytest.mark.emulator]


def _scan_text(aws: AwsTarget, table: str) -> str:
    """Every item as text, binary documents opened (zlib over msgpack, schemas/ITEMS.md) so nothing hides in them."""
    opened = 0

    def readable(value: Any) -> Any:
        nonlocal opened
        if isinstance(value, bytes):
            opened += 1
            return msgspec.msgpack.decode(zlib.decompress(value))
        return str(value)

    items: list[Any] = []
    for page in aws.client("dynamodb").get_paginator("scan").paginate(TableName=table):
        items += page["Items"]
    text = json.dumps(items, default=readable)
    assert opened > 0, "no binary document was opened: the scan would not see identities inside them"
    return text


def test_only_verified_identities_reach_dynamodb(emulator: EmbeddedEmulator, idp: LoopbackIdP, tmp_path: Path) -> None:
    aws = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    (tmp_path / "mapping.yaml").write_text(MAPPING)
    minute = (int(time.time()) // 60 - 3) * 60
    t_ns = minute * 1_000_000_000 + 5_000_000_000
    keys = vector_keys()
    with deployed_stack(aws, tmp_path) as stack:
        logs = aws.client("logs")  # the stack creates both log groups (metrics, events)
        common = {
            "endpoint_url": emulator.url,
            "region": "us-east-1",
            "auth": "oidc",
            "metrics_log_group": stack.names.log_group,
            "events_log_group": stack.names.events_log_group,
        }
        oidc = {"issuer": idp.issuer, "audience": AUDIENCE, "org_mapping": str(tmp_path / "mapping.yaml")}
        plain = start_collector(
            **common, http_port=free_port(), task_id="e2e-plain", identity=IdentitySettings(**oidc),
            log_file=tmp_path / "plain.log",
        )  # fmt: skip
        pseudo = start_collector(
            **common, http_port=free_port(), task_id="e2e-pseudo", log_file=tmp_path / "pseudo.log",
            identity=IdentitySettings(**oidc, mode="pseudonymous", keys=keys),
        )  # fmt: skip
        try:

            def client(c: Any) -> AuthedCollector:
                under = CollectorUnderTest(c, logs, stack.names.log_group, stack.names.events_log_group, "")
                return AuthedCollector(under, idp, tmp_path / "none", "", "")

            to_plain, to_pseudo = client(plain), client(pseudo)
            now = int(time.time())
            for headers in ({}, bearer(idp.token(exp=now - 60, iat=now - 600)), bearer(idp.token(aud="x"))):
                assert to_plain.post("/v1/metrics", metrics_body([cost(1000.0)], t_ns), headers)[0] == 401
            ada = bearer(idp.token("Ada@Example.com", sub="00u-ada"))
            bob = bearer(idp.token("bob@example.com", sub="00u-bob"))
            assert to_plain.post("/v1/metrics", metrics_body([cost(1.5)], t_ns), {**ada, **FORGED_HEADERS})[0] == 200
            assert to_pseudo.post("/v1/metrics", metrics_body([cost(2.25)], t_ns), {**bob, **FORGED_HEADERS})[0] == 200
            assert len(to_plain.under.wait_for_events(stack.names.log_group, 2)) == 2
        finally:
            plain.stop()
            pseudo.stop()
        assert stack.consume(until_idle_s=3) == 0

        from_ms, to_ms = minute * 1000, (minute + 60) * 1000
        bob_p = parse_keyring(keys).of("bob@example.com", month_of(datetime.fromtimestamp(minute, UTC)))
        by_user = query_metric(stack.reader, "claude_code.cost.usage", "1m", ("user.email",), from_ms, to_ms)
        assert {r.labels["user.email"]: r.value for r in by_user} == {"ada@example.com": 1.5, bob_p: 2.25}
        by_team: dict[str, float] = defaultdict(float)
        for r in query_metric(stack.reader, "claude_code.cost.usage", "1m", ("team.id",), from_ms, to_ms):
            by_team[r.labels["team.id"]] += r.value
        assert dict(by_team) == {"platform": 3.75}  # both are in eng-platform; the refused 1000s never arrived
        text = _scan_text(aws, stack.names.table).lower()
        assert "ada@example.com" in text and bob_p in text
        for absent in ("mallory", "forged", "bob@example.com", "finance"):
            assert absent not in text, absent
