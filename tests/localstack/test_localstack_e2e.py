"""The product against LocalStack (open-source core 2026.3.0, a host process, no Docker): deploy, replay, consume
with the real KCL, and the same independent expectations as the moto path (tests/localstack/inside_namespace.py).

Why a second pytest: DynamoDB Local, LocalStack's DynamoDB back end, binds every interface whatever it is told,
and our servers must bind loopback only. So LocalStack runs in a private network namespace (`unshare -n`, root),
where the only interface is `lo`. Everything that talks to it (boto3, the KCL daemon and its record processors,
the lake engine) must be in that namespace too, and a process cannot move threads it already has (this session's
moto server) into another namespace. The test therefore runs the inner module in a child pytest under
`unshare -n`; this session only starts it, relays its report and prints the timings and memory it measured.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from consumers.emulator.localstack import LocalStackInstall, can_make_private_network, private_network_command
from tests.localstack.inside_namespace import REPORT_ENV

INNER = Path(__file__).with_name("inside_namespace.py")
ROOT = Path(__file__).resolve().parents[2]


def _unavailable() -> str | None:
    return LocalStackInstall().problem() or can_make_private_network()


@pytest.mark.timeout(1500)  # one flow, ~6 min on a loaded 2-core machine; pyproject's 600 s is per test
def test_localstack_flow_in_a_private_network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    problem = _unavailable()
    if problem is not None:
        if os.environ.get("CI"):
            pytest.fail(f"LocalStack flow cannot run in CI: {problem}")  # `make test` installs it first
        pytest.skip(problem)
    report = tmp_path / "figures.json"
    inner = [sys.executable, "-m", "pytest", str(INNER), "-q", "-p", "no:cacheprovider", "--durations=0"]
    inner += [f"--basetemp={tmp_path / 'inner'}", "-o", "addopts=-ra", "-o", "timeout=1400"]
    env = {**os.environ, REPORT_ENV: str(report)}
    result = subprocess.run(
        private_network_command(inner), cwd=ROOT, env=env, capture_output=True, text=True, timeout=1450, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-12000:]
    assert " passed" in output and "skipped" not in output.splitlines()[-1], output[-3000:]
    figures = json.loads(report.read_text())
    with capsys.disabled():
        seconds = ", ".join(f"{k} {v:.1f} s" for k, v in figures["seconds"].items())
        print(f"\nLocalStack flow: {seconds}; LocalStack RSS {figures['rss_bytes'] / 2**20:.0f} MiB at the end")
