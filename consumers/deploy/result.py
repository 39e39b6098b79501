"""What a deploy did: per stack the CloudFormation action, its outputs and the emulator gap-fills."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class StackAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class StackResult:
    """One stack after deploy. `filled` lists what was created through service APIs (emulators only)."""

    key: str
    stack_name: str
    action: StackAction
    outputs: dict[str, str]
    filled: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.action is not StackAction.UNCHANGED or bool(self.filled)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "stack_name": self.stack_name,
            "action": str(self.action),
            "changed": self.changed,
            "outputs": dict(self.outputs),
            "filled": list(self.filled),
        }


@dataclass(frozen=True)
class DeployResult:
    """All stacks of one `deploy` call, in the order they were deployed."""

    account: str
    region: str
    endpoint_url: str | None
    stacks: tuple[StackResult, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return any(s.changed for s in self.stacks)

    def stack(self, key: str) -> StackResult:
        for result in self.stacks:
            if result.key == key:
                return result
        raise KeyError(key)

    def output(self, key: str, name: str) -> str | None:
        for result in self.stacks:
            if result.key == key:
                return result.outputs.get(name)
        return None

    def links(self) -> dict[str, str]:
        """The few things a person looks for after a deploy (those the deployed stacks produced)."""
        found = {
            "stream": self.output("streaming", "StreamName"),
            "table": self.output("streaming", "TableName"),
            "dead_letter_bucket": self.output("streaming", "DeadLetterBucket"),
            "collector_endpoint": self.output("monitoring", "CollectorEndpoint"),
            "athena_console": self.output("analytics", "AthenaConsoleUrl"),
            "dashboard": self.output("dashboard", "DashboardUrl"),
        }
        return {k: v for k, v in found.items() if v}

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "changed": self.changed,
            "stacks": [s.to_json() for s in self.stacks],
            "links": self.links(),
        }
