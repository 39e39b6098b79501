"""Checkpointing through kclpy with the retries every record processor needs."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from amazon_kclpy.checkpoint_error import CheckpointError

from consumers.model import Position


def checkpoint_with_retry(
    checkpointer: Any,
    position: Position | None,
    *,
    attempts: int = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> str | None:
    """Checkpoint at `position` (None: the KCL's "everything delivered", e.g. SHARD_END), retrying throttling with
    backoff. Returns None on success, else the KCL's error name (`ShutdownException` when the lease is gone,
    `InvalidStateException`, or `ThrottlingException` after the last attempt)."""
    for attempt in range(attempts):
        try:
            if position is None:
                checkpointer.checkpoint()
            else:
                checkpointer.checkpoint(str(position[0]), position[1])
            return None
        except CheckpointError as exc:
            if exc.value == "ThrottlingException" and attempt < attempts - 1:
                sleep(0.5 * 2**attempt)
                continue
            return str(exc.value)
    return "ThrottlingException"
