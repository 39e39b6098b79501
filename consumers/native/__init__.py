"""The optional native core: `_core.c`, compiled by `make native` (part of `make setup`) into an ignored `.so`.

Two hot loops of the aggregator, each with a Python twin that gives the same result and is used whenever the core
is missing (no C compiler, another interpreter) or switched off with `CCSTREAM_NATIVE=0`:

- `read`: EMF lines → `Line`s in one pass per line (`consumers/decode/native.py`; twin: `lines.read_fast` and the
  generic parser);
- `fold`: `Line`s → a batch's per-minute sums (`consumers/aggregates/batch.py`; twin: `FineBatch.fold`'s loop).

Both are proven equal to their twins by hypothesis tests (tests/decode/test_native.py,
tests/core/test_native_fold.py); BENCHMARKS.md § Throughput has what each saves.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Mapping
from types import ModuleType

#: Setting that turns the native core off (`0`); on by default when it is built.
ENV_SWITCH = "CCSTREAM_NATIVE"


@functools.cache
def core() -> ModuleType | None:
    """The compiled module, or None when it is not built for this interpreter."""
    try:
        return importlib.import_module("consumers.native._core")
    except ImportError:
        return None


def available() -> bool:
    return core() is not None


def enabled_by_env(env: Mapping[str, str] | None = None) -> bool:
    """The core is built and not switched off with `CCSTREAM_NATIVE=0`."""
    value = (os.environ if env is None else env).get(ENV_SWITCH, "1")
    return available() and value.strip().lower() not in ("0", "false", "no", "off")


@functools.cache
def on_by_default() -> bool:
    """`enabled_by_env()` read once per process (what a component uses when not told otherwise)."""
    return enabled_by_env()
