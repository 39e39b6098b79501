"""Realistic Kinesis input for the benchmarks: simulated users → EMF lines → subscription records → shards.

The simulator (`consumers.generate`) writes the collector's awsemf lines; `pack` groups them into CloudWatch Logs
subscription envelopes as a subscription filter does (one log stream per collector task, up to 500 events or 60 s
per delivery); each envelope is gzip'd and lands on a shard chosen from its random partition key (`Random`
distribution), with increasing per-shard sequence numbers. Everything is generated minute by minute, so 10,000
users over 10 minutes never hold all their lines in memory at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec

from consumers.generate import SimulationOptions, Simulator, build_population, pack
from consumers.generate.capture import shard_of
from consumers.generate.lines import EmfLine
from consumers.model import SourceRecord
from schemas.catalogue import user_key
from schemas.emf import EmfError, parse_line
from schemas.envelope import encode_envelope

MINUTE_MS = 60_000
#: A weekday afternoon in Europe / morning in the Americas: the simulator's busiest UTC hour.
PEAK_START_MS = int(datetime(2026, 11, 18, 15, 0, tzinfo=UTC).timestamp() * 1000)
#: Kinesis bills PUT payload units of 25 KB; Firehose bills ingestion in 5 KB steps per record.
PUT_UNIT_BYTES = 25 * 1024
FIREHOSE_STEP_BYTES = 5 * 1024
_decode_doc = msgspec.json.Decoder(dict[str, Any]).decode
#: Every user in a session and exporting every minute (the "one export per user per minute" load).
ALL_ACTIVE = SimulationOptions(activity_scale=100.0, active_minute_share=1.0, mean_session_minutes=1e6)


def shard_name(index: int) -> str:
    return f"shardId-{index:012d}"


@dataclass(frozen=True)
class WorkloadSpec:
    users: int
    minutes: int
    start_ms: int = PEAK_START_MS
    seed: int = 7
    shards: int = 2
    all_active: bool = False

    def options(self) -> SimulationOptions | None:
        return ALL_ACTIVE if self.all_active else None

    def describe(self) -> str:
        start = datetime.fromtimestamp(self.start_ms / 1000, UTC).strftime("%a %Y-%m-%d %H:%M UTC")
        load = "every user exporting every minute" if self.all_active else "simulated workday activity"
        return f"{self.users:,} users, {self.minutes} min from {start} ({load}), {self.shards} shards, seed {self.seed}"


@dataclass
class Volume:
    """What the workload put into CloudWatch Logs and Kinesis, counted independently of the consumer."""

    log_events: int = 0
    points: int = 0
    bad_lines: int = 0
    emf_bytes: int = 0
    data_records: int = 0
    control_records: int = 0
    record_bytes: int = 0
    put_units: int = 0
    firehose_billed_bytes: int = 0
    user_minutes: set[tuple[int, str]] = field(default_factory=set)
    #: CloudWatch metric series the awsemf directives create (namespace, metric, dimension values); None = not counted
    metric_series: set[tuple[str, str, tuple[tuple[str, str], ...]]] | None = None

    def add_line(self, line: EmfLine) -> None:
        self.log_events += 1
        self.emf_bytes += len(line.line.encode())
        try:
            points, _ = parse_line(line.line)
        except EmfError:
            self.bad_lines += 1
            return
        self.points += len(points)
        if points:
            user = user_key(points[0].attributes)
            if user is not None:
                self.user_minutes.add((line.timestamp_ms - line.timestamp_ms % MINUTE_MS, user))
        if self.metric_series is not None:
            self.metric_series.update(metric_series_of(line.line))

    def add_record(self, size: int, control: bool) -> None:
        if control:
            self.control_records += 1
        else:
            self.data_records += 1
        self.record_bytes += size
        self.put_units += max(1, math.ceil(size / PUT_UNIT_BYTES))
        self.firehose_billed_bytes += max(1, math.ceil(size / FIREHOSE_STEP_BYTES)) * FIREHOSE_STEP_BYTES

    def exporting_users_per_minute(self, minutes: int) -> float:
        return len(self.user_minutes) / max(1, minutes)


@dataclass
class Workload:
    spec: WorkloadSpec
    records: dict[str, list[SourceRecord]]
    volume: Volume

    def all_records(self) -> list[SourceRecord]:
        """Every record of every shard in arrival order (for single-pipeline throughput runs)."""
        merged = [r for recs in self.records.values() for r in recs]
        merged.sort(key=lambda r: (r.arrival_ms, r.shard_id, r.sequence_number))
        return merged


def metric_series_of(line: str) -> set[tuple[str, str, tuple[tuple[str, str], ...]]]:
    """The CloudWatch metrics one EMF line creates: each declared metric × each dimension set, with the values."""
    doc = _decode_doc(line)
    out = set()
    for directive in doc.get("_aws", {}).get("CloudWatchMetrics", []):
        namespace = directive.get("Namespace", "")
        for dims in directive.get("Dimensions", []):
            values = tuple((d, str(doc.get(d, ""))) for d in dims)
            for metric in directive.get("Metrics", []):
                out.add((namespace, metric.get("Name", ""), values))
    return out


def simulated_lines(spec: WorkloadSpec, volume: Volume) -> Iterator[EmfLine]:
    sim = Simulator(build_population(spec.users, spec.seed), spec.seed, spec.options())
    for minute in range(spec.minutes):
        for line in sim.step(spec.start_ms + minute * MINUTE_MS):
            volume.add_line(line)
            yield line


def build_workload(spec: WorkloadSpec, count_metric_series: bool = False) -> Workload:
    """Simulate, pack into subscription records and spread them over `spec.shards` shards."""
    volume = Volume(metric_series=set() if count_metric_series else None)
    return Workload(spec, shard_records(simulated_lines(spec, volume), spec.shards, volume), volume)


def shard_records(lines: Iterable[EmfLine], shards: int, volume: Volume) -> dict[str, list[SourceRecord]]:
    """Lines packed into subscription records as CloudWatch Logs delivers them, each on the shard its partition key
    hashes to, with increasing sequence numbers per shard; `volume` counts the records."""
    records: dict[str, list[SourceRecord]] = {shard_name(i): [] for i in range(shards)}
    sequence = [0] * shards
    for packed in pack(lines):
        data = encode_envelope(packed.envelope)
        volume.add_record(len(data), packed.envelope.is_control)
        index = shard_of(packed.partition_key, shards)
        sequence[index] += 1
        shard = shard_name(index)
        records[shard].append(
            SourceRecord(
                shard_id=shard,
                sequence_number=49_000_000_000 * 10**45 + index * 10**30 + sequence[index],
                sub_sequence_number=0,
                partition_key=packed.partition_key,
                data=data,
                arrival_ms=packed.arrival_ms,
            )
        )
    return records


def kcl_batches(
    records: list[SourceRecord], max_records: int = 10_000, max_bytes: int = 10 * 1024 * 1024
) -> Iterator[list[SourceRecord]]:
    """Records as GetRecords would return them to a consumer that is behind: ≤ 10,000 records and ≤ 10 MB each
    (the Kinesis limits; the KCL's default maxRecords is 10,000)."""
    batch: list[SourceRecord] = []
    size = 0
    for rec in records:
        if batch and (len(batch) >= max_records or size + len(rec.data) > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(rec)
        size += len(rec.data)
    if batch:
        yield batch
