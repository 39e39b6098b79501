"""One real-CLI session of the realcli tests: the fake API, the proxy trap, the developers, and what each run left."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.realcli.cli import Developer, Run, cli_env, make_developer, run_claude
from tests.realcli.fake_anthropic import FakeAnthropic, serving
from tests.realcli.scenarios import DEVELOPERS, Invocation
from tests.realcli.trap import ProxyTrap, proxy_trap


@dataclass(frozen=True)
class Outcome:
    invocation: Invocation
    run: Run
    #: Connection attempts the proxy trap saw during this run.
    trapped: list[str]
    started_ms: int
    ended_ms: int


@dataclass
class CliSession:
    binary: Path
    fake: FakeAnthropic
    api_url: str
    trap: ProxyTrap
    developers: dict[str, Developer]
    otlp_url: str
    outcomes: list[Outcome] = field(default_factory=list)

    def run(self, inv: Invocation, extra_env: dict[str, str] | None = None) -> Outcome:
        dev = self.developers[inv.developer]
        before = len(self.trap.attempts)
        env = cli_env(dev, self.api_url, self.otlp_url, self.trap.url, extra=extra_env)
        started_ms = int(time.time() * 1000)
        run = run_claude(self.binary, dev, inv.prompt, env, resume=inv.resume, permission_mode=inv.permission_mode)
        outcome = Outcome(inv, run, self.trap.attempts[before:], started_ms, int(time.time() * 1000))
        self.outcomes.append(outcome)
        return outcome


@contextmanager
def cli_session(
    binary: Path,
    base: Path,
    fake: FakeAnthropic,
    otlp_url: str,
    developers: dict[str, tuple[str, str, str | None]] | None = None,
) -> Iterator[CliSession]:
    """The fake API and the trap for the block, and one fresh HOME + git repo per developer (default `DEVELOPERS`)."""
    with ExitStack() as stack:
        api_url = stack.enter_context(serving(fake))
        trap = stack.enter_context(proxy_trap())
        devs = {name: make_developer(base, name, d, t, e) for name, (d, t, e) in (developers or DEVELOPERS).items()}
        yield CliSession(binary, fake, api_url, trap, devs, otlp_url)
