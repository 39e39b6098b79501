"""The environment collector/config.yaml reads: one place that turns run settings into its `${env:...}` values.

infra/monitoring.yaml sets the same variables on the ECS task (see `scripts/collector_ssm.py`); the names are
declared here once and the test `tests/collector/test_config_sync.py` checks that the config uses no others.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from consumers.collector import auth_settings
from consumers.collector.auth_settings import IdentitySettings
from consumers.errors import ConfigError

AUTH_MODES = ("none", "bearer", "oidc")
#: The `tls` block of the receivers and the health check (collector/internal/selfsigned): `null` = plain HTTP;
#: `self-signed` = the binary generates a certificate at start (what the ECS task sets).
RECEIVER_TLS = "CCSTREAM_RECEIVER_TLS"
TLS_OFF, TLS_SELF_SIGNED = "null", "self-signed"

#: Every variable collector/config.yaml reads (besides AWS_REGION and the AWS credential chain).
ENV_NAMES = (
    "CCSTREAM_HEALTH_ENDPOINT",
    "CCSTREAM_OTLP_HTTP_ENDPOINT",
    "CCSTREAM_OTLP_GRPC_ENDPOINT",
    "CCSTREAM_RECEIVER_AUTH",
    RECEIVER_TLS,
    "CCSTREAM_EXTENSIONS",
    "CCSTREAM_BEARER_TOKEN",
    "CCSTREAM_ENVIRONMENT",
    "CCSTREAM_BATCH_TIMEOUT",
    "CCSTREAM_AWS_ENDPOINT",
    "CCSTREAM_METRICS_LOG_GROUP",
    "CCSTREAM_EVENTS_LOG_GROUP",
    "CCSTREAM_TASK_ID",
    "CCSTREAM_TAP_FILE",
    "CCSTREAM_TAP_EXPORTERS",
    "CCSTREAM_TELEMETRY_HOST",
    "CCSTREAM_TELEMETRY_PORT",
    *auth_settings.ENV_NAMES,
)


@dataclass(frozen=True)
class CollectorSettings:
    """Everything a collector run needs; `environment()` renders it for config.yaml."""

    region: str
    endpoint_url: str | None
    http_port: int
    grpc_port: int
    health_port: int
    telemetry_port: int
    task_id: str = "local"
    metrics_log_group: str = "/aws/claude-code/metrics"
    events_log_group: str = "/aws/claude-code/events"
    file_tap: Path | None = None
    auth: str = "none"
    bearer_token: str | None = None
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    deployment_environment: str = "local"
    batch_timeout: str = "1s"
    host: str = "127.0.0.1"
    #: serve OTLP (HTTP and gRPC) and the health check over TLS with a certificate generated at start.
    tls: bool = False

    def environment(self) -> dict[str, str]:
        if self.auth not in AUTH_MODES:
            raise ConfigError(f"unknown collector auth mode {self.auth!r}: choose one of {', '.join(AUTH_MODES)}")
        if self.auth == "bearer" and not self.bearer_token:
            raise ConfigError("--auth bearer needs a token (CCSTREAM_BEARER_TOKEN or bearer_token=...)")
        if not self.task_id:
            raise ConfigError("the collector needs a task id: it names the log streams")
        env = {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "CCSTREAM_HEALTH_ENDPOINT": f"{self.host}:{self.health_port}",
            "CCSTREAM_OTLP_HTTP_ENDPOINT": f"{self.host}:{self.http_port}",
            "CCSTREAM_OTLP_GRPC_ENDPOINT": f"{self.host}:{self.grpc_port}",
            "CCSTREAM_ENVIRONMENT": self.deployment_environment,
            "CCSTREAM_BATCH_TIMEOUT": self.batch_timeout,
            "CCSTREAM_AWS_ENDPOINT": self.endpoint_url or "",
            "CCSTREAM_METRICS_LOG_GROUP": self.metrics_log_group,
            "CCSTREAM_EVENTS_LOG_GROUP": self.events_log_group,
            "CCSTREAM_TASK_ID": self.task_id,
            "CCSTREAM_TELEMETRY_HOST": self.host,
            "CCSTREAM_TELEMETRY_PORT": str(self.telemetry_port),
            RECEIVER_TLS: TLS_SELF_SIGNED if self.tls else TLS_OFF,
        }
        env.update(self.identity.environment(self.auth))
        if self.auth == "bearer":
            env["CCSTREAM_RECEIVER_AUTH"] = "{authenticator: bearertokenauth}"
            env["CCSTREAM_EXTENSIONS"] = "[health_check, bearertokenauth]"
            env["CCSTREAM_BEARER_TOKEN"] = str(self.bearer_token)
        elif self.auth == "oidc":
            env["CCSTREAM_RECEIVER_AUTH"] = "{authenticator: ccstreamauth}"
            env["CCSTREAM_EXTENSIONS"] = "[health_check, ccstreamauth]"
        else:
            env["CCSTREAM_RECEIVER_AUTH"] = "null"
            env["CCSTREAM_EXTENSIONS"] = "[health_check]"
        if self.file_tap is not None:
            env["CCSTREAM_TAP_FILE"] = str(self.file_tap)
            env["CCSTREAM_TAP_EXPORTERS"] = "[file/tap]"
        return env
