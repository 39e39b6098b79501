"""Live telemetry for `ccstream up`: one batch of EMF lines per wall-clock minute, timestamps = now.

`live_batches` yields the lines of each minute once that minute is over, so every timestamp is in the past
(at most about a minute old) when the caller sends them with PutLogEvents. With `backfill_minutes` it first
catches up on that many past minutes without waiting, so a dashboard has history right away.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TypeVar

from consumers.generate.activity import MINUTE_MS
from consumers.generate.lines import EmfLine
from consumers.generate.population import build_population
from consumers.generate.simulator import Export, SimulationOptions, Simulator

T = TypeVar("T")


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
    return _live(sim.step, backfill_minutes, minutes, now_ms, sleep_s)


def live_exports(
    users: int,
    seed: int,
    *,
    options: SimulationOptions | None = None,
    backfill_minutes: int = 0,
    minutes: int | None = None,
    now_ms: Callable[[], int] = wall_clock_ms,
    sleep_s: Callable[[float], object] = time.sleep,
) -> Iterator[list[Export]]:
    """As `live_batches`, but each minute's CLI exports (for OTLP) instead of EMF lines."""
    sim = Simulator(build_population(users, seed), seed, options)
    return _live(sim.step_exports, backfill_minutes, minutes, now_ms, sleep_s)


def _live(
    step: Callable[[int], list[T]],
    backfill_minutes: int,
    minutes: int | None,
    now_ms: Callable[[], int],
    sleep_s: Callable[[float], object],
) -> Iterator[list[T]]:
    current = now_ms()
    minute_ms = current - current % MINUTE_MS - MINUTE_MS * (1 + max(0, backfill_minutes))
    produced = 0
    while minutes is None or produced < minutes:
        wait_ms = minute_ms + MINUTE_MS - now_ms()
        if wait_ms > 0:
            sleep_s(wait_ms / 1000)
            continue
        yield step(minute_ms)
        produced += 1
        minute_ms += MINUTE_MS
