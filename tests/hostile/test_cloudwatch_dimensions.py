"""The consumer's own CloudWatch metrics: dimension values CloudWatch accepts, and a refused datum never drops the
rest of the minute."""

from __future__ import annotations

import hashlib
from typing import Any

from botocore.exceptions import ClientError

from consumers.sink.cloudwatch import CloudWatchPublisher, dimension_value


def _tag(v: str) -> str:
    return "~" + hashlib.sha256(v.encode()).hexdigest()[:8]


def test_dimension_values_are_ascii_non_blank_and_short() -> None:
    assert dimension_value("engineering") == "engineering"
    assert dimension_value("Développement") == "Developpement" + _tag("Développement")
    assert dimension_value("   ") == "(none)" + _tag("   ")
    assert dimension_value("") == "(none)" + _tag("")
    assert dimension_value("研究") == "(none)" + _tag("研究")
    assert dimension_value("a\x00b") == "a_b" + _tag("a\x00b")
    long = "x" * 5000
    got = dimension_value(long)
    assert len(got) == 1024 and got.endswith(_tag(long))
    assert dimension_value("Développement") != dimension_value("Developpement")  # never merged


class RefusingClient:
    """Refuses (like CloudWatch) any request holding a non-ASCII dimension value."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def put_metric_data(self, Namespace: str, MetricData: list[dict[str, Any]]) -> None:
        for d in MetricData:
            for dim in d.get("Dimensions", []):
                if not dim["Value"].isascii():
                    raise ClientError({"Error": {"Code": "InvalidParameterValue"}}, "PutMetricData")
        self.sent += MetricData


def test_one_refused_datum_does_not_drop_the_chunk() -> None:
    data = [{"MetricName": "M", "Value": float(i), "Dimensions": [{"Name": "d", "Value": "ok"}]} for i in range(9)]
    data.insert(4, {"MetricName": "M", "Value": 99.0, "Dimensions": [{"Name": "d", "Value": "é"}]})
    client = RefusingClient()
    pub = CloudWatchPublisher(client)
    pub.publish(data)
    assert sorted(d["Value"] for d in client.sent) == [float(i) for i in range(9)]
    assert pub.refused == 1
