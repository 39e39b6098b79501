"""docker-compose.yml and the Dockerfiles, checked statically (no Docker engine runs here)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import click
import pytest
import typer
import yaml

from consumers.cli.app import app
from consumers.config import Names
from consumers.deploy import ORDER

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
SERVICES: dict[str, Any] = COMPOSE["services"]
OUR_SERVICES = [name for name, service in SERVICES.items() if "build" in service or "ccstream" in service["image"]]
CLI: click.Group = typer.main.get_command(app)  # type: ignore[assignment]


def test_the_stack_has_localstack_deploy_consumer_generator_and_dashboard() -> None:
    assert {"localstack", "deploy", "consumer", "generator", "replayer", "dashboard"} <= set(SERVICES)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_image_is_pinned(name: str) -> None:
    image = SERVICES[name]["image"].removesuffix("${LOCALSTACK_DIGEST:-}")  # digest slot: tests/infra/test_supply_chain
    repository, _, tag = image.rpartition(":")
    assert repository and tag and tag != "latest"
    if "build" not in SERVICES[name] and "ccstream" not in image:
        assert image == "localstack/localstack:4.14.0"  # the last LocalStack image that needs no auth token


@pytest.mark.parametrize("name", [n for n in sorted(SERVICES) if "build" in SERVICES[n]])
def test_built_images_have_their_dockerfile(name: str) -> None:
    assert (ROOT / SERVICES[name]["build"]["dockerfile"]).is_file()
    assert SERVICES[name]["build"]["context"] == "."


def _cli_invocation(service: dict[str, Any]) -> tuple[str, list[str]]:
    command = service["command"]
    assert isinstance(command, list), "commands are exec-form lists so they can be checked"
    return command[0], command[1:]


@pytest.mark.parametrize("name", OUR_SERVICES)
def test_every_ccstream_command_and_option_exists(name: str) -> None:
    command, arguments = _cli_invocation(SERVICES[name])
    assert command in CLI.commands, f"`ccstream {command}` is not a command of consumers/cli/app.py"
    known = {opt for param in CLI.commands[command].params for opt in param.opts}
    used = {a.split("=")[0] for a in arguments if a.startswith("-")}
    assert used <= known


def test_deploy_only_names_known_stacks_and_runs_first() -> None:
    _, arguments = _cli_invocation(SERVICES["deploy"])
    stacks = arguments[arguments.index("--stacks") + 1].split(",")
    assert set(stacks) <= set(ORDER) and "streaming" in stacks
    assert SERVICES["deploy"]["depends_on"]["localstack"]["condition"] == "service_healthy"
    for name in ("consumer", "replayer", "dashboard"):
        assert SERVICES[name]["depends_on"]["deploy"]["condition"] == "service_completed_successfully"


def _published_port(service: dict[str, Any], container_port: int) -> int:
    for mapping in service["ports"]:
        host, _, container = str(mapping).rpartition(":")
        if int(container) == container_port:
            return int(host.rsplit(":", 1)[-1])
    raise AssertionError(f"port {container_port} is not published")


@pytest.mark.parametrize("name", [n for n in OUR_SERVICES if "environment" in SERVICES[n]])
def test_environment_points_at_localstack_with_the_default_names(name: str) -> None:
    service = SERVICES[name]
    env = service["environment"]
    endpoint = urlparse(env["AWS_ENDPOINT_URL"])
    if service.get("network_mode") == "host":
        assert (endpoint.hostname, endpoint.port) == ("127.0.0.1", _published_port(SERVICES["localstack"], 4566))
    else:
        assert (endpoint.hostname, endpoint.port) == ("localstack", 4566)
    defaults = Names()
    assert env["CCSTREAM_PREFIX"] == defaults.prefix
    assert env["CCSTREAM_TABLE"] == defaults.table
    assert env["AWS_REGION"]


def test_replayer_reads_what_the_generator_writes() -> None:
    _, generate_args = _cli_invocation(SERVICES["generator"])
    written = generate_args[generate_args.index("--out") + 1]
    _, replay_args = _cli_invocation(SERVICES["replayer"])
    assert written in replay_args
    volume = {v.split(":")[0] for v in SERVICES["generator"]["volumes"]} & {
        v.split(":")[0] for v in SERVICES["replayer"]["volumes"]
    }
    assert volume and all(v in COMPOSE["volumes"] for v in volume)


def test_localstack_auth_token_is_passed_through_and_documented() -> None:
    assert SERVICES["localstack"]["environment"]["LOCALSTACK_AUTH_TOKEN"] == "${LOCALSTACK_AUTH_TOKEN:-}"
    assert "LOCALSTACK_AUTH_TOKEN" in (ROOT / "infra" / "README.md").read_text(encoding="utf-8")


def test_consumer_image_installs_the_official_kclpy_with_the_verified_jars() -> None:
    dockerfile = (ROOT / "docker" / "consumer.Dockerfile").read_text(encoding="utf-8")
    # The same script as the dev machines (official amazon-kclpy 2.1.5, jars checked against kcl-jars.txt).
    assert re.search(r"^RUN python scripts/install_kclpy\.py ", dockerfile, re.MULTILINE)
    assert "COPY requirements/runtime.lock.txt requirements/kcl-jars.txt ./requirements/" in dockerfile
    assert "openjdk-17-jre-headless" in dockerfile
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11", dockerfile, re.MULTILINE)


@pytest.mark.parametrize("dockerfile", ["consumer.Dockerfile", "generator.Dockerfile"])
def test_images_run_ccstream_as_a_non_root_user_and_carry_the_templates(dockerfile: str) -> None:
    text = (ROOT / "docker" / dockerfile).read_text(encoding="utf-8")
    assert 'ENTRYPOINT ["ccstream"]' in text
    assert re.search(r"^USER (?!root)\w+", text, re.MULTILINE)
    assert "CCSTREAM_INFRA_DIR=/opt/ccstream/infra" in text and "COPY infra " in text
