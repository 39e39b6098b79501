"""The supply chain, checked statically: hashed locks cover every dependency, installs take nothing outside them,
the KCL jars are pinned, and every container image is pinned by digest or is a documented digest slot."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from consumers.deploy.lambda_package import LAMBDA_LOCK
from consumers.deploy.templates import load_template

ROOT = Path(__file__).resolve().parents[2]
REQ = ROOT / "requirements"
LOCKS = ["lock.txt", "runtime.lock.txt", "checkov.lock.txt", "lambda.lock.txt", "uv.lock.txt"]
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_pins(path: Path) -> dict[str, tuple[str, list[str]]]:
    """{name: (version, [sha256...])} of a `uv pip compile --generate-hashes` file, parsed independently of pip."""
    pins: dict[str, tuple[str, list[str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            requirement = line.rstrip(" \\")
            match = re.fullmatch(r"([A-Za-z0-9._-]+)==([A-Za-z0-9.+!-]+)(\s*;.*)?", requirement)
            assert match, f"{path.name}: {line!r} is not an exact `name==version` pin"
            current = canonical(match[1])
            pins[current] = (match[2], [])
        else:
            hashed = re.fullmatch(r"\s+--hash=sha256:([0-9a-f]{64})( \\)?", line)
            assert hashed and current, f"{path.name}: unexpected line {line!r}"
            pins[current][1].append(hashed[1])
    return pins


def requirement_names(requirements: list[str]) -> set[str]:
    names = set()
    for requirement in requirements:
        match = NAME.match(requirement)
        assert match
        names.add(canonical(match[1]))
    return names - {"ccstream"}


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


@pytest.mark.parametrize("lock", LOCKS)
def test_every_lock_pins_exact_versions_with_hashes(lock: str) -> None:
    pins = lock_pins(REQ / lock)
    assert pins
    for name, (_version, hashes) in pins.items():
        assert hashes, f"{lock}: {name} has no --hash"


def test_the_product_lock_covers_pyproject_and_its_extras() -> None:
    product = lock_pins(REQ / "lock.txt")
    runtime = lock_pins(REQ / "runtime.lock.txt")
    wanted = requirement_names(PYPROJECT["dependencies"])
    extras = {e for name in ("dev", "emulator") for e in requirement_names(PYPROJECT["optional-dependencies"][name])}
    assert wanted <= set(runtime), f"run `make lock`: runtime.lock.txt lacks {sorted(wanted - set(runtime))}"
    assert wanted | extras <= set(product), f"run `make lock`: lock.txt lacks {sorted(wanted | extras - set(product))}"
    # The build tools the installs use with --no-build-isolation (and amazon-kclpy's setup_requires).
    assert {"pip", "setuptools", "wheel", "pytest-runner", "argparse"} <= set(product) & set(runtime)
    # One version of each package across the dev venv and the images.
    assert {n: v for n, (v, _) in runtime.items()} == {n: product[n][0] for n in runtime}


def test_the_lambda_lock_has_the_handlers_dependencies_at_the_products_versions() -> None:
    assert LAMBDA_LOCK == REQ / "lambda.lock.txt"
    lam = lock_pins(LAMBDA_LOCK)
    product = lock_pins(REQ / "lock.txt")
    assert {"msgspec", "pygal", "pyyaml"} <= set(lam)
    assert "boto3" not in lam  # the Lambda runtime provides it
    assert {n: v for n, (v, _) in lam.items()} == {n: product[n][0] for n in lam}


def test_the_checkov_lock_is_only_the_tool() -> None:
    pins = lock_pins(REQ / "checkov.lock.txt")
    assert "checkov" in pins and "ccstream" not in pins and "moto" not in pins


def _recipe_lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\\\n", " ").splitlines()]


def test_makefile_installs_python_packages_only_from_the_locks() -> None:
    lines = [line for line in _recipe_lines((ROOT / "Makefile").read_text()) if re.search(r"pip3? install", line)]
    assert lines
    for line in lines:
        from_lock = "--require-hashes" in line and "--no-deps" in line and " -r " in line
        ours = "--no-deps" in line and "--no-build-isolation" in line and line.endswith("-e .")
        assert from_lock or ours, f"Makefile installs outside a lock: {line}"
    makefile = (ROOT / "Makefile").read_text()
    assert "-m pip check" in makefile  # a pyproject dependency missing from the lock fails `make setup`
    assert re.search(r"^lock:", makefile, re.MULTILINE)


@pytest.mark.parametrize("dockerfile", sorted(p.name for p in (ROOT / "docker").glob("*Dockerfile")))
def test_dockerfiles_pin_their_base_by_digest_slot_and_install_from_the_lock(dockerfile: str) -> None:
    text = (ROOT / "docker" / dockerfile).read_text()
    args = dict(re.findall(r"^ARG (\w+)=(.*)$", text, re.MULTILINE))
    stages = set(re.findall(r"^FROM \S+ AS (\w+)$", text, re.MULTILINE))
    for image in re.findall(r"^FROM (\S+)", text, re.MULTILINE):
        if image in stages or DIGEST.search(image):
            continue
        slot = re.fullmatch(r"\$\{(\w+)\}\$\{(\w+_DIGEST)\}", image)
        assert slot, f"{dockerfile}: FROM {image} is neither digest-pinned nor a tag plus a digest slot"
        base, digest = slot.groups()
        tag = args[base].rpartition(":")[2]
        assert tag and tag != "latest" and "/" not in tag, f"{dockerfile}: {base}={args[base]} has no fixed tag"
        assert args[digest] == "" or DIGEST.search("x" + args[digest]), f"{dockerfile}: {digest} must be @sha256:..."
        comments = "\n".join(line for line in text.splitlines() if line.startswith("#"))
        assert digest in comments and "@sha256:" in comments, f"{dockerfile}: document how {digest} is passed"
    for line in _recipe_lines(text):
        if re.search(r"pip3? install", line):
            assert "--no-deps" in line, f"{dockerfile}: pip installs outside the lock: {line}"
            assert "--require-hashes" in line or "--no-build-isolation ." in line or "install_kclpy" in line


def test_compose_images_are_built_here_or_carry_a_digest_slot() -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    services: dict[str, Any] = yaml.safe_load(text)["services"]
    for name, service in services.items():
        image = service["image"]
        if "build" in service:
            assert image.endswith(":local")
            assert service["build"].get("args", {}).get("PYTHON_DIGEST") == "${PYTHON_DIGEST:-}", name
            continue
        if DIGEST.search(image):
            continue
        slot = re.fullmatch(r"([^$]+:[^$:/]+)\$\{(\w+_DIGEST):-\}", image)
        assert slot, f"{name}: {image} is neither digest-pinned nor a tag plus a digest slot"
        assert slot[2] in text.split("name: ccstream")[0], f"{name}: {slot[2]} is not documented in the header"


IMAGE_TEMPLATES = ["streaming.yaml", "monitoring.yaml"]


def _images(template: str) -> list[tuple[str, Any]]:
    resources = load_template(template).resources
    return [
        (key, container["Image"])
        for key, resource in resources.items()
        if resource["Type"] == "AWS::ECS::TaskDefinition"
        for container in resource["Properties"]["ContainerDefinitions"]
    ]


@pytest.mark.parametrize("template", ["streaming.yaml", "monitoring.yaml"])
def test_task_images_are_digest_pinned_or_a_documented_parameter(template: str) -> None:
    parameters = load_template(template).parameters
    images = _images(template)
    assert images
    for key, image in images:
        if isinstance(image, str):
            assert DIGEST.search(image), f"{template} {key}: literal image {image} without a digest"
            continue
        (name,) = image.values() if isinstance(image, dict) and set(image) == {"Ref"} else (None,)
        assert name in parameters, f"{template} {key}: Image must be a literal digest or a Ref to a parameter"
        default = str(parameters[name].get("Default", ""))
        assert default == "" or DIGEST.search(default), f"{template} {name} defaults to {default} (no digest)"
        assert "@sha256:" in parameters[name].get("Description", ""), f"{template} {name}: document the digest"


def test_every_installed_kcl_jar_is_a_pinned_one() -> None:
    """The venv running the tests holds exactly the jars of requirements/kcl-jars.txt, byte for byte."""
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("amazon_kclpy")
    if spec is None or spec.origin is None:
        pytest.skip("amazon_kclpy is not installed (make setup installs it)")
    jars = Path(spec.origin).parent / "jars"
    pinned = {}
    for line in (REQ / "kcl-jars.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            sha, coords, *_ = line.split()
            _group, artifact, version = coords.split(":")
            pinned[f"{artifact}-{version}.jar"] = sha
    found = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in jars.glob("*.jar")}
    assert found == pinned
