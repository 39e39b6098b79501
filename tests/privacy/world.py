"""A small deployment on the embedded emulator holding several people's data everywhere ccstream stores it, and
independent checks of what is left after `forget`.

Data: the real collector's capture (`tests/fixtures/collector.kinesis.jsonl`: 4 people, 3 with an e-mail, one
API-key user known by user.id only) plus one dead-lettered line per person (a non-numeric value), through the
production code paths in-process: `ShardPipeline` + `DynamoStores` (with the forget list) + `S3DeadLetters`, and
the lake transform + `LakeBuffer` + `LakeWriter`, against moto over HTTP. Expected values are computed from the
records with the standard library (`tests/e2e/independent.py`), never by the code under test.
"""

from __future__ import annotations

import base64
import gzip
import io
import json
import math
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
import pyarrow.parquet as pq

from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.lake.buffer import LakeBuffer
from consumers.lake.transform import transform_record
from consumers.lake.writer import LakeWriter
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.privacy.forgetlist import ForgetList
from consumers.query.api import merge_user_rows, merge_window_rows
from consumers.query.reader import DynamoRowReader
from consumers.sink.base import Stores
from consumers.sink.deadletter import S3DeadLetters
from consumers.sink.dynamodb import DynamoStores
from tests.core.tables import create_metrics_table
from tests.core.telemetry import Point, expected_totals
from tests.e2e.independent import FIXTURES, points_of_line

SIZES = {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}
Rewrite = Callable[[str, int], str]  # (EMF line, timestamp ms) → line as stored (pseudonymous mode)


def user_of(p: Point) -> str:
    return p.attrs.get("user.email") or p.attrs.get("user.id", "")


def fixture_records(rewrite: Rewrite | None = None) -> list[dict[str, str]]:
    """The capture's records, plus one record per person with a line whose only value is not a number."""
    records = [json.loads(x) for x in (FIXTURES / "collector.kinesis.jsonl").read_text().splitlines() if x.strip()]
    out, bad_lines = [], {}
    for rec in records:
        env = json.loads(gzip.decompress(base64.b64decode(rec["Data"])))
        for ev in env["logEvents"]:
            doc = json.loads(ev["message"])
            who = doc.get("user.email") or doc.get("user.id")
            if who not in bad_lines:
                bad = {k: v for k, v in doc.items() if not k.startswith("claude_code.")}
                metric = doc["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Name"]
                bad["_aws"] = {
                    **doc["_aws"],
                    "CloudWatchMetrics": [{**doc["_aws"]["CloudWatchMetrics"][0], "Metrics": [{"Name": metric}]}],
                }
                bad[metric] = "not-a-number"
                bad_lines[who] = (ev["timestamp"], json.dumps(bad, separators=(",", ":")))
            if rewrite:
                ev["message"] = rewrite(ev["message"], ev["timestamp"])
        out.append({"Data": _b64gz(env), "PartitionKey": rec["PartitionKey"]})
    for n, (ts, line) in enumerate(bad_lines.values()):
        env = {
            "messageType": "DATA_MESSAGE",
            "owner": "123456789012",
            "logGroup": "/aws/claude-code/metrics",
            "logStream": "otel-stream-bad",
            "subscriptionFilters": ["claude-code-metrics-to-kinesis"],
            "logEvents": [{"id": f"9{n:055d}", "timestamp": ts, "message": rewrite(line, ts) if rewrite else line}],
        }
        out.append({"Data": _b64gz(env), "PartitionKey": f"bad{n}"})
    return out


def _b64gz(doc: dict[str, Any]) -> str:
    return base64.b64encode(gzip.compress(json.dumps(doc).encode())).decode()


def points_of(records: list[dict[str, str]]) -> list[Point]:
    out: list[Point] = []
    for rec in records:
        env = json.loads(gzip.decompress(base64.b64decode(rec["Data"])))
        for ev in env["logEvents"]:
            out.extend(points_of_line(ev["message"]))
    return out


def by_shard(records: list[dict[str, str]]) -> dict[str, list[SourceRecord]]:
    import hashlib

    out: dict[str, list[SourceRecord]] = {f"shardId-{i:012d}": [] for i in range(2)}
    for seq, rec in enumerate(records, start=1):
        shard = f"shardId-{int(hashlib.md5(rec['PartitionKey'].encode()).hexdigest(), 16) * 2 >> 128:012d}"
        out[shard].append(SourceRecord(shard, 10**50 + seq, 0, rec["PartitionKey"], base64.b64decode(rec["Data"]), 0))
    return out


@dataclass
class World:
    aws: AwsTarget
    names: Names
    lake_bucket: str
    deadletter_bucket: str
    points: list[Point] = field(default_factory=list)

    @classmethod
    def create(cls, aws: AwsTarget) -> World:
        suffix = uuid.uuid4().hex[:8]
        names = Names(prefix=f"fg{suffix}", table=f"Forget{suffix}")
        world = cls(aws, names, f"fg{suffix}-lake", f"fg{suffix}-deadletter")
        create_metrics_table(aws.client("dynamodb"), names.table)
        s3 = aws.client("s3")
        for bucket in (world.lake_bucket, world.deadletter_bucket):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        return world

    @property
    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": str(self.aws.endpoint_url),
            "AWS_REGION": self.aws.region,
            "CCSTREAM_PREFIX": self.names.prefix,
            "CCSTREAM_TABLE": self.names.table,
            "CCSTREAM_LAKE_BUCKET": self.lake_bucket,
            "CCSTREAM_DEADLETTER_BUCKET": self.deadletter_bucket,
        }

    @property
    def reader(self) -> DynamoRowReader:
        return DynamoRowReader(self.aws.client("dynamodb"), self.names.table)

    def pipelines(self, forget_refresh_ms: int = 0) -> tuple[dict[str, ShardPipeline], ForgetList]:
        client = self.aws.client("dynamodb")
        forget = ForgetList(client, self.names.table, forget_refresh_ms)
        ddb = DynamoStores(client, self.names.table, forget=forget)
        letters = S3DeadLetters(self.aws.client("s3"), self.deadletter_bucket, forget=forget)
        pipes = {
            shard: ShardPipeline("app", shard, Stores(ddb, ddb, ddb, letters), Tunables(), clock_ms=lambda: 0)
            for shard in ("shardId-000000000000", "shardId-000000000001")
        }
        return pipes, forget

    def ingest(self, records: list[SourceRecord], pipes: dict[str, ShardPipeline], lake: LakeWriter) -> None:
        """Aggregate and write the lake for these records (per shard, in order), flushing everything."""
        for shard, pipe in pipes.items():
            mine = [r for r in records if r.shard_id == shard]
            if not mine:
                continue
            pipe.process(mine)
            pipe.remember_checkpoint(pipe.flush(force=True))  # type: ignore[arg-type]
            buffer = LakeBuffer(shard)
            for r in mine:
                buffer.add((r.sequence_number, r.sub_sequence_number), 0, transform_record(r.data, shard), 0)
            batch = buffer.take()
            if batch is not None:
                lake.write(batch)

    def lake_writer(self, forget: ForgetList) -> LakeWriter:
        return LakeWriter(self.aws.client("s3"), self.lake_bucket, forget)

    # ------------------------------------------------------------------------------------------ checks
    def span(self, points: list[Point]) -> tuple[int, int]:
        day = SIZES["1d"]
        return min(p.ts for p in points) // day * day, (max(p.ts for p in points) // day + 1) * day

    def assert_group_totals(self, points: list[Point]) -> None:
        """Window rows (group totals) equal the independent sums of every point, forgotten person included.
        (Every shard's window rows merged once per size; grouped by team and by model + type, and in all.)"""
        lo, hi = self.span(points)
        for size, ms in SIZES.items():
            merged = merge_window_rows(self.reader, size, lo, hi)
            for by in [(), ("team.id",), ("model", "type")]:
                exp = expected_totals(points, ms, by)
                got = {
                    (start, metric, *values): value
                    for start, wp in merged.items()
                    for values, sums in wp.group_by(by).items()
                    for metric, value in sums.items()
                    if metric.startswith("claude_code.")
                }
                assert got.keys() == exp.keys(), (size, by)
                assert all(math.isclose(got[k], v, rel_tol=1e-9) for k, v in exp.items()), (size, by)

    def assert_people(self, kept: list[Point], gone: set[str]) -> None:
        """Per-user rows hold exactly the kept people's sums and sessions per window; active users and sessions
        count only them; nobody in `gone` appears."""
        lo, hi = self.span(kept)
        for size, ms in SIZES.items():
            exp_sums: dict[tuple[int, str], dict[str, float]] = {}
            exp_sessions: dict[tuple[int, str], set[str]] = {}
            for p in kept:
                key = (p.ts - p.ts % ms, user_of(p))
                sums = exp_sums.setdefault(key, {})
                sums[p.metric] = sums.get(p.metric, 0.0) + p.value
                if p.attrs.get("session.id"):
                    exp_sessions.setdefault(key, set()).add(p.attrs["session.id"])
            got = merge_user_rows(self.reader, size, lo, hi)
            got_users = {(w, u) for w, part in got.items() for u in part.users}
            assert got_users == set(exp_sums), size
            assert not {u for _, u in got_users} & gone
            for (w, u), sums in exp_sums.items():
                entry = got[w].users[u]
                assert all(math.isclose(entry.sums[m], v, rel_tol=1e-9) for m, v in sums.items()), (size, u)
                assert entry.sessions == exp_sessions.get((w, u), set()), (size, u)
            # the distinct counts (what `ccstream query active_users|sessions` reports) from the same rows
            active = {w: len(part.users) for w, part in got.items()}
            exp_active: dict[int, set[str]] = {}
            for w, u in exp_sums:
                exp_active.setdefault(w, set()).add(u)
            assert active == {w: len(us) for w, us in exp_active.items()}, size
            sessions = {w: {s for e in part.users.values() for s in e.sessions} for w, part in got.items()}
            exp_s: dict[int, set[str]] = {}
            for (w, _), ids in exp_sessions.items():
                exp_s.setdefault(w, set()).update(ids)
            assert {w: ids for w, ids in sessions.items() if ids} == exp_s, size

    def lake_rows(self) -> list[dict[str, Any]]:
        s3 = self.aws.client("s3")
        rows: list[dict[str, Any]] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.lake_bucket, Prefix="metrics/"):
            for obj in page.get("Contents", []):
                body = s3.get_object(Bucket=self.lake_bucket, Key=obj["Key"])["Body"].read()
                rows.extend(pq.read_table(io.BytesIO(body)).to_pylist())
        return rows

    def assert_lake(self, kept: list[Point]) -> None:
        got = sorted((r["timestamp"], r["metric"], r["value"], r["user_key"]) for r in self.lake_rows())
        assert got == sorted((p.ts, p.metric, p.value, user_of(p)) for p in kept)

    def leftovers(self, needles: set[str]) -> list[str]:
        """Every place in the table and the buckets (all object versions) where a needle still appears."""
        return sorted({place for places in self.places(needles).values() for place in places})

    def places(self, needles: set[str]) -> dict[str, list[str]]:
        """needle → the items and object versions it appears in."""
        found: dict[str, list[str]] = {n.lower(): [] for n in needles}
        low = set(found)
        ddb = self.aws.client("dynamodb")
        kwargs: dict[str, Any] = {"TableName": self.names.table}
        while True:
            page = ddb.scan(**kwargs)
            for item in page["Items"]:
                text = _item_text(item)
                for n in low:
                    if n in text:
                        found[n].append(f"item {item['pk']['S']} {item['sk']['S']}")
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        s3 = self.aws.client("s3")
        for bucket in (self.lake_bucket, self.deadletter_bucket):
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                for v in page.get("Versions", []):
                    body = s3.get_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])["Body"].read()
                    text = _object_text(v["Key"], body)
                    for n in low:
                        if n in text:
                            found[n].append(f"s3://{bucket}/{v['Key']}?versionId={v['VersionId']}")
        return found


def _item_text(item: dict[str, Any]) -> str:
    parts = []
    for value in item.values():
        if "B" in value:
            raw = value["B"]
            try:
                parts.append(repr(msgspec.msgpack.decode(zlib.decompress(raw))))
            except (zlib.error, msgspec.DecodeError):
                parts.append(raw.decode("latin-1"))  # a part of a split row: raw zlib bytes
        else:
            parts.append(json.dumps(value))
    return " ".join(parts).lower()


def _object_text(key: str, body: bytes) -> str:
    if key.endswith(".parquet"):
        return json.dumps(pq.read_table(io.BytesIO(body)).to_pylist(), default=str).lower()
    text = body.decode("utf-8", "replace")
    for line in text.splitlines():
        try:
            payload = json.loads(line).get("payload", "")
            text += base64.b64decode(payload).decode("utf-8", "replace")
        except (ValueError, AttributeError):  # not JSON, or no base64 payload
            continue
    return text.lower()
