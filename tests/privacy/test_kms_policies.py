"""Customer managed keys: every key policy statement is least-privilege, every store takes its key, the keys stack's
outputs reach every stack, and on the emulator the stores come out encrypted with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from consumers.aws import AwsTarget
from consumers.deploy.stacks import STACKS
from consumers.deploy.templates import load_template

KEYS = load_template("keys.yaml")
DATA_ACTIONS = {
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:CreateGrant",
}


def _branches(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict) and set(node) == {"Fn::If"}:
        for branch in node["Fn::If"][1:]:
            yield from _branches(branch)
    elif isinstance(node, dict) and node != {"Ref": "AWS::NoValue"}:
        yield node


def _key_statements() -> Iterator[Any]:
    for logical, res in KEYS.resources.items():
        for raw in res["Properties"]["KeyPolicy"]["Statement"]:
            for statement in _branches(raw):
                yield pytest.param(logical, statement, id=f"{logical}:{statement['Sid']}")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_one_key_per_kind_of_data() -> None:
    keys = {k for k, r in KEYS.resources.items() if r["Type"] == "AWS::KMS::Key"}
    assert keys == {
        "LogsKey", "StreamKey", "TableKey", "DeadLetterKey", "LakeKey", "IdentityKeysKey", "TopicKey", "ArtifactsKey"
    }  # fmt: skip
    assert all(KEYS.resources[k]["Properties"]["EnableKeyRotation"] for k in keys)


@pytest.mark.parametrize(("key", "statement"), list(_key_statements()))
def test_key_policy_statement_is_least_privilege(key: str, statement: dict[str, Any]) -> None:
    assert statement["Effect"] == "Allow"
    actions = set(_list(statement["Action"]))
    assert all(isinstance(a, str) and "*" not in a for a in actions)
    principal = statement["Principal"]
    assert principal != "*" and principal.get("AWS") != "*"
    if statement["Sid"] == "KeyAdministration":
        assert not actions & DATA_ACTIONS, "the administrator manages the key but cannot use it"
        return
    condition = statement["Condition"]
    if principal.get("Service") == "cloudwatch.amazonaws.com":  # alarms publishing: this account's only
        assert condition == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
        return
    if "Service" in principal:  # CloudWatch Logs: only for this deployment's log groups
        (arns,) = condition["ArnLike"].values()
        assert all("log-group:" in str(a) for a in _list(arns))
        return
    # IAM principals: only through the service that stores the data ...
    via = condition["StringEquals"]["kms:ViaService"]
    assert via["Fn::Sub"].split(".")[0] in {"kinesis", "dynamodb", "s3", "secretsmanager", "sns"}
    # ... and, for data access, only named roles of this deployment or the operators given
    if principal == {"AWS": {"Ref": "OperatorRoleArns"}}:
        return  # the operator roles themselves (key policy alone grants them; no IAM policy needed)
    if actions & {"kms:Decrypt", "kms:GenerateDataKey"} and "kms:CallerAccount" not in condition["StringEquals"]:
        roles = _list(condition["ArnLike"]["aws:PrincipalArn"])
        for role in roles:
            text = role.get("Fn::Sub", "") if isinstance(role, dict) else ""
            assert text.startswith("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Prefix}-") or role == {
                "Ref": "OperatorRoleArns"
            }, role
    elif key == "ArtifactsKey":  # the package is code, not data: deployers of this account through S3
        assert condition["StringEquals"]["kms:CallerAccount"] == {"Ref": "AWS::AccountId"}
    else:  # the deployer's grants: no plaintext access to data
        assert "kms:Decrypt" not in actions


#: template → {parameter: what it must end up on}
USES = {
    "streaming.yaml": {
        "KinesisKmsKeyArn": ["MetricsStream"],
        "TableKmsKeyArn": ["MetricsTable", "ConsumerTaskRole"],
        "DeadLetterKmsKeyArn": ["DeadLetterBucket", "ConsumerTaskRole"],
        "LakeKmsKeyArn": ["ConsumerTaskRole"],
        "LogsKmsKeyArn": ["MetricsLogGroup", "EventsLogGroup", "ConsumerLogGroup"],
    },
    "analytics.yaml": {
        "LakeKmsKeyArn": ["LakeBucket", "ResultsBucket", "WorkGroup", "DeliveryRole"],
        "KinesisKmsKeyArn": ["DeliveryRole"],
    },
    "dashboard.yaml": {"TableKmsKeyArn": ["WidgetRole", "BudgetRole"]},
    "monitoring.yaml": {
        "IdentityKeysKmsKeyArn": ["CollectorReadsIdentityKeys"],
        "LogsKmsKeyArn": ["CollectorLogGroup"],
        "TopicKmsKeyArn": ["AlarmTopic"],
    },
    "networking.yaml": {"LogsKmsKeyArn": ["FlowLogGroup"]},
}


@pytest.mark.parametrize("file", list(USES))
def test_every_store_and_role_takes_its_key(file: str) -> None:
    template = load_template(file)
    for parameter, users in USES[file].items():
        assert template.parameters[parameter]["Default"] == "", "empty = AWS managed"
        for logical in users:
            assert f"'Ref': '{parameter}'" in str(template.resources[logical]), (file, parameter, logical)


def test_keys_stack_outputs_reach_every_stack_that_takes_them() -> None:
    outputs = set(KEYS.output_names)
    for key, spec in STACKS.items():
        if key == "keys":
            continue
        declared = load_template(spec.template_file).parameters
        for parameter in (p for p in declared if p.endswith("KmsKeyArn") and p != "AlertTopicKmsKeyArn"):
            source = spec.inputs.get(parameter)
            assert source is not None and source[0] == "keys" and source[1] in outputs, (key, parameter)


def test_the_secret_is_readable_only_by_the_collector_and_operators() -> None:
    monitoring = load_template("monitoring.yaml")
    (statement,) = monitoring.resources["IdentityKeysSecretPolicy"]["Properties"]["ResourcePolicy"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Action"] == "secretsmanager:GetSecretValue"
    allowed = str(statement["Condition"]["ArnNotLike"]["aws:PrincipalArn"])
    assert "CollectorExecutionRole" in allowed and "IdentityOperatorRoleArns" in allowed
    policy = monitoring.resources["CollectorReadsIdentityKeys"]["Properties"]
    assert policy["Roles"] == [{"Ref": "CollectorExecutionRole"}]
    read = policy["PolicyDocument"]["Statement"][0]
    assert read["Action"] == "secretsmanager:GetSecretValue" and read["Resource"] == {"Ref": "IdentityKeysSecretArn"}


@pytest.mark.emulator
def test_keys_stack_then_streaming_encrypts_with_the_customer_keys(aws: AwsTarget) -> None:
    from consumers.deploy.deployer import deploy
    from tests.infra.conftest import unique_names

    names = unique_names("kms")
    result = deploy(aws, names, ["keys", "streaming"])
    assert [s.key for s in result.stacks] == ["keys", "streaming"]
    cfn = aws.client("cloudformation")
    outputs = {
        o["OutputKey"]: o["OutputValue"]
        for o in cfn.describe_stacks(StackName=f"{names.prefix}-keys")["Stacks"][0]["Outputs"]
    }
    params = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in cfn.describe_stacks(StackName=f"{names.prefix}-streaming")["Stacks"][0]["Parameters"]
    }
    assert params["KinesisKmsKeyArn"] == outputs["StreamKeyArn"]
    assert params["TableKmsKeyArn"] == outputs["TableKeyArn"]
    assert params["DeadLetterKmsKeyArn"] == outputs["DeadLetterKeyArn"]
    assert params["LogsKmsKeyArn"] == outputs["LogsKeyArn"]
    stream = aws.client("kinesis").describe_stream_summary(StreamName=names.stream)["StreamDescriptionSummary"]
    assert stream["EncryptionType"] == "KMS" and stream["KeyId"] == outputs["StreamKeyArn"]
    account = aws.client("sts").get_caller_identity()["Account"]
    enc = aws.client("s3").get_bucket_encryption(Bucket=names.deadletter_bucket(account, aws.region))
    default = enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert default["KMSMasterKeyID"] == outputs["DeadLetterKeyArn"]
    policy = aws.client("kms").get_key_policy(KeyId=outputs["StreamKeyArn"], PolicyName="default")["Policy"]
    text = policy if isinstance(policy, str) else json.dumps(policy)  # moto returns the document itself
    assert f"role/{names.prefix}-streaming-ConsumerTaskRole-*" in text


def test_the_operator_policy_covers_what_forget_and_whois_call() -> None:
    """Every AWS call `ccstream forget` and `whois` make (consumers/privacy/) is allowed, on this deployment only."""
    policy = load_template("streaming.yaml").resources["PrivacyOperatorPolicy"]["Properties"]["PolicyDocument"]
    allowed = {a for st in policy["Statement"] for b in _branches(st) for a in _list(b["Action"])}
    needed = {
        "dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "s3:ListBucket", "s3:ListBucketVersions", "s3:GetObject", "s3:PutObject", "s3:DeleteObject",
        "s3:DeleteObjectVersion", "s3:GetBucketLocation", "secretsmanager:GetSecretValue",
    }  # fmt: skip
    assert needed <= allowed
    resources = str([st["Resource"] for st in policy["Statement"]])
    assert "*" not in resources.replace("/*", "").replace("-*", "")  # objects / indexes / the secret's suffix only


@pytest.mark.emulator
def test_the_package_is_uploaded_encrypted_with_the_artifacts_key(aws: AwsTarget, tmp_path: Any) -> None:
    import uuid

    from consumers.deploy.lambda_package import LambdaPackage, upload_lambda_package

    zipped = tmp_path / "ccstream-lambda-abc.zip"
    zipped.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    package = LambdaPackage(zipped, "abc", zipped.stat().st_size, 0)
    s3, bucket = aws.client("s3"), f"artifacts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    key_arn = aws.client("kms").create_key()["KeyMetadata"]["Arn"]
    key, uploaded = upload_lambda_package(s3, bucket, package, "ccstream", key_arn)
    assert uploaded and key == "ccstream/lambda/ccstream-lambda-abc.zip"
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key_arn
