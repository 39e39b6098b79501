"""Independent reading of the fixture files with the standard library only (no ccstream code), for expected values.

The rules mirror the product's documented contract, written out again here: a metric is a key declared in
`_aws.CloudWatchMetrics` or starting with `claude_code.`; a value counts when it is a finite, non-negative number
up to 1e15; the user is `user.email`, else `user.id`.
"""

from __future__ import annotations

import base64
import gzip
import json
import math
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
