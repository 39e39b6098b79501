"""Checks that fail fast on AWS with a fix, and the emulator gap-filler's handling of missing services."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy import fill
from consumers.deploy.fill.base import FillContext
from consumers.deploy.preflight import check_lake_formation, role_arn_of
from consumers.deploy.resolve import Resolver, StackContext
from consumers.deploy.stacks import STACKS, DeployOptions, PrepareContext
from consumers.deploy.templates import Template
from consumers.errors import ConfigError

CALLER = "arn:aws:sts::111122223333:assumed-role/Deployer/alice"


class LakeFormation:
    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def get_data_lake_settings(self) -> dict[str, Any]:
        return {"DataLakeSettings": self.settings}


def test_assumed_role_sessions_map_to_their_role() -> None:
    assert role_arn_of(CALLER) == "arn:aws:iam::111122223333:role/Deployer"
    assert role_arn_of("arn:aws:iam::111122223333:user/bob") == "arn:aws:iam::111122223333:user/bob"


def test_lake_formation_in_iam_mode_needs_nothing() -> None:
    iam_mode = {
        "CreateDatabaseDefaultPermissions": [
            {"Principal": {"DataLakePrincipalIdentifier": "IAM_ALLOWED_PRINCIPALS"}, "Permissions": ["ALL"]}
        ]
    }
    check_lake_formation(LakeFormation(iam_mode), CALLER)


def test_lake_formation_admins_may_deploy() -> None:
    admins = {"DataLakeAdmins": [{"DataLakePrincipalIdentifier": "arn:aws:iam::111122223333:role/Deployer"}]}
    check_lake_formation(LakeFormation(admins), CALLER)


def test_lake_formation_without_permission_is_refused_with_the_grant_command() -> None:
    with pytest.raises(ConfigError) as refused:
        check_lake_formation(LakeFormation({"DataLakeAdmins": []}), CALLER)
    message = str(refused.value)
    assert "aws lakeformation grant-permissions" in message
    assert "DataLakePrincipalIdentifier=arn:aws:iam::111122223333:role/Deployer" in message


def test_monitoring_on_aws_without_a_certificate_says_how_to_get_one() -> None:
    context = PrepareContext(
        target=AwsTarget(endpoint_url=None, region="eu-west-1"),
        names=Names(),
        options=DeployOptions(),
        caller_arn=CALLER,
        current_parameters=None,
        client=lambda service: None,
        progress=lambda line: None,
    )
    prepare = STACKS["monitoring"].prepare
    assert prepare is not None
    with pytest.raises(ConfigError, match="--certificate-arn"):
        prepare(context)


def test_a_service_the_emulator_lacks_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    def pro_only(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
        error = {
            "Error": {"Code": "InternalFailure", "Message": "API for service 'glue' not yet implemented or pro feature"}
        }
        raise ClientError({**error, "ResponseMetadata": {"HTTPStatusCode": 501}}, "CreateDatabase")

    def works(ctx: FillContext, logical_id: str, props: dict[str, Any]) -> list[str]:
        return [f"{logical_id}: created {props['Name']}"]

    monkeypatch.setitem(fill.FILLERS, "AWS::Glue::Database", pro_only)
    monkeypatch.setitem(fill.FILLERS, "AWS::Athena::WorkGroup", works)
    path = tmp_path / "t.yaml"
    path.write_text(
        "Resources:\n"
        "  Db: {Type: AWS::Glue::Database, Properties: {DatabaseInput: {Name: lake}}}\n"
        "  Wg: {Type: AWS::Athena::WorkGroup, Properties: {Name: wg}}\n",
        encoding="utf-8",
    )
    template = Template(path)
    resolver = Resolver(template.document, StackContext("1", "us-east-1", "s", {}))
    report = fill.fill_stack(template, resolver, FillContext(AwsTarget("http://127.0.0.1:9", "us-east-1")))
    assert report.changes == ["Wg: created wg"]
    assert report.unavailable == ["Db (AWS::Glue::Database): not offered by this emulator"]
