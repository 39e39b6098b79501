"""Independent reading of the fixture files with the standard library only (no ccstream code), for expected values.

Expected values come from what was SENT: `otlp_points` reads the OTLP requests the simulated CLI processes POSTed
to the real collector (`*.otlp.jsonl[.gz]`) and labels each point as collector/config.yaml and awsemf document it.
`points_of_line` reads EMF lines (for the malformed corpus and for checking the captures against their OTLP); its
rules mirror the product's documented contract, written out again here: a metric is a key declared in
`_aws.CloudWatchMetrics` or starting with `claude_code.`; a value counts when it is a finite, non-negative number
up to 1e15; the user is `user.email`, else `user.id`.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path

from tests.core.telemetry import Point

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def points_of_line(message: str) -> list[Point]:
    try:
        doc = json.loads(message)
    except ValueError:
        return []
    if not isinstance(doc, dict) or not isinstance(doc.get("_aws"), dict):
        return []
    ts = doc["_aws"].get("Timestamp")
    if not isinstance(ts, int) or isinstance(ts, bool):
        return []
    declared = {m["Name"] for d in doc["_aws"].get("CloudWatchMetrics", []) for m in d.get("Metrics", [])}
    attrs = {k: v for k, v in doc.items() if k not in ("_aws", "Version") and isinstance(v, str)}
    attrs = {k: v for k, v in attrs.items() if k not in declared and not k.startswith("claude_code.")}
    out = []
    for k, v in doc.items():
        if k in declared or k.startswith("claude_code."):
            ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and 0 <= v <= 1e15
            if ok:
                out.append(Point(ts, k, float(v), attrs))
    return out


def kinesis_fixture(name: str) -> tuple[list[dict[str, str]], list[Point]]:
    """The captured records of a *.kinesis.jsonl file and the data points they carry."""
    records = [json.loads(line) for line in (FIXTURES / name).read_text().splitlines() if line.strip()]
    points: list[Point] = []
    for rec in records:
        try:
            env = json.loads(gzip.decompress(base64.b64decode(rec["Data"])))
        except (OSError, ValueError):
            continue
        if not isinstance(env, dict) or env.get("messageType") != "DATA_MESSAGE":
            continue
        for ev in env.get("logEvents", []):
            if isinstance(ev, dict) and isinstance(ev.get("message"), str) and len(ev["message"]) <= 1 << 20:
                points.extend(points_of_line(ev["message"]))
    return records, points


def emf_fixture(name: str, shift_ms: int = 0) -> list[Point]:
    """The data points of a *.emf.ndjson file, with timestamps moved by `shift_ms` (as `--shift-to-now` does)."""
    out = []
    for line in (FIXTURES / name).read_text().splitlines():
        for p in points_of_line(line):
            out.append(Point(p.ts + shift_ms, p.metric, p.value, p.attrs))
    return out


#: What collector/config.yaml does to every point before awsemf writes it, in the local run that made the fixtures:
#: the resource processor upserts deployment.environment; the transform/trim block deletes the keys below from
#: resource and point; resource_to_telemetry_conversion copies every resource attribute onto the point, overwriting
#: a point attribute of the same key; awsemf writes bools as "true"/"false" and adds `OTelLib` (the scope name).
COLLECTOR_RESOURCE_UPSERTS = {"deployment.environment": "local"}
COLLECTOR_TRIMMED = re.compile(r"^(os[.]|host[.]arch|user[.]account_|anthropic[.]custom)")


def _any_value(value: dict[str, object]) -> str:
    ((kind, v),) = value.items()
    if kind == "boolValue":
        return "true" if v else "false"
    return str(v)


def _otlp_lines(name: str) -> Iterator[str]:
    path = FIXTURES / name
    text = gzip.decompress(path.read_bytes()).decode() if name.endswith(".gz") else path.read_text()
    yield from (line for line in text.splitlines() if line.strip())


def otlp_points(name: str, shift_ms: int = 0, between: tuple[int, int] | None = None) -> list[Point]:
    """Data points of a `*.otlp.jsonl[.gz]` file (one ExportMetricsServiceRequest per line), labelled as awsemf
    labels them: point attributes, then resource attributes over them. `between` = [from, to) in ms keeps only the
    points whose time falls inside (before the shift)."""
    out = []
    for line in _otlp_lines(name):
        for rm in json.loads(line)["resourceMetrics"]:
            resource = {
                kv["key"]: _any_value(kv["value"])
                for kv in rm["resource"]["attributes"]
                if not COLLECTOR_TRIMMED.match(kv["key"])
            }
            resource.update(COLLECTOR_RESOURCE_UPSERTS)
            for sm in rm["scopeMetrics"]:
                for metric in sm["metrics"]:
                    assert metric["sum"]["aggregationTemporality"] == 1  # delta: awsemf passes it through unchanged
                    for dp in metric["sum"]["dataPoints"]:
                        ts = int(dp["timeUnixNano"]) // 1_000_000
                        if between is not None and not between[0] <= ts < between[1]:
                            continue
                        attrs = {
                            kv["key"]: _any_value(kv["value"])
                            for kv in dp["attributes"]
                            if not COLLECTOR_TRIMMED.match(kv["key"])
                        }
                        attrs.update(resource)
                        attrs["OTelLib"] = sm["scope"]["name"]  # awsemf labels every line with the scope name
                        out.append(Point(ts + shift_ms, metric["name"], float(dp["asDouble"]), attrs))
    return out


#: The midnight capture (tests/fixtures/README.md): 2026-12-04T22:00Z → 2026-12-05T02:00Z; its EMF file holds the
#: log events of 23:57Z → 00:03Z.
MIDNIGHT_FROM_MS = 1_796_421_600_000
MIDNIGHT_MS = 1_796_428_800_000
MIDNIGHT_TO_MS = 1_796_436_000_000
MIDNIGHT_EMF_WINDOW = (MIDNIGHT_MS - 3 * 60_000, MIDNIGHT_MS + 3 * 60_000)


def midnight_points(shift_ms: int = 0) -> list[Point]:
    """Every point of the midnight capture (what `midnight.kinesis.jsonl` must aggregate to)."""
    return otlp_points("midnight.otlp.jsonl.gz", shift_ms)


def midnight_emf_points(shift_ms: int = 0) -> list[Point]:
    """The points of `midnight.emf.ndjson`: the capture's OTLP points inside its window, shifted like a replay."""
    return otlp_points("midnight.otlp.jsonl.gz", shift_ms, MIDNIGHT_EMF_WINDOW)
