"""Save what one realcli run produced, in the formats of tests/fixtures/README.md (replayable by `ccstream replay`).

Set `CCSTREAM_REALCLI_SAVE=<dir>` when running tests/realcli to write, into that folder:
- `realcli.otlp.jsonl`: the collector's file tap, one OTLP/JSON export request per line (metrics and logs);
- `realcli.emf.ndjson`: every EMF line the collector's awsemf exporter wrote into CloudWatch Logs;
- `realcli.kinesis.jsonl`: every record the subscription put on the Kinesis stream (`get-records` shape);
- `realcli.events.ndjson`, `realcli.otlp-logs.jsonl`: the events log group's log events and the tap's logs requests
  (`save_events`; set `CCSTREAM_REALCLI_SAVE_EVENTS=<dir>` to write only these two).
"""

from __future__ import annotations

import base64
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SAVE_ENV = "CCSTREAM_REALCLI_SAVE"
SAVE_EVENTS_ENV = "CCSTREAM_REALCLI_SAVE_EVENTS"


def kinesis_records(kinesis: Any, stream: str) -> list[dict[str, str]]:
    """Every record of every shard from TRIM_HORIZON (reading does not disturb the KCL's leases)."""
    out: list[dict[str, str]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        iterator = it["ShardIterator"]
        while iterator:
            resp = kinesis.get_records(ShardIterator=iterator, Limit=1000)
            for r in resp["Records"]:
                arrived = r["ApproximateArrivalTimestamp"]
                if isinstance(arrived, datetime):
                    arrived = arrived.astimezone(UTC).isoformat()
                out.append(
                    {
                        "SequenceNumber": r["SequenceNumber"],
                        "ApproximateArrivalTimestamp": str(arrived),
                        "Data": base64.b64encode(r["Data"]).decode(),
                        "PartitionKey": r["PartitionKey"],
                    }
                )
            if not resp["Records"] and resp.get("MillisBehindLatest", 0) == 0:
                break
            iterator = resp.get("NextShardIterator")
    return out


def save(dest: Path, tap: Path, emf_lines: list[str], records: list[dict[str, str]]) -> None:
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(tap, dest / "realcli.otlp.jsonl")
    (dest / "realcli.emf.ndjson").write_text("".join(line.rstrip("\n") + "\n" for line in emf_lines))
    (dest / "realcli.kinesis.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def events_log(logs: Any, group: str) -> list[dict[str, Any]]:
    """Every log event of the events log group: `{"timestamp", "logStreamName", "message"}` in log order."""
    out: list[dict[str, Any]] = []
    for page in logs.get_paginator("filter_log_events").paginate(logGroupName=group):
        out += [{k: e[k] for k in ("timestamp", "logStreamName", "message")} for e in page["events"]]
    return out


def save_events(dest: Path, events: list[dict[str, Any]], tap: Path) -> None:
    """`realcli.events.ndjson` (the events log group) and `realcli.otlp-logs.jsonl` (the tap's logs requests)."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "realcli.events.ndjson").write_text("".join(json.dumps(e) + "\n" for e in events))
    logs = [line for line in tap.read_text().splitlines() if '"resourceLogs"' in line]
    (dest / "realcli.otlp-logs.jsonl").write_text("".join(line + "\n" for line in logs))
