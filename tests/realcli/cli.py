"""Run the real Claude Code CLI headless: a fresh HOME per simulated developer, a temp git repo, loopback only."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path

from scripts.install_claude_code import claude_binary, installed_version, pinned_version

ROOT = Path(__file__).resolve().parents[2]

CACHE = ROOT / ".cache" / "claude-code"

FAKE_GH = """#!/bin/sh
# Fake gh for the realcli tests: records its arguments, prints a PR URL, touches no network.
echo "$@" >> "$HOME/gh-calls.log"
case "$1 $2" in
  "pr create") echo "https://github.example/acme/demo/pull/7" ;;
  *) echo "fake gh: $*" ;;
esac
"""


def installed_binary() -> Path | None:
    """The pinned CLI in .cache/claude-code when `make claude-code` installed it, else None."""
    binary = claude_binary(CACHE)
    return binary if installed_version(binary) == pinned_version() else None


@dataclass(frozen=True)
class Developer:
    """One simulated developer: their HOME (device id, credentials) and a git repo to work in."""

    name: str
    home: Path
    repo: Path
    department: str
    team: str
    oauth_email: str | None = None


def make_developer(base: Path, name: str, department: str, team: str, oauth_email: str | None = None) -> Developer:
    home, repo, bin_dir = base / name / "home", base / name / "repo", base / name / "home" / "bin"
    for d in (home, repo, bin_dir):
        d.mkdir(parents=True, exist_ok=True)
    gh = bin_dir / "gh"
    gh.write_text(FAKE_GH)
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    git_env = {**os.environ, "HOME": str(home)}
    for cmd in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "config", "user.email", f"{name}@example.com"],
        ["git", "config", "user.name", name],
        ["git", "commit", "-q", "--allow-empty", "-m", "initial"],
    ):
        subprocess.run(cmd, cwd=repo, env=git_env, check=True)
    dev = Developer(name, home, repo, department, team, oauth_email)
    if oauth_email:
        write_oauth_login(home, oauth_email)
    return dev


def write_oauth_login(home: Path, email: str) -> None:
    """Make the CLI believe it has a claude.ai login offline: stored OAuth credentials plus the account record."""
    claude_dir = home / ".claude"
    claude_dir.mkdir(parents=True, exist_ok=True)
    far = 4_102_444_800_000  # 2100-01-01: never refreshed during a test
    creds = {
        "claudeAiOauth": {
            "accessToken": "sk-ant-oat01-fake-access-token",
            "refreshToken": "sk-ant-ort01-fake-refresh-token",
            "expiresAt": far,
            "scopes": ["user:inference", "user:profile"],
            "subscriptionType": "max",
            "rateLimitTier": "default_claude_max_20x",
        }
    }
    (claude_dir / ".credentials.json").write_text(json.dumps(creds))
    account = {
        "accountUuid": "3f1c9a52-7d2e-4b8a-9c61-0a5e2d7b4f10",
        "emailAddress": email,
        "organizationUuid": "8b2d4e6f-1a3c-4e5f-9a7b-2c4d6e8f0a1b",
        "organizationName": "Acme",
        "organizationRole": "admin",
        "workspaceRole": None,
        "displayName": email.split("@", 1)[0],
    }
    config = {"oauthAccount": account, "hasCompletedOnboarding": True, "userID": None}
    (home / ".claude.json").write_text(json.dumps({k: v for k, v in config.items() if v is not None}))


def cli_env(
    dev: Developer,
    api_url: str,
    otlp_url: str,
    proxy_url: str,
    *,
    max_retries: int = 1,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    """The environment the CLI runs with: nothing inherited but PATH and locale, every byte kept on loopback."""
    env = {
        "PATH": f"{dev.home / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(dev.home),
        "LANG": "C.UTF-8",
        "IS_SANDBOX": "1",
        "ANTHROPIC_BASE_URL": api_url,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "CLAUDE_CODE_ENABLE_TELEMETRY": "1",
        "OTEL_METRICS_EXPORTER": "otlp",
        "OTEL_LOGS_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/json",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp_url,
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        "OTEL_LOGS_EXPORT_INTERVAL": "1000",
        "OTEL_RESOURCE_ATTRIBUTES": f"department={dev.department},team.id={dev.team}",
        "CLAUDE_CODE_MAX_RETRIES": str(max_retries),
        "HTTPS_PROXY": proxy_url,
        "HTTP_PROXY": proxy_url,
        "https_proxy": proxy_url,
        "http_proxy": proxy_url,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
        "GIT_AUTHOR_NAME": dev.name,
        "GIT_COMMITTER_NAME": dev.name,
        "GIT_AUTHOR_EMAIL": f"{dev.name}@example.com",
        "GIT_COMMITTER_EMAIL": f"{dev.name}@example.com",
    }
    if not dev.oauth_email:
        env["ANTHROPIC_API_KEY"] = "sk-ant-api03-fake-key-for-loopback"
    return {**env, **(extra or {})}


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str


def run_claude(
    binary: Path,
    dev: Developer,
    prompt: str,
    env: dict[str, str],
    *,
    resume: bool = False,
    timeout_s: float = 120,
    permission_mode: str | None = None,
) -> Run:
    """`claude -p PROMPT` in the developer's repo (with `--continue` to resume its latest conversation). Permissions
    are skipped unless `permission_mode` is given (`default`: a tool that needs a permission is rejected)."""
    permissions = ["--permission-mode", permission_mode] if permission_mode else ["--dangerously-skip-permissions"]
    args = [str(binary), "-p", prompt, *permissions]
    if resume:
        args.append("--continue")
    done = subprocess.run(
        args, cwd=dev.repo, env=env, capture_output=True, text=True, timeout=timeout_s, stdin=subprocess.DEVNULL
    )
    return Run(done.returncode, done.stdout, done.stderr)
