"""The windowed job as a bytewax dataflow (run in `.cache/peers/bytewax` by `benchmarks/peers.py`).

    python -m benchmarks.peer_jobs.bytewax_job SPEC.json

Input: the Kinesis records' payloads exactly as the consumer gets them (gzip'd subscription envelopes, a msgpack
list of bytes). Inside the dataflow: gunzip, msgspec JSON decode of the envelope and each EMF line (the same
decoder library our pipeline uses, as plain dicts), the points (`points.points_of`), then `fold_window` per group,
per user and for distinct users, for 1m, 1h and 1d (nine windowing steps), unordered (sums commute), on
`TumblingWindower`s aligned to the epoch and an `EventClock` with a 48 h wait (our allowed lateness, so nothing is
late). One worker (`run_main`). Two settings differ from the defaults, both measured on a 20-record slice:
- no system-time wake-ups (`to_system_utc` returns None): the records are a replay, and by default every key
  wakes at once for windows "due" days ago (0.96 s → 0.40 s of CPU);
- a one-hour epoch interval: epochs only serve recovery, which is off, and at the default every epoch deep-copies
  every window's state (8.3 s → 0.96 s).
Timed: `run_main` only (CPU time of this process; the dataflow runs in it).
"""

from __future__ import annotations

import gzip
import os
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import bytewax.operators as op
import msgspec
from bytewax.dataflow import Dataflow
from bytewax.operators.windowing import EventClock, TumblingWindower, fold_window
from bytewax.testing import TestingSink, TestingSource, run_main

from benchmarks.peer_jobs.points import Point, load_spec, points_of, process_tree_cpu_s, write_totals

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_decode = msgspec.json.Decoder().decode


def build(payloads: list[bytes], groupable: list[str], sizes: dict[str, int], out: dict[str, list[Any]]) -> Dataflow:
    def decode(payload: bytes) -> list[Point]:
        envelope = _decode(gzip.decompress(payload))
        if envelope.get("messageType") != "DATA_MESSAGE":
            return []
        found: list[Point] = []
        for event in envelope.get("logEvents") or ():
            try:
                doc = _decode(event["message"])
            except msgspec.DecodeError:
                continue
            if isinstance(doc, dict):
                found.extend(points_of(doc, groupable))
        return found

    def event_time(point: Point) -> datetime:
        return EPOCH + timedelta(milliseconds=point[0])

    def add_metric(sums: dict[str, float], point: Point) -> dict[str, float]:
        sums[point[3]] = sums.get(point[3], 0.0) + point[4]
        return sums

    def merge_sums(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
        for k, v in b.items():
            a[k] = a.get(k, 0.0) + v
        return a

    def add_user(users: set[str], point: Point) -> set[str]:
        users.add(point[2])  # type: ignore[arg-type]
        return users

    flow = Dataflow("ccstream_peers")
    points = op.flat_map("decode", op.input("records", flow, TestingSource(payloads)), decode)
    with_user = op.filter("has_user", points, lambda p: p[2] is not None)
    by_group = op.key_on("by_group", points, lambda p: p[1])
    by_user = op.key_on("by_user", with_user, lambda p: p[2])  # type: ignore[arg-type,return-value]
    everyone = op.key_on("everyone", with_user, lambda p: "all")
    clock = EventClock(event_time, timedelta(hours=48), to_system_utc=lambda _: None)
    for size, length_ms in sizes.items():
        windower = TumblingWindower(length=timedelta(milliseconds=length_ms), align_to=EPOCH)

        def start_ms(window_id: int, length_ms: int = length_ms) -> int:
            return window_id * length_ms

        groups = fold_window(f"groups_{size}", by_group, clock, windower, dict, add_metric, merge_sums, False)
        op.output(
            f"out_groups_{size}",
            op.flat_map(
                f"flat_groups_{size}",
                groups.down,
                lambda kv, size=size, start_ms=start_ms: [
                    (size, start_ms(kv[1][0]), kv[0], m, v) for m, v in kv[1][1].items()
                ],
            ),
            TestingSink(out["groups"]),
        )
        users = fold_window(f"users_{size}", by_user, clock, windower, dict, add_metric, merge_sums, False)
        op.output(
            f"out_users_{size}",
            op.flat_map(
                f"flat_users_{size}",
                users.down,
                lambda kv, size=size, start_ms=start_ms: [
                    (size, start_ms(kv[1][0]), kv[0], m, v) for m, v in kv[1][1].items()
                ],
            ),
            TestingSink(out["users"]),
        )
        distinct = fold_window(f"distinct_{size}", everyone, clock, windower, set, add_user, set.union, False)
        op.output(
            f"out_distinct_{size}",
            op.map(
                f"count_{size}",
                distinct.down,
                lambda kv, size=size, start_ms=start_ms: (size, start_ms(kv[1][0]), len(kv[1][1])),
            ),
            TestingSink(out["distinct"]),
        )
    return flow


def main(argv: list[str]) -> int:
    spec = load_spec(argv[0])
    payloads: list[bytes] = msgspec.msgpack.decode(open(spec["input"], "rb").read())  # noqa: SIM115
    out: dict[str, list[Any]] = {"groups": [], "users": [], "distinct": []}
    flow = build(payloads, spec["groupable"], spec["sizes"], out)
    before, wall = time.process_time(), time.perf_counter()
    run_main(flow, epoch_interval=timedelta(hours=1))
    cpu = time.process_time() - before
    wall = time.perf_counter() - wall
    totals = {k: [list(t) for t in v] for k, v in out.items()}
    write_totals(
        spec["output"],
        {**totals, "cpu": {"job": cpu, "process": process_tree_cpu_s(os.getpid())}, "wall": wall},
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
