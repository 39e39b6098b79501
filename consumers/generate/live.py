"""Live telemetry for `ccstream up`: one batch of EMF lines per wall-clock minute, timestamps = now.

`live_batches` yields the lines of each minute once that minute is over, so every timestamp is in the past
(at most about a minute old) when the caller sends them with PutLogEvents. With `backfill_minutes` it first
catches up on that many past minutes without waiting, so a dashboard has history right away.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

from consumers.generate.activity import MINUTE_MS
from consumers.generate.lines import EmfLine
from consumers.generate.population import build_population
from consumers.generate.simulator import SimulationOptions, Simulator


def wall_clock_ms() -> int:
    return int(time.time() * 1000)


def live_batches(
    users: int,
    seed: int,
    *,
    options: SimulationOptions | None = None,
    backfill_minutes: int = 0,
    minutes: int | None = None,
    now_ms: Callable[[], int] = wall_clock_ms,
    sleep_s: Callable[[float], object] = time.sleep,
) -> Iterator[list[EmfLine]]:
    """Endless (or `minutes` long) per-minute batches for the current time; blocks until each minute ends.

    The first batch is the minute that just ended (or `backfill_minutes` before it). `now_ms` and `sleep_s`
    are injectable for tests.
    """
    sim = Simulator(build_population(users, seed), seed, options)
    current = now_ms()
    minute_ms = current - current % MINUTE_MS - MINUTE_MS * (1 + max(0, backfill_minutes))
    produced = 0
    while minutes is None or produced < minutes:
        wait_ms = minute_ms + MINUTE_MS - now_ms()
        if wait_ms > 0:
            sleep_s(wait_ms / 1000)
            continue
        yield sim.step(minute_ms)
        produced += 1
        minute_ms += MINUTE_MS
