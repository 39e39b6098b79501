"""A KCL application's own health metrics, for the alarms of infra/streaming.yaml (namespace ClaudeCode,
dimension Application): `Heartbeat` at most once a minute on every processRecords call (empty ones included, so a
live but idle application still beats), `DeadLetters` per `Reason`, and plain counters (`ConsumerErrors`,
`DeadLetterRecords`, `TransientFailures`). Best effort: a failure to publish is logged, never raised, so it can
never stop a shard."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

log = logging.getLogger("ccstream.health")

NAMESPACE = "ClaudeCode"
#: PutMetricData takes at most this many datums per call.
MAX_DATUMS = 500


class ApplicationHealth:
    def __init__(self, client: Any, application: str, every_ms: int = 60_000) -> None:
        self.client = client
        self.application = application
        self.every_ms = every_ms
        self._last_beat_ms: int | None = None

    @property
    def _dimensions(self) -> list[dict[str, str]]:
        return [{"Name": "Application", "Value": self.application}]

    def _put(self, data: list[dict[str, Any]]) -> None:
        try:
            for i in range(0, len(data), MAX_DATUMS):
                self.client.put_metric_data(Namespace=NAMESPACE, MetricData=data[i : i + MAX_DATUMS])
        except Exception as exc:
            log.warning("could not publish health metrics of %s: %s", self.application, exc)

    def emit(self, name: str, value: float) -> None:
        self._put([{"MetricName": name, "Value": float(value), "Unit": "Count", "Dimensions": self._dimensions}])

    def beat(self, now_ms: int) -> None:
        if self._last_beat_ms is not None and now_ms - self._last_beat_ms < self.every_ms:
            return
        self._last_beat_ms = now_ms
        self.emit("Heartbeat", 1.0)

    def dead_letters(self, by_reason: Mapping[str, int]) -> None:
        from consumers.sink.cloudwatch import dimension_value

        self._put(
            [
                {
                    "MetricName": "DeadLetters",
                    "Value": float(n),
                    "Unit": "Count",
                    "Dimensions": [*self._dimensions, {"Name": "Reason", "Value": dimension_value(reason)}],
                }
                for reason, n in sorted(by_reason.items())
                if n > 0
            ]
        )
