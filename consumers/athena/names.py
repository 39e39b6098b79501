"""Names of the analytics resources of one deployment (Glue database, Athena workgroup, table, view).

Derived from `Names.prefix` (default `claude-code`): database `claude_code_analytics`, workgroup
`claude-code-analytics`. `CCSTREAM_ATHENA_DATABASE` / `CCSTREAM_ATHENA_WORKGROUP` override them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from consumers.config import Names
from schemas.lake import RAW_TABLE, VIEW


@dataclass(frozen=True)
class AnalyticsNames:
    database: str
    workgroup: str
    raw_table: str = RAW_TABLE
    view: str = VIEW

    @classmethod
    def of(cls, names: Names, env: Mapping[str, str] | None = None) -> AnalyticsNames:
        environ = env if env is not None else os.environ
        return cls(
            database=environ.get("CCSTREAM_ATHENA_DATABASE") or names.prefix.replace("-", "_") + "_analytics",
            workgroup=environ.get("CCSTREAM_ATHENA_WORKGROUP") or f"{names.prefix}-analytics",
        )
