"""`make native` (scripts/build_native.py) names what is missing instead of failing `make setup` on a machine
without a C compiler; `make run` then uses the Python code (the same results, slower)."""

from __future__ import annotations

import importlib.util
import sysconfig
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "build_native.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_native", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_missing_compiler_is_named_and_nothing_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    build = load_script()
    assert build.missing_toolchain() is None  # this machine has a compiler and Python's headers
    real = sysconfig.get_config_var
    monkeypatch.setattr(sysconfig, "get_config_var", lambda name: "no-such-cc -pthread" if name == "CC" else real(name))
    assert build.missing_toolchain() == "no C compiler (no-such-cc)"
    assert build.main() == 0  # said so on stderr, built nothing
