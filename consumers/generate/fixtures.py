"""Regenerate the committed fixtures deterministically: `python -m consumers.generate.fixtures [--check]`.

- `midnight.kinesis.jsonl`: 20 users, 2026-11-20T22:00Z → 2026-11-21T02:00Z (Friday evening in the Americas,
  Saturday morning in Asia-Pacific), a quiet team (activity ×0.25) so the file stays small.
- `midnight.emf.ndjson`: 12 users, 23:57Z → 00:03Z, raw EMF lines.
- `bad.kinesis.jsonl`: the malformed corpus (`badcorpus`). `bad.expected.json` is written by hand, not here.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from consumers.generate import badcorpus
from consumers.generate.output import write_emf, write_kinesis
from consumers.generate.simulator import SimulationOptions, simulate

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "tests" / "fixtures"


@dataclass(frozen=True)
class FixtureSpec:
    file_name: str
    users: int
    minutes: int
    start_iso: str
    seed: int
    activity_scale: float

    @property
    def start_ms(self) -> int:
        return int(datetime.fromisoformat(self.start_iso.replace("Z", "+00:00")).timestamp() * 1000)

    def build(self) -> bytes:
        lines = simulate(
            self.users, self.minutes, self.start_ms, self.seed, SimulationOptions(activity_scale=self.activity_scale)
        )
        out = io.BytesIO()
        if self.file_name.endswith(".kinesis.jsonl"):
            write_kinesis(lines, out, workers=1)
        else:
            write_emf(lines, out)
        return out.getvalue()


MIDNIGHT_KINESIS = FixtureSpec("midnight.kinesis.jsonl", 20, 240, "2026-11-20T22:00:00Z", 5, 0.25)
MIDNIGHT_EMF = FixtureSpec("midnight.emf.ndjson", 12, 6, "2026-11-20T23:57:00Z", 28, 1.0)
BAD_KINESIS = "bad.kinesis.jsonl"


def build_all() -> dict[str, bytes]:
    """File name → content of every generated fixture."""
    return {
        MIDNIGHT_KINESIS.file_name: MIDNIGHT_KINESIS.build(),
        MIDNIGHT_EMF.file_name: MIDNIGHT_EMF.build(),
        BAD_KINESIS: badcorpus.write(),
    }


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
