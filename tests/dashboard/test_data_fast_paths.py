"""The dashboard's one-pass reads give what merging each stored row's partial first gives (the slow, obvious way).

The expected values come from `UserPartial.from_doc` / `WindowPartial.from_doc` and their `merge` and `group_by`,
which are property-tested on their own (tests/core); the fast paths in `consumers/dashboard/data.py` never call them.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from benchmarks.workload import WorkloadSpec, build_workload, kcl_batches
from consumers.aggregates.partials import UserEntry, UserPartial, WindowPartial
from consumers.config import Tunables
from consumers.dashboard.data import DashboardData, _merge_users
from consumers.dashboard.timerange import DAY_MS, TimeRange
from consumers.pipeline import ShardPipeline
from consumers.query.reader import MemoryRowReader
from consumers.sink.memory import MemoryStores
from schemas.catalogue import COST_USAGE, TOKEN_USAGE

START_MS = 1_795_219_200_000 - DAY_MS  # 00:00 UTC


@pytest.fixture(scope="module")
def stores() -> MemoryStores:
    workload = build_workload(WorkloadSpec(users=40, minutes=130, start_ms=START_MS, shards=2))
    stores = MemoryStores()
    for shard, records in workload.records.items():
        pipe = ShardPipeline("t", shard, stores.stores(), Tunables(), clock_ms=lambda: 0)
        for batch in kcl_batches(records, 20):
            pipe.process(batch)
        pipe.flush(force=True)
    return stores


def _docs(stores: MemoryStores, kind: str, size: str) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    for (_, key), row in stores.rows.items():
        if key.kind == kind and key.size == size:
            out.setdefault(key.start_ms, []).append(row.doc)
    return out


def _slow_users(docs: list[dict[str, Any]]) -> UserPartial:
    out = UserPartial()
    for doc in docs:
        out.merge(UserPartial.from_doc(doc))
    return out


def _same_users(a: UserPartial, b: UserPartial) -> None:
    assert a.users.keys() == b.users.keys() and a.users
    for user, entry in a.users.items():
        other = b.users[user]
        assert entry.sums.keys() == other.sums.keys()
        assert all(math.isclose(v, other.sums[m]) for m, v in entry.sums.items())
        assert entry.sessions == other.sessions
        assert entry.session_count() == other.session_count()


def test_one_pass_user_merge_equals_merging_each_row(stores: MemoryStores) -> None:
    for size in ("1m", "1h", "1d"):
        for docs in _docs(stores, "U", size).values():
            _same_users(_merge_users(docs), _slow_users(docs))


def test_one_pass_user_merge_keeps_session_sketches() -> None:
    big = UserEntry({TOKEN_USAGE: 1.0})
    big.add_sessions({f"s{i}" for i in range(12)}, limit=5)  # switches to a sketch
    small = UserEntry({TOKEN_USAGE: 2.0}, {"s1", "t1"})
    docs = [
        UserPartial({"a": big, "b": UserEntry({COST_USAGE: 1.0}, {"x"})}).to_doc(),
        UserPartial({"a": small, "b": UserEntry({COST_USAGE: 0.5}, {"y"})}).to_doc(),
        UserPartial({"b": small}).to_doc(),
    ]
    fast, slow = _merge_users(docs), _slow_users(docs)
    _same_users(fast, slow)
    assert fast.users["a"].sketch is not None and fast.users["a"].session_count() == slow.users["a"].session_count()


def test_user_sets_and_sums_equal_the_merged_partials(stores: MemoryStores) -> None:
    rng = TimeRange(START_MS, START_MS + 3 * 3_600_000, "1h")
    data = DashboardData(MemoryRowReader(stores))
    merged = data.total_users(rng)
    sums = DashboardData(MemoryRowReader(stores)).total_user_sums(rng, (TOKEN_USAGE, COST_USAGE))
    assert sums.keys() == merged.users.keys()
    for user, entry in merged.users.items():
        for metric in (TOKEN_USAGE, COST_USAGE):
            assert math.isclose(sums[user][metric], entry.sums.get(metric, 0.0), abs_tol=1e-9)
    keys = DashboardData(MemoryRowReader(stores)).user_key_series(rng)
    slow = DashboardData(MemoryRowReader(stores)).user_series(rng)
    assert [(s, set(p.users)) for s, p in slow] == keys and any(k for _, k in keys)


def test_window_groups_equal_group_by_of_merged_windows(stores: MemoryStores) -> None:
    data = DashboardData(MemoryRowReader(stores))
    for by in (("model",), ("model", "type"), ("team.id",), ()):
        fast = data.window_groups("1m", START_MS, START_MS + 130 * 60_000, by)
        assert fast
        for start, docs in _docs(stores, "W", "1m").items():
            merged = WindowPartial()
            for doc in docs:
                merged.merge(WindowPartial.from_doc(doc))
            want = merged.group_by(by) if by else {(): _total(merged)}
            assert fast[start].keys() == want.keys()
            for group, sums in want.items():
                assert all(math.isclose(v, fast[start][group][m]) for m, v in sums.items())


def _total(partial: WindowPartial) -> dict[str, float]:
    out: dict[str, float] = {}
    for sums in partial.sigs.values():
        for m, v in sums.items():
            out[m] = out.get(m, 0.0) + v
    return out


def test_window_metric_equals_window_groups_of_that_metric(stores: MemoryStores) -> None:
    span = (START_MS, START_MS + 130 * 60_000)
    for by in (("type",), ("model", "type"), ()):
        for metric in (TOKEN_USAGE, COST_USAGE):
            groups = DashboardData(MemoryRowReader(stores)).window_groups("1m", *span, by)
            want = {s: {k: v[metric] for k, v in g.items() if v.get(metric)} for s, g in groups.items()}
            fast = DashboardData(MemoryRowReader(stores)).window_metric("1m", *span, by, metric)
            assert fast.keys() == want.keys()
            assert any(fast.values()) or (metric == COST_USAGE and by)  # cost.usage has no `type`
            for start, got in fast.items():
                assert got.keys() == want[start].keys()
                assert all(math.isclose(v, want[start][k]) for k, v in got.items())
            shared = DashboardData(MemoryRowReader(stores))  # grouped first, then one metric from the cache
            shared.window_groups("1m", *span, by)
            again = shared.window_metric("1m", *span, by, metric)
            assert again.keys() == fast.keys()
            assert all(math.isclose(v, fast[s][k]) for s, got in again.items() for k, v in got.items())
