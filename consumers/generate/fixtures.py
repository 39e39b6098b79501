"""Regenerate the committed malformed corpus deterministically: `python -m consumers.generate.fixtures [--check]`.

- `bad.kinesis.jsonl`: the malformed corpus (`badcorpus`). `bad.expected.json` is written by hand, not here.

Every well-formed fixture is a capture of the real collector's output: `python -m consumers.generate.collector_fixtures
midnight|collector` (tests/fixtures/README.md says what made each file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from consumers.generate import badcorpus

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures"
BAD_KINESIS = "bad.kinesis.jsonl"


def build_all() -> dict[str, bytes]:
    """File name → content of every generated fixture."""
    return {BAD_KINESIS: badcorpus.write()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="fixture folder (default: tests/fixtures)")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 if a file differs")
    args = parser.parse_args(argv)
    differ = 0
    for name, content in build_all().items():
        path = args.dir / name
        same = path.is_file() and path.read_bytes() == content
        if args.check:
            differ += not same
            print(f"{'ok     ' if same else 'DIFFERS'} {path}", file=sys.stderr)
        elif not same:
            path.write_bytes(content)
            print(f"wrote {path} ({len(content):,} bytes)", file=sys.stderr)
        else:
            print(f"unchanged {path}", file=sys.stderr)
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
