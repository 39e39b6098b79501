"""Build the native core (`consumers/native/*.c`) in place: `make native` runs this.

Compiled with the C compiler and flags this Python was built with (setuptools' `build_ext`), into
`consumers/native/_core<EXT_SUFFIX>` (ignored by git). The pipeline works without it (`consumers/native/__init__.py`
falls back to the Python code), so a machine without a compiler still runs everything, only slower.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from setuptools import Distribution, Extension
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [Path("consumers/native/_core.c"), Path("consumers/native/scan.c"), Path("consumers/native/objects.c")]


def main() -> int:
    extension = Extension(
        "consumers.native._core",
        sources=[str(path) for path in SOURCES],
        depends=[str(path) for path in Path("consumers/native").glob("*.h")],
        extra_compile_args=["-Wall", "-Wextra", "-std=c11"],  # optimised as this Python was (-O3)
    )
    with tempfile.TemporaryDirectory() as tmp:
        dist = Distribution({"name": "ccstream-native", "ext_modules": [extension], "script_args": []})
        cmd = build_ext(dist)
        cmd.inplace = True
        cmd.build_temp = tmp
        cmd.ensure_finalized()
        cmd.run()
        built = cmd.get_ext_fullpath(extension.name)
    print(f"built {Path(built).resolve().relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    raise SystemExit(main())
