"""`ccstream up`: the whole product on the embedded default, no Docker and no AWS account.

Starts the emulator (moto over HTTP/1.1 + h2c), deploys the CloudFormation stacks into it, streams simulated
telemetry for N users through CloudWatch Logs (so the subscription filter path runs), runs both KCL applications
(aggregator and lake writer) under the real MultiLangDaemon, rolls up user days every minute, serves the dashboard,
and shows live progress until Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.emulator import EmbeddedEmulator
from consumers.query.api import query_metric
from consumers.query.events import query_events
from consumers.query.reader import DynamoRowReader
from consumers.rollup import DAY_MS, rollup_user_days
from consumers.status import PipelineStatus, pipeline_status

log = logging.getLogger("ccstream.up")


@dataclass(frozen=True)
class UpOptions:
    users: int = 50
    seed: int = 7
    port: int = 4566
    region: str = "us-east-1"
    backfill_minutes: int = 10
    dashboard_port: int = 8080
    dashboard: bool = True
    log_dir: Path = Path(".ccstream/logs")
    stacks: tuple[str, ...] | None = None  # None = every stack


@dataclass
class UpState:
    """Shared between the worker threads and the display; each field has one writer."""

    phase: str = "starting"
    events_sent: int = 0
    minutes_sent: int = 0
    consumer: Sequence[Any] = ()
    status: PipelineStatus | None = None
    tokens_last_minute: float | None = None
    active_users_last_minute: float | None = None
    #: From the events (the last 15 minutes): API requests and their p95 duration in ms.
    api_requests_15m: float | None = None
    api_p95_ms: float | None = None
    rollups: int = 0
    dashboard_url: str | None = None
    errors: list[str] = field(default_factory=list)


def _otlp_port(wanted: int = 4318) -> int:
    """The standard OTLP/HTTP port when it is free (a real `claude` can then export here), else any free one."""
    import socket

    from consumers.collector.process import free_port

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", wanted))
        except OSError:
            return free_port()
    return wanted


def _produce(target: AwsTarget, names: Names, opts: UpOptions, state: UpState, stop: threading.Event) -> None:
    """The simulated developers' CLI processes export OTLP/HTTP to the real collector (collector/), whose awsemf
    exporter writes the EMF lines into CloudWatch Logs; `state.events_sent` counts the OTLP data points sent."""
    from consumers.collector.process import start_collector
    from consumers.generate.live import live_exports
    from consumers.generate.otlp import encode_request
    from consumers.generate.otlp_events import LOGS_PATH, encode_logs_request
    from consumers.generate.sender import OtlpSender, OtlpUnavailable

    opts.log_dir.mkdir(parents=True, exist_ok=True)
    collector = start_collector(
        endpoint_url=str(target.endpoint_url),
        region=opts.region,
        http_port=_otlp_port(),
        task_id="local",
        metrics_log_group=names.log_group,
        events_log_group=names.events_log_group,
        log_file=opts.log_dir / "collector.log",
    )
    log.info("collector receiving OTLP/HTTP on %s (log %s)", collector.otlp_http_url, collector.log_file)
    sender = OtlpSender(collector.otlp_http_url)
    events = OtlpSender(collector.otlp_http_url, signal_path=LOGS_PATH)  # the same CLIs' events (OTLP logs)
    try:
        batches = live_exports(
            opts.users, opts.seed, backfill_minutes=opts.backfill_minutes, sleep_s=lambda s: stop.wait(min(s, 1.0))
        )
        for batch in batches:
            if stop.is_set():
                return
            for export in batch:
                if export.series:
                    try:
                        sender.send(encode_request(export))
                        logs = encode_logs_request(export)
                        if logs is not None:
                            events.send(logs)
                    except OtlpUnavailable:
                        if stop.is_set():  # Ctrl-C reached the collector first: nothing is lost but this demo minute
                            return
                        raise
                    state.events_sent += sum(len(values) for values in export.series.values())
            state.minutes_sent += 1
            # One minute per collector batch (timeout 1 s), also while catching up on the backfill: awsemf drops a
            # batch whose PutLogEvents times out, so its calls are kept to one minute of telemetry.
            stop.wait(1.5)
    finally:
        sender.close()
        events.close()
        collector.stop()


def _consume(target: AwsTarget, names: Names, opts: UpOptions, state: UpState, stop: threading.Event) -> None:
    from consumers.kcl.runner import default_worker_id, run_consumers, standard_apps

    apps = standard_apps(names, "everything", default_worker_id(target), target)  # metrics apps and events

    def progress(statuses: Sequence[Any]) -> None:
        state.consumer = statuses

    run_consumers(target, apps, log_dir=opts.log_dir, stop_event=stop, on_progress=progress, max_restarts=10)


def _observe(target: AwsTarget, names: Names, state: UpState, stop: threading.Event) -> None:
    """Every few seconds: counters, the last complete minute's totals; every minute: the user-day rollup."""
    ddb, kinesis = target.client("dynamodb"), target.client("kinesis")
    reader = DynamoRowReader(ddb, names.table)
    next_rollup = 0.0
    while not stop.wait(2.0):
        now_ms = int(time.time() * 1000)
        try:
            state.status = pipeline_status(kinesis, ddb, names)
            lo = now_ms - 15 * 60_000
            tokens = query_metric(reader, "claude_code.token.usage", "1m", (), lo, now_ms)
            users = query_metric(reader, "active_users", "1m", (), lo, now_ms)
            state.tokens_last_minute = tokens[-1].value if tokens else None
            state.active_users_last_minute = users[-1].value if users else None
            requests = query_events(reader, "events.api_request", "1m", (), lo, now_ms, total=True)
            p95 = query_events(reader, "events.api_request.duration_ms", "1m", (), lo, now_ms, "p95", total=True)
            state.api_requests_15m = requests[0].value if requests else None
            state.api_p95_ms = p95[0].value if p95 else None
            if time.monotonic() >= next_rollup:
                rollup_user_days(reader, ddb, names.table, now_ms - now_ms % DAY_MS, now_ms + 1)
                state.rollups += 1
                next_rollup = time.monotonic() + 60
        except Exception as exc:  # keep observing; show the problem instead of dying
            state.errors.append(f"observer: {exc}")


def _dashboard(target: AwsTarget, names: Names, opts: UpOptions, state: UpState, stop: threading.Event) -> None:
    from consumers.dashboard.server import serve_dashboard

    def started(url: str) -> None:
        state.dashboard_url = url

    serve_dashboard(target, names, opts.dashboard_port, stop, on_start=started)


def _guard(name: str, fn: Callable[[], None], state: UpState, stop: threading.Event) -> threading.Thread:
    def run() -> None:
        try:
            fn()
        except Exception as exc:
            log.exception("%s failed", name)
            state.errors.append(f"{name}: {exc}")
            stop.set()

    t = threading.Thread(target=run, name=f"up-{name}", daemon=True)
    t.start()
    return t


def run_up(
    opts: UpOptions,
    names: Names,
    render: Callable[[UpState], None],
    say: Callable[[str], None],
    stop: threading.Event | None = None,
) -> int:
    """Run everything until `stop` is set (the CLI sets it on SIGINT and SIGTERM) or Ctrl-C; then stop every part
    gracefully (the KCL daemons give their processors shutdown_requested, so they flush and checkpoint) and return
    0, or 1 when a part failed. `render` is called about every second with the shared state."""
    emulator = EmbeddedEmulator(port=opts.port).start()
    target = AwsTarget(emulator.url, opts.region)
    # Child processes (the KCL daemons and their record processors) inherit where AWS is.
    os.environ.update({"AWS_ENDPOINT_URL": emulator.url, "AWS_REGION": opts.region, "AWS_DEFAULT_REGION": opts.region})
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    os.environ.setdefault("CCSTREAM_LAKE_FLUSH_INTERVAL_MS", "10000")
    # A demo of 50 users: show hour/day totals and per-user rows within seconds. Production defaults (1h rows 60 s,
    # 1d rows 300 s, user rows 30 s; `config.Tunables`) keep DynamoDB writes low at 10,000 users.
    os.environ.setdefault("CCSTREAM_SIZE_FLUSH_INTERVALS", "1h=5000,1d=10000")
    os.environ.setdefault("CCSTREAM_USER_FLUSH_INTERVAL_MS", "5000")
    say(f"embedded emulator on {emulator.url}")
    state = UpState()
    stop = stop if stop is not None else threading.Event()
    try:
        from consumers.deploy.deployer import deploy

        state.phase = "deploying"
        deploy(target, names, list(opts.stacks) if opts.stacks else None, progress=say)
        if stop.is_set():  # asked to stop while deploying: nothing else was started
            state.phase = "stopped"
            render(state)
            return 0
        state.phase = "running"
        threads = [
            _guard("consumer", lambda: _consume(target, names, opts, state, stop), state, stop),
            _guard("producer", lambda: _produce(target, names, opts, state, stop), state, stop),
            _guard("observer", lambda: _observe(target, names, state, stop), state, stop),
        ]
        if opts.dashboard:
            threads.append(_guard("dashboard", lambda: _dashboard(target, names, opts, state, stop), state, stop))
        try:
            while not stop.is_set():
                render(state)
                stop.wait(1.0)
        except KeyboardInterrupt:
            pass
        state.phase = "stopping"
        render(state)
        stop.set()
        for t in threads:
            t.join(timeout=60)
        state.phase = "stopped"
        render(state)
        return 1 if state.errors else 0
    finally:
        emulator.stop()
