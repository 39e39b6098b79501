"""The runaway check as a scheduled Lambda (EventBridge, every minute; infra/dashboard.yaml).

A warm container keeps its baselines for the hour (`BaselineCache`), so most runs read only the last two 1-minute
windows. Alerts go to `CCSTREAM_ALERT_TOPIC_ARN` (else the log); episodes are claimed in the table, so overlapping
runs or a local `ccstream runaway --watch` never send the same alert twice.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.dashboard.config import load_config
from consumers.dashboard.data import DashboardData
from consumers.query.reader import DynamoRowReader
from consumers.spend.runaway_check import BaselineCache, DynamoEpisodeLedger, check_runaway, sender_from_env

log = logging.getLogger(__name__)
log.setLevel(logging.INFO)


@functools.cache
def _cache() -> BaselineCache:
    return BaselineCache()


def handler(event: dict[str, Any] | None = None, context: Any = None) -> dict[str, Any]:
    now_ms = int(time.time() * 1000)
    aws = AwsTarget.from_env()
    table = Names.from_env().table
    client = aws.client("dynamodb")
    settings = load_config().runaway
    out = check_runaway(
        DashboardData(DynamoRowReader(client, table)),
        _cache(),
        DynamoEpisodeLedger(client, table),
        sender_from_env(lambda: aws.client("sns")),
        now_ms,
        settings,
    )
    summary = {"over": [s.key for s in out.spikes], "alerts_sent": len(out.sent)}
    log.info("runaway check: %s", summary)
    return summary
