"""A seeded simulation of Claude Code users, minute by minute: the CLI processes' exports, sent as OTLP
(`consumers.generate.otlp`) or written as the real collector writes them (`emf_writer`, proven against it).

Each user is idle or in a session. Sessions start with a probability that follows the user's local workday
(`activity`), last a geometric number of minutes and export once a minute at a fixed phase (Claude Code's
periodic reader, 60 s). With delta temporality an export carries only series that changed, so a minute without
interaction writes nothing. Per active minute: API requests (main model, sometimes a Haiku background model)
with tokens by type and the client's cost estimate, active time (`cli` and `user`), edit decisions, lines
added/removed, and occasionally a commit and a pull request. Points with equal labels share one line.
"""

from __future__ import annotations

import math
import random
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from consumers.generate.activity import MINUTE_MS, occupancy, start_probability
from consumers.generate.emf_writer import EmfWriter
from consumers.generate.exports import Export, LabelSet, SeriesKey
from consumers.generate.lines import EmfLine
from consumers.generate.population import UserProfile, build_population
from consumers.generate.streams import collector_log_stream
from consumers.generate.usage import BACKGROUND_PROFILE, MAIN_PROFILE, client_cost_usd, request_tokens
from schemas import catalogue as cat
from schemas.prices import PriceTable, load_prices

#: Adds a value to one series of the export being built.
_Add = Callable[[SeriesKey, str, float | int], None]


@dataclass(frozen=True)
class SimulationOptions:
    """Behaviour knobs; the defaults give realistic volumes (about 10 lines per active user-minute)."""

    mean_session_minutes: float = 35.0
    active_minute_share: float = 0.75
    activity_scale: float = 1.0
    requests_per_minute: float = 2.5
    background_share: float = 0.2
    edits_per_minute: float = 1.2
    commit_chance: float = 0.05
    pull_request_chance: float = 0.3  # of minutes with a commit
    warm_start: bool = True  # begin with the steady-state share of users already in a session


@dataclass(slots=True)
class _Session:
    labels: LabelSet
    log_stream: str
    phase_ms: int
    remaining_minutes: int
    start_type: str
    is_new: bool = True
    accepted_edits: int = 0


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Simulator:
    """Advances all users one minute at a time. Deterministic for (users, seed, options, call sequence)."""

    def __init__(
        self,
        users: Sequence[UserProfile],
        seed: int,
        options: SimulationOptions | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.users = list(users)
        self.options = options or SimulationOptions()
        self._rng = random.Random(f"simulator:{seed}")
        self._prices = prices or load_prices()
        self._sessions: list[_Session | None] = [None] * len(self.users)
        self._writer = EmfWriter()
        self._warm = self.options.warm_start

    def step(self, minute_start_ms: int) -> list[EmfLine]:
        """The collector's lines for every export in [minute_start_ms, minute_start_ms + 60 s), in timestamp order."""
        lines_of = self._writer.lines_of_export
        out = [EmfLine(ts, e.log_stream, text) for e in self.step_exports(minute_start_ms) for ts, text in lines_of(e)]
        out.sort(key=lambda emf: emf.timestamp_ms)
        return out

    def step_exports(self, minute_start_ms: int) -> list[Export]:
        """The exports of every CLI process in [minute_start_ms, minute_start_ms + 60 s), in timestamp order."""
        rng, opts = self._rng, self.options
        if self._warm:
            self._warm = False
            self._warm_up(minute_start_ms)
        start_chance: dict[int, float] = {}
        out: list[Export] = []
        for i, user in enumerate(self.users):
            session = self._sessions[i]
            if session is None:
                offset = user.utc_offset_min
                if offset not in start_chance:
                    share = occupancy(minute_start_ms, offset) * opts.activity_scale
                    start_chance[offset] = start_probability(share, opts.mean_session_minutes)
                if rng.random() >= start_chance[offset] * user.engagement:
                    continue
                session = self._sessions[i] = self._new_session(user)
            if session.is_new or rng.random() < opts.active_minute_share:
                out.append(self._export(user, session, minute_start_ms + session.phase_ms))
            session.remaining_minutes -= 1
            if session.remaining_minutes <= 0:
                self._sessions[i] = None
        out.sort(key=lambda export: export.timestamp_ms)
        return out

    def _warm_up(self, minute_start_ms: int) -> None:
        """Put the steady-state share of users into sessions that began before the simulated span."""
        for i, user in enumerate(self.users):
            share = occupancy(minute_start_ms, user.utc_offset_min) * self.options.activity_scale
            if self._rng.random() < min(0.95, share * user.engagement):
                session = self._sessions[i] = self._new_session(user)
                session.is_new = False

    def _new_session(self, user: UserProfile) -> _Session:
        rng = self._rng
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        labels = dict(user.labels)
        labels["session.id"] = session_id
        labels["terminal.type"] = rng.choice(user.terminals)
        return _Session(
            labels=LabelSet(labels),
            log_stream=collector_log_stream(session_id),
            phase_ms=rng.randrange(MINUTE_MS),
            remaining_minutes=1 + int(rng.expovariate(1.0 / self.options.mean_session_minutes)),
            start_type=rng.choices(("fresh", "resume", "continue"), (80, 12, 8))[0],
        )

    def _export(self, user: UserProfile, session: _Session, timestamp_ms: int) -> Export:
        series: dict[SeriesKey, dict[str, float | int]] = {}

        def add(key: SeriesKey, metric: str, value: float | int) -> None:
            values = series.setdefault(key, {})
            values[metric] = values.get(metric, 0) + value

        if session.is_new:
            session.is_new = False
            add((("start_type", session.start_type),) if user.newer_client else (), cat.SESSION_COUNT, 1)
        self._requests(user, add)
        self._edits(user, session, add)
        self._git(session, add)
        return Export(timestamp_ms, user, session.labels, session.log_stream, series)

    def _requests(self, user: UserProfile, add: _Add) -> None:
        rng, opts = self._rng, self.options
        by_model: dict[str, dict[str, int]] = {}
        cli_seconds = 0.0
        for _ in range(1 + _poisson(rng, opts.requests_per_minute * user.intensity)):
            background = rng.random() < opts.background_share
            model = user.background_model if background else user.main_model
            tokens = request_tokens(rng, BACKGROUND_PROFILE if background else MAIN_PROFILE)
            totals = by_model.setdefault(model, {})
            for token_type, count in tokens.items():
                totals[token_type] = totals.get(token_type, 0) + count
            cli_seconds += rng.lognormvariate(math.log(1.2 if background else 5.0), 0.6)
        for model, totals in by_model.items():
            for token_type in cat.TOKEN_TYPES:
                if token_type in totals:
                    add((("model", model), ("type", token_type)), cat.TOKEN_USAGE, totals[token_type])
            add((("model", model),), cat.COST_USAGE, client_cost_usd(rng, self._prices, model, totals))
        add((("type", "cli"),), cat.ACTIVE_TIME, round(min(cli_seconds, 59.0), 3))
        if rng.random() < 0.9:
            add((("type", "user"),), cat.ACTIVE_TIME, round(rng.uniform(1.5, 42.0), 3))

    def _edits(self, user: UserProfile, session: _Session, add: _Add) -> None:
        rng = self._rng
        added = removed = 0
        for _ in range(_poisson(rng, self.options.edits_per_minute * user.intensity)):
            tool = rng.choices(("Edit", "Write", "NotebookEdit"), (70, 25, 5))[0]
            if tool == "NotebookEdit":
                language = "Python" if rng.random() < 0.6 else "unknown"
            elif rng.random() < 0.04:
                language = "unknown"
            else:
                language = rng.choices(user.languages, user.language_weights)[0]
            accepted = rng.random() < (0.93 if tool == "Edit" else 0.87)
            if accepted:
                source = rng.choices(("config", "user_temporary", "user_permanent"), (45, 35, 20))[0]
                session.accepted_edits += 1
                if tool == "Write":
                    added += max(1, round(rng.lognormvariate(math.log(45), 0.8)))
                else:
                    added += max(1, round(rng.lognormvariate(math.log(10), 0.9)))
                    removed += round(rng.lognormvariate(math.log(4), 1.0)) if rng.random() < 0.8 else 0
            else:
                source = rng.choices(("user_reject", "user_abort"), (80, 20))[0]
            key = (
                ("decision", "accept" if accepted else "reject"),
                ("language", language),
                ("source", source),
                ("tool_name", tool),
            )
            add(key, cat.CODE_EDIT_DECISION, 1)
        model = (("model", user.main_model),) if user.newer_client else ()
        if added:
            add((*model, ("type", "added")), cat.LINES_OF_CODE, added)
        if removed:
            add((*model, ("type", "removed")), cat.LINES_OF_CODE, removed)

    def _git(self, session: _Session, add: _Add) -> None:
        rng = self._rng
        if session.accepted_edits and rng.random() < self.options.commit_chance:
            add((), cat.COMMITS, 2 if rng.random() < 0.1 else 1)
            if rng.random() < self.options.pull_request_chance:
                add((), cat.PULL_REQUESTS, 1)


def simulate_minutes(
    users: int, minutes: int, start_ms: int, seed: int, options: SimulationOptions | None = None
) -> Iterator[list[EmfLine]]:
    """One list of lines per simulated minute, starting at `start_ms`."""
    sim = Simulator(build_population(users, seed), seed, options)
    for minute in range(minutes):
        yield sim.step(start_ms + minute * MINUTE_MS)


def simulate_exports(
    users: int, minutes: int, start_ms: int, seed: int, options: SimulationOptions | None = None
) -> Iterator[list[Export]]:
    """One list of CLI exports per simulated minute (the same activity `simulate_minutes` writes as lines)."""
    sim = Simulator(build_population(users, seed), seed, options)
    for minute in range(minutes):
        yield sim.step_exports(start_ms + minute * MINUTE_MS)


def simulate(
    users: int, minutes: int, start_ms: int, seed: int, options: SimulationOptions | None = None
) -> Iterator[EmfLine]:
    """`users` simulated developers over `minutes` minutes from `start_ms`: EMF lines in timestamp order."""
    for batch in simulate_minutes(users, minutes, start_ms, seed, options):
        yield from batch
