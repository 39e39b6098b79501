"""Fuzz the native core under AddressSanitizer and UBSan (not in CI; run after changing consumers/native/*.c).

    python scripts/fuzz_native.py [--seconds 60] [--seed 1] [--tests]

Builds a sanitized copy of the core in a temporary folder (gcc `-fsanitize=address,undefined`), loads it in place of
the normal one in a child Python with the sanitizer runtimes preloaded, and feeds `read` and `read_fold` mutated real
collector lines (insertions of JSON fragments and odd characters, deletions, cuts, splices) under the default and
under tiny limits. `--tests` also runs the native tests and the hostile/decode suites against it. Any sanitizer
report ends the child with an error; the exit code says so.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NATIVE = ROOT / "consumers" / "native"
TESTS = [
    "tests/decode/test_native_reader.py",
    "tests/core/test_native_fold.py",
    "tests/core/test_native_pipeline.py",
    "tests/hostile",
    "tests/decode",
]

_LOADER = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("consumers.native._core", sys.argv.pop(1))
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["consumers.native._core"] = module
import consumers.native
assert consumers.native.core() is module
"""

_FUZZ = """
import random, time
from consumers.aggregates.pricing import Pricer
from consumers.decode.native import read_fold, read_native
from schemas.emf import DEFAULT_LIMITS, LineLimits
from schemas.prices import load_prices

seed, seconds = int(sys.argv[1]), float(sys.argv[2])
lines = [l.rstrip("\\n") for p in ("tests/fixtures/collector.emf.ndjson", "tests/fixtures/realcli/realcli.emf.ndjson")
         for l in open(p) if l.strip()]
rng = random.Random(seed)
pieces = list('{}[]":,\\\\ \\t\\n0123456789.eE+-') + ["true", "null", "\\x00", "é", "\\u2028", "😀", "\\ud800"]
derive = Pricer(load_prices()).derive
tiny = LineLimits(max_value_chars=8, max_labels=10, max_points=1)
deadline, n, accepted = time.time() + seconds, 0, 0
while time.time() < deadline:
    batch = []
    for _ in range(20):
        s = rng.choice(lines)
        for _ in range(rng.randrange(1, 6)):
            op, i = rng.randrange(4), rng.randrange(len(s) + 1)
            if op == 0:
                s = s[:i] + rng.choice(pieces) + s[i:]
            elif op == 1:
                s = s[:i] + s[i + 1:]
            elif op == 2:
                s = s[:i]
            else:
                j = rng.randrange(len(s) + 1)
                s = s[:i] + s[j:j + rng.randrange(1, 40)] + s[i:]
        batch.append(s)
    limits = rng.choice([DEFAULT_LIMITS, tiny])
    got = read_native(batch, limits)
    accepted += len(got) - got.count(None)
    read_fold(batch, limits, {}, {}, derive, (0, 0, 10**12, 10**12))
    n += len(batch)
print(f"fuzzed {n:,} mutated lines ({accepted:,} accepted): no sanitizer report")
"""


def build(out: Path) -> Path:
    include = sysconfig.get_paths()["include"]
    objects = []
    for source in sorted(NATIVE.glob("*.c")):
        obj = out / f"{source.stem}.o"
        flags = ["-fPIC", "-O1", "-g", "-fno-omit-frame-pointer", "-fsanitize=address,undefined", "-std=c11"]
        subprocess.run(
            ["gcc", *flags, "-Wall", "-Wextra", f"-I{include}", "-c", str(source), "-o", str(obj)], check=True
        )
        objects.append(str(obj))
    lib = out / "_core_asan.so"
    subprocess.run(["gcc", "-shared", "-fsanitize=address,undefined", *objects, "-o", str(lib)], check=True)
    return lib


def runtime_preload() -> str:
    libs = [subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True) for name in
            ("libasan.so", "libubsan.so")]  # fmt: skip
    return ":".join(lib.stdout.strip() for lib in libs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--tests", action="store_true", help="also run the native, decode and hostile tests")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.update(
        LD_PRELOAD=runtime_preload(),
        ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",  # the interpreter itself is not instrumented
        PYTHONMALLOC="malloc",  # the lines' text from malloc: ASan sees their bounds (not inside pymalloc's arenas)
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
        PYTHONPATH=str(ROOT),
    )
    with tempfile.TemporaryDirectory() as tmp:
        lib = build(Path(tmp))
        code = subprocess.run(
            [sys.executable, "-c", _LOADER + "import sys\n" + _FUZZ, str(lib), str(args.seed), str(args.seconds)],
            cwd=ROOT,
            env=env,
            check=False,
        ).returncode
        if code == 0 and args.tests:
            run_tests = (
                _LOADER + "import pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *sys.argv[1:]]))"
            )
            code = subprocess.run([sys.executable, "-c", run_tests, str(lib), *TESTS], cwd=ROOT, env=env).returncode
    print("sanitizers: " + ("clean" if code == 0 else f"FAILED (exit {code})"), file=sys.stderr)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
