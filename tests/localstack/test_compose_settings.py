"""docker-compose.yml's LocalStack runs with the settings the host-process test runs with (checked statically)."""

from __future__ import annotations

from pathlib import Path

import yaml

from consumers.emulator.localstack import localstack_env

ROOT = Path(__file__).resolve().parents[2]
#: Settings that only make sense for a host process: the image has its own file system, listens on all of the
#: container's interfaces (published on 127.0.0.1 only), and knows it is in Docker.
HOST_ONLY = {"FILESYSTEM_ROOT", "GATEWAY_LISTEN", "OVERRIDE_IN_DOCKER"}


def test_compose_localstack_has_the_tested_settings() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    environment = compose["services"]["localstack"]["environment"]
    tested = {k: v for k, v in localstack_env(Path("/unused"), 4566).items() if k not in HOST_ONLY}
    assert {k: str(environment.get(k)) for k in tested} == tested


def test_compose_publishes_localstack_on_loopback_only() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    assert compose["services"]["localstack"]["ports"] == ["127.0.0.1:4566:4566"]
