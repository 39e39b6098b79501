"""Pure helpers of the gap-filler: subset comparison and the S3 lifecycle shape conversion."""

from __future__ import annotations

from consumers.deploy.fill.base import contains
from consumers.deploy.fill.s3 import lifecycle_rules


def test_contains_accepts_extra_keys_reported_by_the_service() -> None:
    assert contains({"Status": "Enabled"}, {"Status": "Enabled", "MFADelete": "Disabled"})
    assert contains({"Days": "30"}, {"Days": 30})
    assert contains({"On": "true"}, {"On": True})


def test_contains_rejects_missing_or_different_values() -> None:
    assert not contains({"Status": "Enabled"}, None)
    assert not contains({"Status": "Enabled"}, {"Status": "Suspended"})
    assert not contains([{"a": 1}], [{"a": 1}, {"a": 2}])
    assert not contains({"Rules": [{"ID": "x"}]}, {"Rules": [{"ID": "y"}]})


def test_cloudformation_lifecycle_rules_become_api_rules() -> None:
    cfn = [
        {
            "Id": "lake",
            "Status": "Enabled",
            "Prefix": "data/",
            "ExpirationInDays": "400",
            "Transitions": [{"StorageClass": "GLACIER", "TransitionInDays": "90"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": "7"},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
    assert lifecycle_rules(cfn) == [
        {
            "ID": "lake",
            "Status": "Enabled",
            "Filter": {"Prefix": "data/"},
            "Expiration": {"Days": 400},
            "Transitions": [{"Days": 90, "StorageClass": "GLACIER"}],
            "NoncurrentVersionExpiration": {"NoncurrentDays": 7},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
        }
    ]
