"""Headless Chromium for the acceptance test: find or install it, dump a page's DOM, take a screenshot.

Uses the CLI modes (`--dump-dom`, `--screenshot`), no Playwright. Debian's `chromium` package is installed with
apt-get when missing and we are root; otherwise the caller skips with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--virtual-time-budget=5000",
)


def find_or_install_chromium() -> tuple[str | None, str]:
    """(path, "") when available, else (None, why not)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path, ""
    if not shutil.which("apt-get"):
        return None, "chromium is not installed and apt-get is not available"
    if os.geteuid() != 0:
        return None, "chromium is not installed and installing it needs root (apt-get install chromium)"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=env, check=False)
        except subprocess.TimeoutExpired:
            return None, f"{' '.join(cmd)} timed out"
        if done.returncode != 0:
            return None, f"{' '.join(cmd)} failed: {done.stderr.strip()[-300:]}"
    path = shutil.which("chromium")
    return (path, "") if path else (None, "apt-get install chromium succeeded but no chromium binary was found")


def _run(chromium: str, args: list[str], timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="ccstream-chromium-") as profile:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )


def dump_dom(chromium: str, url: str) -> str:
    done = _run(chromium, ["--dump-dom", url])
    if done.returncode != 0 or "<html" not in done.stdout:
        raise AssertionError(f"chromium --dump-dom failed ({done.returncode}): {done.stderr[-800:]}")
    return done.stdout


def screenshot(chromium: str, url: str, out: Path, size: str = "1600,4200") -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    done = _run(chromium, [f"--screenshot={out}", f"--window-size={size}", "--hide-scrollbars", url])
    if done.returncode != 0 or not out.is_file():
        raise AssertionError(f"chromium --screenshot failed ({done.returncode}): {done.stderr[-800:]}")


class WidgetScraper(HTMLParser):
    """Collects every element carrying `data-widget`: id → its attributes (entities already decoded)."""

    def __init__(self) -> None:
        super().__init__()
        self.widgets: dict[str, dict[str, str]] = {}
        self.headlines: dict[str, str] = {}
        self._current: str | None = None
        self._in_headline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "data-widget" in a:
            self._current = a["data-widget"]
            self.widgets[self._current] = a
        elif a.get("data-role") == "headline" and self._current:
            self._in_headline = True

    def handle_endtag(self, tag: str) -> None:
        self._in_headline = False

    def handle_data(self, data: str) -> None:
        if self._in_headline and self._current:
            self.headlines[self._current] = self.headlines.get(self._current, "") + data
