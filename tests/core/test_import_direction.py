"""Imports point one way along the data path: decode → windows → aggregates → sink (`schemas/` below all).

Read from the source with `ast`, so an import inside a function or under TYPE_CHECKING counts too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
#: Each stage of the data path and the stages after it, which it must not import.
DOWNSTREAM = {
    "decode": ("windows", "aggregates", "shard", "sink", "pipeline", "kcl", "query"),
    "windows": ("aggregates", "shard", "sink", "pipeline", "kcl", "query"),
    "aggregates": ("shard", "sink", "pipeline", "kcl", "query"),
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("stage", sorted(DOWNSTREAM))
def test_a_stage_imports_nothing_downstream_of_it(stage: str) -> None:
    files = sorted((ROOT / "consumers" / stage).glob("*.py"))
    assert files
    wrong = {
        f"{path.relative_to(ROOT)} imports {module}"
        for path in files
        for module in imported_modules(path)
        if any(module == f"consumers.{d}" or module.startswith(f"consumers.{d}.") for d in DOWNSTREAM[stage])
    }
    assert not wrong, sorted(wrong)


def test_the_schemas_import_no_consumer_module() -> None:
    wrong = {
        f"{path.name} imports {module}"
        for path in sorted((ROOT / "schemas").glob("*.py"))
        for module in imported_modules(path)
        if module.startswith("consumers")
    }
    assert not wrong, sorted(wrong)
