#!/usr/bin/env python3
"""Install the real Claude Code CLI (npm `@anthropic-ai/claude-code`, pinned) into an ignored cache folder.

The pin lives in `scripts/claude-code/package.json`; `scripts/claude-code/package-lock.json` holds the sha512
integrity hash of the wrapper package and of every platform package. This script copies both into the cache
folder and runs `npm ci --ignore-scripts`, so npm checks every tarball against the lock and no install script runs.
The wrapper's postinstall (which only copies the native binary into place) is replaced by resolving the
platform package's executable directly (`claude_binary`), e.g.
`.cache/claude-code/node_modules/@anthropic-ai/claude-code-linux-x64/claude` (~400 MB, from the registry).

Idempotent: exits at once when the installed binary reports the pinned version. Usage (the Makefile does it):

    python3 scripts/install_claude_code.py --cache .cache/claude-code
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

PIN_DIR = Path(__file__).resolve().parent / "claude-code"
PACKAGE = "@anthropic-ai/claude-code"


def pinned_version(pin_dir: Path = PIN_DIR) -> str:
    """The exact CLI version the lock file pins."""
    lock = json.loads((pin_dir / "package-lock.json").read_text())
    version: str = lock["packages"][f"node_modules/{PACKAGE}"]["version"]
    return version


def platform_package() -> str:
    """The optional dependency that carries the native executable for this machine."""
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64"}.get(machine, machine)
    system = {"linux": "linux", "darwin": "darwin"}.get(sys.platform, sys.platform)
    musl = system == "linux" and not any(Path("/lib").glob("ld-linux*")) and any(Path("/lib").glob("ld-musl*"))
    return f"{PACKAGE}-{system}-{arch}{'-musl' if musl else ''}"


def claude_binary(cache: Path) -> Path:
    """Path of the native `claude` executable inside the cache folder (it may not exist yet)."""
    return cache / "node_modules" / platform_package() / "claude"


def installed_version(binary: Path) -> str | None:
    """The version the binary reports (`2.1.332 (Claude Code)` -> `2.1.332`), or None when it does not run."""
    if not binary.exists():
        return None
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=60, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip().split(" ", 1)[0] or None


def install(cache: Path) -> float:
    """Run `npm ci` from the pinned lock into `cache`; returns the seconds it took."""
    cache.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(PIN_DIR / name, cache / name)
    started = time.monotonic()
    subprocess.run(
        ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=cache,
        check=True,
    )
    return time.monotonic() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=Path(".cache/claude-code"))
    args = parser.parse_args(argv)
    cache: Path = args.cache.resolve()
    want = pinned_version()
    binary = claude_binary(cache)
    if installed_version(binary) == want:
        print(f"claude-code {want} already installed: {binary}")
        return 0
    if shutil.which("npm") is None:
        print("npm not found: install Node.js and npm (e.g. `apt-get install nodejs npm`)", file=sys.stderr)
        return 1
    seconds = install(cache)
    got = installed_version(binary)
    if got != want:
        print(f"installed binary {binary} reports {got!r}, expected {want}", file=sys.stderr)
        return 1
    print(f"claude-code {want} installed in {seconds:.1f} s: {binary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
