"""The Go unit tests of our collector components (collector/internal/...), run with the collector's own caches.

`make test` runs pytest, so this is how they run in CI; the build cache `make collector` filled keeps it fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".cache" / "collector"


def test_go_unit_tests_pass() -> None:
    go = shutil.which("go")
    assert go, "Go is needed to build the collector (collector/README.md); it is not on PATH"
    env = {
        **os.environ,
        "GOTOOLCHAIN": "local",
        "GOFLAGS": "-mod=readonly -modcacherw",
        "GOPROXY": "https://proxy.golang.org",
        "GOSUMDB": "sum.golang.org",
        "GOMODCACHE": str(CACHE / "gomod"),
        "GOCACHE": str(CACHE / "gocache"),
        "CGO_ENABLED": "0",
    }
    result = subprocess.run(
        ["nice", "-n", "10", go, "test", "./internal/..."],
        cwd=ROOT / "collector",
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    for package in ("tokenauth", "identityprocessor", "pseudonym", "source", "selfsigned"):
        assert f"ok  \tgithub.com/ccstream/otelcol-ccstream/internal/{package}" in result.stdout, result.stdout
