"""`ccstream query events.…`: event aggregates per window (or over the whole range), grouped, as rows.

NAME is `events.<event>` (how many) or `events.<event>.<field>` (a summed field or a distribution):
`events.api_request.duration_ms --stat p95 --by model`, `events.api_error --by status_code`,
`events.api_request.cost_usd_micros --by agent.name`, `events.tool_result --stat success_rate --by tool_name`.
Every shard's `E` rows of a window are merged first (`EventPartial.merge`); `--total` merges every window of the
range too, so p50/p95/p99 of any range come from one merged sketch (within `sketch.RELATIVE_ACCURACY`).
"""

from __future__ import annotations

from dataclasses import dataclass

from consumers.aggregates.events import FAILURES, SUCCESSES, EventPartial
from consumers.aggregates.sketch import Sketch
from consumers.errors import UnsupportedQuery
from consumers.query.api import QueryRow
from consumers.query.reader import RowReader
from consumers.windows.definitions import WINDOW_SIZES
from schemas import events as ev

SUM, COUNT, MEAN, SUCCESS_RATE = "sum", "count", "mean", "success_rate"
QUANTILES = {"p50": 0.50, "p90": 0.90, "p95": 0.95, "p99": 0.99}
STATS = (SUM, COUNT, MEAN, SUCCESS_RATE, *QUANTILES)


def is_event_query(name: str) -> bool:
    return name.startswith(ev.QUERY_PREFIX)


@dataclass(frozen=True)
class EventQuery:
    event: str
    field: str | None
    stat: str
    by: tuple[str, ...]
    family: ev.Family


def parse(name: str, stat: str | None, by: tuple[str, ...]) -> EventQuery:
    """Resolve NAME, --stat and --by to the family that can answer; UnsupportedQuery lists what can."""
    rest = name.removeprefix(ev.QUERY_PREFIX)
    event, _, field = rest.partition(".")
    families = [f for f in ev.FAMILIES if f.event == event]
    if not families:
        known = sorted({f.event for f in ev.FAMILIES})
        raise UnsupportedQuery(f"unknown event {event!r}; events: {', '.join(known)}")
    stat = stat or (SUM if field else COUNT)
    if stat not in STATS:
        raise UnsupportedQuery(f"unknown --stat {stat!r}; choose one of {', '.join(STATS)}")
    for fam in families:
        if field and field not in fam.fields:
            continue
        if stat in QUANTILES:
            if field not in fam.sketched or not set(by) <= set(fam.sketch_by):
                continue
        elif not set(by) <= set(fam.by):
            continue
        if stat == SUCCESS_RATE and SUCCESSES not in fam.fields:
            continue
        return EventQuery(event, field or None, stat, by, fam)
    options = "; ".join(
        f"fields {', '.join(f.fields)} by {', '.join(f.by)}"
        + (f" (distributions of {', '.join(f.sketched)} by {', '.join(f.sketch_by)})" if f.sketched else "")
        for f in families
    )
    raise UnsupportedQuery(f"events.{event}: no aggregate answers {field or 'count'} / {stat} by {by}: {options}")


def merged_windows(reader: RowReader, size: str, from_ms: int, to_ms: int) -> dict[int, EventPartial]:
    out: dict[int, EventPartial] = {}
    for _, key, doc in reader.rows(ev.ROW_KIND, size, from_ms, to_ms):
        out.setdefault(key.start_ms, EventPartial()).merge(EventPartial.from_doc(doc))
    return out


def query_events(
    reader: RowReader,
    name: str,
    window: str,
    by: tuple[str, ...],
    from_ms: int,
    to_ms: int,
    stat: str | None = None,
    total: bool = False,
) -> list[QueryRow]:
    if window not in WINDOW_SIZES:
        raise UnsupportedQuery(f"unknown window {window!r}")
    q = parse(name, stat, by)
    windows = merged_windows(reader, window, from_ms, to_ms)
    if total and windows:
        whole = EventPartial()
        for p in windows.values():
            whole.merge(p)
        windows = {from_ms: whole}
    rows: list[QueryRow] = []
    for start in sorted(windows):
        for labels, value in answer(windows[start], q):
            rows.append(QueryRow(start, dict(zip(q.by, labels, strict=True)), value))
    return rows


def answer(p: EventPartial, q: EventQuery) -> list[tuple[tuple[str, ...], float]]:
    """The value of each group of one (merged) partial, groups in sorted order; groups without data are left out."""
    fam = q.family
    if q.stat in QUANTILES:
        name = f"{fam.name}.{q.field}"
        sketches: dict[tuple[str, ...], Sketch] = p.sketch_by(name, q.by, fam.sketch_by)
        out = []
        for labels in sorted(sketches):
            v = sketches[labels].quantile(QUANTILES[q.stat])
            if v is not None:
                out.append((labels, v))
        return out
    groups = p.group_by(fam.name, q.by)
    out = []
    for labels in sorted(groups):
        counts = groups[labels]
        n = counts.get(fam.count, 0)
        if q.stat == COUNT:
            value: float = n
        elif q.stat == SUCCESS_RATE:
            done = counts.get(SUCCESSES, 0) + counts.get(FAILURES, 0)
            if not done:
                continue
            value = counts.get(SUCCESSES, 0) / done
        elif q.stat == MEAN:
            if not n or q.field not in counts:
                continue
            value = counts[q.field or ""] / n
        else:
            if q.field not in counts:
                continue
            value = counts[q.field or ""]
        out.append((labels, value))
    return out


def supported_help() -> str:
    events = ", ".join(sorted({f.event for f in ev.FAMILIES}))
    return (
        f"Events: events.<event>[.<field>] with --stat {'|'.join(STATS)} and --total (events: {events}; "
        "e.g. events.api_request.duration_ms --stat p95 --by model)."
    )
