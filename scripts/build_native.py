"""Build the native core (`consumers/native/*.c`) in place: `make native` runs this.

Compiled with the C compiler and flags this Python was built with (setuptools' `build_ext`), into
`consumers/native/_core<EXT_SUFFIX>` (ignored by git). The pipeline works without it (`consumers/native/__init__.py`
falls back to the Python code), so on a machine without a C compiler or Python's headers this says so and exits 0:
everything runs, only slower (the tests of the core itself then fail, asking for `make native`). A compile error
in the sources fails the build.
"""

from __future__ import annotations

import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

from setuptools import Distribution, Extension
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [Path("consumers/native/_core.c"), Path("consumers/native/scan.c"), Path("consumers/native/objects.c")]


def missing_toolchain() -> str | None:
    """What is missing to compile an extension for this Python (a C compiler, Python.h), or None."""
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.exists():
        return f"no Python headers ({headers}; e.g. the python3-dev package)"
    return None


def main() -> int:
    missing = missing_toolchain()
    if missing is not None:
        # `make run` works without the core (the Python code gives the same results, slower); tests that need it
        # say so (`make native`).
        print(f"native core not built: {missing}; the aggregator will use its Python code", file=sys.stderr)
        return 0
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
