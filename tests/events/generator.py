"""Random Claude Code events with the real CLI's quirks, as exporter lines in subscription records.

Quirks: token counts as ints, numeric strings or integral doubles; `success` as a bool or "true"/"false";
durations as strings (tool_result); `event.sequence` restarting; prompt text and tool input sent (they must never
be stored). No ccstream code is used to build them.
"""

from __future__ import annotations

import gzip
import json
import random
from typing import Any

from tests.events.oracle import exporter_line

START = 1_796_319_000_000  # 2026-12-03T17:30:00Z
SPAN = 3 * 3600 * 1000
MODELS = ["claude-opus-5-5", "claude-sonnet-4-5-20250929", "us.anthropic.claude-haiku-4-5"]
TOOLS = ["Write", "Edit", "Bash", "Read", "Agent"]
SECRET = "TOP-SECRET-PROMPT-TEXT"


def _num(rng: random.Random, n: int) -> Any:
    return rng.choice([n, str(n), float(n)])


def random_event(rng: random.Random, ts: int, user: int, session: str, seq: int) -> dict[str, Any]:
    team = ["core", "web", "emea"][user % 3]
    attrs: dict[str, Any] = {
        "user.id": f"{user:064x}",
        "session.id": session,
        "team.id": team,
        "department": "eng",
        "event.sequence": seq,
        "event.timestamp": "2026-12-03T17:31:10.256Z",
        "terminal.type": "non-interactive",
    }
    if user % 2:
        attrs["user.email"] = f"dev{user}@acme.example"
    kind = rng.choices(
        [
            "api_request",
            "api_error",
            "api_retries_exhausted",
            "tool_decision",
            "tool_result",
            "user_prompt",
            "compaction",
            "subagent_completed",
            "plugin_loaded",
        ],
        weights=[30, 3, 2, 10, 10, 8, 1, 1, 3],
    )[0]
    model = rng.choice(MODELS)
    if kind == "api_request":
        attrs |= {
            "model": model,
            "query_source": rng.choice(["sdk", "agent:builtin:general-purpose", "compact"]),
            "effort": rng.choice(["medium", "high"]),
            "input_tokens": _num(rng, rng.randrange(0, 5000)),
            "output_tokens": _num(rng, rng.randrange(0, 2000)),
            "cache_read_tokens": rng.randrange(0, 20000),
            "cache_creation_tokens": rng.randrange(0, 3000),
            "cache_creation_5m_tokens": rng.randrange(0, 2000),
            "cache_creation_1h_tokens": rng.randrange(0, 1000),
            "cost_usd": 0.0123,
            "cost_usd_micros": rng.randrange(0, 50_000),
            "duration_ms": _num(rng, int(rng.lognormvariate(6, 1.2)) + 1),
            "ttft_ms": rng.randrange(0, 900),
            "request_id": f"req_{rng.getrandbits(48):x}",
        }
        if rng.random() < 0.3:
            attrs["agent.name"] = "general-purpose"
    elif kind in ("api_error", "api_retries_exhausted"):
        attrs |= {"model": model, "status_code": _num(rng, rng.choice([429, 500, 529])), "error": "injected"}
        if kind == "api_error":
            attrs |= {"attempt": rng.randrange(1, 4), "duration_ms": rng.randrange(1, 900)}
        else:
            attrs |= {"total_attempts": rng.randrange(1, 4), "total_retry_duration_ms": rng.randrange(1, 9000)}
    elif kind == "tool_decision":
        attrs |= {
            "tool_name": rng.choice(TOOLS),
            "decision": rng.choice(["accept", "reject"]),
            "source": rng.choice(["config", "user_temporary", "user_reject"]),
            "permission_mode": rng.choice(["default", "acceptEdits", "bypassPermissions"]),
            "tool_input": SECRET,
        }
    elif kind == "tool_result":
        attrs |= {
            "tool_name": rng.choice(TOOLS),
            "success": rng.choice([True, False, "true", "false"]),
            "duration_ms": str(rng.randrange(0, 5000)),
            "tool_input_size_bytes": str(rng.randrange(1, 900)),
            "tool_parameters": SECRET,
        }
    elif kind == "user_prompt":
        attrs |= {"prompt_length": str(len(SECRET)), "prompt": SECRET, "prompt.id": f"p{rng.getrandbits(32):x}"}
    elif kind == "compaction":
        attrs |= {
            "trigger": rng.choice(["auto", "manual"]),
            "success": rng.choice(["true", "false"]),
            "duration_ms": str(rng.randrange(100, 9000)),
            "pre_tokens": str(rng.randrange(1000, 200000)),
        }
    elif kind == "subagent_completed":
        attrs |= {
            "agent_type": "general-purpose",
            "model": model,
            "total_tokens": rng.randrange(0, 9000),
            "total_tool_uses": rng.randrange(0, 9),
            "duration_ms": rng.randrange(0, 9000),
        }
    attrs["event.name"] = kind
    return {"ts": ts, "name": kind, "attrs": attrs, "resource": {"department": "eng", "team.id": team}}


def envelope(stream: str, events: list[tuple[int, int, str]], group: str = "/aws/claude-code/events") -> bytes:
    env = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": ["events-to-kinesis"],
        "logEvents": [{"id": str(i), "timestamp": ts, "message": msg} for i, ts, msg in events],
    }
    return gzip.compress(json.dumps(env).encode())


def random_records(
    seed: int, n_records: int, shards: int = 2, start: int = START
) -> tuple[dict[str, list[Any]], list[dict[str, Any]]]:
    """({shard: [(sequence, data, arrival ms)]}, events) over [start, start + SPAN); events sorted by time within a
    record."""
    rng = random.Random(seed)
    by_shard: dict[str, list[Any]] = {f"shardId-{i:012d}": [] for i in range(shards)}
    events: list[dict[str, Any]] = []
    eid = 0
    for r in range(n_records):
        batch = []
        for _ in range(rng.randrange(1, 8)):
            user = rng.randrange(12)
            e = random_event(rng, start + rng.randrange(SPAN), user, f"s-{user}-{rng.randrange(3)}", rng.randrange(40))
            events.append(e)
            batch.append((eid, e["ts"], exporter_line(e)))
            eid += 1
        batch.sort(key=lambda b: b[1])
        shard = rng.choice(list(by_shard))
        by_shard[shard].append((10**55 + r, envelope(f"events-{r % 3}", batch), start + SPAN))
    return by_shard, events
