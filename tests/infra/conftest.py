"""Helpers of the infra tests. Tests share one emulator, so each deployment gets a unique prefix."""

from __future__ import annotations

import uuid

from consumers.config import Names


def unique_names(tag: str = "t") -> Names:
    """Names no other test (or engineer) uses on the shared emulator."""
    prefix = f"{tag}{uuid.uuid4().hex[:8]}"
    return Names(prefix=prefix, log_group=f"/aws/claude-code/{prefix}", table=f"{prefix}-ClaudeCodeMetrics")
