"""The aggregator under the real Java MultiLangDaemon, end to end on the embedded emulator.

Expected values are computed in the test from the plain points it generated (tests/core/telemetry.py).
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from consumers.aws import AwsTarget
from consumers.query.api import query_metric
from tests.core.telemetry import Point, envelope_bytes, expected_totals, expected_users, random_events
from tests.e2e.harness import deployed_stack

pytestmark = [pytest.mark.kcl, pytest.mark.emulator]
T0 = 1_763_679_600_000  # 2025-11-20T23:00Z: fixtures of any age replay (lateness is against the watermark)
SPAN = 3 * 3_600_000


def make_records(seed: int, n: int) -> tuple[list[tuple[bytes, str]], list[Point]]:
    rng = random.Random(seed)
    records, points = [], []
    for r in range(n):
        evs = sorted(random_events(rng, rng.randrange(1, 8), T0, SPAN, users=12), key=lambda e: e[0])
        for _, _, pts in evs:
            points.extend(pts)
        data = envelope_bytes(
            f"otel-stream-{r % 3}", [(f"{seed}{r:05d}{i:03d}", ts, ln) for i, (ts, ln, _) in enumerate(evs)]
        )
        records.append((data, f"pk-{rng.randrange(10**9)}"))
    return records, points


def assert_aggregates(reader, points: list[Point]) -> None:  # type: ignore[no-untyped-def]
    lo, hi = min(p.ts for p in points) - 86_400_000, max(p.ts for p in points) + 86_400_000
    for size, ms in {"1m": 60_000, "1h": 3_600_000, "1d": 86_400_000}.items():
        for by in [(), ("model", "type"), ("team.id",)]:
            exp = expected_totals(points, ms, by)
            got = {}
            for metric in {k[1] for k in exp}:
                for row in query_metric(reader, metric, size, by, lo, hi):
                    got[(row.window_start_ms, metric, *(row.labels[a] for a in by))] = row.value
            assert got.keys() == exp.keys(), (size, by)
            assert all(math.isclose(got[k], v, rel_tol=1e-9) for k, v in exp.items()), (size, by)
        users = {r.window_start_ms: r.value for r in query_metric(reader, "active_users", size, (), lo, hi)}
        assert users == {k: float(len(v)) for k, v in expected_users(points, ms).items()}


def test_real_daemon_fixture_in_items_out_checkpoints_at_last_record(aws: AwsTarget, tmp_path: Path) -> None:
    records, points = make_records(1, 60)
    with deployed_stack(aws, tmp_path) as stack:
        placed = stack.put_records(records)
        assert stack.consume() == 0
        assert_aggregates(stack.reader, points)
        last = {}
        for shard, seq in placed:
            last[shard] = max(last.get(shard, 0), int(seq))
        assert {k: int(v) for k, v in stack.lease_checkpoints().items()} == last


@pytest.mark.parametrize("trial", range(2))
def test_sigkill_at_random_points_then_restart_is_exact(aws: AwsTarget, tmp_path: Path, trial: int) -> None:
    """SIGKILL the processors at random moments from outside, and inside right after rows landed but before the
    checkpoint; the runner restarts the daemon each time; the aggregates come out exact."""
    import signal
    import threading
    import time

    import psutil

    budget = tmp_path / "kills-before-checkpoint"
    budget.write_text("1")
    rng = random.Random(100 + trial)
    records, points = make_records(200 + trial, 90)
    with deployed_stack(aws, tmp_path, CCSTREAM_FAULT_BEFORE_CHECKPOINT=str(budget)) as stack:
        stop = threading.Event()
        kills: list[int] = []

        def killer() -> None:
            while not stop.wait(rng.uniform(2.0, 6.0)) and len(kills) < 2:
                victims = [
                    p
                    for p in psutil.process_iter(["cmdline", "environ"])
                    if "consumers.kcl.processor" in " ".join(p.info["cmdline"] or [])
                    and (p.info["environ"] or {}).get("CCSTREAM_PREFIX") == stack.names.prefix
                ]
                if victims:
                    victim = rng.choice(victims)
                    victim.send_signal(signal.SIGKILL)
                    kills.append(victim.pid)

        thread = threading.Thread(target=killer, daemon=True)
        result: list[int] = []
        consumer = threading.Thread(
            target=lambda: result.append(stack.consume(until_idle_s=5, timeout_s=400, max_restarts=20)), daemon=True
        )
        stack.put_records(records[:30])
        consumer.start()
        thread.start()
        for i in range(30, len(records), 30):  # more records arrive while the consumer runs and gets killed
            time.sleep(rng.uniform(1.0, 3.0))
            stack.put_records(records[i : i + 30])
        consumer.join(timeout=450)
        stop.set()
        thread.join()
        assert result == [0]
        assert budget.read_text() == "0", "the in-process kills before the checkpoint did not all happen"
        assert kills, "no processor was SIGKILLed from outside: the test proved nothing about random kills"
        for pid in kills:  # each victim really died (a fresh process took over its shard)
            assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
        assert_aggregates(stack.reader, points)
