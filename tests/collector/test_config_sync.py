"""infra/monitoring.yaml carries collector/config.yaml (rendered by scripts/collector_ssm.py), at the same release."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import yaml

from consumers.collector.settings import ENV_NAMES
from consumers.deploy.stacks import EMULATOR_COLLECTOR_IMAGE
from consumers.deploy.templates import load_template

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import collector_ssm  # noqa: E402

CONFIG_TEXT = (ROOT / "collector" / "config.yaml").read_text()
ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
RELEASE = "0.131.0"


def _leaves(node: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(node, dict):
        return {p: v for k, child in node.items() for p, v in _leaves(child, (*path, str(k))).items()}
    if isinstance(node, list):
        return {p: v for i, child in enumerate(node) for p, v in _leaves(child, (*path, str(i))).items()}
    return {path: node}


def _ssm_value() -> str:
    value = load_template("monitoring.yaml").resources["CollectorConfig"]["Properties"]["Value"]
    (sub,) = value.values()  # {"Fn::Sub": "..."}
    return str(sub)


def test_the_template_holds_the_rendered_config() -> None:
    assert collector_ssm.template_value((ROOT / "infra" / "monitoring.yaml").read_text()) == collector_ssm.render(
        CONFIG_TEXT
    ), "run: python scripts/collector_ssm.py"


def test_every_setting_that_is_not_templated_is_identical() -> None:
    local = _leaves(yaml.safe_load(CONFIG_TEXT))
    infra = _leaves(yaml.safe_load(_ssm_value()))
    assert set(local) == set(infra)
    for path, value in local.items():
        if isinstance(value, str) and "${env:" in value:
            if not any(name in collector_ssm.STACK_VALUES for name, _ in ENV_REF.findall(value)):
                assert infra[path] == value.replace("${env:", "${!env:"), path  # left to the task's environment
        else:
            assert infra[path] == value, path


def test_the_config_reads_only_the_declared_variables() -> None:
    used = {m.group(1) for m in ENV_REF.finditer(CONFIG_TEXT)}
    assert used == {*ENV_NAMES, "AWS_REGION"}


def test_the_task_sets_every_variable_the_stack_leaves_open() -> None:
    open_vars = {m.group(1) for m in ENV_REF.finditer(_ssm_value().replace("${!env:", "${env:")) if not m.group(2)}
    task = load_template("monitoring.yaml").resources["CollectorTaskDefinition"]["Properties"]
    (container,) = task["ContainerDefinitions"]
    secrets = [s["Fn::If"][1] if "Fn::If" in s else s for s in container.get("Secrets", [])]  # conditional secrets
    names = {e["Name"] for e in container["Environment"]} | {s["Name"] for s in secrets}
    # CCSTREAM_TASK_ID is set by the binary itself from the ECS task metadata (collector/taskid.go).
    assert open_vars - {"CCSTREAM_TASK_ID"} <= names
    assert "CCSTREAM_TASK_ID" not in names


def test_image_and_modules_are_at_one_release() -> None:
    image = load_template("monitoring.yaml").parameters["CollectorImage"]["Description"]
    assert f"otelcol-ccstream:{RELEASE}" in image and f"otelcol-ccstream:{RELEASE}" == EMULATOR_COLLECTOR_IMAGE
    go_mod = (ROOT / "collector" / "go.mod").read_text()
    versions = dict(re.findall(r"^\s+(\S*opentelemetry\S*) (v\S+)", go_mod, re.MULTILINE))
    contrib = {m: v for m, v in versions.items() if "opentelemetry-collector-contrib" in m}
    core = {m: v for m, v in versions.items() if m.startswith("go.opentelemetry.io/collector")}
    assert contrib and set(contrib.values()) == {f"v{RELEASE}"}
    assert core and set(core.values()) <= {f"v{RELEASE}", "v1.37.0"}  # core's stable modules at that release
    assert f'"{RELEASE}-ccstream"' in (ROOT / "collector" / "main.go").read_text()
