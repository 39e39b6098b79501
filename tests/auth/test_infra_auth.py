"""infra/monitoring.yaml's side of authenticated ingestion, read statically: the Rules that refuse an
internet-facing collector without OIDC, the listener's jwt-validation, the WAF limits, autoscaling and alarms.

The Rules are evaluated here with a small evaluator of the intrinsic functions they use (Equals, Not, Ref), so
each assertion is shown to fail for the parameter values it must refuse and to pass for a complete configuration.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from consumers.collector.build import CONFIG_PATH
from consumers.deploy.templates import load_template
from consumers.identity.service_accounts import SERVICE_ACCOUNT_PREFIX

TEMPLATE = load_template("monitoring.yaml")
RESOURCES = TEMPLATE.resources
OIDC = {
    "OidcIssuer": "https://acme.okta.com/oauth2/default",
    "OidcAudience": "api://ccstream",
    "OidcJwksUrl": "https://acme.okta.com/oauth2/default/v1/keys",
}


def _eval(node: Any, params: dict[str, str]) -> Any:
    if isinstance(node, dict) and len(node) == 1:
        (fn, arg), defaults = (
            next(iter(node.items())),
            {k: v.get("Default", "") for k, v in TEMPLATE.parameters.items()},
        )
        if fn == "Ref":
            return params.get(arg, defaults.get(arg))
        if fn == "Fn::Equals":
            return _eval(arg[0], params) == _eval(arg[1], params)
        if fn == "Fn::Not":
            return not _eval(arg[0], params)
        raise AssertionError(f"the evaluator does not know {fn}")
    return node


#: What the operator passes (the template has no default image: tests/auth/test_deploy_preflight.py).
PUSHED_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/otelcol-ccstream@sha256:" + "ab" * 32


def failed_rules(**params: str) -> set[str]:
    """Names of the Rules whose condition holds and one of whose assertions fails for these parameters (with the
    pushed collector image unless `CollectorImage` is given)."""
    params = {"CollectorImage": PUSHED_IMAGE, **params}
    failed = set()
    for name, rule in TEMPLATE.document["Rules"].items():
        if "RuleCondition" in rule and not _eval(rule["RuleCondition"], params):
            continue
        if not all(_eval(a["Assert"], params) for a in rule["Assertions"]):
            failed.add(name)
    return failed


def test_internet_facing_without_oidc_is_refused() -> None:
    assert failed_rules(CollectorScheme="internet-facing") == {"InternetFacingNeedsAuthentication"}
    assert failed_rules(CollectorScheme="internet-facing", OidcIssuer=OIDC["OidcIssuer"]) == {"OidcIsComplete"}
    assert failed_rules(CollectorScheme="internet-facing", **OIDC) == set()
    assert failed_rules() == set()  # internal, no OIDC: allowed (identities as the clients send them)
    assert failed_rules(CollectorImage="") == {"CollectorImageIsGiven"}


def test_pseudonymous_mode_needs_the_keys_secret() -> None:
    assert failed_rules(IdentityMode="pseudonymous") == {"PseudonymsNeedKeys"}
    assert failed_rules(IdentityMode="pseudonymous", IdentityKeysSecretArn="arn:aws:secretsmanager:x") == set()


@pytest.mark.parametrize(
    ("cidr", "valid"),
    [
        ("10.0.0.0/8", True),
        ("0.0.0.0/0", True),
        ("172.16.4.0/22", True),
        ("10.0.0.0/33", False),
        ("300.0.0.0/8", False),
        ("10.0.0/8", False),
        ("10.0.0.0", False),
        ("10.0.0.0/8,0.0.0.0/0", False),
    ],
)
def test_client_cidrs_are_validated(cidr: str, valid: bool) -> None:
    assert bool(re.fullmatch(TEMPLATE.parameters["AllowedClientCidr"]["AllowedPattern"], cidr)) is valid


def test_the_listener_validates_jwts_and_lets_service_accounts_through_to_the_collector() -> None:
    actions = RESOURCES["HttpsListener"]["Properties"]["DefaultActions"]["Fn::If"]
    assert actions[0] == "HasOidc"
    jwt, forward = actions[1]
    assert jwt["Type"] == "jwt-validation" and (jwt["Order"], forward["Order"]) == (1, 2)
    config = jwt["JwtValidationConfig"]
    assert (config["Issuer"], config["JwksEndpoint"]) == ({"Ref": "OidcIssuer"}, {"Ref": "OidcJwksUrl"})
    assert config["AdditionalClaims"] == [
        {"Format": "single-string", "Name": "aud", "Values": [{"Ref": "OidcAudience"}]}
    ]
    assert forward == {"Type": "forward", "Order": 2, "TargetGroupArn": {"Ref": "CollectorTargetGroup"}}
    assert actions[2] == [{"Type": "forward", "TargetGroupArn": {"Ref": "CollectorTargetGroup"}}]
    rule = RESOURCES["ServiceAccountListenerRule"]
    assert rule["Condition"] == "HasOidc"
    (condition,) = rule["Properties"]["Conditions"]
    assert condition["HttpHeaderConfig"] == {
        "HttpHeaderName": "Authorization",
        "Values": [f"Bearer {SERVICE_ACCOUNT_PREFIX}*"],
    }


def test_the_collector_task_authenticates_exactly_when_an_issuer_is_given() -> None:
    (container,) = RESOURCES["CollectorTaskDefinition"]["Properties"]["ContainerDefinitions"]
    env = {e["Name"]: e["Value"] for e in container["Environment"]}
    assert env["CCSTREAM_RECEIVER_AUTH"] == {"Fn::If": ["HasOidc", "{authenticator: ccstreamauth}", "null"]}
    assert env["CCSTREAM_EXTENSIONS"] == {"Fn::If": ["HasOidc", "[health_check, ccstreamauth]", "[health_check]"]}
    assert env["CCSTREAM_IDENTITY_SOURCE"] == {"Fn::If": ["HasOidc", "token", "client"]}
    assert env["CCSTREAM_SERVICE_ACCOUNTS"] == {"Fn::Sub": "ssm:/${Prefix}/collector/service-accounts"}
    secret = container["Secrets"][1]["Fn::If"]
    assert secret[0] == "Pseudonymous" and secret[1]["Name"] == "CCSTREAM_IDENTITY_KEYS"
    statement = RESOURCES["CollectorTaskRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][-1]
    assert statement["Action"] == "ssm:GetParameters"  # what the collector calls (collector/internal/source)
    assert len(statement["Resource"]) == 2


def test_waf_limits_rate_per_ip_and_body_size_consistently_with_the_collector() -> None:
    acl = RESOURCES["CollectorWebAcl"]["Properties"]
    rules = {r["Name"]: r for r in acl["Rules"]}
    rate = rules["rate-per-client-ip"]
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == {"Ref": "WafRateLimitPerIp"}
    assert rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    size = rules["body-size"]
    assert size["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413
    regex = size["Statement"]["RegexMatchStatement"]["RegexString"]
    blocked = {n: bool(re.search(regex, str(n))) for n in (0, 4_194_304, 4_999_999, 5_000_000, 9_999_999, 10**8)}
    assert blocked == {0: False, 4_194_304: False, 4_999_999: False, 5_000_000: True, 9_999_999: True, 10**8: True}
    cap = yaml.safe_load(CONFIG_PATH.read_text())["receivers"]["otlp"]["protocols"]["http"]["max_request_body_size"]
    assert cap == 4 * 1024 * 1024 < 5_000_000  # the collector refuses what the edge lets through above its cap
    assert {
        RESOURCES[r]["Condition"] for r in ("CollectorWebAcl", "CollectorWebAclAssociation", "WafBlockedAlarm")
    } == {"HasWaf"}
    assert TEMPLATE.parameters["WafEnabled"]["Default"] == "true"
    association = RESOURCES["CollectorWebAclAssociation"]["Properties"]
    assert association == {
        "ResourceArn": {"Ref": "LoadBalancer"},
        "WebACLArn": {"Fn::GetAtt": ["CollectorWebAcl", "Arn"]},
    }


def test_refusals_page_and_the_collector_autoscales() -> None:
    for name in ("WafBlockedAlarm", "RefusedCredentialsAlarm"):
        props = RESOURCES[name]["Properties"]
        assert props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        assert props["Threshold"] == {"Ref": "RefusedRequestsAlarmThreshold"}
    metrics = {m["Id"]: m for m in RESOURCES["RefusedCredentialsAlarm"]["Properties"]["Metrics"]}
    assert {m["MetricStat"]["Metric"]["MetricName"] for m in metrics.values() if "MetricStat" in m} == {
        "HTTPCode_ELB_4XX_Count",
        "HTTPCode_Target_4XX_Count",
    }
    target = RESOURCES["CollectorScalableTarget"]["Properties"]
    assert target["ResourceId"] == {"Fn::Sub": "service/${Cluster}/${Prefix}-collector"}
    assert RESOURCES["CollectorService"]["Properties"]["ServiceName"] == {"Fn::Sub": "${Prefix}-collector"}
    assert (target["MinCapacity"], target["MaxCapacity"]) == ({"Ref": "CollectorCount"}, {"Ref": "CollectorMaxCount"})
    policy = RESOURCES["CollectorCpuScaling"]["Properties"]
    assert policy["ResourceId"] == target["ResourceId"]
