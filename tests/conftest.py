"""Shared fixtures: the embedded emulator (moto over HTTP, as in production code paths) and AWS clients."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from consumers.aws import AwsTarget
from consumers.emulator import EmbeddedEmulator

os.environ.setdefault("AWS_ACCESS_KEY_ID", "test")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "test")


@pytest.fixture(scope="session")
def emulator() -> Iterator[EmbeddedEmulator]:
    """One moto server for the session; tests isolate themselves with unique resource names or prefixes."""
    with EmbeddedEmulator() as emu:
        yield emu


@pytest.fixture()
def aws(emulator: EmbeddedEmulator) -> AwsTarget:
    return AwsTarget(endpoint_url=emulator.url, region="us-east-1")
