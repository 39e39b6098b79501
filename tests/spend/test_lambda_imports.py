"""The spend Lambdas import with only what the Lambda package holds (no pyarrow, no DuckDB, no sqlglot)."""

from __future__ import annotations

import subprocess
import sys

HANDLERS = (
    "consumers.spend.status_lambda",
    "consumers.spend.runaway_lambda",
    "consumers.spend.report",
    "consumers.dashboard.lambda_handler",
)


def test_handlers_import_without_the_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "for blocked in ('pyarrow', 'duckdb', 'sqlglot', 'typer', 'rich'):\n"
        "    sys.modules[blocked] = None\n"
        f"import importlib\nfor m in {HANDLERS!r}:\n    importlib.import_module(m).handler\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
