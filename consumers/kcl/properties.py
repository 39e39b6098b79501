"""What one KCL application is (`KclApp`) and the properties file the MultiLangDaemon reads for it.

The file is rendered from the commented template `consumers/kcl/kcl.properties` shipped with the package:
`${name}` placeholders are filled from a `KclApp` and an `AwsTarget`. On an emulator the endpoints are set and
the short `LOCAL_TIMINGS` apply; on AWS the endpoint lines are left out and every timing the app does not set
keeps the KCL default, which is what production wants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from importlib import resources
from string import Template

from consumers.aws import AwsTarget
from consumers.errors import ConfigError

TEMPLATE_NAME = "kcl.properties"

#: Property name for each `KclTimings` field (the KCL's spelling).
_TIMING_PROPERTY = {
    "idle_between_reads_ms": "idleTimeBetweenReadsInMillis",
    "failover_ms": "failoverTimeMillis",
    "shard_sync_interval_ms": "shardSyncIntervalMillis",
    "parent_shard_poll_interval_ms": "parentShardPollIntervalMillis",
}


@dataclass(frozen=True)
class KclTimings:
    """KCL timing properties; None leaves the KCL default in place."""

    idle_between_reads_ms: int | None = None
    failover_ms: int | None = None
    shard_sync_interval_ms: int | None = None
    parent_shard_poll_interval_ms: int | None = None
    #: Skip the shard sync at start when leases exist (they were pre-seeded): saves one round of ListShards.
    skip_shard_sync_if_leases_exist: bool | None = None

    def lines(self) -> list[str]:
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if f.name == "skip_shard_sync_if_leases_exist":
                out.append(f"skipShardSyncAtWorkerInitializationIfLeasesExist = {str(value).lower()}")
            else:
                if value <= 0:
                    raise ConfigError(f"KCL timing {f.name} must be positive, got {value}")
                out.append(f"{_TIMING_PROPERTY[f.name]} = {value}")
        return out


#: Fast starts on the embedded emulator (first record ~14 s after start instead of ~70 s with the defaults).
LOCAL_TIMINGS = KclTimings(
    idle_between_reads_ms=250,
    failover_ms=2000,
    shard_sync_interval_ms=2000,
    parent_shard_poll_interval_ms=1000,
    skip_shard_sync_if_leases_exist=True,
)
#: Real AWS: keep every KCL default.
AWS_TIMINGS = KclTimings()


@dataclass(frozen=True)
class KclApp:
    """One KCL application: a record processor command run by the daemon for each shard it leases.

    `name` is the KCL applicationName and therefore the lease table's name. `processor_command` is the argv of the
    record processor (e.g. `(sys.executable, "-m", "consumers.kcl.processor")`).
    """

    name: str
    stream: str
    processor_command: tuple[str, ...]
    worker_id: str
    timings: KclTimings | None = None
    metrics_level: str | None = None
    shutdown_grace_ms: int = 20_000
    label: str = field(default="")

    @property
    def display_name(self) -> str:
        return self.label or self.name

    def timings_for(self, target: AwsTarget) -> KclTimings:
        if self.timings is not None:
            return self.timings
        return LOCAL_TIMINGS if target.is_emulator else AWS_TIMINGS

    def metrics_level_for(self, target: AwsTarget) -> str:
        if self.metrics_level is not None:
            return self.metrics_level
        return "NONE" if target.is_emulator else "SUMMARY"


def executable_line(command: tuple[str, ...]) -> str:
    """The `executableName` value. The daemon splits it on spaces, so an argument may not contain whitespace."""
    if not command:
        raise ConfigError("the record processor command is empty")
    for part in command:
        if not part or re.search(r"\s", part):
            raise ConfigError(
                f"record processor argument {part!r} is empty or contains whitespace; the KCL splits "
                "executableName on spaces. Move the project (or the Python interpreter) to a path without spaces."
            )
    return " ".join(command)


def _single_line(name: str, value: str) -> str:
    if not value or "\n" in value or "\r" in value:
        raise ConfigError(f"KCL property {name} must be one non-empty line, got {value!r}")
    return value


def render_properties(app: KclApp, target: AwsTarget) -> str:
    """The properties file text for `app` against `target` (emulator endpoint or real AWS)."""
    if app.shutdown_grace_ms <= 0:
        raise ConfigError(f"shutdown_grace_ms must be positive, got {app.shutdown_grace_ms}")
    endpoint_lines = "# (none: real AWS)"
    if target.endpoint_url:
        url = _single_line("endpoint", target.endpoint_url)
        endpoint_lines = f"kinesisEndpoint = {url}\ndynamoDBEndpoint = {url}"
    timing_lines = "\n".join(app.timings_for(target).lines()) or "# (KCL defaults)"
    template = Template(resources.files("consumers.kcl").joinpath(TEMPLATE_NAME).read_text(encoding="utf-8"))
    return template.substitute(
        executable=executable_line(app.processor_command),
        stream=_single_line("streamName", app.stream),
        application=_single_line("applicationName", app.name),
        worker_id=_single_line("workerId", app.worker_id),
        region=_single_line("regionName", target.region),
        metrics_level=app.metrics_level_for(target),
        shutdown_grace_ms=app.shutdown_grace_ms,
        endpoint_lines=endpoint_lines,
        timing_lines=timing_lines,
    )


def parse_properties(text: str) -> dict[str, str]:
    """Read `key = value` lines back (comments and blanks skipped); used to check a rendered file."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "!")):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"not a property line: {raw!r}")
        out[key.strip()] = value.strip()
    return out
