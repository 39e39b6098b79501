"""The live stack the freshness and soak benchmarks measure: an emulator, the streaming stack deployed under a
unique prefix, and the real KCL MultiLangDaemon running the aggregator in a background thread."""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from consumers.aws import AwsTarget
from consumers.config import Names
from consumers.deploy.deployer import deploy
from consumers.emulator import EmbeddedEmulator
from consumers.kcl.properties import LOCAL_TIMINGS
from consumers.kcl.runner import run_consumers, standard_apps


@contextlib.contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables (inherited by the KCL daemon and its processors) and restore them afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def embedded_stack(endpoint: str | None) -> Iterator[AwsTarget]:
    """A running emulator: the one at `endpoint`, else an embedded one for the duration. Quiets moto's notes about
    CloudFormation resources it skips (the deployer creates those through the service APIs)."""
    logging.getLogger("moto").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="Tried to parse", category=UserWarning)
    if endpoint:
        yield AwsTarget(endpoint_url=endpoint, region="us-east-1")
        return
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    with EmbeddedEmulator() as emulator:
        yield AwsTarget(endpoint_url=emulator.url, region="us-east-1")


@dataclass
class RunningAggregator:
    aws: AwsTarget
    names: Names
    log_dir: Path
    #: "code" (the runner's exit code) or "error" (what stopped it), once the consumer thread ends.
    outcome: dict[str, object] = field(default_factory=dict)

    def failed(self) -> BaseException | None:
        error = self.outcome.get("error")
        return error if isinstance(error, BaseException) else None


@contextlib.contextmanager
def running_aggregator(
    tag: str,
    endpoint: str | None,
    idle_between_reads_ms: int | None = None,
    poll_interval_s: float = 5,
    join_timeout_s: float = 180,
) -> Iterator[RunningAggregator]:
    """Deploy the streaming stack as `<tag><random>` and run the aggregator KCL app until the block ends."""
    suffix = uuid.uuid4().hex[:6]
    names = Names(prefix=f"{tag}{suffix}", table=f"{tag.capitalize()}{suffix}")
    with (
        environment(CCSTREAM_PREFIX=names.prefix, CCSTREAM_TABLE=names.table),
        embedded_stack(endpoint) as aws,
        tempfile.TemporaryDirectory(prefix=f"ccstream-{tag}-") as tmp,
    ):
        print(f"deploying the streaming stack to {aws.endpoint_url} …", flush=True)
        deploy(aws, names, ["streaming"])
        apps = standard_apps(names, "aggregator", f"ccstream-{tag}", aws)
        if idle_between_reads_ms is not None:
            timings = replace(LOCAL_TIMINGS, idle_between_reads_ms=idle_between_reads_ms)
            apps = [replace(app, timings=timings) for app in apps]
        running = RunningAggregator(aws, names, Path(tmp))
        stop = threading.Event()

        def consume() -> None:
            try:
                running.outcome["code"] = run_consumers(
                    aws, apps, log_dir=running.log_dir, stop_event=stop, poll_interval_s=poll_interval_s
                )
            except Exception as exc:  # reported by the benchmark
                running.outcome["error"] = exc

        consumer = threading.Thread(target=consume, name="ccstream-kcl", daemon=True)
        consumer.start()
        try:
            yield running
        finally:
            stop.set()
            consumer.join(timeout=join_timeout_s)
