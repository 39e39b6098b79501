"""The intrinsic-function resolver used by the emulator gap-filler."""

from __future__ import annotations

import pytest

from consumers.deploy.resolve import ResolveError, Resolver, StackContext

DOCUMENT = {
    "Parameters": {
        "Prefix": {"Type": "String", "Default": "cc"},
        "Key": {"Type": "String", "Default": ""},
        "Subnets": {"Type": "CommaDelimitedList", "Default": ""},
    },
    "Conditions": {
        "HasKey": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Key"}, ""]}]},
        "HasSubnets": {"Fn::Not": [{"Fn::Equals": [{"Fn::Join": ["", {"Ref": "Subnets"}]}, ""]}]},
        "Both": {"Fn::And": [{"Condition": "HasKey"}, {"Condition": "HasSubnets"}]},
    },
    "Resources": {
        "Stream": {"Type": "AWS::Kinesis::Stream", "Properties": {"Name": {"Fn::Sub": "${Prefix}-metrics"}}},
        "Role": {"Type": "AWS::IAM::Role", "Properties": {}},
        "Filter": {
            "Type": "AWS::Logs::SubscriptionFilter",
            "Properties": {
                "FilterName": {"Fn::Sub": "${Prefix}-to-kinesis"},
                "DestinationArn": {"Fn::GetAtt": ["Stream", "Arn"]},
                "RoleArn": {"Fn::Sub": "${Role.Arn}"},
                "KeyId": {"Fn::If": ["HasKey", {"Ref": "Key"}, "alias/aws/kinesis"]},
                "Extra": {"Fn::If": ["HasKey", "x", {"Ref": "AWS::NoValue"}]},
                "Listed": ["a", {"Fn::If": ["HasKey", "b", {"Ref": "AWS::NoValue"}]}],
                "Literal": {"Fn::Sub": "${!NotAVariable}-${AWS::Region}"},
            },
        },
        "Only": {"Type": "AWS::SNS::Topic", "Condition": "Both", "Properties": {}},
    },
}


def resolver(**parameters: str) -> Resolver:
    context = StackContext(
        account="111122223333",
        region="eu-west-1",
        stack_name="cc-streaming",
        parameters=parameters,
        physical_ids={"Stream": "cc-metrics", "Role": "cc-streaming-Role-ABC"},
    )
    return Resolver(DOCUMENT, context)


def test_sub_getatt_and_if_resolve_against_the_deployed_stack() -> None:
    props = resolver(Prefix="cc").properties("Filter")
    assert props == {
        "FilterName": "cc-to-kinesis",
        "DestinationArn": "arn:aws:kinesis:eu-west-1:111122223333:stream/cc-metrics",
        "RoleArn": "arn:aws:iam::111122223333:role/cc-streaming-Role-ABC",
        "KeyId": "alias/aws/kinesis",
        "Listed": ["a"],
        "Literal": "${NotAVariable}-eu-west-1",
    }


def test_true_condition_takes_the_other_branch_and_keeps_optional_values() -> None:
    props = resolver(Key="arn:aws:kms:eu-west-1:111122223333:key/k").properties("Filter")
    assert props["KeyId"] == "arn:aws:kms:eu-west-1:111122223333:key/k"
    assert props["Extra"] == "x"
    assert props["Listed"] == ["a", "b"]


def test_conditions_combine_and_gate_resources() -> None:
    assert not resolver(Key="k").is_created("Only")
    assert resolver(Key="k", Subnets="subnet-1,subnet-2").is_created("Only")
    assert resolver().is_created("Stream")


def test_ref_to_a_skipped_resource_returns_its_name() -> None:
    assert resolver(Prefix="zz").ref("Filter") == "zz-to-kinesis"


def test_unknown_names_are_errors_not_silent_blanks() -> None:
    with pytest.raises(ResolveError):
        resolver().ref("Nope")
    with pytest.raises(ResolveError):
        resolver().get_att("Role", "RoleId")
