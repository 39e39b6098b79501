"""The limit counters (`limits.groups_overflow.<size>`, `limits.sessions_approximate.<size>`) are exact under
crashes and replays, like the aggregates: a record that a stored row already holds is skipped on replay, but what
it contributed to a limit is still counted once.

Expected values are independent of the counters' code: overflow points are read back from the `__other__` group of
the stored rows (every line carries one commit of value 1), and the users past the session limit are counted from
the generated lines (per shard and window: more than the limit of distinct session ids).
"""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from consumers.config import Tunables
from consumers.model import SourceRecord
from consumers.query.api import query_metric
from consumers.query.reader import MemoryRowReader
from tests.core import test_pipeline_exactly_once as scenario
from tests.core.crash_driver import CrashingStores
from tests.core.telemetry import emf_line, envelope_bytes

COMMITS = "claude_code.commit.count"
START = scenario.START
SIZES = scenario.SIZES
GROUP_CAP = 6
SESSION_CAP = 4
LIMITED = Tunables(
    flush_interval_ms=scenario.DRIVER_TUNABLES.flush_interval_ms,
    user_flush_interval_ms=scenario.DRIVER_TUNABLES.user_flush_interval_ms,
    size_flush_interval_ms=scenario.DRIVER_TUNABLES.size_flush_interval_ms,
    max_groups_per_window=GROUP_CAP,
    max_sessions_per_user=SESSION_CAP,
    user_buckets=3,
)


def hostile_shards(
    seed: int, n_records: int, shards: int = 2
) -> tuple[dict[str, list[SourceRecord]], list[tuple[str, int, str, str]]]:
    """Records whose lines spread over many departments and sessions; returns them and (shard, ts, user, session)
    of every line."""
    rng = random.Random(seed)
    by_shard: dict[str, list[SourceRecord]] = {f"shardId-{i:012d}": [] for i in range(shards)}
    lines: list[tuple[str, int, str, str]] = []
    event = 0
    for r in range(n_records):
        shard = rng.choice(list(by_shard))
        batch = []
        for _ in range(rng.randrange(1, 8)):
            ts = START + rng.randrange(0, 10 * 60_000)  # ten minutes: every window size reaches both limits
            user, session = f"u{rng.randrange(2)}", f"s{rng.randrange(12)}"
            attrs = {"user.id": user, "session.id": session, "department": f"dep-{rng.randrange(15)}"}
            batch.append((str(event), ts, emf_line(ts, attrs, {COMMITS: 1.0})))
            lines.append((shard, ts, user, session))
            event += 1
        seq = 10**55 + r
        by_shard[shard].append(SourceRecord(shard, seq, 0, f"pk{r}", envelope_bytes("s", batch), START + 10**8))
    return by_shard, lines


def users_past_the_limit(lines: list[tuple[str, int, str, str]]) -> dict[str, int]:
    sessions: dict[tuple[str, str, int, str], set[str]] = defaultdict(set)
    for shard, ts, user, session in lines:
        for size, ms in SIZES.items():
            sessions[(shard, size, ts - ts % ms, user)].add(session)
    out = dict.fromkeys(SIZES, 0)
    for (_, size, _, _), ids in sessions.items():
        out[size] += len(ids) > SESSION_CAP
    return out


def latest_counters(stores: CrashingStores) -> dict[str, int]:
    total: dict[str, int] = defaultdict(int)
    for snaps in stores.snapshots.values():
        for k, v in snaps[-1].counters.items():
            total[k] += v
    return total


@pytest.mark.parametrize("seed", range(4))
def test_limit_counters_are_exact_after_crashes(seed: int) -> None:
    by_shard, lines = hostile_shards(700 + seed, 70)
    stores = CrashingStores()
    run = scenario.consume(by_shard, stores, random.Random(seed), crash_rate=0.4, tunables=LIMITED)
    assert run.crashes > 0 and run.mid_stream_restarts > 0, run
    counters = latest_counters(stores)
    reader = MemoryRowReader(stores)
    lo, hi = START - 86_400_000, START + 2 * 86_400_000
    for size in SIZES:
        other = sum(
            r.value
            for r in query_metric(reader, COMMITS, size, ("department",), lo, hi)
            if r.labels["department"] == "__other__"
        )
        assert other > 0, size  # the limit was reached in this size
        assert counters.get(f"limits.groups_overflow.{size}", 0) == other, (size, counters)
    past = users_past_the_limit(lines)
    assert all(past.values()), past
    for size, n in past.items():
        assert counters.get(f"limits.sessions_approximate.{size}", 0) == n, (size, counters)
    # and the aggregates themselves stay exact
    total = {r.window_start_ms: r.value for r in query_metric(reader, COMMITS, "1d", (), lo, hi)}
    exp: dict[int, float] = defaultdict(float)
    for _, ts, _, _ in lines:
        exp[ts - ts % SIZES["1d"]] += 1.0
    assert total == exp
