"""The Lambda package: one zip with `consumers/`, `schemas/` and their runtime dependencies, for every ccstream Lambda.

The dashboard stack's widget and scheduled Lambdas (`consumers.dashboard.lambda_handler.handler` /
`scheduled_handler`) and the lake's optional Firehose transform (`consumers.lake.firehose_lambda.handler`) all run
from it. boto3 is not packaged: the Lambda runtime provides it.

Dependencies are installed by pip for the Lambda runtime, not for this machine: `--platform manylinux2014_x86_64
--python-version 3.12 --only-binary=:all:` picks the CPython 3.12 Linux wheels of msgspec and PyYAML whatever the
build machine runs (pip needs the package index or `PIP_FIND_LINKS`). Versions and sha256 come from
`requirements/lambda.lock.txt` (`make lock`), installed with `--require-hashes --no-deps`: a wheel whose hash is
not in the lock, or a dependency the lock lacks, fails the build. The zip is deterministic (sorted entries,
fixed timestamps), so its name carries its SHA-256 and an unchanged package re-uploads nothing and leaves the
dashboard stack unchanged.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import consumers
import schemas
from consumers.errors import ConfigError

#: What `infra/dashboard.yaml` runs the functions on (a test keeps the two in step).
LAMBDA_RUNTIME = "python3.12"
LAMBDA_PLATFORM = "manylinux2014_x86_64"
#: Runtime dependencies of the handlers beyond the standard library and boto3 (msgspec, pygal, PyYAML and what
#: pygal brings), pinned with the sha256 of every wheel; written by `make lock` from requirements/lambda.in.
LAMBDA_LOCK = Path(__file__).resolve().parents[2] / "requirements" / "lambda.lock.txt"
#: A stable timestamp for every zip entry (the earliest a zip can hold), so equal inputs give equal bytes.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class LambdaPackage:
    path: Path
    sha256: str
    size_bytes: int
    files: int

    @property
    def key(self) -> str:
        """The S3 key the package is uploaded under (content-addressed)."""
        return f"lambda/{self.path.name}"


def pip_install_command(
    target: Path, python_version: str, platform: str, requirements: Sequence[str] = (), lock: Path | None = LAMBDA_LOCK
) -> list[str]:
    """pip installing the wheels of `lock` (hash-checked, nothing else) or else of `requirements` for
    `python_version` on `platform` into `target`."""
    chosen = ["--require-hashes", "--no-deps", "-r", str(lock)] if lock is not None else [*requirements]
    return [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "--platform",
        platform,
        "--implementation",
        "cp",
        "--python-version",
        python_version,
        "--only-binary=:all:",
        *chosen,
    ]


def _files(top: Path, root: Path) -> Iterator[tuple[Path, str]]:
    """Every file under `top` with its name in the zip (relative to `root`); caches, byte-code, the console
    scripts pip puts in `bin/` and the native core built for this machine's Python (`make native`: not the Lambda
    runtime's, and the Lambda functions do not use it) are left out."""
    for path in top.rglob("*"):
        name = path.relative_to(root)
        if path.is_file() and "__pycache__" not in name.parts and name.parts[0] != "bin" and path.suffix != ".pyc":
            if name.parts[:2] == ("consumers", "native") and path.suffix == ".so":
                continue
            yield path, name.as_posix()


def _write_zip(out: Path, entries: list[tuple[Path, str]]) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for path, name in sorted(entries, key=lambda e: e[1]):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            executable = os.access(path, os.X_OK) and path.suffix == ".so"
            info.external_attr = (0o755 if executable else 0o644) << 16
            zf.writestr(info, path.read_bytes())


def build_lambda_package(
    out_dir: Path,
    python_version: str = LAMBDA_RUNTIME.removeprefix("python"),
    platform: str = LAMBDA_PLATFORM,
    extra_requirements: Sequence[str] = (),
) -> LambdaPackage:
    """Build `ccstream-lambda-<sha256[:16]>.zip` in `out_dir`. `extra_requirements` are for tests that run the
    package outside Lambda (e.g. boto3, which the runtime provides)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ccstream-lambda-") as tmp:
        site = Path(tmp) / "site"
        if not LAMBDA_LOCK.is_file():
            raise ConfigError(f"{LAMBDA_LOCK} is missing: build the Lambda package from a ccstream checkout")
        commands = [pip_install_command(site, python_version, platform)]
        if extra_requirements:  # test-only extras (the runtime's boto3), outside the lock
            commands.append(pip_install_command(site, python_version, platform, extra_requirements, lock=None))
        for command in commands:
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise ConfigError(
                    f"pip could not fetch the Lambda dependencies for Python {python_version} on {platform}: "
                    f"{(done.stderr or done.stdout).strip()[-800:]}\nFix: give pip the package index (network or "
                    f"PIP_INDEX_URL) or a wheel folder (PIP_FIND_LINKS) holding the locked wheels, then run it again."
                )
        entries = [*_files(site, site)]
        for package in (consumers, schemas):
            package_dir = Path(package.__path__[0])
            entries += _files(package_dir, package_dir.parent)
        staged = Path(tmp) / "package.zip"
        _write_zip(staged, entries)
        digest = hashlib.sha256(staged.read_bytes()).hexdigest()
        final = out_dir / f"ccstream-lambda-{digest[:16]}.zip"
        shutil.move(staged, final)
    return LambdaPackage(final, digest, final.stat().st_size, len(entries))


def upload_lambda_package(
    s3: Any, bucket: str, package: LambdaPackage, prefix: str = "", kms_key: str = ""
) -> tuple[str, bool]:
    """Put the package at `<prefix>/lambda/<name>` unless an object is already there; (key, uploaded). With
    `kms_key` the object is encrypted with that customer managed key (the keys stack's ArtifactsKeyArn)."""
    key = f"{prefix.strip('/')}/{package.key}" if prefix.strip("/") else package.key
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return key, False
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in {"404", "NoSuchKey", "NotFound"}:
            raise
    extra: dict[str, Any] = {"Metadata": {"sha256": package.sha256}}
    if kms_key:
        extra |= {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": kms_key}
    s3.upload_file(str(package.path), bucket, key, ExtraArgs=extra)
    return key, True
