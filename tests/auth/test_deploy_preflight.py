"""`ccstream deploy` checks the templates' Rules before calling CloudFormation (moto ignores them, so until now only
AWS refused an internet-facing collector without OIDC): the refusal comes before any stack exists, with the
template's own words; a complete OIDC configuration passes; OIDC without NAT gateways is warned about (the tasks
could not fetch the JWKS)."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.deployer import deploy
from consumers.deploy.preflight import failed_rules
from consumers.deploy.stacks import STACKS, DeployOptions, PrepareContext, _collector_image
from consumers.deploy.templates import load_template
from consumers.errors import ConfigError

MONITORING_RULES = load_template("monitoring.yaml").document["Rules"]
NETWORKING_RULES = load_template("networking.yaml").document["Rules"]
OIDC = {
    "OidcIssuer": "https://acme.okta.com/oauth2/default",
    "OidcAudience": "api://ccstream",
    "OidcJwksUrl": "https://acme.okta.com/oauth2/default/v1/keys",
}
#: The template's defaults that matter to its Rules (typed here, not read from the template under test).
MONITORING_DEFAULTS = {
    "CollectorScheme": "internal",
    "OidcIssuer": "",
    "OidcAudience": "",
    "OidcJwksUrl": "",
    "IdentityMode": "plain",
    "IdentityKeysSecretArn": "",
    "CollectorImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/otelcol-ccstream@sha256:" + "ab" * 32,
}
NEEDS_IMAGE = (
    "CollectorImage is required: your push of docker/collector.Dockerfile, pinned by digest (REPO@sha256:...)."
)
NEEDS_AUTH = "An internet-facing collector must authenticate: give OidcIssuer, OidcAudience and OidcJwksUrl."


def _monitoring(**values: str) -> list[str]:
    return failed_rules(MONITORING_RULES, {**MONITORING_DEFAULTS, **values})


def test_the_monitoring_rules_are_evaluated_as_cloudformation_would() -> None:
    assert _monitoring() == []  # internal, no OIDC
    assert _monitoring(CollectorScheme="internet-facing") == [NEEDS_AUTH]
    assert _monitoring(CollectorScheme="internet-facing", **OIDC) == []
    assert _monitoring(OidcIssuer=OIDC["OidcIssuer"]) == [
        "OidcIssuer needs OidcAudience.",
        "OidcIssuer needs OidcJwksUrl (the load balancer's jwt-validation has no discovery).",
    ]
    assert _monitoring(IdentityMode="pseudonymous") == ["IdentityMode pseudonymous needs IdentityKeysSecretArn."]
    assert _monitoring(IdentityMode="pseudonymous", IdentityKeysSecretArn="arn:aws:secretsmanager:x") == []
    assert _monitoring(CollectorImage="") == [NEEDS_IMAGE]  # the template has no default image


def test_the_collector_image_is_the_local_tag_on_an_emulator_and_required_on_aws() -> None:
    said: list[str] = []

    def image(endpoint: str | None, given: dict[str, str], current: dict[str, str] | None = None) -> dict[str, str]:
        ctx = PrepareContext(
            AwsTarget(endpoint, "us-east-1"), Names(), DeployOptions(parameters={"monitoring": given}), "arn",
            current, lambda _: None, said.append,
        )  # fmt: skip
        return _collector_image(ctx)

    assert image("http://127.0.0.1:1", {}) == {"CollectorImage": "otelcol-ccstream:0.131.0"}
    assert image("http://127.0.0.1:1", {"CollectorImage": "mine:1"}) == {}
    with pytest.raises(ConfigError, match=r"pass -p monitoring\.CollectorImage=.*@sha256:"):
        image(None, {})
    pinned = MONITORING_DEFAULTS["CollectorImage"]
    assert image(None, {"CollectorImage": pinned}) == {} and said == []
    assert image(None, {}, current={"CollectorImage": pinned}) == {} and said == []  # kept from the stack
    assert image(None, {"CollectorImage": "repo/otelcol-ccstream:0.131.0"}) == {}
    assert said == ["warning: CollectorImage repo/otelcol-ccstream:0.131.0 is a tag, not a digest: tasks may start "
                    "different bytes."]  # fmt: skip


def test_the_networking_rule_is_evaluated_too() -> None:
    assert failed_rules(NETWORKING_RULES, {"NatGateways": "none", "CreateInterfaceEndpoints": "false"}) == [
        "Without NAT gateways the tasks reach AWS only through the interface endpoints."
    ]
    assert failed_rules(NETWORKING_RULES, {"NatGateways": "per-az", "CreateInterfaceEndpoints": "false"}) == []


def test_a_rule_with_an_unknown_function_is_left_to_cloudformation() -> None:
    rules = {"R": {"Assertions": [{"Assert": {"Fn::EachMemberIn": [["a"], ["b"]]}, "AssertDescription": "x"}]}}
    assert failed_rules(rules, {}) == []


@pytest.mark.emulator
def test_deploy_refuses_an_internet_facing_collector_without_oidc_before_any_stack(aws: AwsTarget) -> None:
    names = Names(prefix=f"pf{uuid.uuid4().hex[:6]}")
    options = DeployOptions(parameters={"monitoring": {"CollectorScheme": "internet-facing"}})
    with pytest.raises(ConfigError) as refused:
        deploy(aws, names, options=options, poll_s=0.1)
    assert NEEDS_AUTH in str(refused.value)
    cfn = aws.client("cloudformation")
    for key in STACKS:
        with pytest.raises(ClientError, match="does not exist"):
            cfn.describe_stacks(StackName=f"{names.prefix}-{key}")


def _prepare_monitoring(aws: AwsTarget, parameters: dict[str, dict[str, str]]) -> list[str]:
    said: list[str] = []
    context = PrepareContext(
        target=aws,
        names=Names(prefix=f"pf{uuid.uuid4().hex[:6]}"),
        options=DeployOptions(parameters=parameters),
        caller_arn="arn:aws:iam::123456789012:user/deployer",
        current_parameters=None,
        client=aws.client,
        progress=said.append,
    )
    prepare = STACKS["monitoring"].prepare
    assert prepare is not None
    prepare(context)
    return said


@pytest.mark.emulator
def test_oidc_without_nat_is_warned_about(aws: AwsTarget) -> None:
    internet = {"CollectorScheme": "internet-facing", **OIDC}
    said = _prepare_monitoring(aws, {"monitoring": internet})  # the networking default: NatGateways=none
    assert [line for line in said if "cannot reach the IdP's JWKS" in line and OIDC["OidcJwksUrl"] in line]
    with_nat = _prepare_monitoring(aws, {"monitoring": internet, "networking": {"NatGateways": "per-az"}})
    assert not [line for line in with_nat if "JWKS" in line]
    assert not [line for line in _prepare_monitoring(aws, {}) if "JWKS" in line]  # no OIDC, nothing to fetch
