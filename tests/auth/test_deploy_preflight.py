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
from consumers.deploy.stacks import STACKS, DeployOptions, PrepareContext
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
}
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
