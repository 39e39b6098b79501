"""The machine a benchmark ran on (printed with every result, recorded in BENCHMARKS.md)."""

from __future__ import annotations

import os
import platform
import sys
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class MachineInfo:
    nproc: int
    cpu_model: str
    python: str
    platform: str

    def line(self) -> str:
        return (
            f"machine: {self.nproc} cores ({self.cpu_model}), Python {self.python}, {self.platform}; "
            f"source {source_revision()}"
        )

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The `model name` of the first CPU in /proc/cpuinfo, else what `platform` knows."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_info() -> MachineInfo:
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return MachineInfo(
        nproc=nproc,
        cpu_model=cpu_model(),
        python=sys.version.split()[0],
        platform=platform.platform(terse=True),
    )


def source_revision(root: Path | None = None) -> str:
    """The git commit the benchmark ran on (`+dirty` when the working tree has changes), or "unknown"."""
    import subprocess

    where = str(root or Path(__file__).resolve().parent.parent)
    try:
        head = subprocess.run(
            ["git", "-C", where, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", where, "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head


def command_line() -> str:
    """How this benchmark was started, for the record."""
    module = sys.modules["__main__"].__spec__
    head = f"python -m {module.name}" if module is not None else f"python {sys.argv[0]}"
    return " ".join([head, *sys.argv[1:]])
