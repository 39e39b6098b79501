"""A month of token usage on the emulator's table, aggregated by the real ShardPipeline, for the spend tests.

Points are plain data built here (EMF lines via tests/core/telemetry.py's independent builders); expected figures
in the tests are computed from these points with prices typed in from shared/reference/platform.md.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from consumers.aws import AwsTarget
from consumers.config import Names, Tunables
from consumers.emulator import EmbeddedEmulator
from consumers.model import SourceRecord
from consumers.pipeline import ShardPipeline
from consumers.sink.memory import MemoryStores
from tests.core.tables import create_metrics_table, put_rows
from tests.core.telemetry import emf_line, envelope_bytes

DAY = 86_400_000
OCT_20 = 1_792_454_400_000  # 2026-10-20T00:00:00Z
NOV_1 = 1_793_491_200_000
NOV_21 = NOV_1 + 20 * DAY
SONNET = "us.anthropic.claude-sonnet-4-20250514-v1:0"
OPUS = "us.anthropic.claude-opus-4-5-20251101-v1:0"
HAIKU = "claude-haiku-4-5-20251001"
NEW = "claude-opus-5-5"
#: list USD per million tokens, typed in from platform.md (NEW has none: unpriced)
PRICE = {
    SONNET: {"input": 3, "output": 15, "cacheRead": 0.3, "cacheCreation": 3.75},
    OPUS: {"input": 5, "output": 25, "cacheRead": 0.5, "cacheCreation": 6.25},
    HAIKU: {"input": 1, "output": 5, "cacheRead": 0.1, "cacheCreation": 1.25},
}
USERS = {  # user → (team, cost center, department)
    "ann@example.com": ("payments", "cc-10", "eng"),
    "ben@example.com": ("payments", "cc-10", "eng"),
    "cat@example.com": ("search", "cc-20", "eng"),
    "dov@example.com": ("search", "cc-20", "research"),
    "eve@example.com": ("infra", "cc-30", "eng"),
}


@dataclass(frozen=True)
class TokenPoint:
    ts: int
    user: str
    model: str
    token_type: str
    tokens: float

    @property
    def team(self) -> str:
        return USERS[self.user][0]

    @property
    def cost_center(self) -> str:
        return USERS[self.user][1]

    @property
    def usd(self) -> float | None:
        price = PRICE.get(self.model)
        return None if price is None else self.tokens * price[self.token_type] / 1e6


def month_points(seed: int = 11) -> list[TokenPoint]:
    rng = random.Random(seed)
    out = []
    for day in range(OCT_20, NOV_21, DAY):
        for user in USERS:
            if rng.random() < 0.15:
                continue
            for _ in range(rng.randrange(1, 4)):
                ts = day + rng.randrange(8 * 3_600_000, 20 * 3_600_000)
                model = rng.choice(
                    [SONNET, OPUS, HAIKU, HAIKU, NEW] if user == "eve@example.com" else [SONNET, OPUS, HAIKU]
                )
                for typ in ("input", "output", "cacheRead", "cacheCreation"):
                    out.append(TokenPoint(ts, user, model, typ, float(rng.randrange(1_000, 400_000))))
    return sorted(out, key=lambda p: p.ts)


def _line(p: TokenPoint) -> str:
    team, cc, dept = USERS[p.user]
    attrs = {
        "user.email": p.user,
        "user.id": f"id-{p.user}",
        "session.id": f"s-{p.user}-{p.ts // DAY}",
        "department": dept,
        "team.id": team,
        "cost_center": cc,
        "model": p.model,
        "type": p.token_type,
    }
    return emf_line(p.ts, attrs, {"claude_code.token.usage": p.tokens})


def load_points(target: AwsTarget, table: str, points: list[TokenPoint]) -> None:
    stores = MemoryStores()
    pipe = ShardPipeline("spend", "shardId-000000000000", stores.stores(), Tunables(), clock_ms=lambda: 0)
    records = []
    for i in range(0, len(points), 20):
        chunk = points[i : i + 20]
        data = envelope_bytes("s", [(j, p.ts, _line(p)) for j, p in enumerate(chunk, start=i)])
        records.append(SourceRecord("shardId-000000000000", i + 1, 0, "pk", data, chunk[-1].ts))
    pipe.process(records)
    pipe.flush(force=True)
    client = target.client("dynamodb")
    create_metrics_table(client, table)
    put_rows(client, table, stores)


@dataclass(frozen=True)
class MonthTable:
    target: AwsTarget
    names: Names
    points: list[TokenPoint]


@pytest.fixture(scope="session")
def month_table(emulator: EmbeddedEmulator) -> Iterator[MonthTable]:
    target = AwsTarget(endpoint_url=emulator.url, region="us-east-1")
    names = Names(prefix="spend", table=f"spend-{uuid.uuid4().hex[:8]}")
    points = month_points()
    load_points(target, names.table, points)
    yield MonthTable(target, names, points)
