"""Render collector/config.yaml into the collector's SSM parameter in infra/monitoring.yaml (one config, two places).

The parameter's value is the same file without comments and blank lines (an Advanced-tier parameter holds 8 KB),
as a `!Sub` string: the variables whose value the stack fixes become stack references (region, log groups,
environment, listen addresses), every other `${env:...}` stays for the task's environment (`${!env:...}` in
`!Sub`). `python scripts/collector_ssm.py` rewrites the block; `--check` fails when the two have diverged or the
value outgrows 8 KB (tests/collector/test_config_sync.py runs the same check).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "collector" / "config.yaml"
TEMPLATE = ROOT / "infra" / "monitoring.yaml"

#: Variables the stack fixes, and what it fixes them to (CloudFormation `!Sub` syntax).
STACK_VALUES = {
    "AWS_REGION": "${AWS::Region}",
    "CCSTREAM_METRICS_LOG_GROUP": "${LogGroupName}",
    "CCSTREAM_EVENTS_LOG_GROUP": "${EventsLogGroupName}",
    "CCSTREAM_ENVIRONMENT": "${Environment}",
    "CCSTREAM_OTLP_HTTP_ENDPOINT": "0.0.0.0:4318",
    "CCSTREAM_OTLP_GRPC_ENDPOINT": "0.0.0.0:4317",
    "CCSTREAM_HEALTH_ENDPOINT": "0.0.0.0:13133",
    "CCSTREAM_BATCH_TIMEOUT": "1s",
    "CCSTREAM_AWS_ENDPOINT": '""',
    "CCSTREAM_TELEMETRY_HOST": "127.0.0.1",
    "CCSTREAM_TELEMETRY_PORT": "8888",
}
#: An Advanced-tier SSM parameter's value limit (Standard: 4,096, outgrown in 2026-12: TLS, the events trim).
MAX_VALUE_BYTES = 8192
BLOCK_START = "      Value: !Sub |\n"
BLOCK_INDENT = " " * 8
_ENV_REF = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)((?::-[^}]*)?)\}")


def render(config_text: str) -> str:
    """The `!Sub` string for the SSM parameter (not indented)."""
    kept = [line for line in config_text.splitlines() if line.strip() and not line.lstrip().startswith("#")]

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in STACK_VALUES:
            return STACK_VALUES[name]
        return "${!env:" + name + match.group(2) + "}"

    return "\n".join(_ENV_REF.sub(sub, line) for line in kept) + "\n"


def _block_span(template: str) -> tuple[int, int]:
    start = template.index(BLOCK_START) + len(BLOCK_START)
    end = start
    for line in template[start:].splitlines(keepends=True):
        if line.strip() and not line.startswith(BLOCK_INDENT):
            break
        end += len(line)
    return start, end


def template_value(template: str) -> str:
    """The SSM parameter's `!Sub` string as the template holds it (indentation removed)."""
    start, end = _block_span(template)
    lines = template[start:end].splitlines()
    return "".join(line[len(BLOCK_INDENT) :] + "\n" for line in lines if line.strip())


def rewritten(template: str, config_text: str) -> str:
    start, end = _block_span(template)
    block = "".join(BLOCK_INDENT + line + "\n" for line in render(config_text).splitlines())
    return template[:start] + block + "\n" + template[end:].lstrip("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if infra/monitoring.yaml is out of date")
    args = parser.parse_args()
    template, config_text = TEMPLATE.read_text(), CONFIG.read_text()
    if args.check:
        if template_value(template) != render(config_text):
            print(
                "infra/monitoring.yaml's collector config differs from collector/config.yaml: "
                "run python scripts/collector_ssm.py",
                file=sys.stderr,
            )
            return 1
        size = len(render(config_text).encode())
        if size > MAX_VALUE_BYTES:
            print(f"the rendered collector config is {size:,} bytes, over {MAX_VALUE_BYTES:,}", file=sys.stderr)
            return 1
        return 0
    TEMPLATE.write_text(rewritten(template, config_text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
