"""Each part of the shard pipeline on its own, with literal inputs and an injected clock (no decoding, no store
but the in-memory one): lateness screening, flush schedule, checkpoint tracker, pricer, rows and fences, limits,
publishing."""

from __future__ import annotations

from consumers.aggregates.batch import FineBatch
from consumers.aggregates.dimensions import OTHER_GROUP, signature_key
from consumers.aggregates.partials import UserPartial, WindowPartial
from consumers.aggregates.pricing import PRICED_COST, UNPRICED_TOKENS, Pricer
from consumers.config import Tunables
from consumers.decode.lines import Line
from consumers.model import RowKey
from consumers.query.api import query_metric
from consumers.query.reader import MemoryRowReader
from consumers.shard.checkpoints import CheckpointTracker, FlushSchedule
from consumers.shard.counters import Counters
from consumers.shard.publisher import ClosedWindowPublisher
from consumers.shard.rowbook import RowBook
from consumers.sink.base import ShardSnapshot
from consumers.sink.memory import MemoryStores
from consumers.windows.definitions import WINDOW_SIZES
from consumers.windows.lateness import screen
from consumers.windows.watermark import Lateness
from schemas.prices import PriceTable, load_prices

M = 60_000
H = 60 * M
T0 = 1_763_679_600_000  # 2025-11-20T23:00:00Z, a whole hour
SIZES = (WINDOW_SIZES["1m"], WINDOW_SIZES["1h"], WINDOW_SIZES["1d"])
SHARD = "shardId-000000000000"
COMMITS = "claude_code.commit.count"
TOKENS = "claude_code.token.usage"


def sig(department: str, model: str | None = None, typ: str | None = None) -> tuple[str | None, ...]:
    return (model, typ, department, None, None, None, None, None, None)


def line(index: int, ts: int, values: list[tuple[str, float]], department: str = "eng", **kw: str) -> Line:
    return Line(index, ts, sig(department, kw.get("model"), kw.get("typ")), kw.get("user"), kw.get("session"), values)


class FixedPrices(PriceTable):  # type: ignore[misc]
    def __init__(self) -> None:
        pass

    def price_per_token(self, model: str, token_type: str) -> float | None:
        return {("m1", "input"): 0.5}.get((model, token_type))


# --------------------------------------------------------------------------------------------------- lateness
def test_screen_passes_a_record_within_the_bound_and_moves_the_watermark() -> None:
    lines = [line(0, T0 + 5, [(COMMITS, 1)]), line(1, T0 + 9, [(COMMITS, 1)])]
    assert screen(lines, arrival_ms=T0 + 10, watermark_ms=T0, allowed_lateness_ms=H, max_future_ms=H) == (T0 + 9, {})


def test_screen_marks_late_and_future_lines_and_they_do_not_move_the_watermark() -> None:
    lines = [
        line(0, T0 - 2 * H, [(COMMITS, 1)]),  # 2 h behind the watermark, 1 h allowed: late
        line(1, T0 + 30 * M, [(COMMITS, 1)]),  # on time: moves the watermark
        line(2, T0 + 5 * H, [(COMMITS, 1)]),  # 4 h after arrival, 1 h allowed: future
    ]
    wm, late = screen(lines, arrival_ms=T0 + H, watermark_ms=T0, allowed_lateness_ms=H, max_future_ms=H)
    assert wm == T0 + 30 * M
    assert late == {0: Lateness.LATE, 2: Lateness.FUTURE}


def test_screen_without_arrival_time_never_calls_a_line_future() -> None:
    wm, late = screen([line(0, T0 + 100 * H, [(COMMITS, 1)])], 0, T0, H, H)
    assert (wm, late) == (T0 + 100 * H, {})


# --------------------------------------------------------------------------------------------------- schedule
def test_flush_schedule_follows_the_injected_clock() -> None:
    tun = Tunables(flush_interval_ms=10, user_flush_interval_ms=30, size_flush_interval_ms={"1d": 50})
    sched = FlushSchedule(tun, ["1m", "1d"], now_ms=1000)
    assert sched.due(1009) == set()
    assert sched.due(1010) == {("W", "1m")}
    sched.flushed({("W", "1m")}, 1010)
    assert sched.due(1030) == {("W", "1m"), ("U", "1m")}
    assert sched.due(1050) == {("W", "1m"), ("U", "1m"), ("W", "1d"), ("U", "1d")}
    assert len(sched.due(1011, force=True)) == 4


def test_tracker_hands_out_the_latest_batch_end_before_the_first_dirty_record() -> None:
    t = CheckpointTracker()
    for seq in (3, 7, 9):
        t.batch_end(ShardSnapshot((seq, 0), 0, {}))
    assert t.safe((7, 0)) == ShardSnapshot((3, 0), 0, {})
    assert t.safe((7, 0)) is None  # handed out once
    assert t.pending
    assert t.safe(None) == ShardSnapshot((9, 0), 0, {})
    assert not t.pending


# --------------------------------------------------------------------------------------------------- pricing
def test_pricer_prices_known_tokens_and_counts_unknown_ones() -> None:
    p = Pricer(FixedPrices())
    assert p.derive(sig("eng", "m1", "input"), 10.0) == (PRICED_COST, 5.0)
    assert p.derive(sig("eng", "m2", "input"), 10.0) == (UNPRICED_TOKENS, 10.0)


def test_pricer_uses_the_shipped_table() -> None:
    assert Pricer(load_prices()).derive(sig("eng", "nobody-model", "input"), 3.0) == (UNPRICED_TOKENS, 3.0)


# --------------------------------------------------------------------------------------------------- rows
def book(stores: MemoryStores, **tun: object) -> RowBook:
    return RowBook(SHARD, stores, SIZES, Tunables(user_buckets=1, **tun))  # type: ignore[arg-type]


def fine(lines: list[Line], pricer: Pricer) -> FineBatch:
    f = FineBatch()
    f.fold(lines, pricer.derive)
    return f


def test_rows_skip_records_their_fence_already_holds_and_refuse_a_fence_inside_a_batch() -> None:
    stores, pricer, counters = MemoryStores(), Pricer(FixedPrices()), Counters()
    b = book(stores)
    assert b.apply(fine([line(0, T0, [(COMMITS, 2)])], pricer), (1, 0), (1, 0), pricer.derive, counters)
    assert b.first_dirty() == (1, 0)
    writes = b.writes({("W", "1m"), ("W", "1h"), ("W", "1d"), ("U", "1m"), ("U", "1h"), ("U", "1d")}, (1, 0))
    stores.save_rows(SHARD, writes)
    b.mark_written(writes)
    assert b.first_dirty() is None and len(writes) == 3  # W rows of 1m/1h/1d; no user on the line

    replay = book(stores)  # a restart: rows come back from the store with fence (1, 0)
    assert replay.apply(fine([line(0, T0, [(COMMITS, 2)])], pricer), (1, 0), (1, 0), pricer.derive, counters)
    assert replay.first_dirty() is None  # already held: nothing applied
    assert not replay.apply(fine([line(0, T0, [(COMMITS, 1)])], pricer), (0, 0), (2, 0), pricer.derive, counters)
    assert replay.apply(fine([line(0, T0, [(COMMITS, 5)])], pricer), (2, 0), (3, 0), pricer.derive, counters)
    w1m = replay.rows[RowKey("W", "1m", T0, 0)].partial
    assert isinstance(w1m, WindowPartial) and w1m.sigs == {signature_key(sig("eng")): {COMMITS: 7.0}}


def test_groups_past_the_limit_fold_into_other_and_totals_stay_exact() -> None:
    stores, pricer, counters = MemoryStores(), Pricer(FixedPrices()), Counters()
    b = book(stores, max_groups_per_window=3)
    lines = [line(i, T0 + i, [(COMMITS, 1.0)], department=f"d{i}") for i in range(5)]
    b.apply(fine(lines, pricer), (1, 0), (1, 0), pricer.derive, counters)
    partial = b.rows[RowKey("W", "1m", T0, 0)].partial
    assert isinstance(partial, WindowPartial)
    other = "\x1f".join([OTHER_GROUP] * 9)
    assert partial.sigs == {
        signature_key(sig("d0")): {COMMITS: 1.0},
        signature_key(sig("d1")): {COMMITS: 1.0},
        signature_key(sig("d2")): {COMMITS: 1.0},
        other: {COMMITS: 2.0},
    }
    assert partial.points == 5
    assert counters.values["limits.groups_overflow.1m"] == 2
    assert counters.values["limits.groups_overflow.1d"] == 2
    stores.save_rows(SHARD, b.writes({("W", "1m")}, (1, 0)))
    reader = MemoryRowReader(stores)
    assert [r.value for r in query_metric(reader, COMMITS, "1m", (), T0, T0 + M)] == [5.0]
    by_dep = {r.labels["department"]: r.value for r in query_metric(reader, COMMITS, "1m", ("department",), T0, T0 + M)}
    assert by_dep == {"d0": 1.0, "d1": 1.0, "d2": 1.0, OTHER_GROUP: 2.0}


def test_sessions_past_the_limit_become_an_approximate_count() -> None:
    stores, pricer, counters = MemoryStores(), Pricer(FixedPrices()), Counters()
    b = book(stores, max_sessions_per_user=10)
    lines = [line(i, T0, [(COMMITS, 1.0)], user="bot@x", session=f"s{i}") for i in range(18_000)]
    lines.append(line(18_000, T0, [(COMMITS, 1.0)], user="dev@x", session="only"))
    b.apply(fine(lines, pricer), (1, 0), (1, 0), pricer.derive, counters)
    up = b.rows[RowKey("U", "1d", T0 - T0 % (24 * H), 0)].partial
    assert isinstance(up, UserPartial)
    bot, dev = up.users["bot@x"], up.users["dev@x"]
    assert dev.session_count().value == 1 and not dev.session_count().approximate
    count = bot.session_count()
    assert count.approximate and abs(count.value - 18_000) < 18_000 * 0.05
    assert bot.sums == {COMMITS: 18_000.0}  # sums stay exact
    assert counters.values["limits.sessions_approximate.1d"] == 1
    again = UserPartial.from_doc(up.to_doc())  # the sketch survives the stored document
    assert again.users["bot@x"].session_count() == count


def test_eviction_forgets_clean_rows_of_long_closed_windows_only() -> None:
    stores, pricer, counters = MemoryStores(), Pricer(FixedPrices()), Counters()
    b = book(stores)
    b.apply(fine([line(0, T0, [(COMMITS, 1)])], pricer), (1, 0), (1, 0), pricer.derive, counters)
    b.evict(T0 + 10 * H)
    assert len(b.rows) == 3  # dirty rows stay, however old
    b.mark_written(b.writes({("W", "1m"), ("W", "1h"), ("W", "1d")}, (1, 0)))
    b.evict(T0 + 3 * M + 1)  # the 1m window ended at T0+1m and is kept 2 more minutes
    assert sorted(k.size for k in b.rows) == ["1d", "1h"]


class Sent:
    def __init__(self) -> None:
        self.windows: list[tuple[int, dict[str, object]]] = []

    def publish_window(self, window_start_ms: int, partial: WindowPartial, ratios: bool = True) -> int:
        self.windows.append((window_start_ms, partial.to_doc()))
        return 1


def test_publisher_sends_each_closed_written_window_once_with_its_values() -> None:
    stores, pricer, counters = MemoryStores(), Pricer(FixedPrices()), Counters()
    b = book(stores)
    b.apply(fine([line(0, T0, [(COMMITS, 4)])], pricer), (1, 0), (1, 0), pricer.derive, counters)
    writes = b.writes({("W", "1m")}, (1, 0))
    stores.save_rows(SHARD, writes)
    b.mark_written(writes)
    sent = Sent()
    pub = ClosedWindowPublisher(SHARD, stores, sent, counters)
    assert pub.publish(b.rows.values(), watermark_ms=T0 + 2 * M - 1) == 0  # grace not over yet
    assert pub.publish(b.rows.values(), watermark_ms=T0 + 2 * M) == 1
    doc = {"attrs": list(WindowPartial().attrs), "sigs": {signature_key(sig("eng")): {COMMITS: 4.0}}, "points": 1}
    assert sent.windows == [(T0, doc)]
    replay = book(stores)  # a restart replays the record: the row comes back from the store, already published
    replay.apply(fine([line(0, T0, [(COMMITS, 4)])], pricer), (1, 0), (1, 0), pricer.derive, counters)
    assert RowKey("W", "1m", T0, 0) in replay.rows
    assert pub.publish(replay.rows.values(), watermark_ms=T0 + 3 * M) == 0
    assert counters.values["windows_published"] == 1
