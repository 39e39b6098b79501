"""Static checks of every template in infra/: cfn-lint, size, names shared with the code, IAM least privilege."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.config import ConfigMixIn
from cfnlint.runner import Runner

from consumers.config import Names
from consumers.deploy.resolve import Resolver, StackContext
from consumers.deploy.stacks import STACKS
from consumers.deploy.templates import TEMPLATE_BODY_LIMIT_BYTES, Template, infra_dir
from schemas.keys import GSIS, PK, SK, TABLE_NAME, TTL

TEMPLATES = sorted(infra_dir().glob("*.yaml"))


def test_every_stack_has_its_template_and_nothing_is_orphaned() -> None:
    assert sorted(spec.template_file for spec in STACKS.values()) == sorted(p.name for p in TEMPLATES)


@pytest.fixture(scope="module")
def broken_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of streaming.yaml with an invalid value, proving the lint run really checks."""
    broken = tmp_path_factory.mktemp("lint") / "broken.yaml"
    text = (infra_dir() / "streaming.yaml").read_text(encoding="utf-8")
    broken.write_text(text.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: FREE"), encoding="utf-8")
    return broken


@pytest.fixture(scope="module")
def lint_matches(broken_template: Path) -> list[Any]:
    """cfn-lint over all templates in one run (loading its rules takes seconds)."""
    return list(Runner(ConfigMixIn(["--", *(str(p) for p in [*TEMPLATES, broken_template])])).run())


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_cfn_lint_is_clean(path: Path, lint_matches: list[Any]) -> None:
    problems = [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in lint_matches if Path(m.filename) == path]
    assert problems == []


def test_cfn_lint_reports_problems_of_a_broken_template(broken_template: Path, lint_matches: list[Any]) -> None:
    assert any("FREE" in m.message for m in lint_matches if Path(m.filename) == broken_template)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_template_fits_an_inline_template_body(path: Path) -> None:
    template = Template(path)
    assert len(template.body.encode("utf-8")) <= TEMPLATE_BODY_LIMIT_BYTES
    if len(path.read_bytes()) > TEMPLATE_BODY_LIMIT_BYTES:  # sent as JSON: the same template, comments aside
        assert json.loads(template.body) == template.document
    else:
        assert template.body == path.read_text(encoding="utf-8")


def _streaming(prefix: str) -> tuple[Template, Resolver]:
    template = Template(infra_dir() / "streaming.yaml")
    context = StackContext(
        account="111122223333",
        region="eu-central-1",
        stack_name=f"{prefix}-streaming",
        parameters={"Prefix": prefix},
        physical_ids={"MetricsStream": f"{prefix}-metrics", "SubscriptionRole": "role-x"},
    )
    return template, Resolver(template.document, context)


def test_streaming_names_equal_the_names_the_consumers_use() -> None:
    names = Names(prefix="acme")
    template, resolver = _streaming(names.prefix)
    assert resolver.properties("MetricsStream")["Name"] == names.stream
    subscription = resolver.properties("SubscriptionFilter")
    assert subscription["FilterName"] == names.subscription_filter
    assert subscription["LogGroupName"] == names.log_group
    assert (subscription["FilterPattern"], subscription["Distribution"]) == ("", "Random")
    assert resolver.properties("MetricsTable")["TableName"] == names.table == TABLE_NAME
    bucket = resolver.properties("DeadLetterBucket")["BucketName"]
    assert bucket == names.deadletter_bucket("111122223333", "eu-central-1")
    assert template.parameters["ShardCount"]["Default"] == 2


def test_streaming_table_matches_the_key_design_in_schemas_keys() -> None:
    _, resolver = _streaming("cc")
    table = resolver.properties("MetricsTable")
    assert {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]} == {(PK, "HASH"), (SK, "RANGE")}
    indexes = {
        g["IndexName"]: (tuple(k["AttributeName"] for k in g["KeySchema"]), g["Projection"]["ProjectionType"])
        for g in table["GlobalSecondaryIndexes"]
    }
    assert indexes == {name: (pair, "ALL") for name, pair in GSIS.items()}
    assert table["TimeToLiveSpecification"] == {"AttributeName": TTL, "Enabled": True}
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    # moto cannot show table SSE (its CloudFormation reads `Enabled`, not `SSEEnabled`), so check it here.
    assert table["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS"}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_stream_is_kms_encrypted_with_the_aws_managed_key_by_default() -> None:
    _, resolver = _streaming("cc")
    encryption = resolver.properties("MetricsStream")["StreamEncryption"]
    assert encryption == {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"}


# -- IAM: every policy statement of every template, one test case each ------------------------------------------

_POLICY_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "AWS::IAM::Role": (("AssumeRolePolicyDocument",), ("Policies", "*", "PolicyDocument")),
    "AWS::IAM::Policy": (("PolicyDocument",),),
    "AWS::IAM::ManagedPolicy": (("PolicyDocument",),),
    "AWS::S3::BucketPolicy": (("PolicyDocument",),),
    "AWS::SNS::TopicPolicy": (("PolicyDocument",),),
    "AWS::KMS::Key": (("KeyPolicy",),),
}


def _at(node: Any, path: tuple[str, ...]) -> Iterator[Any]:
    if not path:
        yield node
    elif path[0] == "*":
        for item in node if isinstance(node, list) else []:
            yield from _at(item, path[1:])
    elif isinstance(node, dict) and path[0] in node:
        yield from _at(node[path[0]], path[1:])


def _branches(node: Any) -> Iterator[Any]:
    """Both branches of every Fn::If, so conditional statements are checked too."""
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        for branch in node["Fn::If"][1:]:
            yield from _branches(branch)
    elif isinstance(node, dict) and node != {"Ref": "AWS::NoValue"}:
        yield node


def _statements() -> Iterator[Any]:
    for path in TEMPLATES:
        template = Template(path)
        for logical_id, resource in template.resources.items():
            for policy_path in _POLICY_PATHS.get(resource["Type"], ()):
                for document in _at(resource.get("Properties", {}), policy_path):
                    for index, raw in enumerate(document["Statement"]):
                        for statement in _branches(raw):
                            sid = statement.get("Sid", index)
                            yield pytest.param(statement, id=f"{path.stem}:{logical_id}:{sid}")


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_there_are_policy_statements_to_check() -> None:
    assert len(list(_statements())) >= 5


@pytest.mark.parametrize("statement", list(_statements()))
def test_policy_statement_has_no_wildcard_action(statement: dict[str, Any]) -> None:
    actions = _as_list(statement.get("Action", []))
    assert actions, "a statement without Action (NotAction is not allowed either)"
    assert "NotAction" not in statement
    if statement["Effect"] == "Deny":
        # The only Deny we write is the TLS-only bucket rule, which must cover every action.
        assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        return
    wildcards = [a for a in actions if not isinstance(a, str) or "*" in a]
    assert wildcards == []


_STAR_RESOURCE = re.compile(r"""^\s*(-\s*)?(Resource:\s*)?["']\*["']\s*(#.*)?$""")


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_every_wildcard_resource_says_why(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    unexplained = []
    for number, line in enumerate(lines):
        if _STAR_RESOURCE.match(line):
            previous = lines[number - 1].strip()
            if "#" not in line and not previous.startswith("#"):
                unexplained.append(f"line {number + 1}: {line.strip()}")
    assert unexplained == []


# -- outputs must render on moto ----------------------------------------------------------------------------------


def _referenced(node: Any) -> Iterator[str]:
    """Logical ids an expression refers to (Ref, Fn::GetAtt, and ${X} / ${X.Attr} inside Fn::Sub)."""
    if isinstance(node, list):
        for item in node:
            yield from _referenced(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref":
                yield str(value)
            elif key == "Fn::GetAtt":
                yield str(value[0] if isinstance(value, list) else value.split(".")[0])
            elif key == "Fn::Sub":
                text = value if isinstance(value, str) else value[0]
                yield from (m.split(".")[0] for m in re.findall(r"\$\{([^}!]+)\}", text))
                if not isinstance(value, str):
                    yield from _referenced(value[1])
            else:
                yield from _referenced(value)


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_outputs_only_reference_resources_moto_cloudformation_creates(path: Path) -> None:
    """moto answers 500 for a stack whose Output reads a resource it skipped; such outputs are built by hand."""
    from moto.cloudformation.parsing import get_model_map

    supported = set(get_model_map())
    template = Template(path)
    resources = template.resources
    bad = [
        f"{name} -> {ref} ({resources[ref]['Type']})"
        for name, output in (template.document.get("Outputs") or {}).items()
        for ref in _referenced(output["Value"])
        if ref in resources and resources[ref]["Type"] not in supported
    ]
    assert bad == []
