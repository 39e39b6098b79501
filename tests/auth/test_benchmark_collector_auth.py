"""benchmarks/collector_auth.py runs end to end on a tiny input (nothing here looks at how long anything took)."""

from __future__ import annotations

import pytest

from benchmarks import collector_auth

pytestmark = pytest.mark.emulator


def test_the_auth_benchmark_runs_and_prints_every_variant(capsys: pytest.CaptureFixture[str]) -> None:
    assert collector_auth.main(["--requests", "5"]) == 0
    out = capsys.readouterr().out
    for variant in ("--auth none", "--auth oidc, plain", "--auth oidc, pseudonymous", "--auth oidc, plain, TLS"):
        assert variant in out
    assert "vs none" in out
