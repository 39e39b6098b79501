"""The real collector with `--auth oidc` against a test IdP on loopback, writing into fresh emulator log groups."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.collector.auth_settings import IdentitySettings
from consumers.collector.process import free_port, start_collector
from consumers.emulator import EmbeddedEmulator
from consumers.identity.service_accounts import mint
from tests.auth.idp import AUDIENCE, LoopbackIdP, serving_idp
from tests.collector.conftest import CollectorUnderTest

VECTORS = Path(__file__).with_name("pseudonym_vectors.json")
#: The server-side organisation mapping the tests deploy (IdP groups → organisation attributes).
MAPPING = """\
defaults: {department: unspecified, team.id: default-team, cost_center: general}
groups:
  - {group: eng-platform, department: engineering, team.id: platform, cost_center: CC-100, organization: acme}
  - {group: ci, department: engineering, team.id: build, cost_center: CC-200}
"""


def vector_keys() -> str:
    """The keyring of the shared pseudonym vectors, as CCSTREAM_IDENTITY_KEYS."""
    return json.dumps(json.loads(VECTORS.read_text())["keys"])


@dataclass
class AuthedCollector:
    under: CollectorUnderTest
    idp: LoopbackIdP
    accounts_file: Path
    bot_token: str
    bot_entry: str

    def post(self, path: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
        """(status, body) of an OTLP/HTTP JSON request; errors are returned, not raised."""
        request = urllib.request.Request(
            self.under.collector.otlp_http_url + path, body, {"Content-Type": "application/json", **(headers or {})}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as resp:
                return int(resp.status), resp.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read().decode(errors="replace")

    def write_accounts(self, entries: str) -> None:
        tmp = self.accounts_file.with_suffix(".tmp")
        tmp.write_text("service_accounts:\n" + entries if entries else "service_accounts: []\n")
        tmp.replace(self.accounts_file)  # atomic: the reloader never reads half a file


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def idp() -> Iterator[LoopbackIdP]:
    with serving_idp() as provider:
        yield provider


def _authed(
    emulator: EmbeddedEmulator, idp: LoopbackIdP, tmp: Path, mode: str, ssm_prefix: str = ""
) -> Iterator[AuthedCollector]:
    """A collector with --auth oidc; with `ssm_prefix`, service accounts and mapping are SSM parameters (as on ECS)."""
    logs = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("logs")
    suffix = uuid.uuid4().hex[:8]
    metrics_group, events_group = f"/test/auth-{suffix}/metrics", f"/test/auth-{suffix}/events"
    for group in (metrics_group, events_group):
        logs.create_log_group(logGroupName=group)
    (tmp / "mapping.yaml").write_text(MAPPING)
    token, entry = mint("ci-bot", ("ci",))
    accounts = tmp / "service-accounts.yaml"
    accounts.write_text("service_accounts:\n" + entry)
    accounts_location, mapping_location = str(accounts), str(tmp / "mapping.yaml")
    if ssm_prefix:
        ssm = AwsTarget(endpoint_url=emulator.url, region="us-east-1").client("ssm")
        accounts_location, mapping_location = f"ssm:{ssm_prefix}/service-accounts", f"ssm:{ssm_prefix}/org-mapping"
        ssm.put_parameter(Name=f"{ssm_prefix}/service-accounts", Value=accounts.read_text(), Type="String")
        ssm.put_parameter(Name=f"{ssm_prefix}/org-mapping", Value=MAPPING, Type="String")
    identity = IdentitySettings(
        issuer=idp.issuer,
        audience=AUDIENCE,
        jwks_url="",  # discovered from the issuer, as in production
        service_accounts=accounts_location,
        org_mapping=mapping_location,
        mode=mode,
        keys=vector_keys() if mode == "pseudonymous" else "",
    )
    with start_collector(
        endpoint_url=emulator.url,
        region="us-east-1",
        http_port=free_port(),
        auth="oidc",
        identity=identity,
        task_id=f"auth-{suffix}",
        metrics_log_group=metrics_group,
        events_log_group=events_group,
        log_file=tmp / "collector.log",
    ) as collector:
        under = CollectorUnderTest(collector, logs, metrics_group, events_group, f"auth-{suffix}")
        yield AuthedCollector(under, idp, accounts, token, entry)


@pytest.fixture(scope="module")
def plain(
    emulator: EmbeddedEmulator, idp: LoopbackIdP, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthedCollector]:
    yield from _authed(emulator, idp, tmp_path_factory.mktemp("auth-plain"), "plain")


@pytest.fixture(scope="module")
def pseudonymous(
    emulator: EmbeddedEmulator, idp: LoopbackIdP, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuthedCollector]:
    yield from _authed(emulator, idp, tmp_path_factory.mktemp("auth-pseudo"), "pseudonymous")
