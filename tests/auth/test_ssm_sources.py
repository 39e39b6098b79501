"""On ECS the service-account hashes and the organisation mapping are SSM parameters the collector re-reads
(infra/monitoring.yaml): the real collector against the emulator's SSM, a revocation by overwriting the parameter."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest

from consumers.aws import AwsTarget
from consumers.emulator import EmbeddedEmulator
from tests.auth.conftest import AuthedCollector, _authed, bearer
from tests.auth.forged import cost, metrics_body, ns_ago
from tests.auth.idp import LoopbackIdP
from tests.collector.conftest import metric_lines

pytestmark = pytest.mark.emulator


@pytest.fixture(scope="module")
def from_ssm(
    emulator: EmbeddedEmulator, idp: LoopbackIdP, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AuthedCollector, str]]:
    prefix = f"/test-{uuid.uuid4().hex[:8]}/collector"
    for collector in _authed(emulator, idp, tmp_path_factory.mktemp("auth-ssm"), "plain", ssm_prefix=prefix):
        yield collector, prefix


def test_ssm_mapping_and_service_accounts_and_revocation(
    from_ssm: tuple[AuthedCollector, str], emulator: EmbeddedEmulator
) -> None:
    collector, prefix = from_ssm
    time_ns = ns_ago(80)
    assert collector.post("/v1/metrics", metrics_body([cost(1.0)], time_ns), bearer(collector.idp.token()))[0] == 200
    assert (
        collector.post("/v1/metrics", metrics_body([cost(2.0)], time_ns + 10**9), bearer(collector.bot_token))[0] == 200
    )
    lines = metric_lines(collector.under.wait_for_events(collector.under.metrics_group, 2, lambda e: True))
    by_user = {ln.get("user.email") or ln["user.id"]: ln["team.id"] for ln in lines}
    assert by_user == {"ada@example.com": "platform", "service:ci-bot": "build"}  # the SSM mapping's teams

    ssm = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("ssm")
    ssm.put_parameter(Name=f"{prefix}/service-accounts", Value="service_accounts: []", Type="String", Overwrite=True)
    deadline, status = time.monotonic() + 20, 200
    while status == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        status = collector.post("/v1/metrics", metrics_body([cost(0.0)], ns_ago(81)), bearer(collector.bot_token))[0]
    print(f"\nservice-account revocation (SSM) took effect after {20 - (deadline - time.monotonic()):.1f} s")
    assert status == 401, "the token revoked in SSM was still accepted 20 s later"
