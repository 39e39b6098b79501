"""The peer engines' own Python environments, installed on demand from hash-pinned locks into `.cache/peers/`.

Each peer lives in a venv of its own (`requirements/peers-<name>.lock.txt`, `pip install --require-hashes
--no-deps`, then `pip check`), so its dependencies never meet ours (PyFlink pins an old pandas, numpy and
protobuf via apache-beam). A venv is rebuilt only when its lock file changes (the stamp holds the lock's SHA-256).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "peers"
STAMP = ".installed"


@dataclass(frozen=True)
class PeerEnv:
    name: str
    cache: Path = CACHE

    @property
    def lock(self) -> Path:
        return ROOT / "requirements" / f"peers-{self.name}.lock.txt"

    @property
    def folder(self) -> Path:
        return self.cache / self.name

    @property
    def python(self) -> Path:
        return self.folder / "bin" / "python"

    def _wanted(self) -> str:
        return hashlib.sha256(self.lock.read_bytes()).hexdigest()

    def installed(self) -> bool:
        stamp = self.folder / STAMP
        return self.python.exists() and stamp.is_file() and stamp.read_text().strip() == self._wanted()

    def ensure(self, say: Callable[[str], object] = print) -> Path:
        """The venv's interpreter, installing the venv first when it is missing or its lock changed."""
        if self.installed():
            return self.python
        if self.folder.exists():
            shutil.rmtree(self.folder)
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        say(f"installing {self.name} into {self.folder} from {self.lock.name} (once per lock change) …")
        subprocess.run([sys.executable, "-m", "venv", str(self.folder)], check=True)
        pip = [str(self.python), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run([*pip, "install", "--quiet", "--require-hashes", "--no-deps", "-r", str(self.lock)], check=True)
        subprocess.run([*pip, "check"], check=True, stdout=subprocess.DEVNULL)
        (self.folder / STAMP).write_text(self._wanted() + "\n")
        return self.python

    def version(self, distribution: str) -> str:
        out = subprocess.run(
            [str(self.python), "-c", f"from importlib.metadata import version; print(version({distribution!r}))"],
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()
