"""Which collector log stream a data point is written to.

The collector runs as `COLLECTOR_TASKS` Fargate tasks behind a load balancer; each writes its own log stream
`otel-stream-<task id>`. A Claude Code session keeps its connection, so all exports of one session land in one
stream. The mapping is a pure function of `session.id`, which lets `ccstream replay` put raw EMF lines back into
the stream the generator would have used.
"""

from __future__ import annotations

import hashlib

COLLECTOR_TASKS = 4
STREAM_PREFIX = "otel-stream-"
#: Stream for lines that carry no `session.id` (foreign or malformed lines on replay).
FALLBACK_STREAM = f"{STREAM_PREFIX}replay"


def collector_task_id(task: int) -> str:
    """The 32-hex-digit id of collector task number `task` (stable, like an ECS task id)."""
    return hashlib.sha256(f"ccstream-collector-task-{task}".encode()).hexdigest()[:32]


def collector_log_stream(session_id: str | None, tasks: int = COLLECTOR_TASKS) -> str:
    """The log stream the collector task serving `session_id` writes to."""
    if not session_id:
        return FALLBACK_STREAM
    task = int.from_bytes(hashlib.sha256(session_id.encode()).digest()[:8], "big") % tasks
    return STREAM_PREFIX + collector_task_id(task)
