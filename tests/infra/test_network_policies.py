"""Network guarantees of the templates, read statically: endpoint policies admit only this account acting on this
deployment's resources, every AWS call a task or Lambda makes has an endpoint that admits it (so no NAT is
needed), NAT gateways are either none or one per AZ, and the IAM nits stay fixed (no unused actions, PassRole only
to ECS, ECR pulls of the consumer's own repository)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from consumers.deploy.templates import load_template

NET = load_template("networking.yaml")
RESOURCES = NET.resources
ENDPOINTS = {k: r for k, r in RESOURCES.items() if r["Type"] == "AWS::EC2::VPCEndpoint"}
#: Actions AWS offers no resource-level permissions for (their IAM reference lists only "*").
NO_RESOURCE_LEVEL = {"ecr:GetAuthorizationToken", "cloudwatch:PutMetricData"}
#: AWS-owned buckets a statement may name without the account condition: ECR serves image layers from it.
AWS_OWNED = "arn:${AWS::Partition}:s3:::prod-${AWS::Region}-starport-layer-bucket/*"
#: Names that make a resource this deployment's own.
OWN = ("${Prefix}", "${TableName}", "${LogGroupName}", "${EventsLogGroupName}")
#: IAM service prefix → the endpoint service that carries its calls.
SERVICE_ENDPOINT = {
    "kinesis": "kinesis-streams",
    "dynamodb": "dynamodb",
    "s3": "s3",
    "logs": "logs",
    "cloudwatch": "monitoring",
    "ssm": "ssm",
    "sns": "sns",
    "kms": "kms",
    "ecr": "ecr.api",
    "secretsmanager": "secretsmanager",
}


def service_of(endpoint: dict[str, Any]) -> str:
    name = endpoint["Properties"]["ServiceName"]
    return str(name["Fn::Sub"]).removeprefix("com.amazonaws.${AWS::Region}.")


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def resource_text(resource: Any) -> str:
    return resource["Fn::Sub"] if isinstance(resource, dict) and "Fn::Sub" in resource else json.dumps(resource)


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for statement in policy["Statement"]:
        if isinstance(statement, dict) and "Fn::If" in statement:
            out += [s for s in statement["Fn::If"][1:] if isinstance(s, dict) and "Effect" in s]
        else:
            out.append(statement)
    return out


def endpoint_actions() -> dict[str, set[str]]:
    return {
        service_of(e): {a for s in statements(e["Properties"]["PolicyDocument"]) for a in listed(s["Action"])}
        for e in ENDPOINTS.values()
    }


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_endpoint_admits_only_this_account_and_the_deployments_resources(name: str) -> None:
    policy = ENDPOINTS[name]["Properties"].get("PolicyDocument")
    assert policy, f"{name} has no policy (the default admits everything)"
    for statement in statements(policy):
        assert statement["Effect"] == "Allow" and statement["Principal"] == "*"
        actions = listed(statement["Action"])
        assert all(re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z]+", a) for a in actions), f"{name}: wildcard in {actions}"
        resources = [resource_text(r) for r in listed(statement["Resource"])]
        if resources == [AWS_OWNED]:
            assert actions == ["s3:GetObject"]
            continue
        condition = statement.get("Condition", {}).get("StringEquals", {})
        assert condition.get("aws:PrincipalAccount") == {"Ref": "AWS::AccountId"}, f"{name}: no account condition"
        if resources == ['"*"']:
            assert set(actions) <= NO_RESOURCE_LEVEL, f"{name}: Resource * for {actions}"
            continue
        for resource in resources:
            assert "${AWS::AccountId}" in resource or resource.startswith("arn:${AWS::Partition}:s3:::"), resource
            own = any(n in resource for n in OWN)
            # ECR repositories and KMS keys: any of this account's (the ARN names the account, the key policy or
            # the task role narrows further); everything else must carry the deployment's names.
            assert own or re.search(r":(repository|key)/\*$", resource), f"{name}: {resource} is not the deployment's"


def test_interface_endpoints_take_https_from_the_private_subnets_only_and_send_nothing() -> None:
    group = RESOURCES["EndpointSecurityGroup"]["Properties"]
    sources = [(r["IpProtocol"], r["FromPort"], r["ToPort"], r["CidrIp"]) for r in group["SecurityGroupIngress"]]
    private = {"Ref": "PrivateSubnetCidrs"}
    assert sources == [("tcp", 443, 443, {"Fn::Select": [i, private]}) for i in (0, 1)]
    (egress,) = group["SecurityGroupEgress"]
    # The "match nothing" rule: ICMP type 252 code 86 to the broadcast address carries no traffic.
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"], egress["CidrIp"]) == (
        "icmp",
        252,
        86,
        "255.255.255.255/32",
    )
    for endpoint in ENDPOINTS.values():
        props = endpoint["Properties"]
        if props["VpcEndpointType"] == "Interface":
            assert props["SecurityGroupIds"] == [{"Ref": "EndpointSecurityGroup"}]
            assert props["SubnetIds"] == [{"Ref": "PrivateSubnetA"}, {"Ref": "PrivateSubnetB"}]
        else:
            assert props["RouteTableIds"] == [{"Ref": "PrivateRouteTableA"}, {"Ref": "PrivateRouteTableB"}]


def _task_statements() -> list[tuple[str, dict[str, Any]]]:
    """Every Allow statement of a role assumed by ECS tasks or Lambda functions (what runs in the private subnets)."""
    found = []
    for template in ("streaming.yaml", "monitoring.yaml", "dashboard.yaml"):
        for key, resource in load_template(template).resources.items():
            if resource["Type"] != "AWS::IAM::Role":
                continue
            trust = json.dumps(resource["Properties"]["AssumeRolePolicyDocument"])
            if "ecs-tasks.amazonaws.com" not in trust and "lambda.amazonaws.com" not in trust:
                continue
            for policy in resource["Properties"].get("Policies", []):
                for statement in statements(policy["PolicyDocument"]):
                    if statement["Effect"] == "Allow":
                        found.append((f"{template}:{key}", statement))
    return found


def test_every_call_of_a_task_or_lambda_has_an_endpoint_that_admits_it() -> None:
    """What makes `NatGateways=none` work: no call needs the internet."""
    admitted = endpoint_actions()
    admitted["ecr.api"] |= admitted.get("ecr.dkr", set())
    checked = 0
    for role, statement in _task_statements():
        for action in listed(statement["Action"]):
            service = action.split(":")[0]
            if service in {"ec2", "sts"}:  # Lambda's own ENI management and role assumption happen outside the VPC
                continue
            assert service in SERVICE_ENDPOINT, f"{role}: {action} has no VPC endpoint here"
            assert action in admitted[SERVICE_ENDPOINT[service]], f"{role}: the endpoint refuses {action}"
            checked += 1
    assert checked > 20


SUBNET = "AWS::EC2::Subnet"


def _conditional(condition: str) -> set[str]:
    return {k for k, r in RESOURCES.items() if r.get("Condition") == condition}


def test_nat_gateways_are_none_or_one_per_az_each_serving_its_own_subnet() -> None:
    assert NET.parameters["NatGateways"]["AllowedValues"] == ["none", "per-az"]
    assert NET.parameters["NatGateways"]["Default"] == "none"
    assert NET.document["Conditions"]["CreateNat"] == {"Fn::Equals": [{"Ref": "NatGateways"}, "per-az"]}
    nats = {k: r for k, r in RESOURCES.items() if r["Type"] == "AWS::EC2::NatGateway"}
    addresses = {k for k, r in RESOURCES.items() if r["Type"] == "AWS::EC2::EIP"}
    routes = {k: r for k, r in RESOURCES.items() if r["Type"] == "AWS::EC2::Route"}
    private_routes = {k: r for k, r in routes.items() if "NatGatewayId" in r["Properties"]}
    # NatGateways=none: not one NAT, address or route to the internet from the private subnets.
    assert set(nats) | addresses | set(private_routes) <= _conditional("CreateNat")
    assert all(r["Properties"].get("GatewayId") != {"Ref": "InternetGateway"} for r in private_routes.values())
    # per-az: one NAT in each public subnet, and each private subnet routed through the NAT of its own AZ.
    assert len(nats) == 2
    nat_subnet = {k: r["Properties"]["SubnetId"]["Ref"] for k, r in nats.items()}
    assert sorted(nat_subnet.values()) == ["PublicSubnetA", "PublicSubnetB"]
    table_of = {
        r["Properties"]["SubnetId"]["Ref"]: r["Properties"]["RouteTableId"]["Ref"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::EC2::SubnetRouteTableAssociation"
    }
    az_of = {k: json.dumps(r["Properties"]["AvailabilityZone"]) for k, r in RESOURCES.items() if r["Type"] == SUBNET}
    for private in ("PrivateSubnetA", "PrivateSubnetB"):
        (route,) = [r for r in private_routes.values() if r["Properties"]["RouteTableId"]["Ref"] == table_of[private]]
        assert route["Properties"]["DestinationCidrBlock"] == "0.0.0.0/0"
        nat = route["Properties"]["NatGatewayId"]["Ref"]
        assert az_of[nat_subnet[nat]] == az_of[private], f"{private} leaves through another AZ's NAT"
    assert table_of["PrivateSubnetA"] != table_of["PrivateSubnetB"]


def test_without_nat_the_interface_endpoints_are_required() -> None:
    rule = NET.document["Rules"]["NoNatNeedsInterfaceEndpoints"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "NatGateways"}, "none"]}
    (assertion,) = rule["Assertions"]
    assert assertion["Assert"] == {"Fn::Equals": [{"Ref": "CreateInterfaceEndpoints"}, "true"]}


def _all_statements() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for template in ("streaming.yaml", "monitoring.yaml", "dashboard.yaml", "analytics.yaml", "networking.yaml"):
        for key, resource in load_template(template).resources.items():
            for policy in resource.get("Properties", {}).get("Policies", []) or []:
                if isinstance(policy, dict) and "PolicyDocument" in policy:
                    found += [(f"{template}:{key}", s) for s in statements(policy["PolicyDocument"])]
    return found


def test_pass_role_names_the_service_it_passes_to() -> None:
    passes = [(role, s) for role, s in _all_statements() if "iam:PassRole" in listed(s["Action"])]
    assert passes
    for role, statement in passes:
        condition = statement.get("Condition", {}).get("StringEquals", {})
        assert "iam:PassedToService" in condition, f"{role}: iam:PassRole without iam:PassedToService"


def test_the_consumer_pulls_only_its_own_repository() -> None:
    role = load_template("streaming.yaml").resources["ConsumerExecutionRole"]
    (policy,) = role["Properties"]["Policies"]
    (pull,) = [s for s in statements(policy["PolicyDocument"]) if "ecr:BatchGetImage" in listed(s["Action"])]
    arn, values = pull["Resource"]["Fn::Sub"]
    assert arn.endswith(":repository/${Repository}")
    # The repository is ConsumerImage's path after the registry host, without tag or digest.
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/ccstream-consumer@sha256:" + "a" * 64
    assert evaluate(values["Repository"], {"ConsumerImage": image}) == "team/ccstream-consumer"
    tagged = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/ccstream-consumer:1.0"
    assert evaluate(values["Repository"], {"ConsumerImage": tagged}) == "ccstream-consumer"


def evaluate(node: Any, parameters: dict[str, str]) -> Any:
    """The few intrinsic functions the repository expression uses, evaluated like CloudFormation does."""
    if isinstance(node, dict):
        ((fn, arg),) = node.items()
        if fn == "Ref":
            return parameters[arg]
        if fn == "Fn::Split":
            return evaluate(arg[1], parameters).split(arg[0])
        if fn == "Fn::Select":
            return evaluate(arg[1], parameters)[int(arg[0])]
        raise AssertionError(f"unexpected {fn}")
    return node


#: What the consumer's code and the KCL 2.5.8 daemon call, found independently: the SDK request classes the KCL
#: jars reference (`*Request` in amazon-kinesis-client-2.5.8.jar) and the boto3 calls under consumers/.
CONSUMER_CALLS = {
    "ReadMetricsStream": {
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    },
    "WriteAggregates": {
        "dynamodb:BatchWriteItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:UpdateItem",
    },
    "KclLeaseTables": {
        "dynamodb:CreateTable",
        "dynamodb:DeleteItem",
        "dynamodb:DescribeTable",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Scan",
        "dynamodb:UpdateItem",
    },
}


def test_the_consumer_role_grants_only_the_calls_it_makes() -> None:
    role = load_template("streaming.yaml").resources["ConsumerTaskRole"]
    (policy,) = role["Properties"]["Policies"]
    by_sid = {s["Sid"]: set(listed(s["Action"])) for s in statements(policy["PolicyDocument"]) if "Sid" in s}
    for sid, calls in CONSUMER_CALLS.items():
        assert by_sid[sid] == calls, f"{sid}: unused {by_sid[sid] - calls}, missing {calls - by_sid[sid]}"
