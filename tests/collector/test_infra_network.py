"""infra/monitoring.yaml's network side of the collector, read statically: TLS from the load balancer to the tasks
(target group and health check over HTTPS, the task asking its binary for a certificate, the config serving it on
both receivers and the health check) and the task's egress (only the VPC endpoints when they exist, the IdP's
JWKS only with OIDC)."""

from __future__ import annotations

from typing import Any

import yaml

from consumers.collector.settings import RECEIVER_TLS, TLS_SELF_SIGNED
from consumers.deploy.stacks import STACKS
from consumers.deploy.templates import load_template

TEMPLATE = load_template("monitoring.yaml")
RESOURCES = TEMPLATE.resources
TLS_REF = "${env:" + RECEIVER_TLS + "}"


def _container() -> dict[str, Any]:
    (container,) = RESOURCES["CollectorTaskDefinition"]["Properties"]["ContainerDefinitions"]
    return dict(container)


def _ssm_config() -> dict[str, Any]:
    (sub,) = RESOURCES["CollectorConfig"]["Properties"]["Value"].values()  # {"Fn::Sub": "..."}
    return dict(yaml.safe_load(str(sub).replace("${!", "${")))


def test_the_load_balancer_reaches_the_tasks_over_https() -> None:
    group = RESOURCES["CollectorTargetGroup"]["Properties"]
    assert (group["Protocol"], group["Port"]) == ("HTTPS", 4318)
    assert (group["HealthCheckProtocol"], group["HealthCheckPort"]) == ("HTTPS", "13133")
    service = RESOURCES["CollectorService"]["Properties"]["LoadBalancers"]
    assert [(lb["ContainerPort"], lb["TargetGroupArn"]) for lb in service] == [(4318, {"Ref": "CollectorTargetGroup"})]
    listener = RESOURCES["HttpsListener"]["Properties"]
    assert (listener["Protocol"], listener["Port"]) == ("HTTPS", 443)


def test_the_task_asks_for_a_certificate_and_its_config_serves_it_everywhere() -> None:
    env = {e["Name"]: e["Value"] for e in _container()["Environment"]}
    assert env[RECEIVER_TLS] == TLS_SELF_SIGNED == "self-signed"
    config = _ssm_config()
    protocols = config["receivers"]["otlp"]["protocols"]
    assert protocols["http"]["tls"] == protocols["grpc"]["tls"] == TLS_REF
    assert config["extensions"]["health_check"]["tls"] == TLS_REF
    assert config["extensions"]["health_check"]["endpoint"] == "0.0.0.0:13133"
    assert [m["ContainerPort"] for m in _container()["PortMappings"]] == [4317, 4318, 13133]


def test_only_the_load_balancer_reaches_the_tls_ports() -> None:
    ingress = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::EC2::SecurityGroupIngress"]
    to_collector = {
        (r["FromPort"], r["ToPort"], r["SourceSecurityGroupId"]["Ref"])
        for r in ingress
        if r["GroupId"] == {"Ref": "CollectorSecurityGroup"}
    }
    assert to_collector == {(4318, 4318, "LoadBalancerSecurityGroup"), (13133, 13133, "LoadBalancerSecurityGroup")}
    assert "SecurityGroupIngress" not in RESOURCES["CollectorSecurityGroup"]["Properties"]


def test_the_load_balancer_reaches_only_the_tasks_and_the_jwks() -> None:
    condition, with_oidc, without_oidc = RESOURCES["LoadBalancerSecurityGroup"]["Properties"]["SecurityGroupEgress"][
        "Fn::If"
    ]
    assert condition == "HasOidc"
    for has_oidc, egress in ((False, without_oidc), (True, with_oidc)):
        to_tasks = [(r["FromPort"], r["DestinationSecurityGroupId"]) for r in egress if "CidrIp" not in r]
        assert to_tasks == [(4318, {"Ref": "CollectorSecurityGroup"}), (13133, {"Ref": "CollectorSecurityGroup"})]
        outside = [(r["FromPort"], r["CidrIp"]) for r in egress if "CidrIp" in r]
        assert outside == ([(443, {"Ref": "OidcJwksEgressCidr"})] if has_oidc else [])
    # Inline rules only (they replace the default allow-all egress; standalone rules would add to it).
    standalone = [r for r in RESOURCES.values() if r["Type"] == "AWS::EC2::SecurityGroupEgress"]
    assert not [r for r in standalone if r["Properties"]["GroupId"] == {"Ref": "LoadBalancerSecurityGroup"}]


def _rules(node: Any, has_oidc: bool) -> list[dict[str, Any]]:
    """The egress list for one value of HasOidc (Fn::If on HasOidc resolved, AWS::NoValue dropped)."""
    out = []
    for rule in node:
        if "Fn::If" in rule:
            condition, when_true, when_false = rule["Fn::If"]
            assert condition == "HasOidc"
            rule = when_true if has_oidc else when_false
        if rule != {"Ref": "AWS::NoValue"}:
            out.append(rule)
    return out


def test_egress_is_the_endpoints_only_and_the_jwks_only_with_oidc() -> None:
    condition, narrow, wide = RESOURCES["CollectorSecurityGroup"]["Properties"]["SecurityGroupEgress"]["Fn::If"]
    assert condition == "EgressThroughEndpoints"
    assert all(r["FromPort"] == r["ToPort"] == 443 and r["IpProtocol"] == "tcp" for r in _rules(narrow, True))
    without_oidc = _rules(narrow, has_oidc=False)
    assert [r.get("DestinationSecurityGroupId") or r.get("DestinationPrefixListId") for r in without_oidc] == [
        {"Ref": "EndpointSecurityGroupId"},
        {"Ref": "S3PrefixListId"},
    ]
    assert not [r for r in without_oidc if "CidrIp" in r]  # nothing outside the VPC
    with_oidc = _rules(narrow, has_oidc=True)
    assert with_oidc[:2] == without_oidc
    assert [r.get("CidrIp") for r in with_oidc[2:]] == [{"Ref": "OidcJwksEgressCidr"}]
    assert [(r["CidrIp"], r["FromPort"]) for r in wide] == [("0.0.0.0/0", 443)]  # no endpoints: through NAT
    conditions = TEMPLATE.document["Conditions"]
    assert {"Fn::Equals": [{"Ref": "InterfaceEndpoints"}, "true"]} in conditions["EgressThroughEndpoints"]["Fn::And"]
    assert conditions["HasOidc"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "OidcIssuer"}, ""]}]}


def test_deploy_wires_the_endpoints_into_the_collector_stack() -> None:
    spec = STACKS["monitoring"]
    assert spec.inputs["InterfaceEndpoints"] == ("networking", "InterfaceEndpoints")
    assert spec.inputs["EndpointSecurityGroupId"] == ("networking", "EndpointSecurityGroupId")
    networking = load_template("networking.yaml")
    assert {"InterfaceEndpoints", "EndpointSecurityGroupId"} <= set(networking.output_names)
    # Every service the collector calls has an interface endpoint there (ECR layers: the S3 gateway).
    services = {
        str(r["Properties"]["ServiceName"]["Fn::Sub"]).rsplit(".", 1)[-1]
        for r in networking.resources.values()
        if r["Type"] == "AWS::EC2::VPCEndpoint"
    }
    assert {"logs", "ssm", "secretsmanager", "api", "dkr", "s3"} <= services
