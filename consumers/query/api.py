"""`ccstream query`: one metric, one window size, optional `--by` attributes, a time range → rows.

Each window's answer merges the partial rows of every shard (and every user bucket). Supported:
- any metric (Claude Code's, unknown new ones, and the derived `ccstream.token_cost.usd`) by nothing, by any
  combination of the groupable attributes (see `aggregates/dimensions.py`), or by `user.email` (email, falling
  back to user.id);
- `active_users` and `sessions`: distinct counts per window (by nothing). `active_users` is exact; `sessions` is
  exact unless a user of the window passed `CCSTREAM_MAX_SESSIONS_PER_USER` (that user's sessions are then an HLL
  sketch): such a row says `approximate`.
"""

from __future__ import annotations

from dataclasses import dataclass

from consumers.aggregates.dimensions import GROUPABLE_ATTRIBUTES
from consumers.aggregates.partials import UserPartial, WindowPartial, distinct_sessions
from consumers.errors import UnsupportedQuery
from consumers.query.reader import RowReader
from consumers.windows.definitions import WINDOW_SIZES, iso

USER_ATTRS = ("user.email", "user", "user.id")
DISTINCT_METRICS = ("active_users", "sessions")


@dataclass(frozen=True)
class QueryRow:
    window_start_ms: int
    labels: dict[str, str]
    value: float
    #: None: an exact sum (every metric); True/False for `sessions`, whose count may come from an HLL sketch
    approximate: bool | None = None

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"window_start": iso(self.window_start_ms), **self.labels, "value": self.value}
        if self.approximate is not None:
            out["approximate"] = self.approximate
        return out


def supported_help() -> str:
    return (
        f"windows: {', '.join(WINDOW_SIZES)}; METRIC: a metric name (claude_code.token.usage, …, "
        f"ccstream.token_cost.usd) or {' / '.join(DISTINCT_METRICS)}; --by: any combination of "
        f"{', '.join(GROUPABLE_ATTRIBUTES)}; or user.email alone (email, falling back to user.id). "
        f"active_users/sessions take no --by."
    )


def merge_window_rows(reader: RowReader, size: str, from_ms: int, to_ms: int) -> dict[int, WindowPartial]:
    out: dict[int, WindowPartial] = {}
    for _, key, doc in reader.rows("W", size, from_ms, to_ms):
        out.setdefault(key.start_ms, WindowPartial()).merge(WindowPartial.from_doc(doc))
    return out


def merge_user_rows(reader: RowReader, size: str, from_ms: int, to_ms: int) -> dict[int, UserPartial]:
    out: dict[int, UserPartial] = {}
    for _, key, doc in reader.rows("U", size, from_ms, to_ms):
        out.setdefault(key.start_ms, UserPartial()).merge(UserPartial.from_doc(doc))
    return out


def query_metric(
    reader: RowReader, metric: str, window: str, by: tuple[str, ...], from_ms: int, to_ms: int
) -> list[QueryRow]:
    if window not in WINDOW_SIZES:
        raise UnsupportedQuery(f"unknown window {window!r}. Supported {supported_help()}")
    if metric in DISTINCT_METRICS:
        if by:
            raise UnsupportedQuery(f"{metric} is a distinct count per window and takes no --by. {supported_help()}")
        rows = []
        for start, up in sorted(merge_user_rows(reader, window, from_ms, to_ms).items()):
            if metric == "active_users":
                rows.append(QueryRow(start, {}, float(len(up.users))))
                continue
            count = distinct_sessions(list(up.users.values()))  # approximate past the per-user limit
            rows.append(QueryRow(start, {}, count.value, approximate=count.approximate))
        return rows
    if len(by) == 1 and by[0] in USER_ATTRS:
        rows = []
        for start, up in sorted(merge_user_rows(reader, window, from_ms, to_ms).items()):
            for user, entry in sorted(up.users.items()):
                if metric in entry.sums:
                    rows.append(QueryRow(start, {by[0]: user}, entry.sums[metric]))
        return rows
    unknown = [a for a in by if a not in GROUPABLE_ATTRIBUTES]
    if unknown or len(set(by)) != len(by):
        raise UnsupportedQuery(f"cannot group by {' + '.join(by)}. Supported {supported_help()}")
    rows = []
    for start, wp in sorted(merge_window_rows(reader, window, from_ms, to_ms).items()):
        for values, sums in sorted(wp.group_by(by).items()):
            if metric in sums:
                rows.append(QueryRow(start, dict(zip(by, values, strict=True)), sums[metric]))
    return rows


COST_PAIR = ("claude_code.cost.usage", "ccstream.token_cost.usd")


@dataclass(frozen=True)
class CostMismatch:
    window_start_ms: int
    labels: dict[str, str]
    reported_usd: float
    priced_usd: float

    @property
    def ratio(self) -> float:
        return self.reported_usd / self.priced_usd if self.priced_usd else float("inf")


def cost_mismatches(
    reader: RowReader, window: str, by: tuple[str, ...], from_ms: int, to_ms: int, tolerance: float = 0.25
) -> list[CostMismatch]:
    """Windows where Claude Code's own cost estimate and token usage × list price differ by more than `tolerance`."""
    reported = {
        (r.window_start_ms, tuple(sorted(r.labels.items()))): r.value
        for r in query_metric(reader, COST_PAIR[0], window, by, from_ms, to_ms)
    }
    priced = {
        (r.window_start_ms, tuple(sorted(r.labels.items()))): r.value
        for r in query_metric(reader, COST_PAIR[1], window, by, from_ms, to_ms)
    }
    out = []
    for key in sorted(reported.keys() | priced.keys()):
        a, b = reported.get(key, 0.0), priced.get(key, 0.0)
        if max(a, b) > 0.01 and abs(a - b) > tolerance * max(a, b):
            out.append(CostMismatch(key[0], dict(key[1]), a, b))
    return out
